"""The national screening tables as data (health/data/bmi_screening.csv): WS/T 586-2018 and
WS/T 456-2014, one row per sex and half-year of age from 6 to 18."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

TABLE = Path(__file__).resolve().parent.parent / "data" / "bmi_screening.csv"


def load(apps, schema_editor):
    BmiReference = apps.get_model("health", "BmiReference")

    def value(text):
        return Decimal(text) if text else None

    with TABLE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            BmiReference.objects.update_or_create(
                gender=row["gender"],
                age=Decimal(row["age"]),
                defaults={
                    "thin_severe_max": value(row["thin_severe_max"]),
                    "thin_mild_max": value(row["thin_mild_max"]),
                    "overweight_min": Decimal(row["overweight_min"]),
                    "obese_min": Decimal(row["obese_min"]),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
