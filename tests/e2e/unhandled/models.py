"""An app whose DDL holds a statement the engine does not handle, for
test_unhandled.py only: it is installed only when DBSYNC_E2E_EXTRA_APPS names
it (testproject/settings.py), so no other test sees it.

Django's schema editor collects whatever an index class returns from
create_sql, so a package can put any statement into the DDL dbsync reads. Here
it is a SQLite trigger, which the engine neither creates nor compares.
"""
from django.db import models


class TriggerIndex(models.Index):
    """An "index" whose DDL is a trigger (SQLite syntax)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        table = schema_editor.quote_name(model._meta.db_table)
        return (f"CREATE TRIGGER {schema_editor.quote_name(self.name)} AFTER UPDATE ON {table} "
                f"BEGIN SELECT 1; END")

    def remove_sql(self, model, schema_editor, **kwargs):
        return f"DROP TRIGGER IF EXISTS {schema_editor.quote_name(self.name)}"


class Touched(models.Model):
    label = models.CharField(max_length=20)

    class Meta:
        app_label = "unhandled"
        indexes = [TriggerIndex(fields=["label"], name="touched_trg")]
