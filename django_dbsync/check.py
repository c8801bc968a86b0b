"""manage.py dbcheck: what the database looks like next to the models, read-only.

Every finding comes from the engine: the plan dbsync would run (differences,
case mismatches, name conflicts), the table list and row counts, one table's
details (Connection.table_json), and when two table names are one table on
this server (Connection.table_key). This module chooses, counts and prints.
"""

import contextlib
import json

from django.core.management.base import CommandError

from django_dbsync import backup, renames, table_view
from django_dbsync.desired import Selection
from django_dbsync.engine import Error
from django_dbsync.output import count_statuses, plural, unmanaged_text, unprobed_text


class CheckSelection(Selection):
    """dbsync's selection, narrowed to the tables named by --include-tables."""

    def __init__(self, settings, *, include_tables=(), **kwargs):
        super().__init__(settings, **kwargs)
        self.include_tables = {t.lower() for t in include_tables}

    def table_excluded(self, table):
        if self.include_tables and table.lower() not in self.include_tables:
            return True
        return super().table_excluded(table)


def plan(conn, desired, settings, *, safe_only=False, exact_counts=False):
    """The plan dbsync would compute; safe_only leaves every destructive change
    out of the pending ones (the engine then lists them as skipped). A check
    only looks: data loss is sized by the catalog's row estimates, reading no
    table, unless exact_counts (--exact-counts, or --fix, which applies)."""
    try:
        return conn.plan(
            desired.sql, desired.metadata_json,
            create_tables=settings["AUTO_CREATE_TABLES"],
            add_columns=settings["AUTO_ADD_COLUMNS"],
            drop_columns=False if safe_only else settings["AUTO_DROP_COLUMNS"],
            drop_unmanaged=False if safe_only else settings["DROP_UNMANAGED"],
            keep_extra_indexes=settings["KEEP_EXTRA_INDEXES"],
            count_data_loss=True if exact_counts else "estimate",
            **renames.plan_options(settings),
        )
    except Error as e:
        raise CommandError(str(e)) from None


class Report:
    """Writes findings and remembers whether any is a problem."""

    def __init__(self, stdout, style, verbosity, exact_counts=False):
        self.stdout = stdout
        # --exact-counts: count rows (a COUNT reads the table) instead of the catalog's estimates
        self.exact_counts = exact_counts
        self.style = style
        # Django's -v: 0 only the problems, 1 the findings, 2 (--verbose) the details too.
        self.verbosity = verbosity
        self.verbose = verbosity >= 2
        self.problems = 0

    def line(self, text="", style=None):
        if self.verbosity >= 1:
            self.stdout.write(text, style)

    def heading(self, text):
        self.line(text, self.style.MIGRATE_HEADING)

    def info(self, text, style=None):
        self.line(text, style)

    @contextlib.contextmanager
    def backup_progress(self, path):
        # dbcheck draws no progress line: the backup's path is printed once written
        yield

    def problem(self, text):
        self.problems += 1
        self.stdout.write(text, self.style.ERROR)


def _model_of(desired, table):
    entry = desired.metadata["tables"].get(table) or {}
    return entry.get("model") or table


def _ops_by_table(conn, desired, ops):
    """Operations per desired table; a rename belongs to the table it renames to.
    An operation's table is a desired one when the server takes the two names
    for one table (the engine's Connection.table_key)."""
    key = conn.table_key
    wanted = {key(t): t for t in desired.tables}
    groups = {}
    for op in ops:
        name = op["object"] if op["kind"] == renames.RENAME else op["table"]
        table = wanted.get(key(name or ""))
        if table is None and op["kind"] == renames.RENAME:
            table = wanted.get(key(op["table"] or ""))
        groups.setdefault(table, []).append(op)
    return groups


def summary(rep, conn, desired, ops, unmanaged=()):
    live = conn.table_names()
    # a model table is there when the server takes a live name for it: on
    # PostgreSQL "Foo" is not "foo", on SQLite it is (Connection.table_key)
    live_keys = {conn.table_key(t) for t in live}
    missing = [t for t in desired.tables if conn.table_key(t) not in live_keys]
    groups = _ops_by_table(conn, desired, ops)
    differing = [t for t in desired.tables if t in groups and t not in missing]
    counts = count_statuses(ops)
    rep.heading(f"Database: {conn.vendor} {conn.describe} (server {conn.server_version})")
    rep.line(f"  tables in the database: {len(live)}")
    rep.line(f"  model tables selected: {len(desired.tables)} "
             f"({len(desired.tables) - len(missing) - len(differing)} in sync, "
             f"{len(differing)} differ, {len(missing)} missing)")
    rep.line(f"  changes dbsync would plan: {len(ops)} ({counts['pending']} to apply, "
             f"{counts['skipped']} skipped, {counts['refused']} refused)")
    mismatches = renames.case_mismatches(ops)
    conflicts = renames.name_conflicts(ops)
    rep.line(f"  table-name case mismatches: {len(mismatches)}")
    rep.line(f"  table-name conflicts: {len(conflicts)}")
    # unmanaged: listed, never a problem by themselves (docs/unmanaged.md)
    rep.line(f"  unmanaged objects (no model could declare them): {len(unmanaged)}")
    for item in unmanaged:
        rep.line(f"    {unmanaged_text(item)}")
    if rep.verbose:
        rep.line("  rows per model table:" if rep.exact_counts else
                 "  rows per model table: the catalog's estimates (--exact-counts counts them)")
        estimates = {} if rep.exact_counts else _row_estimates(conn)
        for table in desired.tables:
            if table in live:
                rows = conn.count_rows(table) if rep.exact_counts else _estimate_text(estimates.get(table))
                rep.line(f"    {table}: {rows}")
    if ops:
        rep.problem(f"The database differs from the models: {plural(len(ops), 'change')} "
                    f"(manage.py dbcheck --compare-models shows them).")


