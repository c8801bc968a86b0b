"""What only PostgreSQL has: a password, connection OPTIONS, the synced schema
chosen by search_path, the catalog query count, and an advisory lock that
keeps two concurrent runs from interleaving. Everything runs against the
session's throwaway server (conftest.pg_server), through the command."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import e2e_support as s
from conftest import use_database
from e2e_pg import PW_ROLE

HERE = Path(__file__).resolve().parent


def _owned_by_password_role(db):
    """Hand the database and its tables to the password role, so that role
    can change them (it is not a superuser)."""
    db.execute('ALTER DATABASE %s OWNER TO %s' % (s.q(db.name), PW_ROLE),
               "DO $$ DECLARE r record; BEGIN FOR r IN SELECT c.oid::regclass AS t FROM pg_class c "
               "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') LOOP "
               "EXECUTE format('ALTER TABLE %s OWNER TO " + PW_ROLE + "', r.t); END LOOP; END $$")


def _drift(db):
    db.execute('DROP TABLE "catalog_productdetail"', 'DROP INDEX "product_released_idx"',
               'ALTER TABLE "catalog_product" ALTER COLUMN "position" SET DEFAULT 7',
               'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" text NULL',
               "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'x' || \"id\"")


def _manage(settings_dict, *args, timeout=120, dbsync_settings=None):
    return subprocess.Popen(
        [sys.executable, "manage.py", "dbsync", "--no-color", *args], cwd=HERE,
        env=_env(settings_dict, dbsync_settings), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def _env(settings_dict, dbsync_settings=None):
    env = dict(os.environ, DBSYNC_E2E_PG=json.dumps({k: v for k, v in settings_dict.items() if k != "ENGINE"}))
    if dbsync_settings is not None:
        env["DBSYNC_E2E_SETTINGS"] = json.dumps(dbsync_settings)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


# A run parked behind the test's table lock waits for as long as the test
# holds it (0: the server's own lock_timeout, none), not LOCK_TIMEOUT_MS's
# 5 s: on a loaded machine starting run B took longer than that, A gave up
# and the test saw no lock held.
PARKED = {"LOCK_TIMEOUT_MS": 0}


def _finish(proc, timeout=120):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("manage.py dbsync did not finish:\n" + out + err)
    return proc.returncode, out, err


@pytest.fixture
def pw_db(pg_filled):
    """The filled database owned by the password role, and Django's 'default'
    logging in as that role with its password."""
    _owned_by_password_role(pg_filled)
    settings_dict = pg_filled.settings_dict(user=PW_ROLE, password=pg_filled.server.password)
    previous = use_database("default", settings_dict)
    yield pg_filled, settings_dict
    use_database("default", previous)


def test_password_never_appears_in_any_output(pw_db):
    db, settings_dict = pw_db
    password = db.server.password
    _drift(db)
    runs = s.runs_a_password_could_leak_from(apply_verbosity=2)
    s.assert_not_shown(password, runs)
    header = runs[1].out.splitlines()[0]
    assert "database 'default' (postgresql://%s@/%s?host=" % (PW_ROLE, db.name) in header, header
    assert runs[3].code == 0, runs[3].text  # the role can sync: the run above really worked
    assert runs[4].code == 1, runs[4].text  # only the skipped extra column is left

    from django_dbsync import _engine

    conn = _engine.Connection("postgresql", {"name": db.name, "host": db.server.host, "user": PW_ROLE,
                                             "password": password})
    try:
        assert password not in conn.describe and PW_ROLE in conn.describe
    finally:
        conn.close()

    # manage.py, as a deploy script runs it: stdout and stderr both.
    code, out, err = _finish(_manage(settings_dict, "--dry-run", "-v", "3"))
    assert code == 0, out + err
    assert password not in out + err and "CREATE" in out


def test_wrong_credentials_are_a_clear_error_without_the_password(pg_migrated):
    db = pg_migrated
    wrong = "not-the-" + db.server.password
    settings_dict = db.settings_dict(user=PW_ROLE, password=wrong)
    previous = use_database("default", settings_dict)
    try:
        for args in (("--check",), ("--dry-run",), ("--auto-approve",)):
            run = s.dbsync(*args)
            assert run.code == 2 and run.error is not None, run.text
            message = str(run.error)
            assert "cannot open database 'default'" in message, message
            assert "password authentication failed" in message and PW_ROLE in message, message
            assert wrong not in run.text and db.server.password not in run.text, run.text
    finally:
        use_database("default", previous)
    code, out, err = _finish(_manage(settings_dict, "--check"))
    assert code == 1 and "CommandError: cannot open database 'default'" in err, out + err
    assert "Traceback" not in err and wrong not in out + err, err


def test_verbosity_2_shows_the_catalog_query_count_which_does_not_grow(pg_migrated):
    db = pg_migrated
    quiet = s.dbsync("--check", verbosity=2)
    counts = [line for line in quiet.out.splitlines() if line.startswith("catalog queries: ")]
    assert len(counts) == 1, quiet.text
    n_small = int(counts[0].split(": ")[1])
    assert 0 < n_small <= 10, n_small
    assert s.dbsync("--check", verbosity=1).out.count("catalog queries") == 0

    db.execute("BEGIN", *('CREATE TABLE "bulk_%03d" ("id" bigint PRIMARY KEY, "v" text CHECK ("v" <> \'\'), '
                          '"ref" bigint REFERENCES "bulk_000" ("id"))' % i for i in range(200)), "COMMIT")
    big = s.dbsync("--check", verbosity=2)
    assert "catalog queries: %d" % n_small in big.out, big.text


def test_search_path_option_chooses_the_synced_schema(pg_db):
    """OPTIONS {'options': '-c search_path=app'}: the synced schema is the
    first of search_path, for dbsync as for Django's ORM."""
    db = pg_db
    db.execute("CREATE SCHEMA app")
    previous = use_database("default", db.settings_dict(options={"options": "-c search_path=app"}))
    try:
        run = s.dbsync("--auto-approve")
        assert run.code == 0, run.text
        in_app = {r[0] for r in db.query("SELECT relname FROM pg_class WHERE relnamespace = 'app'::regnamespace "
                                         "AND relkind = 'r'")}
        assert in_app == s.model_tables(*s.PROJECT_APPS), in_app
        assert db.user_tables() == []  # nothing in public
        assert s.dbsync("--check").code == 0
        from fill import fill_rows

        fill_rows()  # the ORM, with the same OPTIONS, works on what dbsync built
        s.close_connections()
        assert db.query('SELECT count(*) FROM app."catalog_product"') == [(4,)]
    finally:
        use_database("default", previous)


