from django.db import models


class Notebook(models.Model):
    title = models.CharField(max_length=100)


class Memo(models.Model):
    notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE, related_name="memos")
    body = models.TextField()
    pinned = models.BooleanField(default=False)


class Reminder(models.Model):
    text = models.CharField(max_length=200)
    due = models.DateTimeField()


class Oddity(models.Model):
    """Names that only survive if every identifier is quoted: reserved words,
    spaces, punctuation, non-ASCII letters, mixed case."""

    order = models.IntegerField(db_column="order")
    group = models.CharField(max_length=10, db_column="group by", default="x")
    label = models.CharField(max_length=20, db_column="Naïve-Label", db_index=True)
    note = models.TextField(db_column="select", null=True, blank=True)

    class Meta:
        db_table = "notes odd-Table Ä"
        unique_together = [("order", "group")]
        indexes = [models.Index(fields=["note", "label"], name="odd_where_idx", condition=models.Q(order__gt=0))]
