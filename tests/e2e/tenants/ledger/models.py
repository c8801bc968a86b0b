"""An app in both SHARED_APPS and TENANT_APPS: in public and in every tenant schema."""
from django.db import models


class Entry(models.Model):
    note = models.CharField(max_length=120)
    amount = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["note", "amount"], name="ledger_entry_note_idx")]
