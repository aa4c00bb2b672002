from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) counts again, every minute, the kept duty compliance that
    # pages asked for and the data has moved past (care.tasks.refresh_compliance).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="recount the kept duty compliance",
        defaults={
            "func": "shouwang.care.tasks.refresh_compliance",
            "schedule_type": "I",  # every `minutes`
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0010_kept_compliance"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
