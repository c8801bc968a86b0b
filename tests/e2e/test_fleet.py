"""Fleet runs of manage.py dbsync (issue 15): the same models synced into
several PostgreSQL schemas or MariaDB databases of one server in one run,
and into several aliases with --database repeated.

The members are made with SQL in the test's database (PostgreSQL: the
migrate-built public schema's tables, as the engine renders them, run again
in each new schema and their rows copied) or on the test's server (MariaDB:
copies of the migrated, filled database). Drift is made with SQL in some of
them; the tests assert the check names exactly those, the apply brings every
member to the migrate-built schema with its rows, a failing member is
isolated (or stops the rest with --fail-fast), and two concurrent runs over
the same members both finish with each member changed once.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.test import override_settings
from psycopg import sql

import e2e_support as s
from conftest import _point
from django.conf import settings
from django_dbsync import _engine

HERE = Path(__file__).resolve().parent

# backups are tested in test_backup.py; a lock held by the test fails a member
# after this long instead of the default 5 s; no retries, so it fails at once
FLEET_SETTINGS = {"BACKUP_BEFORE_SYNC": False, "LOCK_TIMEOUT_MS": 300, "RETRY_FAILED_OPERATIONS": False}


def run(*args, **options):
    with override_settings(DJANGO_DBSYNC=dict(FLEET_SETTINGS)):
        return s.dbsync(*args, **options)


# --- PostgreSQL schemas ------------------------------------------------------------

PG_MEMBERS = ("t_a", "t_b", "t_c")


def _pg_engine(db):
    sd = db.settings_dict()
    return _engine.Connection("postgresql", {"name": db.name, "host": sd["HOST"], "user": sd["USER"]})


def _pg_make_members(db, names):
    """Each schema of `names` with the public schema's tables (the engine's
    rendering of them, run with the schema first on search_path) and rows."""
    with _pg_engine(db) as conn:
        ddl = conn.introspect_sql()
        tables = conn.table_names()
    with db.connect(autocommit=False) as con:
        # the rows go in whatever order the tables come: no FK trigger meanwhile
        con.execute("SET session_replication_role = replica")
        for name in names:
            con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            con.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(name)))
            con.execute(ddl)
            for table in tables:
                cols = sql.SQL(", ").join(sql.Identifier(r[0]) for r in con.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", (s.q(table),)))
                con.execute(sql.SQL("INSERT INTO {}.{} ({}) SELECT {} FROM public.{}").format(
                    sql.Identifier(name), sql.Identifier(table), cols, cols, sql.Identifier(table)))
        con.commit()


def _pg_drift(db, schema):
    q = s.q(schema)
    db.execute(f'DROP INDEX {q}."product_released_idx"',
               f'ALTER TABLE {q}."catalog_product" ALTER COLUMN "position" SET DEFAULT 7',
               f'ALTER TABLE {q}."catalog_supplier" DROP COLUMN "website"')


def _pg_describe(db, schema):
    """The schema's tables as the catalog describes them, its name left out:
    columns, constraints and indexes with their definitions."""
    cols = db.query(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "       pg_get_expr(d.adbin, d.adrelid) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY 1, 2", (schema,))
    cons = db.query(
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = %s::regnamespace ORDER BY 1, 2",
        (schema,))
    idx = db.query(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2",
        (schema,))
    prefix = re.compile(r'\b%s\.' % re.escape(schema))

    def bare(rows):  # the definitions name the schema of what they point at
        return [tuple(prefix.sub("", v) if isinstance(v, str) else v for v in row) for row in rows]

    return {"columns": bare(cols), "constraints": bare(cons), "indexes": bare(idx)}


def _pg_rows(db, schema):
    return {t: db.query(sql.SQL("SELECT * FROM {}.{} ORDER BY 1").format(
                sql.Identifier(schema), sql.Identifier(t)).as_string(None))
            for t in ("catalog_product", "catalog_supplier", "Catalog_Category", "catalog_tag")}


@pytest.fixture
def pg_fleet(pg_filled):
    _pg_make_members(pg_filled, PG_MEMBERS)
    return pg_filled


def _drifted_in_check(result, word="Schema"):
    return set(re.findall(r"^%s (\S+): (?:changed|refused|failed)" % word, result.out, re.M))


def test_pg_members_made_by_sql_are_in_sync(pg_fleet):
    public = _pg_describe(pg_fleet, "public")
    for name in PG_MEMBERS:
        assert _pg_describe(pg_fleet, name) == public
    r = run("--check", "--schemas", "t_*")
    assert r.code == 0, r.text
    assert "3 in sync" in r.out


def test_pg_check_names_drifted_members_then_apply_converges_all(pg_fleet):
    db = pg_fleet
    public, rows = _pg_describe(db, "public"), _pg_rows(db, "public")
    for name in ("t_a", "t_c"):
        _pg_drift(db, name)
    before = {name: _pg_describe(db, name) for name in PG_MEMBERS}
    assert before["t_a"] != public and before["t_b"] == public

    r = run("--check", "--schemas", "t_*")
    assert r.code == 1, r.text
    assert _drifted_in_check(r) == {"t_a", "t_c"}
    assert "2 members differ from the models: schema t_a (changed), schema t_c (changed)" in r.out
    # --check changes nothing
    assert {name: _pg_describe(db, name) for name in PG_MEMBERS} == before

    # comma-separated and repeated patterns, exact names and re:
    r = run("--schemas", "t_a,re:t_[bc]", "--jobs", "2", "--auto-approve")
    assert r.code == 0, r.text
    assert "Fleet: 3 members: 1 in sync, 2 changed." in r.out
    for name in PG_MEMBERS:
        assert _pg_describe(db, name) == public, name
        # rows kept: the dropped column comes back empty, everything else as it was
        got = _pg_rows(db, name)
        assert got["catalog_product"] == rows["catalog_product"]
        assert got["Catalog_Category"] == rows["Catalog_Category"]
        assert len(got["catalog_supplier"]) == len(rows["catalog_supplier"])
    assert run("--check", "--all-schemas").code == 0


def test_pg_dry_run_prints_each_member_script_and_changes_nothing(pg_fleet):
    db = pg_fleet
    _pg_drift(db, "t_b")
    before = _pg_describe(db, "t_b")
    r = run("--dry-run", "--schemas", "t_*")
    assert r.code == 0, r.text
    assert "-- schema t_b (group default): SQL that would run (dry run)" in r.out
    assert "-- schema t_a" not in r.out
    assert 'CREATE INDEX "product_released_idx"' in r.out
    assert _pg_describe(db, "t_b") == before


def test_pg_no_member_matches(pg_fleet):
    r = run("--check", "--schemas", "nothing_*")
    assert r.code == 2 and "no schema of database 'default' matches nothing_*" in str(r.error)


def _lock(db, schema):
    """A transaction holding a SHARE lock on the schema's catalog_product:
    reads go on, the ALTER TABLE of an apply waits, then fails at LOCK_TIMEOUT_MS."""
    con = db.connect(autocommit=False)
    con.execute(sql.SQL("LOCK TABLE {}.catalog_product IN SHARE MODE").format(sql.Identifier(schema)))
    return con


def test_pg_failing_member_is_isolated(pg_fleet):
    db = pg_fleet
    public = _pg_describe(db, "public")
    for name in PG_MEMBERS:
        _pg_drift(db, name)
    drifted = _pg_describe(db, "t_b")
    con = _lock(db, "t_b")
    try:
        r = run("--schemas", "t_*", "--jobs", "2", "--auto-approve")
    finally:
        con.rollback()
        con.close()
    assert r.code == 1, r.text
    assert re.search(r"^failed: schema t_b \(group default\): .*lock", r.err, re.M | re.I), r.err
    assert "Fleet: 3 members: 2 changed, 1 failed." in r.out
    assert _pg_describe(db, "t_a") == public and _pg_describe(db, "t_c") == public
    assert _pg_describe(db, "t_b") == drifted  # its transaction rolled back whole
    # the next run finishes the work
    assert run("--schemas", "t_*", "--auto-approve").code == 0
    assert _pg_describe(db, "t_b") == public


def test_pg_fail_fast_stops_after_the_first_failure(pg_fleet):
    db = pg_fleet
    for name in PG_MEMBERS:
        _pg_drift(db, name)
    before = {name: _pg_describe(db, name) for name in PG_MEMBERS}
    con = _lock(db, "t_a")
    try:
        r = run("--schemas", "t_*", "--jobs", "1", "--fail-fast", "--auto-approve")
    finally:
        con.rollback()
        con.close()
    assert r.code == 1, r.text
    assert re.search(r"^failed: schema t_a ", r.err, re.M), r.err
    assert re.search(r"^not run: schema t_b ", r.err, re.M), r.err
    assert re.search(r"^not run: schema t_c ", r.err, re.M), r.err
    assert {name: _pg_describe(db, name) for name in PG_MEMBERS} == before


def _env(settings_dict, dbsync_settings):
    env = dict(os.environ, DBSYNC_E2E_PG=json.dumps({k: v for k, v in settings_dict.items() if k != "ENGINE"}),
               DBSYNC_E2E_SETTINGS=json.dumps(dbsync_settings))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _applied_changed(out):
    """The members a run reports changed after applying."""
    applied = out.split("\nApplied:\n", 1)
    return set(re.findall(r"^Schema (\S+): changed", applied[1], re.M)) if len(applied) == 2 else set()


def test_pg_two_concurrent_fleet_runs_change_each_member_once(pg_fleet):
    db = pg_fleet
    public = _pg_describe(db, "public")
    names = [f"t_{i}" for i in range(6)]
    _pg_make_members(db, names)
    for name in names:
        _pg_drift(db, name)
    env = _env(db.settings_dict(), {"BACKUP_BEFORE_SYNC": False, "LOCK_TIMEOUT_MS": 0})
    cmd = [sys.executable, "manage.py", "dbsync", "--no-color", "--schemas", "t_[0-9]", "--jobs", "2", "--max-retries", "20",
           "--auto-approve"]
    procs = [subprocess.Popen(cmd, cwd=HERE, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail("manage.py dbsync did not finish:\n" + out + err)
        results.append((proc.returncode, out, err))
    for code, out, err in results:
        assert code == 0, out + err
        # no member failed (a stale plan is planned again, never half-applied)
        summary = re.search(r"^Fleet: 6 members: (.*)\.$", out, re.M)
        assert summary and set(re.sub(r"\d+ ", "", summary[1]).split(", ")) <= {"in sync", "changed"}, out
        assert not re.search(r"^(failed|not run):", err, re.M), err
    changed = [_applied_changed(out) for _, out, _ in results]
    # every member changed by exactly one of the two runs
    assert changed[0] | changed[1] == set(names), changed
    assert not changed[0] & changed[1], changed
    for name in names:
        assert _pg_describe(db, name) == public, name


def test_database_repeated_syncs_two_aliases(pg_migrated, tmp_path):
    db = pg_migrated
    other = tmp_path / "other.sqlite3"
    previous = settings.DATABASES["other"]["NAME"]
    _point("other", other)
    try:
        db.execute('DROP INDEX "product_released_idx"')
        r = run("--check", "--database", "default", "--database", "other")
        assert r.code == 1, r.text
        assert "Group default: database 'default'" in r.out and "Group other: database 'other'" in r.out
        assert "2 members differ from the models" in r.out
        assert not other.exists()  # a check creates no SQLite file

        # each alias with its own settings: CUSTOM_DATABASES leaves notes out of 'other'
        conf = dict(FLEET_SETTINGS, CUSTOM_DATABASES={"other": {"EXCLUDE_APPS": ["notes"]}})
        with override_settings(DJANGO_DBSYNC=conf):
            r = s.dbsync("-d", "default,other", "--auto-approve")
        assert r.code == 0, r.text
        assert "product_released_idx" in db.index_names("catalog_product")
        tables = set(s.user_tables(other))
        assert "catalog_product" in tables and not any(t.startswith("notes_") for t in tables), tables
        assert "notes_memo" in db.user_tables()  # the default alias keeps them
        with override_settings(DJANGO_DBSYNC=conf):
            assert s.dbsync("--check", "--database", "default", "--database", "other").code == 0
        # every alias; --schemas chooses schemas where there are some, SQLite is one database
        with override_settings(DJANGO_DBSYNC=conf):
            r = s.dbsync("--check", "--all-databases", "--schemas", "public")
        assert r.code == 0, r.text
        assert "database 'other' has no schemas or databases to choose from" in r.err
        assert "Group default: 1 schema of database 'default'" in r.out
    finally:
        _point("other", previous)


def test_all_tenants_without_the_tenants_module(pg_fleet):
    """Until tenants.py is installed, --all-tenants says so."""
    try:
        import django_dbsync.tenants  # noqa: F401
    except ModuleNotFoundError:
        r = run("--check", "--all-tenants")
        assert r.code == 2 and "django-tenants support is not installed" in str(r.error)
    else:
        r = run("--check", "--all-tenants", "--schemas", "t_*")
        assert r.code == 2 and "--all-tenants chooses the schemas itself" in str(r.error)


# --- MariaDB databases -------------------------------------------------------------


@pytest.fixture
def my_fleet(my_server, my_filled):
    """Three databases on the server, each a copy of the filled test database."""
    prefix = f"fleet{os.getpid()}"
    dbs = [my_server.new_database(prefix=prefix) for _ in range(3)]
    for db in dbs:
        db.copy_from(my_filled)
    yield prefix, dbs
    for db in dbs:
        db.drop()


def _my_drift(db):
    db.execute("DROP INDEX `product_name_cat_idx` ON `catalog_product`",
               "ALTER TABLE `catalog_supplier` DROP COLUMN `website`")


def test_my_fleet_check_then_converges_and_keeps_rows(my_fleet, my_filled):
    prefix, dbs = my_fleet
    facts, rows = my_filled.facts(), my_filled.snapshot_rows()
    for db in dbs:
        assert db.facts() == facts
    _my_drift(dbs[0])
    _my_drift(dbs[2])
    before = [db.facts() for db in dbs]

    r = run("--check", "--schemas", f"{prefix}_*")
    assert r.code == 1, r.text
    assert _drifted_in_check(r, "Database") == {dbs[0].name, dbs[2].name}
    assert [db.facts() for db in dbs] == before

    r = run("--schemas", f"{prefix}_*", "--jobs", "3", "--auto-approve")
    assert r.code == 0, r.text
    assert "Fleet: 3 members: 1 in sync, 2 changed." in r.out
    for db in dbs:
        assert db.facts() == facts, db.name
        got = db.snapshot_rows()
        for table, table_rows in rows.items():
            if table != "catalog_supplier":
                assert got[table] == table_rows, (db.name, table)
    assert run("--check", "--schemas", f"{prefix}_*").code == 0


def _my_lock(db):
    """An open transaction that read catalog_product: its metadata lock makes
    an ALTER TABLE of the table wait, then fail at LOCK_TIMEOUT_MS (1 s here,
    MariaDB's unit)."""
    con = db.server.connect(db.name)
    cur = con.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("SELECT * FROM `catalog_product` LIMIT 1")
    return con


def test_my_failing_member_is_isolated_and_fail_fast_stops(my_fleet, my_filled):
    prefix, dbs = my_fleet
    facts = my_filled.facts()
    for db in dbs:
        _my_drift(db)
    con = _my_lock(dbs[1])
    try:
        r = run("--schemas", f"{prefix}_*", "--jobs", "2", "--auto-approve")
    finally:
        con.rollback()
        con.close()
    assert r.code == 1, r.text
    assert re.search(r"^failed: database %s \(group default\): " % dbs[1].name, r.err, re.M), r.err
    assert "Fleet: 3 members: 2 changed, 1 failed." in r.out
    assert dbs[0].facts() == facts and dbs[2].facts() == facts
    assert dbs[1].facts() != facts

    # --fail-fast, one job: the first member fails, the others are not run
    for db in (dbs[0], dbs[2]):
        _my_drift(db)
    before = [db.facts() for db in dbs]
    con = _my_lock(dbs[0])
    try:
        r = run("--schemas", f"{prefix}_*", "--fail-fast", "--auto-approve")
    finally:
        con.rollback()
        con.close()
    assert r.code == 1, r.text
    assert re.search(r"^failed: database %s " % dbs[0].name, r.err, re.M), r.err
    assert re.search(r"^not run: database %s " % dbs[1].name, r.err, re.M), r.err
    assert re.search(r"^not run: database %s " % dbs[2].name, r.err, re.M), r.err
    assert [db.facts() for db in dbs][1:] == before[1:]
    # and the next run converges every one
    assert run("--schemas", f"{prefix}_*", "--auto-approve").code == 0
    assert [db.facts() for db in dbs] == [facts] * 3


# --- the binding: Connection.namespaces, plan_fleet, Fleet ----------------------------

def _desired(alias="default"):
    from django_dbsync.desired import Selection, build_desired
    from django_dbsync import conf

    return build_desired(alias, Selection(conf.get_settings(alias)))


def test_binding_fleet_members_plans_and_apply(pg_fleet):
    db = pg_fleet
    _pg_drift(db, "t_b")
    desired = _desired()
    with _pg_engine(db) as conn:
        assert conn.namespaces(["t_*"]) == list(PG_MEMBERS)
        assert conn.namespaces(["re:t_[ab]", "public"]) == ["public", "t_a", "t_b"]
        with pytest.raises(_engine.InvalidError):
            conn.namespaces(["re:("])
        before = conn.catalog_queries
        conn.plan(desired.sql, desired.metadata_json)
        one_schema = conn.catalog_queries - before
        fleet = conn.plan_fleet(desired.sql, desired.metadata_json, ["t_a", "t_b", "missing"])
        assert fleet.catalog_queries == one_schema  # one pass for the whole fleet
        members = fleet.members
        assert [(m.name, m.state) for m in members] == [
            ("t_a", "in_sync"), ("t_b", "changed"), ("missing", "failed")]
        assert tuple(members[0])[:2] == ("t_a", "in_sync")  # a tuple too
        assert isinstance(members[2].error, _engine.InvalidError) and '"missing"' in str(members[2].error)
        assert members[2].plan is None and members[0].error is None and members[1].error is None
        plan = members[1].plan
        assert isinstance(plan, _engine.Plan) and plan.pending_count == 3
        assert "product_released_idx" in plan.script()
        with pytest.raises(_engine.InvalidError, match="Fleet.apply"):
            conn.apply(plan)
        del fleet, members  # the plan keeps its fleet alive
        assert plan.pending_count == 3 and {op["status"] for op in plan.ops} == {"pending"}

        fleet = conn.plan_fleet(desired.sql, desired.metadata_json, list(PG_MEMBERS))
        calls = []

        def progress(done, total, member, finished):
            calls.append((done, total, member, finished))

        assert fleet.apply([conn], progress=progress) == 0
        assert calls == [(0, 1, "t_b", False), (1, 1, "t_b", True)]
        assert [m.state for m in fleet.members] == ["in_sync", "changed", "in_sync"]
        assert {op["status"] for op in fleet.members[1].plan.ops} == {"applied"}
    assert _pg_describe(db, "t_b") == _pg_describe(db, "public")


def test_binding_fleet_progress_exception_stops_and_is_raised(pg_fleet):
    db = pg_fleet
    for name in PG_MEMBERS:
        _pg_drift(db, name)
    desired = _desired()
    with _pg_engine(db) as conn, _pg_engine(db) as second:
        fleet = conn.plan_fleet(desired.sql, desired.metadata_json, list(PG_MEMBERS))

        def progress(done, total, member, finished):
            raise KeyError(member)

        with pytest.raises(KeyError, match="t_a"):
            fleet.apply([conn, second], progress=progress)
        assert {m.state for m in fleet.members} == {"not_run"}
    assert all(_pg_describe(db, n) != _pg_describe(db, "public") for n in PG_MEMBERS)


def test_binding_fleet_apply_refuses_a_read_only_connection(pg_fleet):
    desired = _desired()
    sd = pg_fleet.settings_dict()
    params = {"name": pg_fleet.name, "host": sd["HOST"], "user": sd["USER"], "readonly": "1"}
    with _engine.Connection("postgresql", params) as conn:
        _pg_drift(pg_fleet, "t_a")
        fleet = conn.plan_fleet(desired.sql, desired.metadata_json, ["t_a"])
        with pytest.raises(_engine.InvalidError, match="read-only"):
            fleet.apply([conn])
        with pytest.raises(TypeError):
            fleet.apply(["not a connection"])


# --- reports -------------------------------------------------------------------------

def test_pg_fleet_report_groups_members_by_state(pg_fleet, tmp_path):
    import jsonschema  # scripts/deps.sh installs it: a missing one is an error, not a skip

    db = pg_fleet
    _pg_drift(db, "t_c")
    conf = dict(FLEET_SETTINGS, REPORT_OUTPUT_DIR=str(tmp_path))
    with override_settings(DJANGO_DBSYNC=conf):
        r = s.dbsync("--schemas", "t_*", "--auto-approve", "--report", "both")
    assert r.code == 0, r.text
    paths = sorted(tmp_path.iterdir())
    assert [p.suffix for p in paths] == [".html", ".json"], paths
    report = json.loads(paths[1].read_text())
    schema = json.loads((HERE.parents[1] / "docs" / "report.schema.json").read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(report))
    assert not errors, [e.message for e in errors]
    assert report["outcome"] == "applied" and report["mode"] == "apply"
    assert [(m["name"], m["state"]) for m in report["members"]] == [
        ("t_a", "in_sync"), ("t_b", "in_sync"), ("t_c", "changed")]
    assert report["fleet"]["changed"] == 1 and report["fleet"]["in_sync"] == 2
    assert {op["status"] for op in report["members"][2]["operations"]} == {"applied"}
    assert "t_c" in paths[0].read_text()


def _backup_run(tmp_path, *args):
    from django.conf import settings as django_settings

    backups = tmp_path / "backups"
    conf = dict(getattr(django_settings, "DJANGO_DBSYNC", None) or FLEET_SETTINGS, BACKUP_DIR=str(backups))
    with override_settings(DJANGO_DBSYNC=conf):
        r = s.dbsync(*args, "--auto-approve", "--backup")
    assert r.code == 0, r.text
    files = sorted(os.listdir(backups))
    for name in files:
        assert f"Backup written: {backups / name}" in r.out
    return [backups / name for name in files]


def test_pg_backup_as_the_engine_says_it_covers_the_members(pg_fleet, tmp_path):
    db = pg_fleet
    _pg_drift(db, "t_b")
    with _pg_engine(db) as conn:
        # auto may write the member alone (the engine's own dump); pg_dump (tool) every schema
        assert conn.backup_per_member("auto") is True and conn.backup_per_member("tool") is False
    files = _backup_run(tmp_path, "--schemas", "t_*")
    # one backup, of the one member about to change, taken before the change
    assert len(files) == 1 and files[0].name.startswith("default-t_b-") and files[0].suffix == ".sql", files
    text = files[0].read_text()
    # (pg_dump, which auto chose, writes every schema: the member's is as it was)
    assert "Name: catalog_product; Type: TABLE; Schema: t_b;" in text
    assert "Name: product_released_idx; Type: INDEX; Schema: t_b;" not in text

    db.execute('DROP INDEX t_b."product_released_idx"')
    conf = dict(FLEET_SETTINGS, BACKUP_METHOD="tool")
    with override_settings(DJANGO_DBSYNC=conf):
        files = _backup_run(tmp_path / "tool", "--schemas", "t_*")
    # pg_dump: one backup of the database, holding every schema
    assert len(files) == 1 and re.fullmatch(r"default-[0-9-]+\.sql", files[0].name), files
    text = files[0].read_text()
    assert "Name: product_released_idx; Type: INDEX; Schema: t_a;" in text
    assert "Name: product_released_idx; Type: INDEX; Schema: t_b;" not in text


def test_my_backup_of_each_member_database_about_to_change(my_fleet, tmp_path):
    prefix, dbs = my_fleet
    _my_drift(dbs[1])
    files = _backup_run(tmp_path, "--schemas", f"{prefix}_*")
    assert [f.name.startswith(f"default-{dbs[1].name}-") for f in files] == [True], files
    text = files[0].read_text()
    assert "product_name_cat_idx" not in text and "CREATE TABLE `catalog_product`" in text


def test_pg_progress_bar_over_the_fleet_on_a_terminal(pg_fleet):
    from test_output import _on_a_terminal

    db = pg_fleet
    for name in PG_MEMBERS:
        _pg_drift(db, name)
    settings = json.dumps({"BACKUP_BEFORE_SYNC": False})
    code, screen = _on_a_terminal(db, "--schemas", "t_*", "--jobs", "2", "--auto-approve", "--no-color",
                                  env={"DBSYNC_E2E_SETTINGS": settings})
    assert code == 0, screen
    bars = re.findall(r"\r\x1b\[2K\[([#-]+)\] (\d+)/(\d+) (t_[abc])", screen)
    assert bars, repr(screen[:2000])
    assert {t for _, _, t, _ in bars} == {"3"} and {m for _, _, _, m in bars} <= set(PG_MEMBERS)
    assert bars[-1][0] == "#" * len(bars[-1][0]) and bars[-1][1] == "3"  # it ends full
    assert "Fleet: 3 members: 3 changed." in screen


def test_pg_fills_computed_once_for_the_fleet(pg_fleet):
    """A NOT NULL column with a callable default (JSONField(default=dict)) added
    back to tables with rows: the plan waits for the value, which the apply
    computes in Python and the fleet is planned again with."""
    db = pg_fleet
    for name in ("t_a", "t_c"):
        db.execute(f'ALTER TABLE {name}."catalog_product" DROP COLUMN "attributes"')
    r = run("--dry-run", "--schemas", "t_*")
    assert r.code == 0, r.text
    assert r.out.count("add column `attributes` to `catalog_product` (catalog.Product.attributes, JSONField), "
                       "existing rows filled from the field's default") == 2, r.out
    r = run("--schemas", "t_*", "--auto-approve")
    assert r.code == 0, r.text
    public = _pg_describe(db, "public")
    for name in PG_MEMBERS:
        assert _pg_describe(db, name) == public, name
    n = db.query('SELECT count(*) FROM public."catalog_product"')[0][0]
    assert n > 0
    for name in ("t_a", "t_c"):
        assert db.query(f'SELECT attributes::text, count(*) FROM {name}."catalog_product" GROUP BY 1') == [("{}", n)]


def test_pg_member_name_with_a_control_character_is_shown_safely(pg_fleet):
    db = pg_fleet
    db.execute('CREATE SCHEMA "t_\x1b[31mred"')
    r = run("--check", "--schemas", "t_*")
    assert r.code == 1, r.text  # an empty schema differs: every table is missing
    assert "\x1b" not in r.out + r.err
    assert "schema t_?[31mred: changed" in r.out.lower()
