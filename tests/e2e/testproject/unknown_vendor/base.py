"""A Django database backend whose vendor libdbsync has no dialect for: the
SQLite backend under another vendor name, the way a third-party backend
(Firebird, Oracle, ...) looks to the Django app."""
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    vendor = "firebird"
