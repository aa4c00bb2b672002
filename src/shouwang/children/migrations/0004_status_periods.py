"""Each status row's period (``until``) and place (``placed_at``), derived from the rows of its
child that exist: the register on a day becomes a comparison of columns (issue 17)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count

# The order a child's rows happened in (children.models.HISTORY_ORDER), frozen here.
ORDER = ("on", "created_at", "pk")


def link_all(apps, schema_editor):
    """A child with one row keeps the defaults (it holds on, where the child is); the others
    get each row's next day and the unit the first later row names."""
    StatusChange = apps.get_model("children", "StatusChange")
    several = list(
        StatusChange.objects.values("child_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("child_id", flat=True)
    )
    for start in range(0, len(several), 2000):
        rows = StatusChange.objects.filter(child_id__in=several[start : start + 2000]).order_by(
            "child_id", *ORDER
        )
        by_child = {}
        for row in rows.only("pk", "child_id", "on", "created_at", "from_school"):
            by_child.setdefault(row.child_id, []).append(row)
        stale = []
        for history in by_child.values():
            until, placed = None, None
            for row in reversed(history):
                if (until, placed) != (None, None):
                    row.until, row.placed_at_id = until, placed
                    stale.append(row)
                until = row.on
                if row.from_school_id is not None:
                    placed = row.from_school_id
        StatusChange.objects.bulk_update(stale, ["until", "placed_at"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0003_dropout_and_village_unit"),
        ("orgs", "0002_holiday_season"),
    ]

    operations = [
        migrations.AddField(
            model_name="statuschange",
            name="placed_at",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.org",
            ),
        ),
        migrations.AddField(
            model_name="statuschange",
            name="until",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(link_all, migrations.RunPython.noop, elidable=True),
    ]
