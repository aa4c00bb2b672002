# The audit log is now the audit app's (its 0001 takes the model over, table and rows untouched).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_audit_revoke_action"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
