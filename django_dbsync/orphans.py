"""Orphaned tables and views: listing, dropping, and model files for them.

What is owned is Django glue (the app registry); everything else is the
engine's: the inventory of tables and views (Connection.inventory), the drop
plan in foreign-key order (Connection.plan(drop_tables=...)) and the model
source (Connection.models_source). Nothing here reads a catalog or writes SQL.
"""

import datetime
import json
import sys
from pathlib import Path

from django.apps import apps
from django.core.management.base import CommandError

from . import backup
from .engine import Error, open_connection, scrub_password
from .output import count_statuses, data_loss_text, estimate_text, plural

ACTIONS = ("show_orphaned", "drop_orphaned", "generate_orphaned_models", "list_views", "report_views")

NOT_A_TERMINAL = (
    "refusing to drop tables without confirmation: stdin is not a terminal; "
    "re-run with --auto-approve (or --dry-run to see the SQL)"
)


def add_arguments(parser):
    """The command-line options of this part, for `manage.py dbsync`."""
    parser.add_argument(
        "--show-orphaned", "-so", action="store_true",
        help="List the tables no installed model owns, with row counts and sizes; change nothing.",
    )
    parser.add_argument(
        "--drop-orphaned", "-do", action="store_true",
        help="Drop the orphaned tables in foreign-key order after showing them and asking "
             "(or with --auto-approve); with --dry-run, print the exact SQL only.",
    )
    parser.add_argument(
        "--generate-orphaned-models", "-gom", action="store_true",
        help="Write unmanaged Django models for the orphaned tables to REPORT_OUTPUT_DIR and print the path.",
    )
    parser.add_argument(
        "--list-views", "-lv", action="store_true",
        help="List the database's views with their column count; invalid views get an error line.",
    )
    parser.add_argument(
        "--report-views", "-rv", action="store_true",
        help="Write read-only, unmanaged Django models for the views to REPORT_OUTPUT_DIR and print the path.",
    )


def requested(options):
    """Whether the command was asked for one of this part's actions instead of a sync."""
    return any(options.get(name) for name in ACTIONS)


# --- what is owned ------------------------------------------------------------------

def _concrete_models():
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.proxy and not meta.swapped:
            yield model


def owned_tables():
    """Tables never called orphans: those of every installed app's models, the
    apps dbsync excludes included, auto-created many-to-many tables, unmanaged
    models' tables, and Django's migration history."""
    owned = {"django_migrations"}
    owned.update(model._meta.db_table for model in _concrete_models())
    return sorted(owned)


def known_models():
    """Table -> "app_label.ModelName" of installed models, so a generated model's
    foreign key into one of them becomes a ForeignKey to that model."""
    known = {}
    for model in _concrete_models():
        if not model._meta.auto_created:
            known.setdefault(model._meta.db_table, model._meta.label)
    return known


def inventory(alias, conn=None, *, sizes=True, views=True, rows=True):
    """The inventory of database `alias` as a dict (shape in docs/orphans-and-views.md):
    {"tables": [{"name", "owned", "orphan", "case_of", "rows", "bytes", "columns",
    "references"}], "views": [{"name", "columns", "valid", "error"}], ...}.

    Uses `conn` (an engine Connection) when given, else opens a read-only one
    and closes it. rows="estimate" gives the catalog's row estimates (marked
    "rows_estimated") instead of counting each orphan. Raises CommandError
    when the database cannot be read.
    """
    own = conn is None
    if own:
        conn = open_connection(alias, readonly=True)
    try:
        return json.loads(conn.inventory(owned_tables(), sizes=sizes, views=views, rows=rows))
    except Error as e:
        raise CommandError(f"cannot list the tables of '{alias}': {scrub_password(alias, str(e))}") from None
    finally:
        if own:
            conn.close()


def orphans_of(inv, selection=None):
    """The orphaned tables of an inventory, minus those EXCLUDE_TABLES (or
    --exclude-table-patterns) tells dbsync to leave alone."""
    found = [t for t in inv["tables"] if t["orphan"]]
    if selection is not None:
        found = [t for t in found if not selection.table_excluded(t["name"])]
    return found


# --- showing ---------------------------------------------------------------------

