"""A care record's child, county, caregiver and original are found through the indexes that
lead with them (child, is_current, on), (county, is_current, on), (caregiver, is_current, on) and
the versions' unique (original, version): the four single-column indexes Django made for the keys
go. At a province's 20 million records they were 545 MB, and a million records went in twice as
fast without them (32 s → 16 s; docs/scaling.md).

Only the indexes are dropped: Django's own AlterField would also drop and re-add the four foreign
keys, checking every row again under a lock that stops writes (minutes on a province), and on
SQLite rebuild the table four times. The keys stay as they are; the state says db_index=False."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "caregiver_id": "care_carerecord_caregiver_id_c05ec89e",
    "child_id": "care_carerecord_child_id_6d518b28",
    "county_id": "care_carerecord_county_id_f1ede515",
    "original_id": "care_carerecord_original_id_eb8e0c48",
}


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_one_open_silence_follow_up"),
        ("children", "0004_status_periods"),
        ("orgs", "0002_holiday_season"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name in INDEXES.values()],
                    reverse_sql=[
                        f"CREATE INDEX {name} ON care_carerecord ({column})"
                        for column, name in INDEXES.items()
                    ],
                    elidable=False,
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="carerecord",
                    name="caregiver",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="care.caregiver",
                        verbose_name="caregiver",
                    ),
                ),
                migrations.AlterField(
                    model_name="carerecord",
                    name="child",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="care_records",
                        to="children.child",
                    ),
                ),
                migrations.AlterField(
                    model_name="carerecord",
                    name="county",
                    field=models.ForeignKey(
                        db_index=False,
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.org",
                    ),
                ),
                migrations.AlterField(
                    model_name="carerecord",
                    name="original",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="versions",
                        to="care.carerecord",
                    ),
                ),
            ],
        ),
    ]
