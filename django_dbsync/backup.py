"""Backups before a run changes the database, and retries of transient failures.

The engine writes the backup (SQLite's online backup API, pg_dump / mysqldump
or its own dump) and does the retrying; this module only turns settings and
flags into its arguments, names the backup file and says what happened.
"""

import datetime
import os
import re

from django.core.management.base import CommandError

from django_dbsync.engine import Error, scrub_password


def add_arguments(parser):
    parser.add_argument(
        "--backup", "-b", action="store_true",
        help="Write a backup of the database to BACKUP_DIR before changing it "
             "(BACKUP_BEFORE_SYNC does this on every run that changes the database).",
    )
    parser.add_argument(
        "--retry-failed", "-rf", action="store_true", dest="retry_failed",
        help="Retry operations that fail for a transient reason (deadlock, lock timeout, "
             "serialization failure, lost connection, SQLITE_BUSY) with exponential backoff "
             "(RETRY_FAILED_OPERATIONS).",
    )
    parser.add_argument(
        "--max-retries", "-mr", type=int, metavar="N", dest="max_retries",
        help="Retry a transient failure at most N times (MAX_RETRY_ATTEMPTS); implies --retry-failed.",
    )


def wants_backup(settings, options):
    return bool(options.get("backup") or settings["BACKUP_BEFORE_SYNC"])


def _safe(text):
    # aliases are Python identifiers in practice; anything else becomes '_'
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "db"


def backup_path(settings, alias, suffix, now=None):
    """BACKUP_DIR/<alias>-<UTC timestamp><suffix>; the engine gives the suffix
    (Connection.backup_suffix): .sqlite3 for a database file, .sql for a script."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    directory = os.fspath(settings["BACKUP_DIR"])
    return os.path.join(directory, f"{_safe(alias)}-{stamp}{suffix}")


def write_backup(conn, alias, settings, out, member=None):
    """Back up the database before it is changed; CommandError (and nothing
    changed) when the backup cannot be written. `out` is the command's
    output.Printer (it draws the progress line of a long backup on a terminal).
    `member`: a fleet member (schema or database) of the connection's server,
    backed up instead of the connection's own, in a file named after both."""
    path = backup_path(settings, alias if member is None else f"{alias}-{member}", conn.backup_suffix)
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as e:
        raise CommandError(
            f"cannot create the backup directory {directory} ({e.strerror}): "
            f"no backup, so nothing was changed") from None
    # two runs in the same second must not collide: the engine never overwrites
    base, ext = os.path.splitext(path)
    n = 1
    while os.path.exists(path):
        n += 1
        path = f"{base}-{n}{ext}"
    try:
        with out.backup_progress(path):
            method = conn.backup(path, method=settings["BACKUP_METHOD"], namespace=member)
    except Error as e:
        raise CommandError(
            f"backup of '{alias}' failed: {scrub_password(alias, str(e))}\n"
            f"nothing was changed") from None
    # the engine names its methods for this database: pg_dump, online backup, ...
    how = {"tool": conn.backup_tool, "engine": conn.backup_engine_method}.get(method) or method
    out.info(f"Backup written: {path} ({how})", out.style.SUCCESS)
    return path


def apply_options(settings, options):
    """Keyword arguments for Connection.apply: how many retries of transient failures,
    and how long one statement may wait for a lock before that counts as one."""
    max_retries = options.get("max_retries")
    if max_retries is not None and max_retries < 0:
        raise CommandError("--max-retries must be 0 or more")
    if max_retries is None:
        enabled = options.get("retry_failed") or settings["RETRY_FAILED_OPERATIONS"]
        max_retries = settings["MAX_RETRY_ATTEMPTS"] if enabled else 0
    return {"max_retries": max_retries, "lock_timeout_ms": settings["LOCK_TIMEOUT_MS"]}


def before_apply(conn, alias, settings, options, out):
    """For any command about to apply a plan (dbsync, dbcheck --fix, --drop-orphaned):
    the backup when asked for (CommandError, nothing changed, when it fails), then the
    keyword arguments for Connection.apply. `options` may lack the backup/retry flags."""
    if wants_backup(settings, options):
        write_backup(conn, alias, settings, out)
    return apply_options(settings, options)