def human_size(n):
    if n is None:
        return "size unknown"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def rows_text(table):
    """'3 rows' counted, '~1,200 rows (estimate)' from the catalog, or why unknown."""
    n = table["rows"]
    if table.get("rows_estimated"):
        return "rows unknown (no estimate; --exact-counts counts them)" if n is None else estimate_text(n)
    return "? rows" if n is None else plural(n, "row")


def _describe(table):
    rows = rows_text(table)
    refs = table.get("references") or []
    tail = f", references {', '.join(refs)}" if refs else ""
    return f"{table['name']} ({rows}, {human_size(table['bytes'])}{tail})"


def _write_orphans(cmd, out, found, inv):
    if not found:
        out.info("No orphaned tables.", cmd.style.SUCCESS)
        return
    out.info(f"Orphaned tables ({len(found)}): tables no installed model owns", cmd.style.MIGRATE_HEADING)
    for table in found:
        out.info(f"  {_describe(table)}")
    if inv.get("size_method") == "page_count" and inv.get("database_bytes") is not None:
        out.info(f"  (this SQLite build has no dbstat: the whole file is {human_size(inv['database_bytes'])})")


def show_at_end(cmd, conn, alias, settings, selection, out, *, estimate=False):
    """SHOW_ORPHANED_TABLES: the orphans after a normal run, in a few lines.
    estimate (--check): the catalog's row estimates, no table read; a run that
    may apply, or previews one, counts them."""
    if not settings["SHOW_ORPHANED_TABLES"] or out.verbosity < 1:
        return
    try:
        inv = json.loads(conn.inventory(owned_tables(), sizes=True, views=False,
                                        rows="estimate" if estimate else True))
    except Error as e:
        out.warning(f"could not list orphaned tables: {scrub_password(alias, str(e))}")
        return
    found = orphans_of(inv, selection)
    if found:
        _write_orphans(cmd, out, found, inv)
        out.info("  (--drop-orphaned drops them, --generate-orphaned-models writes models for them)")


# --- the actions ---------------------------------------------------------------------

def run(cmd, conn, alias, settings, selection, options, out, dry_run):
    """Run the actions asked for on the command line; SystemExit(1) when a
    drop was refused. An invalid view is reported (one error line naming it,
    and the summary), never a failure: the other views are still served."""
    out.info(f"database '{alias}' ({conn.describe})", cmd.style.MIGRATE_HEADING)
    want_views = options.get("list_views") or options.get("report_views")
    # listing reads the catalog's row estimates; dropping counts before asking (_drop)
    inv = inventory(alias, conn, sizes=True, views=bool(want_views),
                    rows=True if options.get("exact_counts") else "estimate")
    found = orphans_of(inv, selection)
    failed = False
    if options.get("show_orphaned"):
        _write_orphans(cmd, out, found, inv)
    if options.get("generate_orphaned_models"):
        _generate_orphan_models(cmd, conn, alias, settings, found)
    if options.get("list_views"):
        _list_views(cmd, out, inv)
    if options.get("report_views"):
        _report_views(cmd, conn, alias, settings, out, inv, already_listed=options.get("list_views"))
    if options.get("drop_orphaned"):
        failed |= _drop(cmd, conn, alias, settings, out, found, options, dry_run)
    if failed:
        raise SystemExit(1)


def _drop(cmd, conn, alias, settings, out, found, options, dry_run):
    if not found:
        out.info("No orphaned tables: nothing to drop.", cmd.style.SUCCESS)
        return False
    try:
        plan = conn.plan("", drop_tables=[t["name"] for t in found], count_data_loss=True)
    except Error as e:
        raise CommandError(f"cannot plan dropping orphaned tables of '{alias}': "
                           f"{scrub_password(alias, str(e))}") from None
    ops = plan.ops
    counts = count_statuses(ops)
    if dry_run:
        # the exact SQL, and only it on stdout, so it can be redirected to a file
        script = plan.script()
        cmd.stdout.write(script or "-- nothing to drop\n", ending="" if script.endswith("\n") else "\n")
        _refusals(cmd, ops)
        return counts["refused"] > 0
    out.info("Orphaned tables to drop (in this order):", cmd.style.MIGRATE_HEADING)
    for op in ops:
        if op["status"] == "pending":
            text = data_loss_text(op) or f"drops table `{op['table']}` (rows not counted)"
            out.info(f"  {text}", cmd.style.WARNING)
    _refusals(cmd, ops)
    if counts["pending"] == 0:
        out.info("Nothing to drop.")
        return counts["refused"] > 0
    if not options.get("auto_approve") and not _confirm(cmd, counts["pending"], alias):
        out.info("Cancelled: nothing was dropped.", cmd.style.WARNING)
        return counts["refused"] > 0
    # the data about to go is what a backup is for (BACKUP_BEFORE_SYNC, --backup)
    apply_kwargs = backup.before_apply(conn, alias, settings, options, out)
    try:
        conn.apply(plan, **apply_kwargs)
    except Error as e:
        raise CommandError(f"dropping orphaned tables of '{alias}' failed: "
                           f"{scrub_password(alias, str(e))}") from None
    dropped = [op["table"] for op in plan.ops if op["status"] == "applied"]
    out.info(f"Dropped {plural(len(dropped), 'table')}: {', '.join(dropped)}", cmd.style.SUCCESS)
    return counts["refused"] > 0


