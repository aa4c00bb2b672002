from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) freezes the scores of terms that have closed, hourly: a
    # term is frozen within the hour after its last day, before late entries dated in it.
    model = apps.get_model("django_q", "Schedule")
    model.objects.update_or_create(
        name="freeze the assessment of closed terms",
        defaults={
            "func": "shouwang.assessment.tasks.freeze_closed_terms",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
