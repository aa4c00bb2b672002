# The audit log moved out of accounts (issue 16: it sits below the org tree). The table, its rows
# and its triggers stay as they are: only Django's idea of which app owns the model changes.

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0005_audit_revoke_action"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="time")),
                        ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="who")),
                        ("action", models.CharField(choices=[("login", "Logged in"), ("login_failed", "Failed login"), ("logout", "Logged out"), ("create", "Created"), ("update", "Updated"), ("view", "Viewed"), ("reveal", "Revealed masked data"), ("export", "Exported"), ("import", "Imported"), ("revoke", "Revoked access")], max_length=20, verbose_name="action")),
                        ("object_type", models.CharField(blank=True, max_length=50, verbose_name="object type")),
                        ("object_id", models.CharField(blank=True, max_length=64, verbose_name="object id")),
                        ("object_repr", models.CharField(blank=True, max_length=200, verbose_name="object")),
                        ("org_path", models.CharField(blank=True, db_index=True, max_length=255)),
                        ("changes", models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="changes")),
                        ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="from address")),
                        ("user_agent", models.CharField(blank=True, max_length=300, verbose_name="browser")),
                        ("via", models.CharField(default="web", max_length=10, verbose_name="via")),
                        ("actor", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="who")),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit log",
                        "db_table": "accounts_auditentry",
                        "ordering": ["-at", "-id"],
                        "indexes": [models.Index(fields=["object_type", "object_id"], name="accounts_au_object__2df7a0_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
