"""Fleet runs of manage.py dbsync: the same models synced into many schemas
(PostgreSQL) or databases (MySQL/MariaDB), or into several aliases at once.

A run is a list of groups. A group is one desired side (a Selection of models
of one alias) and the members it is synced into: schema or database names of
that alias's server, `Patterns` the engine resolves there, or None for the
alias's own schema (a one-member group planned and applied as a single run:
SQLite, or an alias named without --schemas). The engine plans each group in
one call (one catalog pass, one shadow) and applies it over --jobs
connections; this module chooses, asks, prints and reports. django-tenants
(tenants.py) builds its own groups and hands them to run().
"""

import sys

from django.core.management.base import CommandError

from . import __version__, _engine, conf
from . import backup as run_backup
from . import renames
from . import report as run_report
from .engine import Error, ParseError, member_word, open_connection, scrub_password
from .output import count_statuses, plural

STATES = ("in_sync", "changed", "refused", "failed", "not_run")


class Group:
    """One desired side synced into members of one alias's server.

    label: shown in the output and the report names ("default", "tenants").
    alias: the DATABASES alias whose server holds the members.
    selection: a desired.Selection, the models synced.
    members: a list of schema/database names, a Patterns, or None (the
    alias's own schema or database, as a single run syncs it).
    """

    def __init__(self, label, alias, selection, members):
        self.label = label
        self.alias = alias
        self.selection = selection
        self.members = members


class Patterns(tuple):
    """Member names as patterns (exact, glob, `re:`), resolved by the engine
    on the group's server (Connection.namespaces); empty: every schema."""


class Member:
    """Where one member stands: the engine's FleetMember, or a single run's plan."""

    def __init__(self, name, state, plan, error):
        self.name = name
        self.state = state
        self.plan = plan
        self.error = error

    @property
    def pending(self):
        return self.plan.pending_count if self.plan is not None and self.state != "failed" else 0


def shown(name):
    """A member's name (or an error naming it) as printed: names come from the
    server, and a control character in one must not drive the terminal."""
    return "".join(c if c.isprintable() else "?" for c in name)


def _single_state(plan):
    """A single run's plan as a member state, as the engine states a fleet member."""
    counts = count_statuses(plan.ops)
    if counts["failed"]:
        return "failed"
    if counts["refused"] or counts["skipped"]:
        return "refused"
    return "changed" if counts["pending"] or counts["applied"] else "in_sync"


class _GroupRun:
    """One group while the run goes: its connection, desired side, fleet and members."""

    def __init__(self, group, conn, desired, settings):
        self.group = group
        self.conn = conn
        self.desired = desired
        self.settings = settings  # the alias's own (CUSTOM_DATABASES)
        self.fleet = None     # the engine's Fleet; None for a one-member group
        self.names = None     # the resolved member names (None: one-member group)
        self.members = []
        self.applied = False
        self.report = None

    @property
    def word(self):
        """What a member is on this server: a schema or a database."""
        return member_word(self.conn.vendor)

    def title(self, member):
        if self.names is None:
            return f"database '{self.group.alias}'"
        return f"{self.word} {shown(member.name)}"

    def refresh(self):
        if self.fleet is not None:
            self.members = [Member(*m) for m in self.fleet.members]


def _plan_kwargs(settings, options):
    # --check only looks: the catalog's row estimates, no table read
    estimate = options["check"] and not options["exact_counts"]
    return dict(
        create_tables=settings["AUTO_CREATE_TABLES"],
        add_columns=settings["AUTO_ADD_COLUMNS"],
        drop_columns=settings["AUTO_DROP_COLUMNS"],
        drop_unmanaged=settings["DROP_UNMANAGED"],
        keep_extra_indexes=settings["KEEP_EXTRA_INDEXES"],
        count_data_loss="estimate" if estimate else True,
        **renames.plan_options(settings, ()),
    )


def _engine_call(run, what, call):
    try:
        return call()
    except ParseError as e:
        raise CommandError(f"the engine could not read Django's DDL for '{run.group.label}' "
                           f"(line {e.line}, column {e.column}): {e}") from None
    except Error as e:
        raise CommandError(f"{what} '{run.group.label}' failed: "
                           f"{scrub_password(run.group.alias, str(e))}") from None


