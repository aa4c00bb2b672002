from django.db import migrations


def schedule(apps, schema_editor):
    # The worker (`shouwang qcluster`) deletes, every hour, uploads previewed but never applied
    # for a day: they hold children's ID numbers (ledgers and check-up sheets alike).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="delete uploads never applied",
        defaults={
            "func": "shouwang.ledger.tasks.purge_stale_uploads",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_columns_away_since_and_village"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
