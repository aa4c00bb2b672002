"""The database itself refuses to change or delete an audit entry, whatever code asks."""

from django.db import migrations

from shouwang.audit import triggers as audit_triggers


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(audit_triggers.install, audit_triggers.remove)]
