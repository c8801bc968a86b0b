"""What MariaDB does its own way, proven through the command against the
session's throwaway server (conftest.my_server): a password that never shows,
the connection OPTIONS Django users write (unix_socket, charset,
read_default_file, ssl), the GET_LOCK that keeps two runs from interleaving,
and a plan that fails in the middle: MySQL commits each DDL statement as it
runs, so the command must say exactly what was applied and what was not, lose
no row, and converge on the next run."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import e2e_support as s
from conftest import use_database
from e2e_my import qi

HERE = Path(__file__).resolve().parent
# Created by scripts/mariadb-server.sh for exactly this.
PW_USER, PASSWORD = "dbsync_pw", "dbsync-secret-pw"
LOCK = "CONCAT('django-dbsync:', LEFT(DATABASE(), 50))"
# No backups: a dump would read catalog_product, queued behind A's ALTER
# like any reader; and A waits for the blocker as long as the test needs.
PARKED = {"BACKUP_BEFORE_SYNC": False, "LOCK_TIMEOUT_MS": 120000}


def _drift(db):
    db.execute("DROP TABLE `catalog_productdetail`", "DROP INDEX `product_released_idx` ON `catalog_product`",
               "ALTER TABLE `catalog_product` ALTER COLUMN `position` SET DEFAULT 7",
               "ALTER TABLE `catalog_tag` ADD COLUMN `legacy_code` longtext NULL",
               "UPDATE `catalog_tag` SET `legacy_code` = CONCAT('x', `id`)")


def _grant(db, shadow=True):
    """The password user may change the test's database and, with `shadow`,
    the scratch databases in which the server reads the desired schema."""
    db.execute("GRANT ALL ON %s.* TO '%s'@'localhost'" % (qi(db.name), PW_USER), db=None)
    if shadow:
        db.execute("GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%%`.* TO '%s'@'localhost'"
                   % PW_USER, db=None)


def _settings(db, **changes):
    options = changes.pop("OPTIONS", None)
    d = dict(db.settings_dict(options), **changes)
    if options is not None and "unix_socket" not in options:
        d["OPTIONS"].pop("unix_socket", None)
    return d


def _env(settings_dict, dbsync_settings=None):
    env = dict(os.environ, DBSYNC_E2E_MY=json.dumps({k: v for k, v in settings_dict.items() if k != "ENGINE"}))
    if dbsync_settings is not None:
        env["DBSYNC_E2E_SETTINGS"] = json.dumps(dbsync_settings)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _manage(settings_dict, *args, dbsync_settings=None):
    return subprocess.Popen([sys.executable, "manage.py", "dbsync", "--no-color", *args], cwd=HERE,
                            env=_env(settings_dict, dbsync_settings), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=120):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("manage.py dbsync did not finish:\n" + out + err)
    return proc.returncode, out, err


@pytest.fixture
def as_settings():
    """Point Django's 'default' at a settings dict for the test; restored after."""
    saved = []

    def point(settings_dict):
        saved.append(use_database("default", settings_dict))
    yield point
    if saved:
        use_database("default", saved[0])


# --- the password -------------------------------------------------------------------

def test_password_never_appears_in_any_output(my_filled, as_settings):
    db = my_filled
    _grant(db, shadow=False)
    _drift(db)
    settings_dict = _settings(db, USER=PW_USER, PASSWORD=PASSWORD)
    as_settings(settings_dict)
    # Without the scratch databases' grant: an error that says which grant.
    denied = s.dbsync("--check")
    assert denied.code == 2 and "error 1044" in str(denied.error), denied.text
    assert "GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%`.*" in str(denied.error), denied.text
    assert PASSWORD not in denied.text
    _grant(db)
    runs = s.runs_a_password_could_leak_from(apply_verbosity=3)
    s.assert_not_shown(PASSWORD, runs)
    header = runs[1].out.splitlines()[0]
    assert "database 'default' (mysql://%s@localhost/%s?unix_socket=" % (PW_USER, db.name) in header, header
    assert "GET_LOCK" in runs[2].out and "CREATE TABLE `catalog_productdetail`" in runs[2].out, runs[2].out
    assert runs[3].code == 0, runs[3].text  # the user can sync: the run above really worked
    assert runs[4].code == 1 and "legacy_code" in runs[4].out, runs[4].text  # only the kept extra column

    from django_dbsync import _engine

    conn = _engine.Connection("mysql", {"name": db.name, "user": PW_USER, "password": PASSWORD,
                                        "unix_socket": db.server.socket})
    try:
        assert PASSWORD not in conn.describe and PW_USER in conn.describe
    finally:
        conn.close()

    # manage.py, as a deploy script runs it: stdout and stderr both.
    _drift_again(db)
    code, out, err = _finish(_manage(settings_dict, "--dry-run", "-v", "3"))
    assert code == 0, out + err
    assert PASSWORD not in out + err and "CREATE INDEX `product_released_idx`" in out, out + err


