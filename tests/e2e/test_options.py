"""The command's options and settings, each against a real database.

What depends on the database (dry runs, prompts, --check, verbosity, app and
table selection, colours) runs on SQLite, PostgreSQL and MariaDB; the settings
checks and the two-alias tests, which only read the settings, on SQLite files.
"""
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import override_settings

import e2e_support as s

HERE = Path(__file__).resolve().parent
ANSI = "\x1b["

every_backend = pytest.mark.parametrize("backend", s.ALL_BACKENDS)


def _q(db, name):
    """`name` quoted as the backend's SQL (and so the plan's script) writes it."""
    return "`%s`" % name if s.is_my(db) else '"%s"' % name


def _drift(path):
    """A few safe drifts, so there is something to plan."""
    if s.is_my(path):
        path.execute("DROP TABLE `catalog_productdetail`", "DROP INDEX `product_released_idx` ON `catalog_product`",
                     "ALTER TABLE `catalog_tag` ADD COLUMN `legacy_code` longtext NULL",
                     "UPDATE `catalog_tag` SET `legacy_code` = CONCAT('x', `id`)")
        return
    s.execute(path, 'DROP TABLE "catalog_productdetail"', 'DROP INDEX "product_released_idx"',
              'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" text NULL',
              "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'x' || \"id\"")


def _frozen(path):
    if s.is_server(path):
        return s.schema_rows(path), s.snapshot_rows(path)
    return s.file_digest(path), s.schema_rows(path), s.snapshot_rows(path)


def _run_script(db, script, tmp_path):
    """Run a dry run's script by hand: sqlite3 on a copy of the file, psql-like
    on PostgreSQL, the mariadb client on MariaDB. Returns what now holds the result."""
    if s.is_my(db):
        client = shutil.which("mariadb") or shutil.which("mysql")
        proc = subprocess.run([client, "--no-defaults", "--socket", db.server.socket, "--user", "root", db.name],
                              input=script, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return db
    if s.is_pg(db):
        with db.connect() as con:
            con.execute(script)
        return db
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(db, copy)
    con = s.raw(copy)
    try:
        con.executescript(script)
    finally:
        con.close()
    return copy


@every_backend
def test_dry_run_prints_the_exact_script_and_changes_nothing(db_filled, tmp_path):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)

    dry = s.dbsync("--dry-run")
    assert dry.code == 0, dry.text
    assert "CREATE TABLE %s" % _q(filled_db, "catalog_productdetail") in dry.out, dry.out
    assert "product_released_idx" in dry.out and "CREATE INDEX" in dry.out, dry.out
    assert _frozen(filled_db) == frozen

    # At verbosity 0 the script alone is printed. Running it by hand (on a
    # copy of a SQLite file) must bring the database in line: the dry run
    # showed exactly what would run.
    script = s.dbsync("--dry-run", verbosity=0)
    assert script.out.strip(), script.text
    assert _frozen(filled_db) == frozen
    copy = _run_script(filled_db, script.out, tmp_path)
    plan = s.engine_plan(copy, _desired_sql(), drop_columns=False)
    assert [op for op in plan.ops if op["status"] != "skipped"] == [], [s.op_brief(op) for op in plan.ops]
    assert "legacy_code" in s.column_names(copy, "catalog_tag")  # the skipped drop did not run


def _desired_sql():
    from django_dbsync import conf
    from django_dbsync.desired import Selection, build_desired

    return build_desired("default", Selection(conf.get_settings("default"))).sql


@every_backend
def test_dry_run_mode_setting_behaves_as_dry_run(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)
    with override_settings(DJANGO_DBSYNC={"DRY_RUN_MODE": True}):
        run = s.dbsync("--auto-approve")
    assert "CREATE TABLE %s" % _q(filled_db, "catalog_productdetail") in run.out, run.text
    assert _frozen(filled_db) == frozen


@every_backend
def test_without_auto_approve_a_non_tty_stdin_is_refused(db_filled, monkeypatch):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)
    # A stdin that would say "yes" if read: the command must not read it.
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\nyes\n"))
    with pytest.raises(CommandError, match="stdin is not a terminal"):
        s.dbsync(raise_errors=True)
    assert _frozen(filled_db) == frozen


def _env(db, other=None):
    """manage.py's environment for database `db` as 'default'."""
    if s.is_server(db):
        key = "DBSYNC_E2E_MY" if s.is_my(db) else "DBSYNC_E2E_PG"
        env = dict(os.environ, **{key: json.dumps({k: v for k, v in db.settings_dict().items() if k != "ENGINE"})})
    else:
        env = dict(os.environ, DBSYNC_E2E_DB=str(db), DBSYNC_E2E_OTHER_DB=str(other or db.with_suffix(".other")))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _manage(*args, db, other=None, stdin=subprocess.DEVNULL, input=None):
    env = _env(db, other)
    return subprocess.run([sys.executable, "manage.py", "dbsync", *args], cwd=HERE, env=env,
                          stdin=None if input is not None else stdin, input=input,
                          capture_output=True, text=True, timeout=120)


