from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) recounts, every minute, the units' snapshots of today
    # that the data they count has moved past (stats.tasks.refresh_figures).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="refresh the units' figures",
        defaults={
            "func": "shouwang.stats.tasks.refresh_figures",
            "schedule_type": "I",  # every `minutes`
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