def _drift_again(db):
    db.execute("DROP INDEX `product_released_idx` ON `catalog_product`")


def test_wrong_password_is_a_clear_error_without_it(my_migrated, as_settings):
    db = my_migrated
    _grant(db)
    wrong = "not-the-" + PASSWORD
    settings_dict = _settings(db, USER=PW_USER, PASSWORD=wrong)
    as_settings(settings_dict)
    for args in (("--check",), ("--dry-run",), ("--auto-approve",)):
        run = s.dbsync(*args)
        assert run.code == 2 and run.error is not None, run.text
        message = str(run.error)
        assert "cannot open database 'default'" in message, message
        assert "error 1045" in message and "Access denied" in message and PW_USER in message, message
        assert wrong not in run.text and PASSWORD not in run.text, run.text
    code, out, err = _finish(_manage(settings_dict, "--check"))
    assert code == 1 and "CommandError: cannot open database 'default'" in err, out + err
    assert "Traceback" not in err and wrong not in out + err, err


# --- connection OPTIONS ----------------------------------------------------------------

def test_read_default_file_holds_user_and_password(my_filled, as_settings, tmp_path):
    """No USER, no PASSWORD: OPTIONS {'read_default_file': ...} names both,
    for the engine as for Django's own connection; neither output nor errors
    show the password."""
    db = my_filled
    _grant(db)
    _drift(db)
    cnf = tmp_path / "client.cnf"
    cnf.write_text("[client]\nuser = %s\npassword = %s\n" % (PW_USER, PASSWORD))
    cnf.chmod(0o600)
    as_settings(_settings(db, USER="", PASSWORD="", OPTIONS={"unix_socket": db.server.socket,
                                                              "read_default_file": str(cnf)}))
    run = s.dbsync("--auto-approve", verbosity=2)
    assert run.code == 0, run.text
    assert PASSWORD not in run.text
    assert "product_released_idx" in db.index_names("catalog_product")
    # the engine really logged in as the file's user: the server saw it connect
    assert db.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s", (db.name,))[0][0] > 0
    check = s.dbsync("--check")
    assert check.code == 1 and "legacy_code" in check.out, check.text

    # The same file with a wrong password: refused by the server, which names
    # the user from the file; the password shows nowhere.
    cnf.write_text("[client]\nuser = %s\npassword = wrong-%s\n" % (PW_USER, PASSWORD))
    run = s.dbsync("--check")
    assert run.code == 2 and "error 1045" in str(run.error) and PW_USER in str(run.error), run.text
    assert PASSWORD not in run.text


def test_unix_socket_as_host_or_option_and_charset(my_filled, as_settings):
    """Django's two ways of naming the socket (HOST starting with '/', or
    OPTIONS unix_socket) both reach it; charset utf8mb4 is taken, another
    charset is refused by name before connecting (the catalog is read as UTF-8)."""
    db = my_filled
    _drift_again(db)
    as_settings(_settings(db, HOST=db.server.socket, OPTIONS={"charset": "utf8mb4"}))
    run = s.dbsync("--check")
    assert run.code == 1 and "product_released_idx" in run.out, run.text
    assert "unix_socket=%s" % db.server.socket in run.out.splitlines()[0], run.out

    as_settings(_settings(db, OPTIONS={"unix_socket": db.server.socket, "charset": "utf8mb4"}))
    assert s.dbsync("--auto-approve").code == 0
    assert s.dbsync("--check").code == 0

    as_settings(_settings(db, OPTIONS={"unix_socket": db.server.socket, "charset": "latin1"}))
    run = s.dbsync("--check")
    assert run.code == 2 and "'charset' must be utf8mb4" in str(run.error) and "latin1" in str(run.error), run.text


