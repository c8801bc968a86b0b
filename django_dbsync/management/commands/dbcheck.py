"""manage.py dbcheck: check the database against the models; read-only unless --fix.

Exit status 1 when a check finds a problem (a difference, a case mismatch, a
name conflict), 0 when clean, so CI can run it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DatabaseError

from django_dbsync import absent_sqlite, check, conf
from django_dbsync.cli_args import add_list_option, split_names
from django_dbsync.desired import build_desired
from django_dbsync.engine import connection_params, open_connection, scrub_password


class Command(BaseCommand):
    help = ("Check the database against the models: a summary, one table's details, "
            "differences per model, table-name case mismatches and conflicts. Read-only "
            "unless --fix. Exit status 1 when a problem is found.")

    # Run in handle(), after the engine connected (as dbsync does).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--database", "-d", help="Database alias to check (default: DEFAULT_DATABASE).")
        parser.add_argument("--table", metavar="NAME",
                            help="Show one table: columns, types, null, defaults, indexes, "
                                 "constraints, foreign keys, row count (the catalog's estimate "
                                 "unless --exact-counts), size.")
        parser.add_argument("--compare-models", action="store_true",
                            help="A per-model summary of the differences dbsync would fix.")
        parser.add_argument("--check-case-mismatches", action="store_true",
                            help="Model tables present in the database in another letter case.")
        parser.add_argument("--check-name-conflicts", action="store_true",
                            help="Model tables with several spellings in the database.")
        parser.add_argument("--verbose", action="store_true",
                            help="The same as -v 2: also row counts (estimates unless --exact-counts), tables in sync, reasons, rename "
                                 "SQL. (-v 0 prints only the problems.)")
        parser.add_argument("--exact-counts", action="store_true",
                            help="Count rows (one COUNT per table, which reads it) instead of showing "
                                 "the catalog's estimates; dbcheck never reads a table otherwise.")
        parser.add_argument("--fix", action="store_true",
                            help="Apply the safe changes dbsync would apply; never a destructive one.")
        lists = "space- or comma-separated, or the option repeated"
        add_list_option(parser, "--include-apps", metavar="LABEL",
                        help=f"Check only these apps ({lists}).")
        add_list_option(parser, "--include-tables", metavar="TABLE",
                        help=f"Check only these model tables ({lists}).")
        parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")

    def handle(self, *args, **options):
        alias = options["database"] or conf.default_database()
        settings = conf.get_settings(alias)  # refuses on a DJANGO_DBSYNC error
        if not settings["COLORED_OUTPUT"] and not options.get("force_color"):
            self.style = no_style()
        connection_params(alias)
        selection = check.CheckSelection(
            settings,
            include_apps=split_names(options["include_apps"]),
            include_tables=split_names(options["include_tables"]),
        )
        # Django's convention: --verbose is -v 2; -v 0 leaves only the problems.
        verbosity = max(options["verbosity"], 2) if options["verbose"] else options["verbosity"]
        rep = check.Report(self.stdout, self.style, verbosity, exact_counts=options["exact_counts"])
        conn = open_connection(alias, readonly=not options["fix"])
        try:
            # Django's connection must not create a missing SQLite file either
            with absent_sqlite.left_absent(alias, not options["fix"]):
                if not options["skip_checks"]:
                    self.check(databases=[alias])
                self._run(rep, conn, alias, settings, selection, options)
        finally:
            conn.close()
        if rep.problems:
            self.stderr.write(f"dbcheck: problems found in '{alias}'.", self.style.ERROR)
            raise SystemExit(1)
        if verbosity >= 1:
            self.stdout.write(f"dbcheck: '{alias}' is clean.", self.style.SUCCESS)

    def _run(self, rep, conn, alias, settings, selection, options):
        if options["table"]:
            check.table_details(rep, conn, options["table"])
        chosen = [options["compare_models"], options["check_case_mismatches"],
                  options["check_name_conflicts"]]
        if options["table"] and not any(chosen) and not options["fix"]:
            return
        try:
            desired = build_desired(alias, selection)
        except DatabaseError as e:
            raise CommandError(f"Django could not produce the DDL of the models for database "
                               f"'{alias}': {scrub_password(alias, str(e))}") from None
        if not desired.tables:
            raise CommandError("no model tables selected: check --include-apps / --include-tables")
        if options["fix"]:
            check.fix(rep, conn, desired, settings, alias)
        full = check.plan(conn, desired, settings, exact_counts=rep.exact_counts)
        ops = full.ops
        if not any(chosen):
            check.summary(rep, conn, desired, ops, full.unmanaged)
            return
        if options["compare_models"]:
            check.compare_models(rep, conn, desired, ops)
        if options["check_case_mismatches"]:
            check.case_mismatches(rep, ops)
        if options["check_name_conflicts"]:
            check.name_conflicts(rep, ops)