def _plan(run, options, metadata_json=None):
    """Plan the group: one engine call for all its members."""
    desired = run.desired
    metadata = metadata_json or desired.metadata_json
    kwargs = _plan_kwargs(run.settings, options)
    if run.names is None:
        plan = _engine_call(run, "planning", lambda: run.conn.plan(desired.sql, metadata, **kwargs))
        run.members = [Member(run.group.alias, _single_state(plan), plan, None)]
        return
    run.fleet = _engine_call(run, "planning", lambda: run.conn.plan_fleet(
        desired.sql, metadata, run.names, **kwargs))
    run.refresh()


def _resolve(run, out):
    members = run.group.members
    if members is None:
        run.names = None
        return
    if isinstance(members, Patterns):
        try:
            names = run.conn.namespaces(list(members))
        except _engine.UnsupportedError:
            # SQLite: no schemas; the alias is its own one-member group
            out.warning(f"database '{run.group.alias}' has no schemas or databases to choose from: "
                        f"synced as one database")
            run.names = None
            return
        except Error as e:
            raise CommandError(f"listing the {run.word}s of '{run.group.alias}' failed: "
                               f"{scrub_password(run.group.alias, str(e))}") from None
        if not names:
            wanted = ", ".join(members) or "*"
            raise CommandError(f"no {run.word} of database '{run.group.alias}' matches {wanted}")
        run.names = names
    else:
        run.names = list(members)


def _open(command, group, options, readonly):
    from .management.commands.dbsync import _build_desired
    settings = conf.get_settings(group.alias)  # the alias's own (CUSTOM_DATABASES)
    if options["drop_unmanaged"]:
        settings["DROP_UNMANAGED"] = True
    if not options["skip_checks"]:
        command.check(databases=[group.alias])
    conn = open_connection(group.alias, readonly=readonly)
    try:
        desired = _build_desired(group.alias, group.selection)
    except BaseException:
        conn.close()
        raise
    return _GroupRun(group, conn, desired, settings)


def run(command, groups, settings, options, out):
    """Sync every group; exit status 1 (SystemExit) when a member drifted in
    --check, failed, or kept refused changes. `command` is the dbsync Command
    (its style, stdout, check() and confirmation), `out` its output.Printer."""
    dry_run = options["dry_run"] or settings["DRY_RUN_MODE"]
    readonly = dry_run or options["check"]
    jobs = options.get("jobs") or 1
    if jobs < 1:
        raise CommandError("--jobs must be 1 or more")
    runs = []
    try:
        for group in groups:
            runs.append(_open(command, group, options, readonly))
            gr = runs[-1]
            gr.report = _group_report(gr, options, dry_run)
            _resolve(gr, out)
            if gr.desired.tables:
                _plan(gr, options)
        _run(command, runs, options, out, dry_run, jobs)
    finally:
        exc = run_report.exception_now()
        try:
            for gr in runs:
                _write_report(gr, out, exc)
        finally:
            for gr in runs:
                gr.conn.close()


def _group_report(gr, options, dry_run):
    report = run_report.RunReport(gr.group.alias, gr.settings, options, gr.group.selection, dry_run)
    report.desired = gr.desired
    report.label = gr.group.label
    return report


def _write_report(gr, out, exc):
    report = gr.report
    if report is None:
        return
    report.fleet = gr.fleet
    report.members = gr.members
    if gr.fleet is None and gr.members:
        report.plan = gr.members[0].plan
    report.finish(gr.conn, out, exc, model_statuses=False)


