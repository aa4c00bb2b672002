from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) tells caregivers of overdue duties; weekly per person.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="tell caregivers of overdue duties",
        defaults={
            "func": "shouwang.care.tasks.notify_overdue",
            "schedule_type": "D",  # daily; the notification key makes it once a week
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("care", "0003_alter_followup_kind"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
