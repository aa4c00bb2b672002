from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) tells of rectifications past their deadline, every hour.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="tell overdue rectifications",
        defaults={
            "func": "shouwang.inspections.tasks.tell_overdue",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