def _run(command, runs, options, out, dry_run, jobs):
    style = command.style
    out.info(f"django-dbsync {__version__} {out.dot} fleet of {plural(len(runs), 'group')}",
             style.MIGRATE_HEADING)
    for gr in runs:
        _print_group(gr, out, style)
    unhandled_refusal(runs, out, options, dry_run)
    drifted = [(gr, m) for gr in runs for m in gr.members if m.state != "in_sync"]
    if options["check"]:
        if dry_run and options["dry_run"]:
            _print_scripts(command, runs, out)
        if drifted:
            names = ", ".join(f"{gr.title(m)} ({m.state})" for gr, m in drifted)
            verb = "differs" if len(drifted) == 1 else "differ"
            out.info(f"{plural(len(drifted), 'member')} {verb} from the models: {names}", style.ERROR)
            raise SystemExit(1)
        out.info("Every member matches the models.", style.SUCCESS)
        return
    if dry_run:
        _print_scripts(command, runs, out)
        out.info("Dry run: nothing was changed.")
        _exit_status(runs, out, style, strict=False)
        return
    pending = sum(m.pending for gr in runs for m in gr.members)
    if pending == 0:
        out.info("Nothing to apply.")
        _exit_status(runs, out, style, strict=True)
        return
    for gr in runs:
        for m in gr.members:
            if m.pending and any(op["status"] == "pending" and op["risk"] == "data_loss" for op in m.plan.ops):
                out.info(f"{gr.title(m).capitalize()}:", style.MIGRATE_LABEL)
                out.data_loss_warnings(m.plan.ops)
    n_members = sum(1 for gr in runs for m in gr.members if m.pending)
    if not options["auto_approve"] and not _confirm(command, pending, n_members):
        out.info("Cancelled: nothing was changed.", style.WARNING)
        return
    for gr in runs:
        _fill(gr, options, out, style)
    for gr in runs:  # a failed backup stops here: nothing changed
        if run_backup.wants_backup(gr.settings, options):
            _backup(gr, out)
    for gr in runs:
        _apply(gr, jobs, options, run_backup.apply_options(gr.settings, options), out, style)
    out.info("Applied:", style.MIGRATE_HEADING)
    for gr in runs:
        _print_group(gr, out, style, applied=True)
    _exit_status(runs, out, style, strict=True)


def _counts(members):
    counts = dict.fromkeys(STATES, 0)
    for m in members:
        counts[m.state] = counts.get(m.state, 0) + 1
    return counts


def _print_group(gr, out, style, applied=False):
    group, members = gr.group, gr.members
    where = f"database '{group.alias}' ({gr.conn.describe})"
    if gr.names is None:
        out.info(f"Group {group.label}: {where}", style.MIGRATE_HEADING)
    else:
        out.info(f"Group {group.label}: {plural(len(members), gr.word)} of {where}", style.MIGRATE_HEADING)
    if not gr.desired.tables:
        out.info("  No models selected: nothing to compare.", style.WARNING)
        return
    counts = _counts(members)
    line = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATES if counts[s] or s != "not_run")
    failed = counts["failed"] + counts["not_run"]
    out.info(f"  {line}", style.ERROR if failed else style.WARNING if counts["refused"] else style.SUCCESS)
    for m in members:
        if m.state == "in_sync":
            out.detail(f"{gr.title(m).capitalize()}: in sync")
            continue
        out.info(f"{gr.title(m).capitalize()}: {m.state.replace('_', ' ')}",
                 style.ERROR if m.state in ("failed", "not_run") else style.MIGRATE_LABEL)
        if m.error is not None:
            out.info(f"  error: {shown(scrub_password(group.alias, str(m.error)))}", style.ERROR)
        if m.plan is None:
            continue
        if applied:
            out.applied(m.plan.ops)
            out.failed_operations(m.plan.ops)
        else:
            out.plan(m.plan.ops)
            out.unmanaged(m.plan.unmanaged)


def unhandled_refusal(runs, out, options, dry_run):
    """As a single run: what the engine does not handle is listed and, unless
    --ignore-unsupported, the run stops before anything is applied."""
    for gr in runs:
        if not gr.desired.tables:
            continue
        items = _engine.unhandled_statements(gr.conn.vendor, gr.desired.sql)
        out.unhandled(items)
        if items and not options["ignore_unsupported"]:
            raise CommandError(
                f"{plural(len(items), 'statement')} of the models' DDL of group '{gr.group.label}' "
                f"not handled (listed above): dbsync neither creates nor compares them; pass "
                f"--ignore-unsupported to {'plan' if dry_run or options['check'] else 'apply'} without them")


def _print_scripts(command, runs, out):
    for gr in runs:
        for m in gr.members:
            if not m.pending:
                continue
            if out.verbosity >= 1:
                command.stdout.write(f"-- {gr.title(m)} (group {gr.group.label}): SQL that would run (dry run)",
                                     command.style.MIGRATE_HEADING)
            script = m.plan.script()
            command.stdout.write(script, ending="" if script.endswith("\n") else "\n")


