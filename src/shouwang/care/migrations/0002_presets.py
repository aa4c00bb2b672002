from django.db import migrations


def load(apps, schema_editor):
    from shouwang.care.presets import install

    install(apps.get_model("care", "DutyPolicy"), apps.get_model("care", "DutyRule"))


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
