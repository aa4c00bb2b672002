from django.db import migrations


def load(apps, schema_editor):
    from shouwang.care.presets import POLICIES

    policy_model = apps.get_model("care", "DutyPolicy")
    rule_model = apps.get_model("care", "DutyRule")
    for preset in POLICIES:
        policy, _ = policy_model.objects.update_or_create(
            code=preset["code"],
            org=None,
            defaults={"name": preset["name"], "source": preset["source"], "is_active": True},
        )
        if policy.rules.exists():
            continue
        for rule in preset["rules"]:
            rule_model.objects.create(policy=policy, **rule)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
