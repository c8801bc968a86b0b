"""The DJANGO_DBSYNC settings: defaults, validation and per-database overrides.

get_settings(alias) merges, in order: DEFAULTS <- settings.DJANGO_DBSYNC <-
DJANGO_DBSYNC["CUSTOM_DATABASES"][alias]. Unknown keys are warned about (they
are most often typos of a real key, which then silently keeps its default);
values of the wrong type stop the command with a CommandError naming the key.
"""

import difflib
import os
import warnings

from django.conf import settings as django_settings
from django.core.management.base import CommandError

DEFAULTS = {
    "DEFAULT_DATABASE": "default",
    "CUSTOM_DATABASES": None,
    "AUTO_CREATE_TABLES": True,
    "AUTO_ADD_COLUMNS": True,
    "AUTO_DROP_COLUMNS": False,
    "AUTO_RENAME_TABLES": False,
    "AUTO_FIX_TABLE_CASE": True,
    "KEEP_EXTRA_INDEXES": False,
    "BACKUP_BEFORE_SYNC": True,
    "EXCLUDE_APPS": ["sessions", "admin", "contenttypes"],
    "EXCLUDE_TABLES": [],
    "DRY_RUN_MODE": False,
    "GENERATE_HTML_REPORT": False,
    "REPORT_OUTPUT_DIR": "dbsync_reports/",
    "SHOW_ORPHANED_TABLES": True,
    "COLORED_OUTPUT": True,
    "RETRY_FAILED_OPERATIONS": False,
    "MAX_RETRY_ATTEMPTS": 3,
    "BACKUP_DIR": "dbsync_backups/",
    "LOCK_TIMEOUT_MS": 5000,
    "BACKUP_METHOD": "auto",
}

_BOOL_KEYS = {
    "AUTO_CREATE_TABLES", "AUTO_ADD_COLUMNS", "AUTO_DROP_COLUMNS", "AUTO_RENAME_TABLES",
    "AUTO_FIX_TABLE_CASE", "BACKUP_BEFORE_SYNC", "DRY_RUN_MODE", "GENERATE_HTML_REPORT",
    "SHOW_ORPHANED_TABLES", "COLORED_OUTPUT", "RETRY_FAILED_OPERATIONS", "KEEP_EXTRA_INDEXES",
}
_LIST_KEYS = {"EXCLUDE_APPS", "EXCLUDE_TABLES"}

# Keys that choose the database; inside a per-database override they cannot apply.
_TOP_LEVEL_ONLY = {"DEFAULT_DATABASE", "CUSTOM_DATABASES"}


class DbsyncSettingsWarning(UserWarning):
    """A DJANGO_DBSYNC setting that is ignored: unknown, or misplaced."""


def _raw():
    value = getattr(django_settings, "DJANGO_DBSYNC", None)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CommandError(
            f"settings.DJANGO_DBSYNC must be a dict, not {type(value).__name__}"
        )
    return value


def _unknown_key_message(where, key):
    text = f"{where}: unknown setting {key!r} is ignored"
    close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
    if close:
        text += f" (did you mean {close[0]!r}?)"
    return text


def _check_type(where, key, value):
    if key in _BOOL_KEYS:
        ok, expected = isinstance(value, bool), "True or False"
    elif key in _LIST_KEYS:
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        expected = "a list of strings"
    elif key == "DEFAULT_DATABASE":
        ok, expected = isinstance(value, str) and value != "", "a database alias (str)"
    elif key == "BACKUP_METHOD":
        ok, expected = value in ("auto", "engine", "tool"), "'auto', 'engine' or 'tool'"
    elif key == "BACKUP_DIR":
        ok, expected = isinstance(value, (str, os.PathLike)) and str(value) != "", "a directory path"
    elif key == "REPORT_OUTPUT_DIR":
        ok, expected = isinstance(value, (str, os.PathLike)), "a directory path"
    elif key in ("MAX_RETRY_ATTEMPTS", "LOCK_TIMEOUT_MS"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        expected = "an integer >= 0"
    elif key == "CUSTOM_DATABASES":
        ok = value is None or (
            isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
        )
        expected = "None or a dict mapping database aliases to dicts of settings"
    else:
        return
    if not ok:
        raise CommandError(f"{where}[{key!r}] must be {expected}, not {value!r}")


def check_settings():
    """Validate DJANGO_DBSYNC; return the warning messages (unknown or misplaced keys).

    Raises CommandError for a value of the wrong type.
    """
    raw = _raw()
    messages = []
    for key, value in raw.items():
        if key not in DEFAULTS:
            messages.append(_unknown_key_message("DJANGO_DBSYNC", key))
            continue
        _check_type("DJANGO_DBSYNC", key, value)
    custom = raw.get("CUSTOM_DATABASES") or {}
    for alias, overrides in custom.items():
        where = f"DJANGO_DBSYNC['CUSTOM_DATABASES'][{alias!r}]"
        if alias not in django_settings.DATABASES:
            messages.append(
                f"DJANGO_DBSYNC['CUSTOM_DATABASES']: {alias!r} is not a database alias "
                f"in DATABASES; its overrides are ignored"
            )
        for key, value in overrides.items():
            if key not in DEFAULTS:
                messages.append(_unknown_key_message(where, key))
            elif key in _TOP_LEVEL_ONLY:
                messages.append(f"{where}: {key!r} has no effect inside a per-database override")
            else:
                _check_type(where, key, value)
    return messages


def get_settings(alias=None, report=None):
    """The effective settings for database `alias` (DEFAULT_DATABASE when None).

    Every warning is raised through warnings.warn(DbsyncSettingsWarning) and also
    handed to `report` (a callable taking the message) when given, so a command
    can show it on its own stderr.
    """
    for message in check_settings():
        warnings.warn(message, DbsyncSettingsWarning, stacklevel=2)
        if report is not None:
            report(message)
    raw = _raw()
    merged = {key: _copy(value) for key, value in DEFAULTS.items()}
    merged.update({k: _copy(v) for k, v in raw.items() if k in DEFAULTS})
    if alias is None:
        alias = merged["DEFAULT_DATABASE"]
    overrides = (raw.get("CUSTOM_DATABASES") or {}).get(alias) or {}
    merged.update(
        {k: _copy(v) for k, v in overrides.items() if k in DEFAULTS and k not in _TOP_LEVEL_ONLY}
    )
    return merged


def default_database():
    """The alias the command uses without --database."""
    value = _raw().get("DEFAULT_DATABASE", DEFAULTS["DEFAULT_DATABASE"])
    _check_type("DJANGO_DBSYNC", "DEFAULT_DATABASE", value)
    return value


def _copy(value):
    # Callers may mutate lists they get back; the settings module must not change.
    return list(value) if isinstance(value, (list, tuple)) else value