@every_backend
def test_manage_py_non_tty_refusal_exits_nonzero_and_changes_nothing(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)
    proc = _manage(db=filled_db, input="y\n")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "not a terminal" in proc.stderr, proc.stderr
    assert "--auto-approve" in proc.stderr
    assert _frozen(filled_db) == frozen


def _clean_exit(proc, code):
    """Exit `code` without an error: manage.py exits 1 on a CommandError too."""
    text = proc.stdout + proc.stderr
    assert proc.returncode == code, text
    assert "CommandError" not in proc.stderr and "Traceback" not in proc.stderr, text


def _manage_on_a_terminal(answer, db):
    """manage.py dbsync with a pseudo-terminal as stdin, answering the prompt."""
    import pty

    master, slave = pty.openpty()
    env = _env(db)
    try:
        proc = subprocess.Popen([sys.executable, "manage.py", "dbsync", "--no-color"], cwd=HERE, env=env,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.write(master, answer.encode() + b"\n")
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail("dbsync hung at the prompt:\n" + out + err)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, out, err


@every_backend
def test_prompt_on_a_terminal_applies_only_on_yes(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)
    code, out, err = _manage_on_a_terminal("n", filled_db)
    assert code == 0, out + err
    assert "[y/N]" in out, out
    assert _frozen(filled_db) == frozen

    code, out, err = _manage_on_a_terminal("y", filled_db)
    assert code == 0, out + err
    assert "catalog_productdetail" in s.user_tables(filled_db)
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")


@every_backend
def test_verbosity_levels(db_filled):
    filled_db = db_filled
    quiet = s.dbsync("--check", verbosity=0)
    assert quiet.code == 0 and quiet.out == "", quiet.text
    _drift(filled_db)
    loud = s.dbsync("--auto-approve", verbosity=2)
    assert loud.code == 0, loud.text
    assert "CREATE INDEX %s" % _q(filled_db, "product_released_idx") in loud.out, loud.out  # applied SQL is shown at 2
    quiet = s.dbsync("--check", verbosity=0)
    assert quiet.code == 1 and quiet.out == "", quiet.text


@every_backend
def test_manage_py_check_exit_codes(db_filled):
    filled_db = db_filled
    _clean_exit(_manage("--check", db=filled_db), 0)
    _drift(filled_db)
    frozen = _frozen(filled_db)
    _clean_exit(_manage("--check", db=filled_db), 1)
    assert _frozen(filled_db) == frozen
    _clean_exit(_manage("--auto-approve", db=filled_db), 0)
    # The extra column is skipped (AUTO_DROP_COLUMNS off): still a difference.
    _clean_exit(_manage("--check", db=filled_db), 1)


@every_backend
def test_check_changes_nothing_and_reports_pending(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    frozen = _frozen(filled_db)
    run = s.dbsync("--check")
    assert run.code == 1
    assert "catalog_productdetail" in run.out, run.out
    assert _frozen(filled_db) == frozen


def test_version_names_the_backends(dbfile):
    proc = _manage("--version", db=dbfile)
    assert proc.returncode == 0, proc.stderr
    assert "django-dbsync" in proc.stdout and "sqlite" in proc.stdout, proc.stdout
    from django_dbsync import _engine

    assert "sqlite" in _engine.backends()
    # this build has every backend; --version says so
    assert set(_engine.backends()) == {"sqlite", "postgresql", "mysql"}, _engine.backends()
    assert "postgresql" in proc.stdout and "mysql" in proc.stdout, proc.stdout


@every_backend
def test_header_names_database_alias(db_migrated):
    run = s.dbsync()
    first = run.out.splitlines()[0]
    assert first.startswith("django-dbsync ") and "database 'default'" in first, run.out
    assert "No changes: the database matches the models." in run.out


# --- which apps and tables ------------------------------------------------------

def _created(dbfile, *args, **settings):
    with override_settings(DJANGO_DBSYNC=settings):
        run = s.dbsync("--auto-approve", *args)
    assert run.code == 0, run.text
    return set(s.user_tables(dbfile)) - {"sqlite_sequence"}


def _tables(*apps):
    """The apps' tables the routers allow on 'default' (notes.Oddity stays off MySQL)."""
    return s.model_tables(*apps, alias="default")


@every_backend
def test_default_selection_is_the_project_apps(db_empty):
    assert _created(db_empty) == _tables("catalog", "notes")


@every_backend
def test_include_apps(db_empty):
    assert _created(db_empty, "--include-apps", "notes") == _tables("notes")


@every_backend
def test_include_apps_comma_separated(db_empty):
    assert _created(db_empty, "--include-apps", "notes,catalog") == _tables("catalog", "notes")


@every_backend
def test_exclude_apps(db_empty):
    assert _created(db_empty, "--exclude-apps", "notes") == _tables("catalog")


@every_backend
def test_exclude_app_patterns(db_empty):
    assert _created(db_empty, "--exclude-app-patterns", "cat*") == _tables("notes")


@every_backend
def test_exclude_table_patterns(db_empty):
    got = _created(db_empty, "--exclude-table-patterns", "notes_memo,catalog_product*")
    assert got == _tables("catalog", "notes") - {
        "notes_memo", "catalog_product", "catalog_product_tags", "catalog_productdetail"}, got


@every_backend
def test_exclude_tables_setting(db_empty):
    got = _created(db_empty, EXCLUDE_TABLES=["notes_reminder"])
    assert got == _tables("catalog", "notes") - {"notes_reminder"}


@every_backend
def test_exclude_apps_setting(db_empty):
    assert _created(db_empty, EXCLUDE_APPS=["catalog"]) == _tables("notes")


@every_backend
def test_no_restriction_includes_django_apps(db_empty):
    got = _created(db_empty, "--no-restriction")
    assert {"auth_user", "auth_group", "auth_permission", "auth_user_groups", "auth_user_user_permissions",
            "auth_group_permissions", "django_content_type"} <= got, got
    assert _tables("catalog", "notes") <= got


@every_backend
def test_excluded_tables_are_left_alone(db_filled):
    filled_db = db_filled
    """A table outside the selection is neither created nor changed, even when drifted."""
    _drift(filled_db)
    frozen_tag = s.snapshot_rows(filled_db, ["catalog_tag"])
    run = s.dbsync("--auto-approve", "--exclude-table-patterns", "catalog_tag")
    assert run.code == 0, run.text
    assert "catalog_productdetail" in s.user_tables(filled_db)
    assert s.snapshot_rows(filled_db, ["catalog_tag"]) == frozen_tag
    assert "legacy_code" in s.column_names(filled_db, "catalog_tag")


# --- settings --------------------------------------------------------------------

def test_unknown_setting_key_warns_naming_it(migrated_db):
    """The system check (django_dbsync.W001) runs before the sync and names the key."""
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMN": True}):
        run = s.dbsync("--check", skip_checks=False)  # call_command skips checks by default
    assert run.code == 0, run.text
    assert "(django_dbsync.W001)" in run.err and "'AUTO_DROP_COLUMN'" in run.err, run.err
    assert "Did you mean 'AUTO_DROP_COLUMNS'?" in run.err, run.err


def test_unknown_key_in_a_database_override_warns_naming_it(migrated_db):
    with override_settings(DJANGO_DBSYNC={"CUSTOM_DATABASES": {"other": {"EXCLUDE_TABLE": ["x"]}}}):
        run = s.dbsync("--check", skip_checks=False)
    assert run.code == 0, run.text
    assert "(django_dbsync.W001)" in run.err and "'EXCLUDE_TABLE'" in run.err, run.err


def test_setting_of_the_wrong_type_is_a_clear_error(migrated_db):
    frozen = _frozen(migrated_db)
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": "yes"}):
        with pytest.raises(CommandError, match="AUTO_DROP_COLUMNS"):
            s.dbsync("--auto-approve", raise_errors=True)
    assert _frozen(migrated_db) == frozen


def test_known_keys_do_not_warn(migrated_db):
    every_key = {
        "DEFAULT_DATABASE": "default", "CUSTOM_DATABASES": None, "AUTO_CREATE_TABLES": True,
        "AUTO_ADD_COLUMNS": True, "AUTO_DROP_COLUMNS": False, "AUTO_RENAME_TABLES": False,
        "AUTO_FIX_TABLE_CASE": True, "BACKUP_BEFORE_SYNC": True,
        "EXCLUDE_APPS": ["sessions", "admin", "contenttypes"], "EXCLUDE_TABLES": [], "DRY_RUN_MODE": False,
        "GENERATE_HTML_REPORT": False, "REPORT_OUTPUT_DIR": "dbsync_reports/", "SHOW_ORPHANED_TABLES": True,
        "COLORED_OUTPUT": True, "RETRY_FAILED_OPERATIONS": False, "MAX_RETRY_ATTEMPTS": 3,
    }
    with override_settings(DJANGO_DBSYNC=every_key):
        run = s.dbsync("--check", skip_checks=False)
    assert run.code == 0, run.text
    assert "django_dbsync." not in run.err, run.err


def test_custom_databases_override_applies_to_its_alias_only(dbfiles, migrate_template):
    default, other = dbfiles
    for path in dbfiles:
        shutil.copyfile(migrate_template, path)
        s.execute(path, 'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" text NULL')
    with override_settings(DJANGO_DBSYNC={"CUSTOM_DATABASES": {"other": {"AUTO_DROP_COLUMNS": True}}}):
        on_other = s.dbsync("--database", "other", "--auto-approve")
        assert on_other.code == 0, on_other.text
        assert "database 'other'" in on_other.out.splitlines()[0]
        on_default = s.dbsync("--auto-approve")
        assert on_default.code == 0, on_default.text
        assert "legacy_code" not in s.column_names(other, "catalog_tag")
        assert "legacy_code" in s.column_names(default, "catalog_tag")
        assert s.dbsync("--check", "--database", "other").code == 0
        assert s.dbsync("--check").code == 1


def test_default_database_setting(dbfiles, migrate_template):
    default, other = dbfiles
    shutil.copyfile(migrate_template, default)
    with override_settings(DJANGO_DBSYNC={"DEFAULT_DATABASE": "other"}):
        run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "database 'other'" in run.out.splitlines()[0]
    assert s.model_tables("catalog", "notes") <= set(s.user_tables(other))
    assert s.schema_rows(default) == s.schema_rows(migrate_template)


def test_unknown_database_alias_is_a_clear_error(dbfile):
    with pytest.raises(CommandError, match="nope"):
        s.dbsync("--database", "nope", "--check", raise_errors=True)


def test_in_memory_database_is_refused_clearly(dbfile):
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"]["NAME"] = ":memory:"
    connections["default"].settings_dict["NAME"] = ":memory:"
    with pytest.raises(CommandError, match="file"):
        s.dbsync("--check", raise_errors=True)


def test_a_vendor_the_engine_does_not_know_is_refused_naming_it_and_the_alias(dbfile):
    """The Django app passes Django's vendor to the engine as it is: a backend
    libdbsync has no dialect for is refused by the engine, before anything is
    read or written, by both commands, the message naming the vendor and the
    database alias."""
    from django.core.management import call_command

    from conftest import use_database

    previous = use_database("default", {"ENGINE": "testproject.unknown_vendor", "NAME": str(dbfile)})
    try:
        runs = [lambda: s.dbsync("--check", raise_errors=True),
                lambda: call_command("dbcheck", stdout=io.StringIO(), stderr=io.StringIO())]
        for run in runs:
            with pytest.raises(CommandError) as info:
                run()
            message = str(info.value)
            assert "database 'default'" in message and "unknown database vendor 'firebird'" in message, message
            assert "sqlite, postgresql, mysql" in message, message
        assert not dbfile.exists()
    finally:
        use_database("default", previous)


# --- colours ----------------------------------------------------------------------

@every_backend
def test_no_color_has_no_escapes(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    run = s.dbsync("--dry-run", "--no-color")
    assert run.out.strip() and ANSI not in run.out + run.err


@every_backend
def test_force_color_has_escapes(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    run = s.dbsync("--dry-run", "--force-color", color=True)
    assert ANSI in run.out, repr(run.out[:300])


@every_backend
def test_manage_py_no_color_when_piped(db_filled):
    filled_db = db_filled
    _drift(filled_db)
    proc = _manage("--dry-run", db=filled_db)
    assert proc.returncode == 0, proc.stderr
    assert ANSI not in proc.stdout
    forced = _manage("--dry-run", "--force-color", db=filled_db)
    assert ANSI in forced.stdout


def test_keep_extra_indexes_setting_keeps_an_index_no_model_declares(migrated_db):
    s.execute(migrated_db, 'CREATE INDEX "catalog_tag_extra_idx" ON "catalog_tag" ("id")')
    with override_settings(DJANGO_DBSYNC={"KEEP_EXTRA_INDEXES": True, "BACKUP_BEFORE_SYNC": False}):
        kept = s.dbsync("--auto-approve")
    assert kept.code == 0, kept.text
    assert "catalog_tag_extra_idx" in s.index_names(migrated_db, "catalog_tag")
    assert "KEEP_EXTRA_INDEXES is on" in kept.text and 'DROP INDEX "catalog_tag_extra_idx"' in kept.text
    dropped = s.dbsync("--auto-approve")  # the default drops what no model declares
    assert dropped.code == 0, dropped.text
    assert "catalog_tag_extra_idx" not in s.index_names(migrated_db, "catalog_tag")