def _confirm(command, pending, n_members):
    from .management.commands.dbsync import NOT_A_TERMINAL, _stdin_is_tty
    if not _stdin_is_tty():
        raise CommandError(NOT_A_TERMINAL)
    command.stdout.write(f"Apply {plural(pending, 'change')} to {plural(n_members, 'member')}? [y/N] ",
                         ending="")
    command.stdout.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _fill(gr, options, out, style):
    """Defaults a plan waits for (NOT NULL columns added to tables with rows)
    are computed now, once for the group, and the group is planned again."""
    fills, seen = [], set()
    for m in gr.members:
        for fill in (m.plan.fills if m.plan is not None and m.pending else ()):
            key = (fill["model"], fill["field"])
            if key not in seen:
                seen.add(key)
                fills.append(fill)
    if not fills:
        return
    refused_before = {(m.name, op["table"], op["object"]) for m in gr.members if m.plan is not None
                      for op in m.plan.ops if op["status"] == "refused"}
    _plan(gr, options, gr.desired.metadata_with_fills(fills))
    for m in gr.members:
        for op in (m.plan.ops if m.plan is not None else ()):
            if op["status"] == "refused" and (m.name, op["table"], op["object"]) not in refused_before:
                out.info(f"Refused in {gr.title(m)}: {op['summary']}: {op['reason']}", style.ERROR)


def _backup(gr, out):
    """Before anything changes, as a single run backs up its database: one
    backup when it holds every member (the engine says), else one per member
    about to change."""
    changing = [m for m in gr.members if m.pending]
    if not changing:
        return
    alias, settings = gr.group.alias, gr.settings
    if gr.names is None or not gr.conn.backup_per_member(settings["BACKUP_METHOD"]):
        gr.report.backup = run_backup.write_backup(gr.conn, alias, settings, out)
        return
    for m in changing:
        run_backup.write_backup(gr.conn, alias, settings, out, member=m.name)


def _apply(gr, jobs, options, apply_kwargs, out, style):
    todo = [m for m in gr.members if m.pending]
    if not todo:
        return
    if gr.names is None:
        m = todo[0]
        try:
            with out.progress(m.plan) as progress:
                gr.conn.apply(m.plan, **progress, **apply_kwargs)
        except Error as e:
            m.error = e
        m.state = "failed" if m.error is not None else _single_state(m.plan)
        gr.applied = True
        return
    conns = [gr.conn]
    try:
        for _ in range(min(jobs, len(todo)) - 1):
            conns.append(open_connection(gr.group.alias))
        with out.fleet_progress(len(todo), shown) as progress:
            gr.fleet.apply(conns, fail_fast=options["fail_fast"], **progress, **apply_kwargs)
    except Error as e:
        raise CommandError(f"applying group '{gr.group.label}' failed: "
                           f"{scrub_password(gr.group.alias, str(e))}") from None
    finally:
        for conn in conns[1:]:
            conn.close()
    gr.applied = True
    gr.refresh()


def _exit_status(runs, out, style, strict):
    """The fleet's totals, each failed member named on stderr; exit status 1
    when one failed or, unless a dry run (`strict` False), kept refused changes."""
    members = [m for gr in runs for m in gr.members]
    counts = _counts(members)
    parts = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATES if counts[s])
    out.info(f"Fleet: {plural(len(members), 'member')}: {parts or 'none'}.",
             style.ERROR if counts["failed"] or counts["not_run"] else style.SUCCESS)
    bad = [(gr, m) for gr in runs for m in gr.members if m.state in ("failed", "not_run")]
    for gr, m in bad:
        reason = f": {shown(scrub_password(gr.group.alias, str(m.error)))}" if m.error is not None else ""
        out.stderr.write(f"{m.state.replace('_', ' ')}: {gr.title(m)} (group {gr.group.label}){reason}",
                         style.ERROR)
    refused = counts["refused"]
    if refused and out.verbosity >= 1:
        out.stderr.write(f"{plural(refused, 'member')} kept changes refused to protect data: "
                         f"see the reasons above.", style.ERROR)
    if bad or (refused and strict):
        # a deploy script must notice, as it would a failed migrate
        sys.stdout.flush()
        raise SystemExit(1)

