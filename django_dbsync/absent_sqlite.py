"""A read-only run against a SQLite database file that does not exist yet leaves it absent.

The engine plans such a run against an empty database and creates nothing
(engine/src/sqlite/backend_sqlite.c). Django's own connection to the same alias is
another matter: the system checks (a JSONField asks whether SQLite supports
JSON) and the schema editor that renders the models' DDL open it, and
Python's sqlite3 creates a missing file on connect, so `dbsync --check` left an
empty database behind. For the length of a read-only run Django's connection
is pointed at a private in-memory database instead: the same SQLite library
answers the same feature questions, and the file system stays as it was.
"""
import os
from contextlib import contextmanager

from django.db import connections


def absent_path(alias):
    """The path of database `alias` when it is a SQLite file that does not
    exist; None for any other database (other vendors, in-memory and URI names)."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return None
    name = connection.settings_dict.get("NAME")
    if not name:
        return None
    path = os.fspath(name)
    if path == ":memory:" or path.startswith("file:") or "mode=memory" in path:
        return None
    return None if os.path.exists(path) else path


@contextmanager
def left_absent(alias, readonly):
    """Within the block, Django's connection to `alias` opens an in-memory
    database when the run is `readonly` and the alias is a missing SQLite
    file; yields that path, or None when nothing is redirected."""
    path = absent_path(alias) if readonly else None
    if path is None:
        yield None
        return
    connection = connections[alias]
    connection.close()
    opened_params = connection.get_connection_params

    def in_memory_params():
        params = opened_params()
        params["database"] = ":memory:"
        return params

    # an instance attribute: settings_dict (and so every message and the
    # engine's own parameters) keeps naming the real path
    connection.get_connection_params = in_memory_params
    try:
        yield path
    finally:
        connection.close()
        del connection.get_connection_params
