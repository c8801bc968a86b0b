"""Keeps the one model MySQL/MariaDB cannot hold off those databases.

notes.Oddity's odd_where_idx is a partial index over a TextField. MySQL has no
partial indexes (Django drops the condition, models.W037) and cannot index a
TEXT column without a prefix length, so Django's own `migrate` fails on it
("Specified key was too long"). Routing the model away from MySQL databases
leaves it out of `migrate` and of dbsync's desired schema alike (both ask the
routers), and everything else in the project is proven on MariaDB too.
"""
from django.db import connections


class NoOddityOnMySQL:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "notes" and model_name == "oddity" and connections[db].vendor == "mysql":
            return False
        return None
