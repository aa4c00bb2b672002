from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) reminds units past a round's deadline, once each.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="remind units late in a reporting round",
        defaults={
            "func": "shouwang.oversight.tasks.remind_late_units",
            "schedule_type": "H",  # hourly: a unit is told soon after its deadline passes
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
