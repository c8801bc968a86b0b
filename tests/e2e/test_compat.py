"""A drop-in replacement for django-dbsync 1.2.6 (issue 12, docs/migrating-from-1.x.md).

Every command line of the original's README and --help, each short alias, and
its DJANGO_DBSYNC settings, run here twice: through call_command and as a real
`manage.py` process, on SQLite and on PostgreSQL. Each asserts its effect on the
database (what was selected, excluded, created, dropped) or on disk (reports,
models, backups, the text log), not just an exit status.
"""
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

import e2e_support as s
from test_options import _env
from test_postgres import pw_db  # noqa: F401  (a fixture: the database with a password)
from test_renames import NOTEBOOK, SHOUTED, qi, rename_by_hand

HERE = Path(__file__).resolve().parent
ANSI = "\x1b["
HOW = ["call_command", "manage.py"]
PROJECT = ("catalog", "notes")


# --- running a command both ways ------------------------------------------------------

def run(how, db, command, argv, settings, other=None):
    """(exit code, stdout, stderr) of `manage.py <command> argv` with DJANGO_DBSYNC =
    settings. A CommandError is code 1 with 'CommandError: ...' on stderr both ways."""
    if how == "manage.py":
        env = dict(_env(db, other), DBSYNC_E2E_SETTINGS=json.dumps(settings))
        env.pop("NO_COLOR", None)
        proc = subprocess.run([sys.executable, "manage.py", command, *argv], cwd=HERE, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
        return s.Result(proc.returncode, proc.stdout, proc.stderr)
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:  # argparse writes --help and --version to sys.stdout
        with override_settings(DJANGO_DBSYNC=settings), contextlib.redirect_stdout(out):
            call_command(command, *argv, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except CommandError as exc:
        code = 1
        err.write("CommandError: %s\n" % exc)
    finally:
        s.close_connections()
    return s.Result(code, out.getvalue(), err.getvalue())


# --- the databases' starting points -------------------------------------------------------

def drop_detail(db):
    """A model table gone: every sync that applies recreates it."""
    s.execute(db, "DROP TABLE %s" % qi(db, "catalog_productdetail"))


def orphan(db):
    s.execute(db, "CREATE TABLE legacy_thing (id integer PRIMARY KEY, note varchar(20))",
              "INSERT INTO legacy_thing (id, note) VALUES (1, 'a'), (2, 'b')")


def view(db):
    s.execute(db, "CREATE VIEW compat_view AS SELECT id, name FROM %s" % qi(db, "catalog_tag"))


def shouted(db):
    rename_by_hand(db, NOTEBOOK, SHOUTED)


def tables(db):
    return set(s.user_tables(db)) - {"sqlite_sequence", "django_migrations"}


def project_tables(*apps):
    return s.model_tables(*apps, alias="default")


def files(ctx, pattern):
    return sorted((ctx.out_dir / "reports").glob(pattern)) if (ctx.out_dir / "reports").exists() else []


@dataclass
class Ctx:
    db: object
    out_dir: Path
    how: str
    result: s.Result = None
    before: set = field(default_factory=set)


# --- what each command line must do -----------------------------------------------------------

def created_exactly(*apps, minus=()):
    """The apps' tables were created, less `minus` (names, or a test of a name)."""
    def check(ctx):
        assert ctx.result.code == 0, ctx.result.text
        wanted = project_tables(*apps)
        wanted -= {t for t in wanted if minus(t)} if callable(minus) else set(minus)
        assert tables(ctx.db) == wanted, sorted(tables(ctx.db))
    return check


def unchanged(code=0, says=()):
    def check(ctx):
        assert ctx.result.code == code, ctx.result.text
        assert tables(ctx.db) == ctx.before, "a read-only run changed the tables"
        for text in says:
            assert text in ctx.result.text, (text, ctx.result.text)
    return check


def detail_back(says=()):
    def check(ctx):
        assert ctx.result.code == 0, ctx.result.text
        assert "catalog_productdetail" in tables(ctx.db), ctx.result.text
        for text in says:
            assert text in ctx.result.text, (text, ctx.result.text)
    return check


def refused_without_terminal(ctx):
    assert ctx.result.code == 1 and "not a terminal" in ctx.result.err, ctx.result.text
    assert tables(ctx.db) == ctx.before


def orphan_dropped(ctx):
    assert ctx.result.code == 0, ctx.result.text
    assert "legacy_thing" not in tables(ctx.db) and tables(ctx.db) == ctx.before - {"legacy_thing"}


def orphan_listed(ctx):
    unchanged()(ctx)
    line = [ln for ln in ctx.result.out.splitlines() if "legacy_thing" in ln]
    assert line and "2 rows" in line[0], ctx.result.out


def wrote(pattern, *contents):
    def check(ctx):
        assert ctx.result.code in (0, 1), ctx.result.text
        found = files(ctx, pattern)
        assert found, (pattern, ctx.result.text)
        text = found[0].read_text()
        for c in contents:
            assert c in text, (c, text[:2000])
    return check


def backup_written(ctx):
    detail_back()(ctx)
    assert list((ctx.out_dir / "backups").iterdir()), ctx.result.text
    assert "Backup written" in ctx.result.out


def txt_log(ctx):
    detail_back()(ctx)
    log = ctx.out_dir / "reports" / "run.txt"
    text = log.read_text()
    assert ANSI in ctx.result.out  # the terminal got colours (--force-color) ...
    assert ANSI not in text and "\r" not in text  # ... the file none
    assert "create table `catalog_productdetail`" in text and "Done: " in text, text
    for line in ctx.result.out.splitlines()[:3]:
        assert re.sub(r"\x1b\[[0-9;]*m", "", line) in text
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    password = getattr(ctx.db, "settings_dict", lambda: {})().get("PASSWORD")
    assert not password or password not in text


def help_lists_every_alias(ctx):
    assert ctx.result.code == 0, ctx.result.text
    for flag in ("-d", "-dr", "-aa", "-ea", "-ia", "-b", "-r", "-so", "-do", "-etp", "-nr", "-eap",
                 "-smc", "-gom", "-rv", "-lv", "-tl", "-rf", "-mr"):
        assert re.search(r"(^|[ ,])%s([ ,]|$)" % re.escape(flag), ctx.result.out, re.M), (flag, ctx.result.out)
    assert "re.match" in ctx.result.out  # the pattern rule is in --help


def version(ctx):
    assert ctx.result.code == 0 and ctx.result.out.startswith("django-dbsync "), ctx.result.text


def selected(*apps, minus=()):
    """A dry run at -v 2 names the apps selected; nothing changes."""
    def check(ctx):
        unchanged(0)(ctx)
        line = [ln for ln in ctx.result.out.splitlines() if ln.startswith("Selected ")]
        assert line and line[0].endswith("(apps: %s)" % ", ".join(apps)), ctx.result.out
    return check


# (id, command, argv, starting point, setup, settings, check)
DBSYNC_CASES = [
    # Basic sync commands
    ("bare", [], "migrated", drop_detail, {}, refused_without_terminal),
    ("database=", ["--database=default", "--auto-approve"], "migrated", drop_detail, {},
     detail_back(["database 'default'"])),
    ("-d", ["-d", "default", "-aa"], "migrated", drop_detail, {}, detail_back(["database 'default'"])),
    ("dry-run", ["--dry-run"], "migrated", drop_detail, {},
     unchanged(0, ["SQL that would run", "CREATE TABLE", "Dry run: nothing was changed."])),
    ("-dr", ["-dr"], "migrated", drop_detail, {}, unchanged(0, ["Dry run: nothing was changed."])),
    ("auto-approve", ["--auto-approve"], "migrated", drop_detail, {}, detail_back()),
    ("-aa", ["-aa"], "migrated", drop_detail, {}, detail_back()),
    ("drop-orphaned", ["--drop-orphaned"], "migrated", orphan, {}, refused_without_terminal),
    ("drop-orphaned-aa", ["--drop-orphaned", "--auto-approve"], "migrated", orphan, {}, orphan_dropped),
    ("-do-aa", ["-do", "-aa"], "migrated", orphan, {}, orphan_dropped),
    ("drop-orphaned-dry-run", ["--drop-orphaned", "--dry-run"], "migrated", orphan, {},
     unchanged(0, ["DROP TABLE", "legacy_thing"])),
    ("no-restriction", ["--no-restriction", "--auto-approve"], "empty", None, {},
     created_exactly("auth", "contenttypes", *PROJECT)),
    ("-nr", ["-nr", "-aa"], "empty", None, {}, created_exactly("auth", "contenttypes", *PROJECT)),
    # App and table filtering: space-separated (1.x), comma-separated, repeated
    ("exclude-apps-readme", ["--exclude-apps", "admin", "auth", "contenttypes", "sessions", "-aa"], "empty",
     None, {}, created_exactly(*PROJECT)),
    ("exclude-apps-spaces", ["--no-restriction", "--exclude-apps", "auth", "notes", "-aa"], "empty", None, {},
     created_exactly("contenttypes", "catalog")),
    ("-ea-commas", ["-nr", "-ea", "auth,notes", "-aa"], "empty", None, {},
     created_exactly("contenttypes", "catalog")),
    ("-ea-repeated", ["-nr", "-ea", "auth", "-ea", "notes", "-aa"], "empty", None, {},
     created_exactly("contenttypes", "catalog")),
    ("include-apps-spaces", ["--include-apps", "notes", "contenttypes", "--auto-approve"], "empty", None, {},
     created_exactly("notes", "contenttypes")),
    ("-ia", ["-ia", "notes", "-aa"], "empty", None, {}, created_exactly("notes")),
    ("include-apps-commas", ["--include-apps", "notes,catalog", "-aa"], "empty", None, {},
     created_exactly(*PROJECT)),
    ("exclude-app-patterns-readme", ["--exclude-app-patterns", ".*_test", "-aa"], "empty", None, {},
     created_exactly(*PROJECT)),
    ("exclude-app-patterns-regex", ["--exclude-app-patterns", "cat.*", "-aa"], "empty", None, {},
     created_exactly("notes")),
    # re.match: anchored at the start only, so a prefix is enough
    ("-eap-prefix", ["-eap", "not", "-aa"], "empty", None, {}, created_exactly("catalog")),
    ("-eap-two", ["-nr", "-eap", "a.th", "no.es", "-aa"], "empty", None, {},
     created_exactly("contenttypes", "catalog")),
    ("exclude-table-patterns-readme", ["--exclude-table-patterns", ".*_log", ".*_temp", "-aa"], "empty", None, {},
     created_exactly(*PROJECT)),
    ("exclude-table-patterns", ["--exclude-table-patterns", ".*_memo", "catalog_product.*", "-aa"], "empty",
     None, {}, created_exactly(*PROJECT, minus=["notes_memo", "catalog_product", "catalog_product_tags",
                                                  "catalog_productdetail"])),
    ("-etp-commas", ["-etp", "notes_(memo|reminder),catalog_product_tags$", "-aa"], "empty", None, {},
     created_exactly(*PROJECT, minus=["notes_memo", "notes_reminder", "catalog_product_tags"])),
    # Backup and reporting
    ("backup", ["--backup", "--auto-approve"], "migrated", drop_detail, {}, backup_written),
    ("-b", ["-b", "-aa"], "migrated", drop_detail, {}, backup_written),
    ("report-json", ["--report", "json", "-aa"], "migrated", drop_detail, {},
     wrote("dbsync-default-*.json", '"catalog_productdetail"')),
    ("report-html", ["--report", "html", "-aa"], "migrated", drop_detail, {},
     wrote("dbsync-default-*.html", "catalog_productdetail")),
    ("-r-both", ["-r", "both", "-aa"], "migrated", drop_detail, {}, lambda ctx: (
        wrote("dbsync-default-*.json")(ctx), wrote("dbsync-default-*.html")(ctx))),
    # Safety and manual commands (a table in another letter case, AUTO_FIX_TABLE_CASE off)
    ("suggest-manual-commands", ["--suggest-manual-commands"], "migrated", shouted,
     {"AUTO_FIX_TABLE_CASE": False}, unchanged(0, [SHOUTED, NOTEBOOK, "RENAME"])),
    ("-smc", ["-smc"], "migrated", shouted, {"AUTO_FIX_TABLE_CASE": False}, unchanged(0, [SHOUTED, "RENAME"])),
    ("dry-run-suggest", ["--dry-run", "--suggest-manual-commands"], "migrated", shouted,
     {"AUTO_FIX_TABLE_CASE": False}, unchanged(0, [SHOUTED, "RENAME"])),
    # Orphaned tables and views (--exact-counts: a listing shows the catalog's row
    # estimates unless asked to count, test_lazy_counts.py; orphan_listed checks the count)
    ("show-orphaned", ["--show-orphaned", "--exact-counts"], "migrated", orphan, {}, orphan_listed),
    ("-so", ["-so", "--exact-counts"], "migrated", orphan, {}, orphan_listed),
    ("generate-orphaned-models", ["--generate-orphaned-models"], "migrated", orphan, {},
     wrote("orphaned_models_default_*.py", "db_table = 'legacy_thing'", "managed = False")),
    ("-gom", ["-gom"], "migrated", orphan, {}, wrote("orphaned_models_default_*.py", "legacy_thing")),
    ("list-views", ["--list-views"], "migrated", view, {}, unchanged(0, ["compat_view"])),
    ("-lv", ["-lv"], "migrated", view, {}, unchanged(0, ["compat_view"])),
    ("report-views", ["--report-views"], "migrated", view, {},
     wrote("view_models_default_*.py", "db_table = 'compat_view'", "managed = False")),
    ("-rv", ["-rv"], "migrated", view, {}, wrote("view_models_default_*.py", "compat_view")),
    # Retry mechanism (retrying itself: test_retry.py, with a lock held by another connection)
    ("retry-failed", ["--retry-failed", "-aa"], "migrated", drop_detail, {}, detail_back()),
    ("retry-max", ["--retry-failed", "--max-retries", "5", "-aa"], "migrated", drop_detail, {}, detail_back()),
    ("-rf-mr", ["-rf", "-mr", "5", "-aa"], "migrated", drop_detail, {}, detail_back()),
    ("dry-run-retry", ["--dry-run", "--retry-failed"], "migrated", drop_detail, {}, unchanged(0, ["CREATE TABLE"])),
    # Output control and information
    ("verbosity-2", ["--verbosity", "2", "--dry-run"], "migrated", drop_detail, {}, selected(*PROJECT)),
    ("no-color", ["--no-color", "--dry-run"], "migrated", drop_detail, {},
     lambda ctx: (unchanged(0)(ctx), _no_ansi(ctx))),
    ("force-color", ["--force-color", "--dry-run"], "migrated", drop_detail, {},
     lambda ctx: (unchanged(0)(ctx), _ansi(ctx))),
    ("txt-log", ["--txt-log", "run.txt", "--force-color", "-aa"], "migrated", drop_detail, {}, txt_log),
    ("-tl", ["-tl", "run.txt", "--force-color", "-aa"], "migrated", drop_detail, {}, txt_log),
    ("help", ["--help"], "migrated", None, {}, help_lists_every_alias),
    ("version", ["--version"], "migrated", None, {}, version),
    # The original's settings, unchanged
    ("readme-settings", ["-aa"], "migrated", drop_detail, {
        "DEFAULT_DATABASE": "default", "AUTO_CREATE_TABLES": True, "AUTO_ADD_COLUMNS": True,
        "AUTO_DROP_COLUMNS": False, "EXCLUDE_APPS": ["admin", "contenttypes", "sessions"],
        "COLORED_OUTPUT": True, "SHOW_ORPHANED_TABLES": True}, detail_back()),
    ("EXCLUDE_APP_PATTERNS", ["-dr", "-v", "2"], "migrated", drop_detail, {"EXCLUDE_APP_PATTERNS": ["^cat"]},
     selected("notes")),
    ("EXCLUDE_TABLE_PATTERNS", ["-aa"], "empty", None,
     {"EXCLUDE_TABLE_PATTERNS": [r"^notes_", r"_temp$", r".*_tags$"]},  # `_temp$` matches no name: re.match
     created_exactly(*PROJECT, minus=lambda t: t.startswith("notes_") or t.endswith("_tags"))),
    # names, in any letter case (tables no kept table references, so PostgreSQL can create the rest)
    ("EXCLUDE_TABLES", ["-aa"], "empty", None, {"EXCLUDE_TABLES": ["notes_memo", "CATALOG_PRODUCTDETAIL"]},
     created_exactly(*PROJECT, minus=["notes_memo", "catalog_productdetail"])),
    ("VERBOSE_LOGGING", ["-dr"], "migrated", drop_detail, {"VERBOSE_LOGGING": True}, selected(*PROJECT)),
    ("DEBUG_MODE", ["-dr"], "migrated", drop_detail, {"DEBUG_MODE": True},
     unchanged(0, ["Desired schema (Django's DDL):", "Selected "])),
    ("VERBOSE_LOGGING-v1", ["-dr", "-v", "1"], "migrated", drop_detail, {"VERBOSE_LOGGING": True},
     lambda ctx: (unchanged(0)(ctx), _lacks(ctx, "Selected "))),
    ("DRY_RUN_MODE", ["-aa"], "migrated", drop_detail, {"DRY_RUN_MODE": True},
     unchanged(0, ["Dry run: nothing was changed."])),
    ("AUTO_CREATE_TABLES", ["-aa"], "migrated", drop_detail, {"AUTO_CREATE_TABLES": False},
     unchanged(0, ["skipped"])),
    ("GENERATE_HTML_REPORT", ["-aa"], "migrated", drop_detail, {"GENERATE_HTML_REPORT": True},
     wrote("dbsync-default-*.html", "catalog_productdetail")),
]


def _no_ansi(ctx):
    assert ANSI not in ctx.result.text, ctx.result.text


def _ansi(ctx):
    assert ANSI in ctx.result.out, ctx.result.out


def _lacks(ctx, text):
    assert text not in ctx.result.out, ctx.result.out


def _start(request, kind):
    return request.getfixturevalue({"empty": "db_empty", "migrated": "db_migrated"}[kind])


def _settings(ctx, extra):
    out = ctx.out_dir
    base = {"BACKUP_BEFORE_SYNC": False, "BACKUP_DIR": str(out / "backups"),
            "REPORT_OUTPUT_DIR": str(out / "reports"), "SHOW_ORPHANED_TABLES": False}
    return dict(base, **extra)


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("case", DBSYNC_CASES, ids=[c[0] for c in DBSYNC_CASES])
def test_dbsync_command_line(request, backend, case, how, tmp_path):
    case_id, argv, start, setup, extra, check = case
    db = _start(request, start)
    if setup:
        setup(db)
    s.close_connections()
    ctx = Ctx(db=db, out_dir=tmp_path, how=how)
    ctx.before = tables(db)
    ctx.result = run(how, db, "dbsync", argv, _settings(ctx, extra))
    assert "Traceback" not in ctx.result.err, ctx.result.err
    check(ctx)


# --- dbcheck: the original's options and its README's lines ---------------------------------------

def _clean(code=0, says=()):
    def check(ctx):
        assert ctx.result.code == code, ctx.result.text
        assert tables(ctx.db) == ctx.before
        for text in says:
            assert text in ctx.result.text, (text, ctx.result.text)
    return check


def _table_shown(ctx):
    _clean(0, ['Table "catalog_tag"', "Indexes:", "Rows: ", "Size: "])(ctx)
    grid = [ln for ln in ctx.result.out.splitlines() if ln.startswith(" name ") or ln.startswith(" id ")]
    assert len(grid) == 2 and "not null" in grid[0], ctx.result.out


def _fixed(ctx):
    assert ctx.result.code == 0, ctx.result.text
    assert "catalog_productdetail" in tables(ctx.db)


DBCHECK_CASES = [
    ("dbcheck", [], None, _clean(0, ["is clean", "model tables selected: "])),
    ("database=", ["--database=default"], None, _clean(0, ["is clean"])),
    ("table=", ["--table=catalog_tag"], None, _table_shown),
    ("compare-models", ["--compare-models"], drop_detail, _clean(1, ["catalog.ProductDetail", "missing"])),
    ("check-case-mismatches", ["--check-case-mismatches"], shouted, _clean(1, [SHOUTED])),
    ("check-name-conflicts", ["--check-name-conflicts"], None, _clean(0, ["Table-name conflicts:", "none."])),
    ("verbose", ["--verbose"], None, _clean(0, ["rows per model table:"])),
    ("-v2", ["-v", "2"], None, _clean(0, ["rows per model table:"])),
    ("-v0", ["-v", "0", "--compare-models"], drop_detail,
     lambda ctx: (_clean(1, ["catalog.ProductDetail"])(ctx), _lacks(ctx, "Models compared"))),
    ("fix", ["--fix"], drop_detail, _fixed),
    ("include-apps=", ["--include-apps=notes", "--compare-models"], drop_detail, _clean(0, ["is clean"])),
    ("include-apps-spaces", ["--include-apps", "notes", "catalog", "--compare-models"], drop_detail,
     _clean(1, ["catalog.ProductDetail"])),
    ("include-tables=", ["--include-tables=notes_memo,notes_notebook", "--compare-models"], drop_detail,
     _clean(0, ["is clean"])),
]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("case", DBCHECK_CASES, ids=[c[0] for c in DBCHECK_CASES])
def test_dbcheck_command_line(request, backend, case, how, tmp_path):
    case_id, argv, setup, check = case
    db = request.getfixturevalue("db_migrated")
    if setup:
        setup(db)
    s.close_connections()
    ctx = Ctx(db=db, out_dir=tmp_path, how=how)
    ctx.before = tables(db)
    ctx.result = run(how, db, "dbcheck", argv + ["--no-color"], _settings_dbcheck(tmp_path))
    assert "Traceback" not in ctx.result.err, ctx.result.err
    check(ctx)


def _settings_dbcheck(tmp_path):
    return {"BACKUP_BEFORE_SYNC": False, "REPORT_OUTPUT_DIR": str(tmp_path / "reports")}


# --- DJANGO_DBSYNC through Django's system check framework ----------------------------------------

def _check(how, db, settings, silenced=()):
    if how == "manage.py":
        env = dict(_env(db), DBSYNC_E2E_SETTINGS=json.dumps(settings),
                   DBSYNC_E2E_SILENCED=json.dumps(list(silenced)))
        proc = subprocess.run([sys.executable, "manage.py", "check"], cwd=HERE, env=env,
                              capture_output=True, text=True, timeout=120)
        return s.Result(proc.returncode, proc.stdout, proc.stderr)
    import io

    from django.core.management.base import SystemCheckError

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with override_settings(DJANGO_DBSYNC=settings, SILENCED_SYSTEM_CHECKS=list(silenced)):
        try:
            call_command("check", stdout=out, stderr=err)
        except SystemCheckError as exc:
            code = 1
            err.write(str(exc))
    return s.Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("how", HOW)
def test_check_reports_an_error_with_its_id_and_the_commands_refuse(backend, db_migrated, how):
    bad = {"AUTO_DROP_COLUMNS": "yes", "EXCLUDE_TABLE_PATTERNS": ["(unclosed"]}
    r = _check(how, db_migrated, bad)
    assert r.code == 1, r.text
    assert "(django_dbsync.E002) DJANGO_DBSYNC['AUTO_DROP_COLUMNS'] must be True or False" in r.err, r.err
    assert "(django_dbsync.E003)" in r.err and "'(unclosed'" in r.err, r.err
    drop_detail(db_migrated)
    before = tables(db_migrated)
    for argv in (["-aa"], ["-aa", "--skip-checks"]):  # an error stops the command, checks skipped or not
        res = run(how, db_migrated, "dbsync", argv, bad)
        assert res.code == 1 and "AUTO_DROP_COLUMNS" in res.err, res.text
        assert tables(db_migrated) == before
    res = run(how, db_migrated, "dbcheck", ["--fix"], bad)
    assert res.code == 1 and "AUTO_DROP_COLUMNS" in res.err, res.text
    assert tables(db_migrated) == before
    assert _check(how, db_migrated, "not a dict").err.count("(django_dbsync.E001)") == 1


@pytest.mark.parametrize("how", HOW)
def test_check_warns_and_notes_and_silencing_works(backend, db_migrated, how):
    settings = {"AUTO_DROP_COLUMN": True, "VERSION": "1.2.6", "DISABLE_INFO_LOGGING": False,
                "CUSTOM_DATABASES": {"nowhere": {"AUTO_DROP_COLUMNS": True, "DEFAULT_DATABASE": "x"}}}
    r = _check(how, db_migrated, settings)
    assert r.code == 0, r.text
    text = r.text
    assert "(django_dbsync.W001) DJANGO_DBSYNC: unknown setting 'AUTO_DROP_COLUMN' is ignored." in text, text
    assert "HINT: Did you mean 'AUTO_DROP_COLUMNS'?" in text
    assert "(django_dbsync.W002)" in text and "'nowhere'" in text
    assert "(django_dbsync.W003)" in text and "'DEFAULT_DATABASE'" in text
    assert text.count("(django_dbsync.I001)") == 2 and "'VERSION'" in text and "'DISABLE_INFO_LOGGING'" in text
    quiet = _check(how, db_migrated, settings, silenced=["django_dbsync.W001", "django_dbsync.I001"])
    assert quiet.code == 0, quiet.text
    assert "django_dbsync.W001" not in quiet.text and "django_dbsync.I001" not in quiet.text, quiet.text
    assert "(django_dbsync.W002)" in quiet.text and "3 silenced" in quiet.text, quiet.text


def test_the_original_complete_settings_work_unchanged(db_migrated):
    """django-dbsync 1.2.6's settings.py DBSYNC_SETTINGS, every key, as a user may have copied it:
    no error, no unknown-key warning; only the keys that mean nothing here get a note."""
    original = {
        "VERSION": "1.2.6", "DEFAULT_DATABASE": "default", "CUSTOM_DATABASES": None,
        "AUTO_CREATE_TABLES": True, "AUTO_ADD_COLUMNS": True, "AUTO_DROP_COLUMNS": False,
        "AUTO_RENAME_TABLES": False, "AUTO_FIX_TABLE_CASE": True, "BACKUP_BEFORE_SYNC": False,
        "COLORED_OUTPUT": True, "VERBOSE_LOGGING": True, "SHOW_PROGRESS": True, "DEBUG_MODE": False,
        "DISABLE_INFO_LOGGING": True, "EXCLUDE_APPS": [], "EXCLUDE_TABLES": [],
        "EXCLUDE_APP_PATTERNS": [], "EXCLUDE_TABLE_PATTERNS": [], "DRY_RUN_MODE": False,
        "GENERATE_HTML_REPORT": False, "REPORT_OUTPUT_DIR": "dbsync_reports/", "SHOW_ORPHANED_TABLES": True,
        "RETRY_FAILED_OPERATIONS": True, "MAX_RETRY_ATTEMPTS": 3,
    }
    r = _check("call_command", db_migrated, original)
    assert r.code == 0, r.text
    issues = re.findall(r"\(django_dbsync\.(\w+)\)", r.text)
    assert issues == ["I001"], r.text  # VERSION only: DISABLE_INFO_LOGGING=True is what happens here
    drop_detail(db_migrated)
    res = run("call_command", db_migrated, "dbsync", ["-aa"], original)
    assert res.code == 0, res.text
    assert "catalog_productdetail" in tables(db_migrated)
    assert "Selected " in res.out  # VERBOSE_LOGGING: the details of -v 2


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_show_progress_false_draws_no_progress_bar(db_empty):
    """On a terminal a long apply draws its bar to the end; SHOW_PROGRESS = False draws none."""
    from test_output import _on_a_terminal

    full_bar = "[" + "#" * 30 + "]"
    for show, tables_dropped in ((True, False), (False, True)):
        if tables_dropped:
            for table in sorted(tables(db_empty)):
                s.execute(db_empty, "DROP TABLE %s" % qi(db_empty, table) + (" CASCADE" if s.is_pg(db_empty) else ""))
        code, term = _on_a_terminal(db_empty, "--auto-approve", "--no-restriction",
                                    env={"DBSYNC_E2E_SETTINGS": json.dumps(
                                        {"SHOW_PROGRESS": show, "BACKUP_BEFORE_SYNC": False})})
        assert code == 0 and "Done: " in term, term
        assert (full_bar in term) == show, term


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("argv", [["--database=other", "--auto-approve"], ["-d", "other", "-aa"]],
                         ids=["database=", "-d"])
def test_database_option_syncs_that_alias_only(dbfiles, how, argv, tmp_path):
    """README: `dbsync --database=secondary`. Two SQLite aliases; only the one named is synced."""
    default, other = dbfiles
    s.execute(default, "CREATE TABLE keep_me (id integer PRIMARY KEY)")
    before = s.schema_rows(default)
    settings = {"BACKUP_BEFORE_SYNC": False, "REPORT_OUTPUT_DIR": str(tmp_path / "reports")}
    r = run(how, default, "dbsync", argv, settings, other=other)
    assert r.code == 0, r.text
    assert "database 'other'" in r.out.splitlines()[0], r.out
    assert set(s.user_tables(other)) - {"sqlite_sequence"} == project_tables(*PROJECT)
    assert s.schema_rows(default) == before


def test_txt_log_never_holds_the_password(pw_db, tmp_path):
    """PostgreSQL with a password: every kind of run saved with --txt-log (dry run at -v 3,
    an apply at -v 3, an error), in-process and through manage.py; no file holds it."""
    db, settings_dict = pw_db
    password = settings_dict["PASSWORD"]
    assert password
    drop_detail(db)
    settings = {"BACKUP_BEFORE_SYNC": False, "REPORT_OUTPUT_DIR": str(tmp_path)}
    env = dict(os.environ, DBSYNC_E2E_PG=json.dumps({k: v for k, v in settings_dict.items() if k != "ENGINE"}),
               DBSYNC_E2E_SETTINGS=json.dumps(settings))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    runs = [["-dr", "-v", "3"], ["-ia", "no_such_app"], ["-aa", "-v", "3"]]
    for n, argv in enumerate(runs):
        name = "in-process-%d.txt" % n
        run("call_command", db, "dbsync", argv + ["-tl", name], settings)
        name = "manage-py-%d.txt" % n
        subprocess.run([sys.executable, "manage.py", "dbsync", *argv, "-tl", name], cwd=HERE, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    logs = sorted(tmp_path.glob("*.txt"))
    assert len(logs) == 2 * len(runs), logs
    texts = [p.read_text() for p in logs]
    assert all(password not in t for t in texts)
    assert sum("CommandError: No installed app with label 'no_such_app'" in t for t in texts) == 2, texts
    assert sum("create table `catalog_productdetail`" in t for t in texts) >= 3, texts
    assert "catalog_productdetail" in tables(db)