def _refusals(cmd, ops):
    for op in ops:
        if op["status"] == "refused":
            cmd.stderr.write(f"not dropping {op['table']}: {op['reason']}", cmd.style.ERROR)


def _confirm(cmd, n, alias):
    try:
        tty = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        raise CommandError(NOT_A_TERMINAL)
    cmd.stdout.write(f"Drop {plural(n, 'table')} from '{alias}'? Their rows are lost. [y/N] ", ending="")
    cmd.stdout.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _output_path(settings, stem, alias):
    directory = Path(settings["REPORT_OUTPUT_DIR"])
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"cannot create REPORT_OUTPUT_DIR {directory}: {e.strerror}") from None
    stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
    path = directory / f"{stem}_{alias}_{stamp}.py"
    n = 2
    while path.exists():
        path = directory / f"{stem}_{alias}_{stamp}_{n}.py"
        n += 1
    return path


def _write_models(cmd, conn, alias, settings, tables, stem, title):
    try:
        source = conn.models_source(tables, known_models=json.dumps(known_models()), title=title)
    except Error as e:
        raise CommandError(f"cannot generate models for '{alias}': {scrub_password(alias, str(e))}") from None
    path = _output_path(settings, stem, alias)
    path.write_text(source, encoding="utf-8")
    return path


def _generate_orphan_models(cmd, conn, alias, settings, found):
    if not found:
        cmd.stdout.write("No orphaned tables: no model file written.")
        return
    path = _write_models(cmd, conn, alias, settings, [t["name"] for t in found], "orphaned_models",
                         f"Django models for the orphaned tables of database '{alias}'")
    cmd.stdout.write(f"Wrote models for {plural(len(found), 'orphaned table')} to {path}")


def _view_errors(cmd, inv):
    invalid = [v for v in inv["views"] if not v["valid"]]
    for view in invalid:
        cmd.stderr.write(f"error: {view['error']}", cmd.style.ERROR)
    return invalid


def _views_summary(cmd, inv, invalid):
    views = inv["views"]
    line = f"{plural(len(views), 'view')}: {len(views) - len(invalid)} valid, {len(invalid)} invalid"
    cmd.stdout.write(line, cmd.style.ERROR if invalid else cmd.style.SUCCESS)


def _list_views(cmd, out, inv):
    if inv["views"]:
        out.info("Views:", cmd.style.MIGRATE_HEADING)
    for view in inv["views"]:
        if view["valid"]:
            out.info(f"  {view['name']} ({plural(view['columns'] or 0, 'column')})")
        else:
            out.info(f"  {view['name']} (invalid)")
    invalid = _view_errors(cmd, inv)
    _views_summary(cmd, inv, invalid)
    return bool(invalid)


def _report_views(cmd, conn, alias, settings, out, inv, already_listed=False):
    views = inv["views"]
    if not views:
        cmd.stdout.write("No views: no model file written.")
        return False
    # an invalid view becomes a comment in the file; its error line is printed once
    invalid = [v for v in views if not v["valid"]] if already_listed else _view_errors(cmd, inv)
    path = _write_models(cmd, conn, alias, settings, [v["name"] for v in views], "view_models",
                         f"Django models for the views of database '{alias}' (read-only)")
    cmd.stdout.write(f"Wrote models for {plural(len(views) - len(invalid), 'view')} to {path}")
    if not already_listed:
        _views_summary(cmd, inv, invalid)
    return bool(invalid)
