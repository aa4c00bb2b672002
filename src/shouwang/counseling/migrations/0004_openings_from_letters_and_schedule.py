from django.db import migrations


def backfill_and_schedule(apps, schema_editor):
    # Every day a letter was typed in, the box was opened: those days are its first openings.
    letter = apps.get_model("counseling", "MailboxLetter")
    opening = apps.get_model("counseling", "MailboxOpening")
    days = letter.objects.values_list("school_id", "opened_on").distinct()
    opening.objects.bulk_create(
        [opening(school_id=school, opened_on=on) for school, on in days], ignore_conflicts=True
    )
    # The worker (`shouwang qcluster`) tells a school's counselors when the box waits too long.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="remind schools of an unopened whisper mailbox",
        defaults={
            "func": "shouwang.counseling.tasks.remind_unopened_mailboxes",
            "schedule_type": "D",  # daily; the notification key makes it once a week
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("counseling", "0003_mailbox_opening"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(backfill_and_schedule, migrations.RunPython.noop)]
