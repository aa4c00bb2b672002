from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) checks the emergency chains' deadlines every minute.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="escalate late emergency steps",
        defaults={
            "func": "shouwang.safety.tasks.escalate_due_steps",
            "schedule_type": "I",  # every `minutes` minutes
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