def test_ssl_options_are_passed_through_or_refused_clearly(my_filled, as_settings, tmp_path):
    """mysqlclient's OPTIONS {'ssl': {...}} dict and ssl_mode reach the engine
    (flattened to ssl_ca, ...; over this unix socket no TLS is negotiated, so
    the run works); a value the engine cannot read is refused naming the
    option, before anything connects."""
    db = my_filled
    ca = tmp_path / "ca.pem"
    ca.write_text("not used over a unix socket\n")
    as_settings(_settings(db, OPTIONS={"unix_socket": db.server.socket, "ssl": {"ca": str(ca)},
                                       "ssl_mode": "DISABLED"}))
    run = s.dbsync("--check")
    assert run.code == 0, run.text

    from django_dbsync.engine import connection_params

    vendor, params = connection_params("default")
    assert vendor == "mysql" and params["ssl_ca"] == str(ca) and params["ssl"] == "false", params

    as_settings(_settings(db, OPTIONS={"unix_socket": db.server.socket, "ssl": "sometimes"}))
    run = s.dbsync("--check")
    assert run.code == 2 and "option 'ssl'" in str(run.error) and "sometimes" in str(run.error), run.text


def test_verbosity_2_shows_the_catalog_query_count_which_does_not_grow(my_migrated):
    db = my_migrated
    quiet = s.dbsync("--check", verbosity=2)
    counts = [line for line in quiet.out.splitlines() if line.startswith("catalog queries: ")]
    assert len(counts) == 1, quiet.text
    n_small = int(counts[0].split(": ")[1])
    # in sync, every table compares equal with the parser's canonical forms (the
    # foreign key indexes InnoDB adds included): the catalog read alone, no
    # shadow database
    assert n_small == 5, quiet.text
    db.execute(*("CREATE TABLE `bulk_%03d` (`id` bigint PRIMARY KEY, `v` varchar(20) CHECK (`v` <> ''), "
                 "`ref` bigint, FOREIGN KEY (`ref`) REFERENCES `bulk_000` (`id`), INDEX (`v`))" % i
                 for i in range(200)))
    big = s.dbsync("--check", verbosity=2)
    assert "catalog queries: %d" % n_small in big.out, big.text


# --- the lock --------------------------------------------------------------------------

def test_a_run_while_another_holds_the_lock_fails_cleanly(my_filled):
    """While the dbsync lock is held (here by a session of this test, as a
    run in progress holds it), a run fails at once with a clear message and
    changes nothing; when the lock is free the same run converges."""
    db = my_filled
    _drift(db)
    frozen = s.schema_rows(db), s.snapshot_rows(db)
    script = s.dbsync("--dry-run", verbosity=0).out
    assert "GET_LOCK(%s, 0)" % LOCK in script, script
    holder = db.server.connect(db.name)
    try:
        cur = holder.cursor()
        cur.execute("SELECT GET_LOCK(%s, 0)" % LOCK)
        assert cur.fetchone()[0] == 1
        # the holder keeps the lock throughout: a run that returns at all,
        # with this error, did not wait for it (no clock needed to say so)
        run = s.dbsync("--auto-approve")
        assert run.code == 2 and run.error is not None, run.text
        message = str(run.error)
        assert "another dbsync run is applying changes" in message and "django-dbsync:" in message, message
        assert "No operation had been applied" in message, message
        assert (s.schema_rows(db), s.snapshot_rows(db)) == frozen
    finally:
        holder.close()
    assert s.dbsync("--auto-approve").code == 0
    assert "legacy_code" in s.dbsync("--check").out  # only the kept extra column is left


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


