# A submission's snapshot is refused by the database itself once saved (oversight.triggers).

from django.db import migrations

from shouwang.oversight import triggers


class Migration(migrations.Migration):
    dependencies = [("oversight", "0003_submission_labels")]

    operations = [migrations.RunPython(triggers.install, triggers.remove)]