def test_passfile_option_is_passed_to_the_engine(pg_db, tmp_path):
    """No PASSWORD, OPTIONS {'passfile': ...}: the engine finds the password
    where libpq would, as Django's own connection does."""
    db = pg_db
    db.execute("ALTER DATABASE %s OWNER TO %s" % (s.q(db.name), PW_ROLE))
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:%s:%s\n" % (PW_ROLE, db.server.password))
    passfile.chmod(0o600)
    previous = use_database("default", db.settings_dict(user=PW_ROLE, options={"passfile": str(passfile),
                                                                               "sslmode": "disable"}))
    try:
        run = s.dbsync("--auto-approve")
        assert run.code == 0, run.text
        assert "postgresql://%s@/" % PW_ROLE in run.out.splitlines()[0], run.out
        assert set(db.user_tables()) == s.model_tables(*s.PROJECT_APPS)
        check = s.dbsync("--check")
        assert check.code == 0, check.text
        assert db.server.password not in run.text + check.text
    finally:
        use_database("default", previous)


def _wait_for(db, query, what, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.query(query)[0][0]:
            return
        if proc.poll() is not None:
            pytest.fail("the first run ended before %s:\n%s%s" % (what, *proc.communicate()))
        time.sleep(0.05)
    proc.kill()
    pytest.fail("timed out waiting for %s:\n%s%s" % (what, *proc.communicate()))


def _lock_key(dry_run_script):
    """The advisory lock key, as the dry-run script shows it being taken."""
    found = re.search(r"pg_advisory_xact_lock\((-?\d+)\)", dry_run_script)
    assert found, dry_run_script
    return int(found.group(1))


def test_a_run_while_another_holds_the_lock_fails_cleanly(pg_filled):
    """While the dbsync lock is held (here by a session of this test, as a
    run in progress would hold it), a run fails at once with a clear message
    and changes nothing; when the lock is free the same run converges."""
    db = pg_filled
    _drift(db)
    frozen = s.schema_rows(db), s.snapshot_rows(db)
    key = _lock_key(s.dbsync("--dry-run", verbosity=0).out)
    holder = db.connect()
    try:
        assert holder.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        # the holder keeps the lock throughout: a run that returns at all,
        # with this error, did not wait for it (no clock needed to say so)
        run = s.dbsync("--auto-approve")
        assert run.code == 2 and run.error is not None, run.text
        assert "another dbsync run holds the lock" in str(run.error), run.error
        assert "nothing was changed" in str(run.error), run.error
        assert (s.schema_rows(db), s.snapshot_rows(db)) == frozen
    finally:
        holder.close()
    assert s.dbsync("--auto-approve").code == 0
    assert "legacy_code" in s.dbsync("--check").out  # only the kept extra column is left


def test_two_concurrent_runs_do_not_interleave(pg_filled, pg_template):
    """Two `manage.py dbsync --auto-approve` at once. Run A takes the lock and
    is held inside its transaction (this test keeps a table lock its DDL
    needs); run B starts meanwhile. B must not apply anything A has not: it
    fails with the lock message, or waits and then finds its plan done or
    rolls back whole. When A is let go it commits, and the database converges
    with every row kept."""
    db = pg_filled
    before = s.snapshot_rows(db)
    _drift(db)
    drifted = s.snapshot_rows(db)
    settings_dict = db.settings_dict()
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND wait_event_type = 'Lock'")

    blocker = db.connect(autocommit=False)
    run_b = None
    try:
        # EXCLUSIVE lets the catalog reads and SELECTs of planning through and
        # stops CREATE INDEX / ALTER TABLE on the table until released.
        blocker.execute('LOCK TABLE "catalog_product" IN EXCLUSIVE MODE')
        run_a = _manage(settings_dict, "--auto-approve", dbsync_settings=PARKED)
        _wait_for(db, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                      "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()",
                  "run A to hold the advisory lock", run_a)
        _wait_for(db, waiting, "run A to wait for the table", run_a)

        run_b = _manage(settings_dict, "--auto-approve", dbsync_settings=PARKED)
        # B either ends (the lock message) or waits behind A's locks. Only
        # pg_stat_activity is read meanwhile: a catalog read of the locked
        # table would queue behind A like B does.
        deadline = time.monotonic() + 60
        while run_b.poll() is None and db.query(waiting)[0][0] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert time.monotonic() < deadline, "run B neither ended nor waited"
        # A holds the lock inside its open transaction; B has not committed anything.
        assert db.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")[0][0] == 1
    finally:
        blocker.rollback()
        blocker.close()
    code_a, out_a, err_a = _finish(run_a)
    code_b, out_b, err_b = _finish(run_b)
    assert code_a == 0, out_a + err_a
    assert "Done:" in out_a, out_a
    print("run B: exit %d; %s" % (code_b, (err_b or out_b).strip().splitlines()[-2:]))
    if code_b != 0:
        # a clear message either way: the lock was held, or B's plan was made
        # before A changed the schema and was refused under the lock
        assert ("another dbsync run holds the lock" in err_b
                or "changed after this plan was computed" in err_b), out_b + err_b
        assert "nothing was changed" in err_b or "holds the lock" in err_b, out_b + err_b

    after = s.snapshot_rows(db)
    assert s.assert_rows_survived(before, after, drifted) > 25
    s.assert_same_schema(pg_template, db, s.model_tables(*s.PROJECT_APPS) - {"catalog_tag"})
    check = s.dbsync("--check")
    assert check.code == 1 and "legacy_code" in check.out, check.text  # only the kept extra column