def test_two_concurrent_runs_do_not_interleave(my_filled, my_template):
    """Two `manage.py dbsync --auto-approve` at once. Run A takes the lock and
    is held in the middle of its plan (this test's open transaction keeps the
    metadata lock that A's ALTER of catalog_product needs); run B starts
    meanwhile. B must not apply anything while A holds the lock: it fails with
    the lock message, or waits behind A's table lock (planning reads the
    tables A is changing) and then finds its plan out of date or done. When A
    is let go it finishes, and the database converges with every row kept."""
    db = my_filled
    before = s.snapshot_rows(db)
    _drift(db)
    drifted = s.snapshot_rows(db)
    settings_dict = db.settings_dict()
    waiting = ("SELECT COUNT(*) FROM information_schema.processlist WHERE db = '%s' "
               "AND state = 'Waiting for table metadata lock'" % db.name)

    blocker = db.server.connect(db.name)
    run_a = run_b = None
    try:
        blocker.autocommit(False)
        blocker.cursor().execute("SELECT COUNT(*) FROM `catalog_product`")  # holds a shared metadata lock
        run_a = _manage(settings_dict, "--auto-approve", dbsync_settings=PARKED)
        _wait_for(db, "SELECT IS_USED_LOCK(%s) IS NOT NULL" % LOCK, "run A to hold the lock", run_a)
        _wait_for(db, waiting, "run A to wait for catalog_product", run_a)
        holder = db.query("SELECT IS_USED_LOCK(%s)" % LOCK)[0][0]
        # A is parked before its ALTER of catalog_product: that table is as drifted
        assert db.query("SELECT column_default FROM information_schema.columns WHERE table_schema = %s AND "
                        "table_name = 'catalog_product' AND column_name = 'position'", (db.name,)) == [("7",)]

        run_b = _manage(settings_dict, "--auto-approve", dbsync_settings=PARKED)
        deadline = time.monotonic() + 60
        while run_b.poll() is None and db.query(waiting)[0][0] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert time.monotonic() < deadline, "run B neither ended nor waited"
        assert run_a.poll() is None, "run A finished while its ALTER was blocked"
        # still A's lock, and A's only: B holds nothing and has applied nothing
        assert db.query("SELECT IS_USED_LOCK(%s)" % LOCK)[0][0] == holder
        assert db.query("SELECT column_default FROM information_schema.columns WHERE table_schema = %s AND "
                        "table_name = 'catalog_product' AND column_name = 'position'", (db.name,)) == [("7",)]
    finally:
        blocker.rollback()
        blocker.close()
    code_a, out_a, err_a = _finish(run_a)
    code_b, out_b, err_b = _finish(run_b)
    assert code_a == 0, out_a + err_a
    print("run B: exit %d; %s" % (code_b, (err_b or out_b).strip().splitlines()[-2:]))
    if code_b != 0:
        # a clear message either way: the lock was held, or B's plan was made
        # while A changed the schema and was refused under the lock
        assert ("another dbsync run is applying changes" in err_b
                or "changed after this plan was computed" in err_b), out_b + err_b
        assert "No operation had been applied" in err_b and "✔" not in out_b, out_b + err_b

    after = s.snapshot_rows(db)
    assert s.assert_rows_survived(before, after, drifted) > 25
    s.assert_same_schema(my_template, db, s.model_tables(*s.PROJECT_APPS, alias="default") - {"catalog_tag"})
    check = s.dbsync("--check")
    assert check.code == 1 and "legacy_code" in check.out, check.text  # only the kept extra column


# --- a statement failing in the middle of the plan ----------------------------------------

