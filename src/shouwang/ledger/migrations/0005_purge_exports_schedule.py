from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) removes, every quarter of an hour, exported ledgers past
    # their time (SHOUWANG_EXPORT_HOURS): they hold children's personal data (issue 18).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="remove expired exports",
        defaults={
            "func": "shouwang.ledger.tasks.purge_expired_exports",
            "schedule_type": "I",  # every `minutes`
            "minutes": 15,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_export_jobs"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