def _row_estimates(conn):
    """{table: the catalog's row estimate or None}, from the engine's inventory."""
    try:
        inv = json.loads(conn.inventory(sizes=False, views=False, rows="estimate"))
    except Error as e:
        raise CommandError(str(e)) from None
    return {t["name"]: t["rows"] for t in inv["tables"]}


def _estimate_text(n):
    return "unknown (no estimate in the catalog)" if n is None else f"~{n:,} (estimate)"


def compare_models(rep, conn, desired, ops):
    rep.heading("Models compared with the database:")
    groups = _ops_by_table(conn, desired, ops)
    for table in desired.tables:
        label = _model_of(desired, table)
        table_ops = groups.get(table, [])
        if not table_ops:
            if rep.verbose:
                rep.line(f"  {label} ({table}): in sync", rep.style.SUCCESS)
            continue
        missing = any(op["kind"] == "create_table" for op in table_ops)
        state = "missing" if missing else plural(len(table_ops), "difference")
        rep.problem(f"  {label} ({table}): {state}")
        for op in table_ops:
            note = "" if op["status"] == "pending" else f" [{op['status']}]"
            rep.line(f"      {op['summary']}{note}{unprobed_text(op, 'dbcheck')}")
            if rep.verbose and op.get("reason"):
                rep.line(f"        reason: {op['reason']}")
    for op in groups.get(None, []):
        rep.problem(f"  {op['summary']} [{op['status']}]")
    if not ops:
        rep.line("  every selected model matches its table.", rep.style.SUCCESS)


def case_mismatches(rep, ops):
    rep.heading("Table-name case mismatches:")
    found = renames.case_mismatches(ops)
    for op in found:
        rep.problem(f"  `{op['table']}` in the database, `{op['object']}` in the model "
                    f"({'dbsync renames it' if op['status'] == 'pending' else op['reason']})")
        if rep.verbose:
            for stmt in op["sql"]:
                rep.line(f"      {stmt};", rep.style.SQL_KEYWORD)
    if not found:
        rep.line("  none.", rep.style.SUCCESS)


def name_conflicts(rep, ops):
    rep.heading("Table-name conflicts:")
    found = renames.name_conflicts(ops)
    for op in found:
        rep.problem(f"  {op['reason']}")
    if not found:
        rep.line("  none.", rep.style.SUCCESS)


def table_details(rep, conn, table):
    """One table as the engine describes it (Connection.table_json), laid out like
    psql's \\d by table_view. Printed at every verbosity: it is what was asked for."""
    try:
        data = json.loads(conn.table_json(table, rows=True if rep.exact_counts else "estimate"))
    except Error as e:
        raise CommandError(str(e)) from None
    title, *rest = table_view.lines(data)
    rep.stdout.write(title, rep.style.MIGRATE_HEADING)
    for text in rest:
        rep.stdout.write(text)


def fix(rep, conn, desired, settings, alias):
    """Apply only what is safe: the engine plans with every destructive option
    off and tags each operation's risk; a pending data-loss operation would
    stop the fix before anything runs."""
    fix_plan = plan(conn, desired, settings, safe_only=True, exact_counts=True)
    ops = fix_plan.ops
    destructive = [op for op in ops if op["status"] == "pending" and op["risk"] == "data_loss"]
    if destructive:
        names = "; ".join(op["summary"] for op in destructive)
        raise CommandError(f"--fix applies only safe changes, and the plan for '{alias}' holds "
                           f"destructive ones: {names}. Nothing was changed; use manage.py dbsync.")
    pending = [op for op in ops if op["status"] == "pending"]
    rep.heading(f"Fixing '{alias}': {plural(len(pending), 'safe change')}")
    if not pending:
        return
    # BACKUP_BEFORE_SYNC and the retry settings hold for --fix as for dbsync
    apply_kwargs = backup.before_apply(conn, alias, settings, {}, rep)
    try:
        conn.apply(fix_plan, **apply_kwargs)
    except Error as e:
        raise CommandError(f"--fix failed on '{alias}': {e}") from None
    for op in fix_plan.ops:
        if op["status"] == "applied":
            rep.line(f"  applied: {op['summary']}", rep.style.SUCCESS)
