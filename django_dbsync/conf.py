"""The DJANGO_DBSYNC settings: defaults, validation and per-database overrides.

get_settings(alias) merges, in order: DEFAULTS <- settings.DJANGO_DBSYNC <-
DJANGO_DBSYNC["CUSTOM_DATABASES"][alias]. problems() validates the dict once
for Django's system check framework (django_dbsync/checks.py turns each into a
checks message with its id, so `manage.py check` reports it and
SILENCED_SYSTEM_CHECKS can silence a warning); get_settings refuses to return
settings while one of them is an error, so no command runs on a wrong value.

A user's DJANGO_DBSYNC from django-dbsync 1.x works unchanged: every key of
1.2.6 is either live here or listed in NO_MEANING, which gets a note instead
of the unknown-key warning.
"""

import difflib
import os
import re
from collections import namedtuple

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
    # django-dbsync 1.x keys (regexes, re.match) and output switches.
    "EXCLUDE_APP_PATTERNS": [],
    "EXCLUDE_TABLE_PATTERNS": [],
    "VERBOSE_LOGGING": False,
    "DEBUG_MODE": False,
    "SHOW_PROGRESS": True,
    # What no model could declare (FULLTEXT indexes, collations a migration set, ...) is
    # kept; True removes it, with approval (docs/unmanaged.md).
    "DROP_UNMANAGED": False,
}

# Keys of django-dbsync 1.x that mean nothing here, with why: accepted with a
# note (django_dbsync.I001), never the unknown-key warning. A value listed in
# the pair is the one that matches what this app does anyway (no note).
NO_MEANING = {
    "VERSION": (None, "the version shown is the installed package's own (manage.py dbsync --version)"),
    "DISABLE_INFO_LOGGING": (True, "django-dbsync writes no log through Python's logging; what "
                                   "it does is its terminal output (-v, VERBOSE_LOGGING, --txt-log)"),
}

_BOOL_KEYS = {
    "AUTO_CREATE_TABLES", "AUTO_ADD_COLUMNS", "AUTO_DROP_COLUMNS", "AUTO_RENAME_TABLES",
    "AUTO_FIX_TABLE_CASE", "BACKUP_BEFORE_SYNC", "DRY_RUN_MODE", "GENERATE_HTML_REPORT",
    "SHOW_ORPHANED_TABLES", "COLORED_OUTPUT", "RETRY_FAILED_OPERATIONS",
    "VERBOSE_LOGGING", "DEBUG_MODE", "SHOW_PROGRESS", "DROP_UNMANAGED", "KEEP_EXTRA_INDEXES",
}
_LIST_KEYS = {"EXCLUDE_APPS", "EXCLUDE_TABLES", "EXCLUDE_APP_PATTERNS", "EXCLUDE_TABLE_PATTERNS"}
_REGEX_KEYS = {"EXCLUDE_APP_PATTERNS", "EXCLUDE_TABLE_PATTERNS"}

# Keys that choose the database; inside a per-database override they cannot apply.
_TOP_LEVEL_ONLY = {"DEFAULT_DATABASE", "CUSTOM_DATABASES"}

# One finding about DJANGO_DBSYNC: level is "error", "warning" or "info"; id the
# system check id (django_dbsync.E001 ...), see checks.py.
Problem = namedtuple("Problem", "level id msg hint")


def _raw():
    """settings.DJANGO_DBSYNC, or {} when unset; None when it is not a dict."""
    value = getattr(django_settings, "DJANGO_DBSYNC", None)
    if value is None:
        return {}
    return value if isinstance(value, dict) else None


def _unknown_key(where, key):
    hint = None
    close = difflib.get_close_matches(str(key), list(DEFAULTS) + list(NO_MEANING), n=1)
    if close:
        hint = f"Did you mean {close[0]!r}?"
    return Problem("warning", "django_dbsync.W001",
                   f"{where}: unknown setting {key!r} is ignored.", hint)


def _expected(key, value):
    """What `key` must hold, when `value` is not that; None when it is fine."""
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
        return None
    return None if ok else expected


def _value_problems(where, key, value):
    expected = _expected(key, value)
    if expected is not None:
        yield Problem("error", "django_dbsync.E002",
                      f"{where}[{key!r}] must be {expected}, not {value!r}.", None)
        return
    if key in _REGEX_KEYS:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as e:
                yield Problem("error", "django_dbsync.E003",
                              f"{where}[{key!r}]: {pattern!r} is not a valid regular expression: {e}.",
                              "Patterns are Python regular expressions matched with re.match, "
                              "as in django-dbsync 1.x.")


def _no_meaning(where, key, value):
    matching, why = NO_MEANING[key]
    if matching is not None and value == matching:
        return
    yield Problem("info", "django_dbsync.I001",
                  f"{where}[{key!r}] (a django-dbsync 1.x setting) has no effect here: {why}.", None)


def _key_problems(where, key, value, *, override=False):
    if key in NO_MEANING:
        yield from _no_meaning(where, key, value)
    elif key not in DEFAULTS:
        yield _unknown_key(where, key)
    elif override and key in _TOP_LEVEL_ONLY:
        yield Problem("warning", "django_dbsync.W003",
                      f"{where}: {key!r} has no effect inside a per-database override.", None)
    else:
        yield from _value_problems(where, key, value)


def problems():
    """Every finding about DJANGO_DBSYNC, as Problem tuples, errors first."""
    raw = _raw()
    if raw is None:
        value = django_settings.DJANGO_DBSYNC
        return [Problem("error", "django_dbsync.E001",
                        f"settings.DJANGO_DBSYNC must be a dict, not {type(value).__name__}.", None)]
    found = []
    for key, value in raw.items():
        found.extend(_key_problems("DJANGO_DBSYNC", key, value))
    custom = raw.get("CUSTOM_DATABASES")
    if isinstance(custom, dict):
        for alias, overrides in custom.items():
            where = f"DJANGO_DBSYNC['CUSTOM_DATABASES'][{alias!r}]"
            if alias not in django_settings.DATABASES:
                found.append(Problem(
                    "warning", "django_dbsync.W002",
                    f"DJANGO_DBSYNC['CUSTOM_DATABASES']: {alias!r} is not a database alias in "
                    f"DATABASES; its overrides are ignored.", None))
            if isinstance(overrides, dict):
                for key, value in overrides.items():
                    found.extend(_key_problems(where, key, value, override=True))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda p: order[p.level])


def _refuse_on_error():
    errors = [p for p in problems() if p.level == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more: manage.py check lists them)" if len(errors) > 1 else ""
        raise CommandError(f"{first.msg.rstrip('.')}{more} [{first.id}]")


def get_settings(alias=None):
    """The effective settings for database `alias` (DEFAULT_DATABASE when None).

    Raises CommandError when DJANGO_DBSYNC holds an error (a wrong type, an
    invalid regular expression): the commands refuse to run on it, even with
    --skip-checks. Warnings and notes are the system checks' to show.
    """
    _refuse_on_error()
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
    _refuse_on_error()
    return _raw().get("DEFAULT_DATABASE", DEFAULTS["DEFAULT_DATABASE"])


def _copy(value):
    # Callers may mutate lists they get back; the settings module must not change.
    return list(value) if isinstance(value, (list, tuple)) else value