def test_failure_in_the_middle_is_reported_exactly_and_a_rerun_converges(my_filled, my_template):
    """MySQL commits each DDL statement: when one fails in the middle of the
    plan, the steps before it stay applied. The failure is real and not
    foreseen by the planner: an extra column a person added leaves no room in
    catalog_supplier's row (error 1118, Row size too large) for the column
    dbsync adds back. The command names every applied step, the failing one
    with its error number, and every step not run; no row is lost; a re-run
    plans only what is left, and once the person drops the extra column,
    converges."""
    db = my_filled
    before = s.snapshot_rows(db)
    # 65,535 bytes per row, not counting BLOBs; utf8mb4 takes 4 per character
    db.execute("DROP TABLE `catalog_productdetail`", "DROP INDEX `product_released_idx` ON `catalog_product`",
               "ALTER TABLE `catalog_product` ALTER COLUMN `position` SET DEFAULT 7",
               "ALTER TABLE `catalog_supplier` DROP COLUMN `website`",
               "ALTER TABLE `catalog_supplier` ADD COLUMN `e2e_wide` varchar(15900) NULL")
    drifted = s.snapshot_rows(db)

    script = s.dbsync("--dry-run", verbosity=0).out
    # tables change in the models' order (Supplier before Product): the failing
    # step is in the middle, with a step applied before it and three after
    order = [script.index(x) for x in ("CREATE TABLE `catalog_productdetail`", "ADD COLUMN `website`",
                                       "MODIFY COLUMN `position`", "CREATE INDEX `product_released_idx`")]
    assert order == sorted(order), script

    run = s.dbsync("--auto-approve")
    assert run.code == 2 and run.error is not None, run.text
    message = str(run.error)
    assert "error 1118" in message and "Row size too large" in message, message
    assert "ADD COLUMN `website`" in message and "catalog_supplier" in message, message
    applied, failed, not_run = _report(message)
    assert applied == ["create table `catalog_productdetail`"], message
    assert failed == ["add column `website` to `catalog_supplier` (error 1118)"], message
    assert not_run == ["modify column `position` of `catalog_product`",
                       "add index `product_released_idx` to `catalog_product`",
                       "add foreign key `catalog_productdetail_product_id_01e47087_fk_catalog_product_id` "
                       "to `catalog_productdetail`"], message
    # what the report says is what the database holds
    assert "catalog_productdetail" in db.user_tables()
    assert db.query("SELECT column_default FROM information_schema.columns WHERE table_schema = %s AND "
                    "table_name = 'catalog_product' AND column_name = 'position'", (db.name,)) == [("7",)]
    assert "website" not in db.column_names("catalog_supplier")
    assert "product_released_idx" not in db.index_names("catalog_product")
    assert s.assert_rows_survived(before, s.snapshot_rows(db), drifted) > 25

    # Again without a fix: it plans from the live state, so only what is left.
    again = s.dbsync("--dry-run")
    assert "create table" not in again.out, again.out
    assert "add column `website`" in again.out and "product_released_idx" in again.out, again.out
    assert "modify column `position`" in again.out, again.out

    db.execute("ALTER TABLE `catalog_supplier` DROP COLUMN `e2e_wide`")
    rerun = s.dbsync("--auto-approve")
    assert rerun.code == 0, rerun.text
    after = s.snapshot_rows(db)
    assert s.assert_rows_survived(before, after, drifted) > 25
    project = s.model_tables(*s.PROJECT_APPS, alias="default")
    s.assert_same_schema(my_template, db, project)
    assert db.orphan_rows() == []
    assert s.dbsync("--check").code == 0


def _report(message):
    """(applied, failed, not run) summaries from the failure note, without the
    model labels in parentheses."""
    def bare(line):
        line = line.strip().lstrip("✔·").strip()
        cut = line.find(" (catalog.")
        if cut >= 0:
            end = line.find(")", cut)
            line = line[:cut] + line[end + 1:]
        return line
    applied, failed, not_run, section = [], [], [], None
    for line in message.splitlines():
        if line.startswith("Applied before the failure"):
            section = applied
        elif line.startswith("Failed: "):
            failed.append(bare(line[len("Failed: "):]))
            section = None
        elif line.startswith("Not run"):
            section = not_run
        elif line.startswith("  ") and section is not None:
            section.append(bare(line))
        else:
            section = None
    return applied, failed, not_run
