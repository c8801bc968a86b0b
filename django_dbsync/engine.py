"""Opening engine connections from Django's DATABASES settings.

The password goes to the engine and nowhere else: messages and headers use
Connection.describe, which never contains it.
"""

from django.core.management.base import CommandError
from django.db import connections
from django.utils.connection import ConnectionDoesNotExist

from . import _engine

# The engine's exceptions: Error, and one subclass per engine error code.
Error = _engine.Error
ParseError = _engine.ParseError
LockedError = _engine.LockedError
VerifyError = _engine.VerifyError


def _django_connection(alias):
    try:
        return connections[alias]
    except ConnectionDoesNotExist:
        raise CommandError(f"Unknown database alias '{alias}' (not in settings.DATABASES).") from None


def _is_memory_sqlite(connection, name):
    check = getattr(connection, "is_in_memory_db", None)
    if check is not None:
        return check()
    name = str(name)
    return name == ":memory:" or "mode=memory" in name


def connection_params(alias):
    """(engine vendor, params dict of str) for database `alias`.

    Django's vendor name goes to the engine as it is: the engine knows its
    dialects by those names and refuses one it does not know. What follows
    reads each Django backend's own settings conventions (Django glue).
    """
    connection = _django_connection(alias)
    vendor = connection.vendor
    try:
        _engine.dialect(vendor)
    except _engine.Error as e:
        raise CommandError(f"database '{alias}' uses the {vendor} backend: {e}") from None
    conf = connection.settings_dict
    options = conf.get("OPTIONS") or {}
    if vendor == "sqlite":
        name = conf.get("NAME")
        if not name or _is_memory_sqlite(connection, name):
            raise CommandError(
                f"database '{alias}' is an in-memory SQLite database; dbsync's engine opens "
                f"its own connection and needs a file database (set NAME, or TEST['NAME'] "
                f"under tests, to a file path)"
            )
        params = {"name": str(name)}
        if options.get("timeout") is not None:
            params["timeout"] = _text(options["timeout"])
        return vendor, params
    params = {}
    for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
        value = conf.get(key)
        if value not in (None, ""):
            params[key.lower()] = _text(value)
    if vendor == "mysql" and params.get("host", "").startswith("/"):
        # Django's MySQL backend reads a HOST starting with '/' as a unix socket.
        params["unix_socket"] = params.pop("host")
    for key, value in _option_items(vendor, options):
        params[str(key)] = _text(value)
    return vendor, params


# OPTIONS keys that configure Django or the Python driver rather than the
# connection itself; the engine opens its own connection and would reject them.
_DRIVER_ONLY = {
    "postgresql": {
        "isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory",
        "context", "prepare_threshold",
    },
    "mysql": {
        "isolation_level", "autocommit", "client_flag", "use_unicode", "conv", "local_infile",
        "sql_mode", "read_timeout", "write_timeout", "cursorclass",
    },
}


def _option_items(vendor, options):
    for key, value in options.items():
        if value is None or key in _DRIVER_ONLY.get(vendor, ()):
            continue
        if vendor == "mysql" and key == "ssl" and isinstance(value, dict):
            # mysqlclient's {'ca': ..., 'cert': ...} form, flattened for the engine.
            for sub, sub_value in value.items():
                if sub_value is not None:
                    yield f"ssl_{sub}", sub_value
            continue
        if vendor == "mysql" and key == "ssl_mode":
            yield "ssl", str(value).upper() not in ("DISABLED", "PREFERRED")
            continue
        yield key, value


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def member_word(vendor):
    """What a fleet member is called on a server of `vendor`: a database on
    MySQL (one server, many databases), a schema elsewhere."""
    return "database" if vendor == "mysql" else "schema"


def open_connection(alias, readonly=False):
    """An engine Connection to database `alias`; CommandError when it cannot be opened.

    `readonly` is for dry runs and checks: the engine then cannot write, and a
    SQLite file that does not exist yet is read as empty instead of being created.
    """
    vendor, params = connection_params(alias)
    if readonly:
        params["readonly"] = "1"
    try:
        return _engine.Connection(vendor, params)
    except _engine.Error as e:
        raise CommandError(f"cannot open database '{alias}': {e}") from None


def scrub_password(alias, text):
    """`text` with the password of database `alias` masked, for messages that
    come from a driver rather than from the engine (which masks its own)."""
    password = _django_connection(alias).settings_dict.get("PASSWORD")
    if password:
        text = text.replace(str(password), "********")
    return text


def version_string():
    backends = ", ".join(_engine.backends()) or "none"
    return f"libdbsync {_engine.version()}; backends: {backends}"
