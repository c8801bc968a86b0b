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
