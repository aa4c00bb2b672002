from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) looks for long silences once a day.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="tasks for children out of touch with a parent",
        defaults={
            "func": "shouwang.family.tasks.raise_silence_tasks",
            "schedule_type": "D",  # daily
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("family", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
