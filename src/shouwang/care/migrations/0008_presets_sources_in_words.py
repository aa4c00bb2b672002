"""The presets' sources as a user reads them (no "seed 001:" or "domain.md §3", issue 19)."""

from django.db import migrations


def reinstall(apps, schema_editor):
    from shouwang.care.presets import install

    install(apps.get_model("care", "DutyPolicy"), apps.get_model("care", "DutyRule"))


class Migration(migrations.Migration):
    dependencies = [("care", "0007_encrypted_fields")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
