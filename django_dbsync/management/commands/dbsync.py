"""manage.py dbsync: bring the database in line with the models, without migrations.

The command chooses models, asks Django for their DDL and hands it to the
engine, which plans and applies. It never compares schemas or writes SQL.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DatabaseError

from django_dbsync import __version__, conf
from django_dbsync.desired import Selection, build_desired
from django_dbsync.engine import (
    Error, ParseError, VerifyError, connection_params, open_connection, scrub_password, version_string,
)
from django_dbsync.output import Printer, count_statuses, plural
from django_dbsync import report as run_report
from django_dbsync import renames
from django_dbsync import orphans
from django_dbsync import backup as run_backup
from django_dbsync import absent_sqlite
from django_dbsync import mysql as mysql_apply
from django_dbsync.output import wants_color
from django_dbsync import txtlog
from django_dbsync.cli_args import add_list_option, split_names
from django_dbsync.desired import unknown_app_labels
from django_dbsync import fleet as fleet_run
from django_dbsync import fleet_options

NOT_A_TERMINAL = (
    "refusing to change the database without confirmation: stdin is not a terminal; "
    "re-run with --auto-approve (or --dry-run to preview)"
)


def _build_desired(alias, selection):
    try:
        return build_desired(alias, selection)
    except DatabaseError as e:
        # Django's schema editor may need its own connection (server version,
        # value quoting); its failure is an error of the command, not a crash.
        raise CommandError(
            f"Django could not produce the DDL of the models for database '{alias}': "
            f"{scrub_password(alias, str(e))}") from None


def _stdin_is_tty():
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


class Command(BaseCommand):
    help = (
        "Compare the models with the live database and bring the database in line, "
        "without migration files."
    )

    # The system checks run in handle(), once the engine has connected (as
    # migrate runs them itself): Django's model checks may open Django's own
    # connection (Django 6 asks the PostgreSQL server its version), and wrong
    # credentials must end in the engine's clear error, not a driver traceback.
    requires_system_checks = []

    def get_version(self):
        return f"django-dbsync {__version__} ({version_string()})"

    def add_arguments(self, parser):
        # The short aliases and list forms are django-dbsync 1.x's own, so its
        # users' command lines run unchanged (docs/migrating-from-1.x.md).
        parser.add_argument(
            "--database", "-d", action="append",
            help="Database alias to sync (default: DJANGO_DBSYNC['DEFAULT_DATABASE'], 'default'); "
                 "repeated (or comma-separated), several aliases in one run, each its own group.",
        )
        parser.add_argument(
            "--dry-run", "-dr", action="store_true",
            help="Print the exact SQL that would run and change nothing.",
        )
        parser.add_argument(
            "--auto-approve", "-aa", action="store_true",
            help="Apply without asking for confirmation.",
        )
        parser.add_argument(
            "--check", action="store_true",
            help="Change nothing; exit with status 1 when the database differs from the models.",
        )
        parser.add_argument(
            "--exact-counts", action="store_true",
            help="--check, --show-orphaned and reports: count rows (one COUNT per table, which reads "
                 "it) instead of showing the catalog's estimate. An apply always counts.",
        )
        lists = "space- or comma-separated, or the option repeated"
        add_list_option(
            parser, "--include-apps", "-ia", metavar="LABEL",
            help=f"Sync only these apps (labels; {lists}). Naming an app includes it even if "
                 f"a default exclusion would leave it out.",
        )
        add_list_option(
            parser, "--exclude-apps", "-ea", metavar="LABEL",
            help=f"Leave these apps out (labels; {lists}).",
        )
        patterns = ("Python regular expressions tried with re.match (from the start of the name, "
                    f"case-sensitive), as in django-dbsync 1.x; {lists} (a comma inside (), [] "
                    "or {} belongs to the pattern)")
        add_list_option(
            parser, "--exclude-app-patterns", "-eap", metavar="REGEX",
            help=f"Leave out apps whose label matches: {patterns}. Added to EXCLUDE_APP_PATTERNS.",
        )
        add_list_option(
            parser, "--exclude-table-patterns", "-etp", metavar="REGEX",
            help=f"Leave out tables whose name matches: {patterns}. Added to EXCLUDE_TABLE_PATTERNS "
                 f"and EXCLUDE_TABLES.",
        )
        parser.add_argument(
            "--no-restriction", "-nr", action="store_true",
            help="Lift the default app exclusions: Django's own apps, EXCLUDE_APPS and "
                 "EXCLUDE_APP_PATTERNS. Exclusions given on the command line still apply.",
        )
        parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")
        fleet_options.add_arguments(parser, lists)  # fleets: --schemas, --all-schemas, --jobs, ...
        orphans.add_arguments(parser)  # inspect: orphaned tables and views
        parser.add_argument(
            "--suggest-manual-commands", "-smc", action="store_true",
            help="Print the exact SQL of the table renames that wait for you (case fixes, old "
                 "names, conflicts) with short instructions, and change nothing.",
        )
        parser.add_argument(
            "--ignore-unsupported", action="store_true",
            help="Go ahead although the models' DDL holds statements the engine does not handle "
                 "(listed as 'Not handled'); without it such a run changes nothing and exits 1.",
        )
        parser.add_argument(
            "--drop-unmanaged", action="store_true",
            help="Also remove what no model could declare (FULLTEXT and other index kinds, "
                 "collations the fields do not name); DROP_UNMANAGED. See docs/unmanaged.md.",
        )
        run_backup.add_arguments(parser)  # backups / retries: --backup, --retry-failed, --max-retries
        parser.add_argument(
            "--report", "-r", choices=run_report.REPORT_CHOICES,
            help="Write a JSON and/or HTML report of the run to REPORT_OUTPUT_DIR and print the paths "
                 "(GENERATE_HTML_REPORT adds the HTML one to every run).",
        )
        parser.add_argument(
            "--txt-log", "-tl", metavar="FILE",
            help="Also save the terminal output to a text file, without colour codes (a bare "
                 "file name goes into REPORT_OUTPUT_DIR).",
        )
        # None unless -v is given, so VERBOSE_LOGGING / DEBUG_MODE can choose the default.
        parser.set_defaults(verbosity=None)

    def handle(self, *args, **options):
        aliases = split_names(options["database"]) or [conf.default_database()]
        alias = aliases[0]
        settings = conf.get_settings(alias)  # refuses on a DJANGO_DBSYNC error
        handle = self._handle_fleet if fleet_options.requested(options, aliases) else self._handle
        if not options.get("txt_log"):
            return handle(alias, settings, options)
        path = txtlog.log_path(options["txt_log"], settings["REPORT_OUTPUT_DIR"])
        with txtlog.teed(self, path) as log_only:
            try:
                result = handle(alias, settings, options)
            except CommandError as e:
                # manage.py prints it after handle() returns: the log gets it here
                log_only(f"CommandError: {e}")
                raise
            except SystemExit as e:
                log_only(f"exit status {e.code}")
                raise
        if options["verbosity"] != 0:  # -v 0 --dry-run prints the script alone
            self.stdout.write(f"Terminal output saved to: {path}")
        return result

    def _prepare(self, alias, settings, options):
        """The options with the verbosity settled, the Printer and the Selection."""
        verbosity = options["verbosity"]
        if verbosity is None:  # no -v: DEBUG_MODE shows everything, VERBOSE_LOGGING the details
            verbosity = 3 if settings["DEBUG_MODE"] else 2 if settings["VERBOSE_LOGGING"] else 1
            options = dict(options, verbosity=verbosity)
        self._settings = settings  # backups / retries read it in _act
        self._options = options  # _plan reads --check / --exact-counts
        if options["drop_unmanaged"]:
            settings["DROP_UNMANAGED"] = True
        if not wants_color(settings, options):
            self.style = no_style()
            self.stderr.style_func = None
        # Fails early on an unknown alias, an unsupported vendor or in-memory SQLite.
        connection_params(alias)
        out = Printer(self.stdout, self.stderr, self.style, verbosity,
                      show_progress=settings["SHOW_PROGRESS"])

        exclude_apps = split_names(options["exclude_apps"])
        for label in unknown_app_labels(exclude_apps):
            # django-dbsync 1.x ignored these silently; say it, and go on
            out.warning(f"--exclude-apps: no installed app has the label '{label}'; nothing to exclude.")
        return options, out, self._selection(settings, options)

    @staticmethod
    def _selection(settings, options):
        """The models the options and `settings` (one alias's) choose."""
        return Selection.from_options(settings, options)

    def _handle_fleet(self, alias, settings, options):
        """--schemas, --all-schemas, several --database, --all-databases, --all-tenants."""
        options, out, selection = self._prepare(alias, settings, options)
        if orphans.requested(options) or options["suggest_manual_commands"]:
            raise CommandError("the listings of orphans and views and --suggest-manual-commands look at "
                               "one database: leave out the fleet options (--schemas, --all-schemas, "
                               "several --database, --all-databases, --all-tenants)")
        # each alias's models as its own settings choose them (CUSTOM_DATABASES)
        def selection_for(other):
            return selection if other == alias else self._selection(conf.get_settings(other), options)

        groups = fleet_options.groups(options, selection_for, settings)
        fleet_run.run(self, groups, settings, options, out)

    def _handle(self, alias, settings, options):
        options, out, selection = self._prepare(alias, settings, options)
        verbosity = options["verbosity"]
        dry_run = options["dry_run"] or settings["DRY_RUN_MODE"]
        # The engine connects first: wrong credentials or an unreachable server
        # are then reported by the engine, without the password, before Django's
        # own connection (which the PostgreSQL schema editor opens) can fail
        # with a driver traceback. Only a run that may change something opens
        # a connection that can write: the listings of orphans and views read.
        readonly = (dry_run or options["check"] or options["suggest_manual_commands"]
                    or (orphans.requested(options) and not options["drop_orphaned"]))
        conn = open_connection(alias, readonly=readonly)
        # Django's connection must not create a missing SQLite file either
        with absent_sqlite.left_absent(alias, readonly) as absent:
            self._sync(conn, alias, settings, selection, options, out, dry_run, verbosity, absent)

    def _sync(self, conn, alias, settings, selection, options, out, dry_run, verbosity, absent):
        run = self._report_run = run_report.RunReport(alias, settings, options, selection, dry_run)
        try:
            if not options["skip_checks"]:
                self.check(databases=[alias])
            if orphans.requested(options):  # inspect: orphans and views instead of a sync
                orphans.run(self, conn, alias, settings, selection, options, out, dry_run)
                return
            desired = _build_desired(alias, selection)
            run.desired = desired
            out.info(
                f"django-dbsync {__version__} {out.dot} database '{alias}' ({conn.describe})",
                self.style.MIGRATE_HEADING,
            )
            if absent:
                out.info(f"The SQLite database file {absent} does not exist yet: planned as an "
                         f"empty database; this read-only run creates nothing.", self.style.WARNING)
            apps_used = sorted({m._meta.app_label for m in desired.models})
            out.detail(f"Selected {plural(len(desired.tables), 'table')} "
                       f"(apps: {', '.join(apps_used) or 'none'})")
            if verbosity >= 3:
                out.detail("Desired schema (Django's DDL):")
                out.detail(desired.sql)
            if not desired.tables:
                out.info("No models selected: nothing to compare.", self.style.WARNING)
                return
            plan = self._plan(conn, desired, settings)
            # renames: ask about the case fixes left to the user, then plan again with the answers
            plan = renames.resolve(
                plan, lambda approved: self._plan(conn, desired, settings, approved), alias,
                interactive=not (dry_run or options["check"] or options["auto_approve"]
                                 or options["suggest_manual_commands"]),
                stdout=self.stdout, is_tty=_stdin_is_tty)
            if options["suggest_manual_commands"]:
                renames.write_suggestions(plan.ops, conn.vendor, alias, self.stdout, self.style)
                return
            run.plan = plan
            out.detail(f"catalog queries: {conn.catalog_queries}")
            self._run(conn, plan, alias, out, options, dry_run)
            orphans.show_at_end(self, conn, alias, settings, selection, out,  # SHOW_ORPHANED_TABLES
                                estimate=options["check"] and not options["exact_counts"])
        finally:
            try:
                # model statuses and reports, whatever the run ended with
                run.finish(conn, out, run_report.exception_now())
            finally:
                conn.close()

    def _plan(self, conn, desired, settings, approved=(), metadata_json=None):
        self._replan = lambda metadata: self._plan(conn, desired, settings, approved, metadata)
        # --check only looks: the catalog's row estimates, no table read; a run
        # that may apply counts what each data-loss operation touches
        options = self._options
        estimate = options["check"] and not options["exact_counts"]
        try:
            return conn.plan(
                desired.sql,
                metadata_json or desired.metadata_json,
                create_tables=settings["AUTO_CREATE_TABLES"],
                add_columns=settings["AUTO_ADD_COLUMNS"],
                drop_columns=settings["AUTO_DROP_COLUMNS"],
                drop_unmanaged=settings["DROP_UNMANAGED"],
                keep_extra_indexes=settings["KEEP_EXTRA_INDEXES"],
                count_data_loss="estimate" if estimate else True,
                **renames.plan_options(settings, approved),
            )
        except ParseError as e:
            raise CommandError(
                f"the engine could not read Django's DDL (line {e.line}, column {e.column}): {e}"
            ) from None
        except Error as e:
            raise CommandError(str(e)) from None

    def _run(self, conn, plan, alias, out, options, dry_run):
        ops = plan.ops
        counts = count_statuses(ops)
        unhandled = plan.unhandled
        if not ops:
            out.info("No changes to what dbsync handles." if unhandled
                     else "No changes: the database matches the models.", self.style.SUCCESS)
            out.unmanaged(plan.unmanaged)
            self._refuse_unhandled(plan, unhandled, out, options, dry_run)
            return
        out.plan(ops)
        out.unmanaged(plan.unmanaged)
        self._refuse_unhandled(plan, unhandled, out, options, dry_run)
        try:
            plan = self._act(conn, plan, alias, out, options, dry_run, counts)
            counts = count_statuses(plan.ops)
        finally:
            # Refused changes are easy to miss above a long plan: say it last, on stderr.
            out.refused_note(counts)
        if counts["refused"] and not dry_run:
            # What was safe is applied, but the database still differs from the
            # models: a deploy script must notice, as it would a failed migrate.
            raise SystemExit(1)

    def _refuse_unhandled(self, plan, unhandled, out, options, dry_run):
        """List what the engine does not handle and, unless --ignore-unsupported,
        stop before anything is applied, as the CLI does (issue 14): a run never
        ends "in sync" while part of the desired DDL was not looked at."""
        out.unhandled(unhandled)
        if not unhandled or options["ignore_unsupported"]:
            return
        if dry_run and plan.pending_count:
            self._print_script(plan, out)
        raise CommandError(
            f"{plural(len(unhandled), 'statement')} of the models' DDL "
            f"{'is' if len(unhandled) == 1 else 'are'} not handled (listed above): dbsync neither "
            f"creates nor compares {'it' if len(unhandled) == 1 else 'them'}; pass --ignore-unsupported "
            f"to {'plan' if dry_run or options['check'] else 'apply'} without "
            f"{'it' if len(unhandled) == 1 else 'them'}")

    def _act(self, conn, plan, alias, out, options, dry_run, counts):
        # --check with DRY_RUN_MODE alone stays quiet; --check --dry-run shows the SQL.
        if dry_run and (options["dry_run"] or not options["check"]):
            self._print_script(plan, out)
            if out.verbosity >= 1:  # renames: the SQL of renames that wait for a person
                renames.write_suggestions(plan.ops, conn.vendor, alias, self.stdout, self.style,
                                          empty_note=False)
        out.summary(counts)
        if options["check"]:
            out.info(f"The database '{alias}' differs from the models.", self.style.ERROR)
            raise SystemExit(1)
        if dry_run:
            out.info("Dry run: nothing was changed.")
            return plan
        if counts["pending"] == 0:
            out.info("Nothing to apply.")
            return plan
        out.data_loss_warnings(plan.ops)
        if not options["auto_approve"] and not self._confirm(counts["pending"], alias):
            out.info("Cancelled: nothing was changed.", self.style.WARNING)
            return plan
        plan = self._fill(plan, out)
        if run_backup.wants_backup(self._settings, options):  # a failed backup stops here
            # reports: the report names the backup file
            self._report_run.backup = run_backup.write_backup(conn, alias, self._settings, out)
        try:
            with out.progress(plan) as progress:
                conn.apply(plan, **progress, **run_backup.apply_options(self._settings, options))
        except Error as e:
            ops = plan.ops
            out.applied(ops)
            out.failed_operations(ops)
            n_applied = count_statuses(ops)["applied"]
            if isinstance(e, VerifyError):
                note = "the changes were committed, but the database still differs from the models"
            elif conn.ddl_autocommits:
                note = mysql_apply.failure_note(ops, e)
            elif n_applied == 0:
                note = "nothing was changed (the transaction was rolled back)"
            else:
                note = f"{plural(n_applied, 'operation')} had been applied before the failure"
            raise CommandError(f"applying the plan to '{alias}' failed: {e}\n{note}") from None
        ops = plan.ops
        out.info("Applied:", self.style.MIGRATE_HEADING)
        out.applied(ops)
        out.summary(count_statuses(ops), applied=True)
        return plan

    def _fill(self, plan, out):
        """The plan to apply: when it waits for fields' defaults (NOT NULL columns
        added to tables with rows), their values are computed now, and only now,
        and the engine plans again with them."""
        fills = plan.fills
        if not fills:
            return plan
        desired = self._report_run.desired
        filled = self._replan(desired.metadata_with_fills(fills))
        before = {(op["table"], op["object"]) for op in plan.ops if op["status"] == "refused"}
        for op in filled.ops:
            if op["status"] == "refused" and (op["table"], op["object"]) not in before:
                out.info(f"Refused: {op['summary']}: {op['reason']}", self.style.ERROR)
        self._report_run.plan = filled
        return filled

    def _print_script(self, plan, out):
        script = plan.script()
        if not script:
            out.info("-- nothing pending: no SQL would run")
            return
        # At verbosity 0 the script alone is printed, so it can be redirected to a file.
        if out.verbosity >= 1:
            self.stdout.write("-- SQL that would run (dry run):", self.style.MIGRATE_HEADING)
        self.stdout.write(script, ending="" if script.endswith("\n") else "\n")

    def _confirm(self, pending, alias):
        if not _stdin_is_tty():
            raise CommandError(NOT_A_TERMINAL)
        self.stdout.write(f"Apply {pending} change(s) to '{alias}'? [y/N] ", ending="")
        self.stdout.flush()
        try:
            answer = input()
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")
