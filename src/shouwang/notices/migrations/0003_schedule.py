from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) sends the outbox's text messages and e-mails every minute.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="send text messages and e-mails",
        defaults={
            "func": "shouwang.notices.tasks.send_outbox",
            "schedule_type": "I",  # every `minutes` minutes
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("notices", "0002_outbox"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
