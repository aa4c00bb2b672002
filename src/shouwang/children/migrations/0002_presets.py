from django.db import migrations


def load(apps, schema_editor):
    from shouwang.children.presets import HEART_RULE, PROFILES

    profile_model = apps.get_model("children", "DefinitionProfile")
    for preset in PROFILES:
        profile_model.objects.update_or_create(
            code=preset["code"],
            defaults={**preset, "counted_types": [str(t) for t in preset["counted_types"]]},
        )
    rule_model = apps.get_model("children", "HeartLevelRule")
    rule_model.objects.update_or_create(code=HEART_RULE["code"], defaults=HEART_RULE)


class Migration(migrations.Migration):
    dependencies = [("children", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
