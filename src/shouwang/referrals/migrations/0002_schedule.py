from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) escalates referrals left unanswered, every hour.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="escalate unanswered referrals",
        defaults={
            "func": "shouwang.referrals.tasks.escalate_unanswered",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
