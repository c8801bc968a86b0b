"""The CLI over a fleet: `dbsync plan|apply --schema PATTERN` (repeatable,
glob, re:) and --all-schemas sync one desired schema into many PostgreSQL
schemas of a database, or many MariaDB databases of a server. Against the
throwaway servers of conftest.py; every member holds rows.
"""
import json
import os
import re
import threading

import pytest

from test_cli import run  # the CLI under test (DBSYNC_CLI)

TENANTS = ["tenant_%d" % i for i in range(1, 6)]
PG_PASSWORD = "fleet-" + os.urandom(9).hex()  # conftest.py gives it to the role dbsync_pw

PG_DESIRED = """
CREATE TABLE "author" (
    "id" bigint NOT NULL PRIMARY KEY,
    "name" varchar(100) NOT NULL,
    "email" varchar(254) NULL
);
CREATE TABLE "book" (
    "id" bigint NOT NULL PRIMARY KEY,
    "title" varchar(200) NOT NULL,
    "author_id" bigint NOT NULL REFERENCES "author" ("id")
);
CREATE INDEX "book_title_idx" ON "book" ("title");
"""

# the drift of two members: a missing column, and a missing table and index
PG_DRIFT = {
    "tenant_2": 'ALTER TABLE "author" DROP COLUMN "email"',
    "tenant_4": 'DROP TABLE "book"',
}
ROWS = 'INSERT INTO "author" ("id", "name") VALUES (1, \'Ursula\'), (2, \'Italo\')'

_dbs = iter(range(1, 1000))


def groups(out):
    """{state title: [member, ...]} from a fleet's grouped listing."""
    found, title = {}, None
    for line in out.splitlines():
        m = re.match(r"^(In sync|Changed|Refused|Failed|Not run) \((\d+)\):$", line)
        if m:
            title = m.group(1).strip()
            found[title] = []
        elif title and line.startswith("  "):
            found[title].append(line.strip().split(":")[0])
        else:
            title = None
    return found


# --- PostgreSQL: schemas of one database ---------------------------------------

def pg(server, db, sql, schema=None):
    import psycopg

    with psycopg.connect(host=server, user="dbsync", dbname=db, autocommit=True) as con:
        if schema:
            con.execute('SET search_path TO "%s"' % schema)
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else None


def pg_catalog(server, db):
    """Every relation, column, index and constraint of every user schema, and the schemas."""
    return (pg(server, db, "SELECT nspname FROM pg_namespace ORDER BY 1"),
            pg(server, db, "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
                           "AND n.nspname <> 'information_schema' ORDER BY 1, 2"),
            pg(server, db, "SELECT table_schema, table_name, column_name, data_type, is_nullable "
                           "FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', "
                           "'information_schema') ORDER BY 1, 2, 3"),
            pg(server, db, "SELECT schemaname, indexname, indexdef FROM pg_indexes "
                           "WHERE schemaname NOT LIKE 'pg\\_%' ORDER BY 1, 2"),
            pg(server, db, "SELECT connamespace::regnamespace::text, conname, pg_get_constraintdef(oid) "
                           "FROM pg_constraint WHERE connamespace::regnamespace::text NOT LIKE 'pg\\_%' "
                           "ORDER BY 1, 2"))


@pytest.fixture
def pg_fleet(pg_server, tmp_path):
    """A database with tenant_1..5 (all with rows; tenant_2 and tenant_4
    drifted) and a schema "other" no tenant pattern selects; (url, db, desired)."""
    db = "fleet_%d" % next(_dbs)
    pg(pg_server, "postgres", 'CREATE DATABASE "%s"' % db)
    for schema in TENANTS + ["other"]:
        pg(pg_server, db, 'CREATE SCHEMA "%s"' % schema)
        pg(pg_server, db, PG_DESIRED, schema)
        pg(pg_server, db, ROWS, schema)
        if schema in PG_DRIFT:
            pg(pg_server, db, PG_DRIFT[schema], schema)
    desired = tmp_path / "schema.sql"
    desired.write_text(PG_DESIRED)
    return "postgresql://dbsync@/%s?host=%s" % (db, pg_server), db, str(desired)


def test_pg_patterns_select_the_right_members(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    glob = run("plan", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert glob.returncode == 3, glob.stdout + glob.stderr
    g = groups(glob.stdout)
    assert sorted(g["In sync"] + g["Changed"]) == TENANTS, glob.stdout
    regex = run("plan", "--schema", "re:tenant_[13]", "--desired", desired, "--db", url)
    assert regex.returncode == 0, regex.stdout + regex.stderr
    assert groups(regex.stdout) == {"In sync": ["tenant_1", "tenant_3"]}, regex.stdout
    assert "2 schemas: 2 in sync." in regex.stdout
    names = run("plan", "--schema", "tenant_1", "--schema", "other", "--desired", desired, "--db", url)
    assert names.returncode == 0 and groups(names.stdout) == {"In sync": ["other", "tenant_1"]}, names.stdout
    every = run("plan", "--all-schemas", "--desired", desired, "--db", url)
    g = groups(every.stdout)
    assert sorted(g["In sync"] + g["Changed"]) == sorted(TENANTS + ["other", "public"]), every.stdout
    assert "public" in g["Changed"]  # empty: both tables missing
    # a pattern that matches nothing is a usage error naming it; an invalid regex too
    none = run("plan", "--schema", "tenant_*", "--schema", "nobody_*", "--desired", desired, "--db", url)
    assert none.returncode == 2 and "'nobody_*' matches no schema" in none.stderr, none.stderr
    bad = run("plan", "--schema", "re:(tenant", "--desired", desired, "--db", url)
    assert bad.returncode == 2 and "re:(tenant" in bad.stderr, bad.stderr


def test_pg_plan_names_the_two_drifted_of_five_and_never_writes(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    before = pg_catalog(pg_server, db)
    r = run("plan", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert r.returncode == 3, r.stdout + r.stderr
    assert groups(r.stdout) == {"In sync": ["tenant_1", "tenant_3", "tenant_5"],
                                "Changed": ["tenant_2", "tenant_4"]}, r.stdout
    assert '== schema "tenant_2" (changed)\n+ add column' in r.stdout, r.stdout
    section4 = r.stdout.split('== schema "tenant_4"')[1]
    assert "create table" in section4 and "book" in section4, r.stdout
    assert '== schema "tenant_1"' not in r.stdout
    assert r.stdout.rstrip().endswith("5 schemas: 3 in sync, 2 changed."), r.stdout
    for args in (["plan", "--quiet"], ["apply", "--dry-run"]):
        res = run(*args, "--schema", "tenant_*", "--desired", desired, "--db", url)
        assert res.returncode == (3 if args[0] == "plan" else 0), res.stdout + res.stderr
    # a statement the engine does not handle stops the fleet as it stops one schema
    with open(desired, "a") as f:
        f.write("CREATE SEQUENCE counter;\n")
    for args in (["plan"], ["apply", "--auto-approve"]):
        res = run(*args, "--schema", "tenant_*", "--desired", desired, "--db", url)
        assert res.returncode == 1 and "are not handled" in res.stderr, res.stdout + res.stderr
    res = run("plan", "--ignore-unsupported", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert res.returncode == 3 and "line 13: CREATE SEQUENCE counter" in res.stdout, res.stdout + res.stderr
    assert pg_catalog(pg_server, db) == before


def test_pg_dry_run_script_switches_schema_and_runs_by_hand(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    r = run("apply", "--dry-run", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    script = r.stdout.split("-- SQL that would run, schema by schema:\n")[1]
    assert script.startswith('-- schema "tenant_2"\nSET search_path TO DEFAULT;\n'), script
    assert '-- schema "tenant_4"' in script and '-- schema "tenant_1"' not in script
    # run by hand, in one session, it converges exactly the two drifted members
    pg(pg_server, db, script)
    again = run("plan", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert again.returncode == 0 and "5 schemas: 5 in sync." in again.stdout, again.stdout + again.stderr
    assert pg(pg_server, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_pg_dry_run_script_quotes_a_schema_name_with_a_line_break_and_quotes(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    odd = 'odd"\nDROP SCHEMA tenant_1 CASCADE; --\'x'
    pg(pg_server, db, 'CREATE SCHEMA "%s"' % odd.replace('"', '""'))
    r = run("apply", "--dry-run", "--quiet", "--schema", "re:odd.*", "--desired", desired, "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    # the comment cannot end inside the name; the name is one quoted literal
    assert r.stdout.startswith('-- schema "odd""?DROP SCHEMA tenant_1 CASCADE; --\'x"\n'), r.stdout
    pg(pg_server, db, r.stdout)
    # the listing shows the line break as '?': no name fakes another line
    listed = run("plan", "--schema", "re:odd.*", "--desired", desired, "--db", url)
    assert listed.returncode == 0 and "\n  odd\"?DROP SCHEMA tenant_1 CASCADE; --'x\n" in listed.stdout, listed.stdout
    assert pg(pg_server, db, "SELECT count(*) FROM pg_tables WHERE schemaname = %s" % "'%s'" % odd.replace(
        "'", "''")) == [(2,)]
    assert pg(pg_server, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_1'") == [(2,)]


def test_pg_apply_jobs_3_converges_every_member_and_keeps_rows(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    r = run("apply", "--auto-approve", "--jobs", "3", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    outcome = groups(r.stdout.split("Outcome:")[1])
    assert outcome == {"In sync": ["tenant_1", "tenant_3", "tenant_5"], "Changed": ["tenant_2", "tenant_4"]}
    again = run("plan", "--schema", "tenant_*", "--desired", desired, "--db", url)
    assert again.returncode == 0 and "5 schemas: 5 in sync." in again.stdout, again.stdout + again.stderr
    for schema in TENANTS:
        assert pg(pg_server, db, 'SELECT id, name FROM "%s".author ORDER BY id' % schema) == [
            (1, "Ursula"), (2, "Italo")]
    # the schema no pattern selected is untouched, the others have it all
    assert pg(pg_server, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def on_terminal(answer, *args):
    """Run the CLI with stdin and stderr on a terminal (stdout a pipe), typing `answer`."""
    import os
    import pty
    import subprocess

    from test_cli import CLI

    master, slave = pty.openpty()
    proc = subprocess.Popen([CLI, *args], stdin=slave, stderr=slave, stdout=subprocess.PIPE, text=True)
    os.close(slave)
    os.write(master, answer.encode())
    out = proc.communicate(timeout=120)[0]
    term = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        term += chunk
    os.close(master)
    return proc.returncode, out, term.decode().replace("\r\n", "\n")


def test_pg_apply_asks_once_with_the_fleet_totals_and_shows_progress_on_a_terminal(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    pg(pg_server, db, "ALTER TABLE author ADD COLUMN nickname text; UPDATE author SET nickname = name", "tenant_5")
    before = pg_catalog(pg_server, db)
    args = ("apply", "--drop-columns", "--schema", "tenant_*", "--desired", desired, "--db", url)
    rc, out, term = on_terminal("n\n", *args)
    assert rc == 1 and "Apply 4 change(s) to 3 schemas (1 lose data, touching 2 row(s) or value(s))?" in out, out
    assert pg_catalog(pg_server, db) == before  # declined: nothing changed
    piped = run(*args)  # stdin no terminal: refused, no progress lines
    assert piped.returncode == 1 and "re-run with --auto-approve" in piped.stderr and "[1/" not in piped.stderr
    assert pg_catalog(pg_server, db) == before
    rc, out, term = on_terminal("y\n", *args)
    assert rc == 0, out + term
    # one job takes the members in name order; a line per member on the terminal
    assert '[1/3] schema "tenant_2": changed\n[2/3] schema "tenant_4": changed\n' \
           '[3/3] schema "tenant_5": changed\n' in term, term
    assert pg(pg_server, db, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'") \
        == [(0,)]


def hold_lock(server, db, table, ready, release):
    """Hold a SHARE lock on `table` (reads pass, ALTER TABLE waits) until released."""
    import psycopg

    with psycopg.connect(host=server, user="dbsync", dbname=db) as con:
        con.execute("LOCK TABLE %s IN SHARE MODE" % table)
        ready.set()
        release.wait(120)
        con.rollback()


@pytest.fixture
def locked(pg_server, pg_fleet):
    """Locks the table of one member for the test's duration: locked(table)."""
    threads, release = [], threading.Event()

    def lock(table):
        ready = threading.Event()
        t = threading.Thread(target=hold_lock, args=(pg_server, pg_fleet[1], table, ready, release))
        t.start()
        threads.append(t)
        assert ready.wait(60)

    yield lock
    release.set()
    for t in threads:
        t.join()


def test_pg_a_failing_member_is_isolated(pg_server, pg_fleet, locked, tmp_path):
    url, db, desired = pg_fleet
    pg(pg_server, db, 'ALTER TABLE "author" DROP COLUMN "email"', "tenant_3")
    locked('"tenant_3"."author"')  # its ALTER TABLE cannot get its lock
    report, page = tmp_path / "fleet.json", tmp_path / "fleet.html"
    r = run("apply", "--auto-approve", "--jobs", "2", "--lock-timeout", "200", "--schema", "tenant_*",
            "--desired", desired, "--db", url, "--report-json", str(report), "--report-html", str(page))
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(report.read_text())
    states = {m["name"]: m["state"] for m in doc["members"]}
    assert states == {"tenant_1": "in_sync", "tenant_2": "changed", "tenant_3": "failed", "tenant_4": "changed",
                      "tenant_5": "in_sync"}, states
    assert doc["fleet"]["failed"] == 1 and doc["fleet"]["changed"] == 2 and doc["fleet"]["in_sync"] == 2
    assert "lock" in json.dumps([m["error"] for m in doc["members"] if m["name"] == "tenant_3"])
    assert "tenant_3" in page.read_text()
    outcome = groups(r.stdout.split("Outcome:")[1])
    assert outcome["Failed"] == ["tenant_3"], r.stdout
    assert outcome["Changed"] == ["tenant_2", "tenant_4"], r.stdout
    failed_line = [line for line in r.stdout.split("Outcome:")[1].splitlines() if "tenant_3" in line][0]
    assert "lock" in failed_line and failed_line.startswith("  tenant_3: 1 failed; "), failed_line
    assert 'schema "tenant_3"' not in failed_line  # the line names it once
    assert "5 schemas: 2 in sync, 2 changed, 1 failed." in r.stdout
    assert "tenant_2" in pg(pg_server, db, "SELECT string_agg(table_schema, ',') FROM information_schema.columns "
                                           "WHERE column_name = 'email'")[0][0]
    assert pg(pg_server, db, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'email' "
                             "AND table_schema = 'tenant_3'") == [(0,)]


def test_pg_fail_fast_stops_after_the_first_failure(pg_server, pg_fleet, locked):
    url, db, desired = pg_fleet
    locked('"tenant_2"."author"')
    r = run("apply", "--auto-approve", "--fail-fast", "--lock-timeout", "200", "--schema", "tenant_*",
            "--desired", desired, "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    outcome = groups(r.stdout.split("Outcome:")[1])
    # one job takes the members in name order: tenant_4 never starts
    assert outcome["Failed"] == ["tenant_2"] and outcome["Not run"] == ["tenant_4"], \
        r.stdout
    assert pg(pg_server, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_4'") == [(1,)]


def test_pg_one_plain_schema_keeps_the_single_schema_output(pg_server, pg_fleet):
    url, db, desired = pg_fleet
    single = run("plan", "--schema", "tenant_2", "--desired", desired, "--db", url)
    in_url = run("plan", "--desired", desired, "--db", url + "&schema=tenant_2")
    assert single.returncode == in_url.returncode == 3
    assert single.stdout == in_url.stdout and single.stdout.startswith("target: ")
    assert "== schema" not in single.stdout and "Changed (" not in single.stdout
    assert "-- SQL that apply would run:\n" in single.stdout
    missing = run("plan", "--schema", "nope", "--desired", desired, "--db", url)
    assert missing.returncode == 1 and 'schema "nope" does not exist' in missing.stderr


def test_pg_fleet_output_never_shows_the_password(pg_server, tmp_path):
    import psycopg

    pg(pg_server, "postgres", 'CREATE DATABASE "fleet_pw" OWNER dbsync_pw')
    with psycopg.connect(host=pg_server, user="dbsync_pw", password=PG_PASSWORD, dbname="fleet_pw",
                         autocommit=True) as con:
        for schema in ("a_1", "a_2"):
            con.execute('CREATE SCHEMA "%s"' % schema)
    desired = tmp_path / "schema.sql"
    desired.write_text(PG_DESIRED)
    url = "postgresql://dbsync_pw:%s@/fleet_pw?host=%s" % (PG_PASSWORD, pg_server)
    backup = tmp_path / "before.sql"
    results = [run(*args, "--desired", str(desired), "--db", url) for args in (
        ["plan", "--schema", "a_*"], ["plan", "--quiet", "--schema", "a_*"], ["apply", "--dry-run", "--all-schemas"],
        ["plan", "--schema", "b_*"],
        ["apply", "--auto-approve", "--jobs", "2", "--backup", str(backup), "--schema", "a_*"],
        ["plan", "--schema", "a_*"])]
    assert [r.returncode for r in results] == [3, 3, 0, 2, 0, 0], [r.stdout + r.stderr for r in results]
    for r in results:
        assert PG_PASSWORD not in r.stdout + r.stderr, r.stdout + r.stderr
    # pg_dump got the password through its environment: it is in no file either
    assert sorted(os.listdir(tmp_path)) == ["before.sql", "schema.sql"]
    assert PG_PASSWORD not in backup.read_text()


def test_pg_fleet_backup_is_one_file_of_every_schema_that_restores(pg_server, pg_fleet, tmp_path):
    url, db, desired = pg_fleet
    out = tmp_path / "backups"
    out.mkdir()
    backup = out / "fleet.sql"
    # a dry run writes no backup
    dry = run("apply", "--dry-run", "--backup", str(backup), "--schema", "tenant_*", "--desired", desired,
              "--db", url)
    assert dry.returncode == 0 and not backup.exists(), dry.stdout + dry.stderr
    r = run("apply", "--auto-approve", "--backup", str(backup), "--schema", "tenant_*", "--desired", desired,
            "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Backup of every schema written to %s.\n" % backup in r.stdout, r.stdout
    # written before anything ran: ahead of the outcome
    assert r.stdout.index("Backup of every schema") < r.stdout.index("Outcome:")
    assert os.listdir(out) == ["fleet.sql"]
    # restored into an empty database, every schema is back as it was before the apply, rows included
    copy = db + "_restored"
    pg(pg_server, "postgres", 'CREATE DATABASE "%s"' % copy)
    restored = run("restore", "--db", "postgresql://dbsync@/%s?host=%s" % (copy, pg_server), str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    for schema in TENANTS + ["other"]:
        assert pg(pg_server, copy, 'SELECT id, name FROM "%s".author ORDER BY id' % schema) == [
            (1, "Ursula"), (2, "Italo")], schema
    columns = "SELECT column_name FROM information_schema.columns WHERE table_schema = '%s' " \
              "AND table_name = 'author' ORDER BY ordinal_position"
    assert pg(pg_server, copy, columns % "tenant_2") == [("id",), ("name",)]  # its drift, as backed up
    assert pg(pg_server, copy, columns % "tenant_2") != pg(pg_server, db, columns % "tenant_2")
    assert pg(pg_server, copy, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_4'") == [(1,)]
    assert pg(pg_server, copy, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_5'") == [(2,)]


def test_pg_fleet_backup_that_fails_changes_no_schema(pg_server, pg_fleet, tmp_path):
    url, db, desired = pg_fleet
    before = pg_catalog(pg_server, db)
    for backup in (tmp_path / "missing" / "fleet.sql", tmp_path / "schema.sql"):  # no directory; a file there
        r = run("apply", "--auto-approve", "--jobs", "2", "--backup", str(backup), "--schema", "tenant_*",
                "--desired", desired, "--db", url)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "backup failed, nothing was changed" in r.stderr, r.stderr
        assert "Outcome:" not in r.stdout, r.stdout
        assert pg_catalog(pg_server, db) == before
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("args, message", [
    (["inspect", "--schema", "tenant_*"], "belong to 'plan' and 'apply'"),
    (["plan", "--all-schemas", "--schema", "x", "--desired", "d.sql"], "--all-schemas or --schema"),
    (["apply", "--jobs", "2", "--desired", "d.sql"], "--jobs and --fail-fast"),
    (["apply", "--jobs", "0", "--all-schemas", "--desired", "d.sql"], "--jobs takes"),
    (["plan", "--backup", "b.sql", "--all-schemas", "--desired", "d.sql"], "belong to 'apply'"),
])
def test_fleet_usage_errors_exit_2(args, message):
    r = run(*args, "--db", "postgresql://nobody@/x?host=/nonexistent")
    assert r.returncode == 2 and message in r.stderr, r.stderr


# --- MariaDB: databases of one server ------------------------------------------

MY_DESIRED = """
CREATE TABLE `author` (`id` bigint NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL, `email` varchar(254) NULL);
CREATE TABLE `book` (`id` bigint NOT NULL PRIMARY KEY, `title` varchar(200) NOT NULL, `author_id` bigint NOT NULL,
    CONSTRAINT `book_author` FOREIGN KEY (`author_id`) REFERENCES `author` (`id`));
CREATE INDEX `book_title_idx` ON `book` (`title`);
"""
MY_MEMBERS = ["shop_%d" % i for i in range(1, 5)]


def my(socket, sql, db=None):
    from test_nothing_outside_the_plan import my as my_query

    return my_query(socket, sql, db)


def my_catalog(socket):
    return (my(socket, "SHOW DATABASES"),
            my(socket, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE "
                       "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA LIKE 'shop%' ORDER BY 1, 2, 3"),
            my(socket, "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                       "WHERE TABLE_SCHEMA LIKE 'shop%' ORDER BY 1, 2, 3, 4"))


@pytest.fixture
def my_fleet(my_server, tmp_path):
    """Databases shop_1..4 (rows in each; shop_2 lacks a column, shop_3 a table)
    and shop_keeper, which `shop_*` also matches but `re:shop_[0-9]+` does not."""
    for name in MY_MEMBERS + ["shop_keeper"]:
        my(my_server, "CREATE DATABASE `%s`" % name)
        for stmt in MY_DESIRED.strip().split(";\n"):
            my(my_server, stmt.rstrip(";"), name)
        my(my_server, "INSERT INTO `author` (`id`, `name`) VALUES (1, 'Ursula'), (2, 'Italo')", name)
    my(my_server, "ALTER TABLE `author` DROP COLUMN `email`", "shop_2")
    my(my_server, "DROP TABLE `book`", "shop_3")
    desired = tmp_path / "schema.sql"
    desired.write_text(MY_DESIRED)
    # the URL's database is only where the connection starts
    yield "mysql://root@localhost/shop_1?unix_socket=%s" % my_server, str(desired)
    for name in MY_MEMBERS + ["shop_keeper"]:
        my(my_server, "DROP DATABASE `%s`" % name)


def test_mariadb_fleet_of_databases_plans_applies_and_keeps_rows(my_server, my_fleet):
    url, desired = my_fleet
    before = my_catalog(my_server)
    r = run("plan", "--schema", "re:shop_[0-9]+", "--desired", desired, "--db", url)
    assert r.returncode == 3, r.stdout + r.stderr
    assert groups(r.stdout) == {"In sync": ["shop_1", "shop_4"], "Changed": ["shop_2", "shop_3"]}, r.stdout
    assert '== database "shop_2" (changed)' in r.stdout
    assert r.stdout.rstrip().endswith("4 databases: 2 in sync, 2 changed."), r.stdout
    dry = run("apply", "--dry-run", "--schema", "shop_*", "--desired", desired, "--db", url)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    script = dry.stdout.split("-- SQL that would run, database by database:\n")[1]
    assert script.startswith("-- database `shop_2`\n") and script.count("USE `shop_2`;\n") == 1, script
    assert "-- database `shop_3`\n" in script and "shop_keeper" not in script
    assert groups(dry.stdout)["In sync"] == ["shop_1", "shop_4", "shop_keeper"]
    assert my_catalog(my_server) == before  # plan and the dry run wrote nothing
    # run by hand, statement by statement in one session, the script converges shop_2 and shop_3
    import MySQLdb

    con = MySQLdb.connect(unix_socket=my_server, user="root", autocommit=True)
    try:
        for stmt in script.split(";\n"):
            code = "\n".join(line for line in stmt.splitlines() if not line.startswith("--")).strip()
            if code:
                con.cursor().execute(code)
    finally:
        con.close()
    by_hand = run("plan", "--schema", "shop_*", "--desired", desired, "--db", url)
    assert by_hand.returncode == 0 and "5 databases: 5 in sync." in by_hand.stdout, by_hand.stdout
    # drift again, then apply with three jobs
    my(my_server, "ALTER TABLE `author` DROP COLUMN `email`", "shop_2")
    my(my_server, "DROP TABLE `book`", "shop_3")
    applied = run("apply", "--auto-approve", "--jobs", "3", "--schema", "re:shop_[0-9]+", "--desired", desired,
                  "--db", url)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert groups(applied.stdout.split("Outcome:")[1]) == {"In sync": ["shop_1", "shop_4"],
                                                            "Changed": ["shop_2", "shop_3"]}, applied.stdout
    again = run("plan", "--schema", "shop_*", "--desired", desired, "--db", url)
    assert again.returncode == 0 and "5 databases: 5 in sync." in again.stdout, again.stdout + again.stderr
    for name in MY_MEMBERS:
        assert my(my_server, "SELECT id, name FROM author ORDER BY id", name) == [(1, "Ursula"), (2, "Italo")]
    missing = run("plan", "--schema", "shop_9*", "--desired", desired, "--db", url)
    assert missing.returncode == 2 and "'shop_9*' matches no database" in missing.stderr, missing.stderr


def hold_metadata_lock(socket, db, ready, release):
    """An open transaction that read `author`: its metadata lock makes ALTER TABLE wait."""
    import MySQLdb

    con = MySQLdb.connect(unix_socket=socket, user="root", database=db, autocommit=False)
    try:
        cur = con.cursor()
        cur.execute("START TRANSACTION")
        cur.execute("SELECT * FROM author")
        cur.fetchall()
        ready.set()
        release.wait(120)
        con.rollback()
    finally:
        con.close()


def test_mariadb_a_failing_database_is_isolated(my_server, my_fleet):
    url, desired = my_fleet
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_metadata_lock, args=(my_server, "shop_2", ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        r = run("apply", "--auto-approve", "--jobs", "2", "--lock-timeout", "1000", "--schema", "re:shop_[0-9]+",
                "--desired", desired, "--db", url)
    finally:
        release.set()
        holder.join()
    assert r.returncode == 1, r.stdout + r.stderr
    outcome = r.stdout.split("Outcome:")[1]
    assert groups(outcome) == {"In sync": ["shop_1", "shop_4"], "Changed": ["shop_3"], "Failed": ["shop_2"]}, outcome
    assert "Lock wait timeout" in [line for line in outcome.splitlines() if "shop_2" in line][0], outcome
    assert my(my_server, "SHOW TABLES", "shop_3") == [("author",), ("book",)]
    assert [r[0] for r in my(my_server, "SHOW COLUMNS FROM author", "shop_2")] == ["id", "name"]
    again = run("plan", "--schema", "re:shop_[0-9]+", "--desired", desired, "--db", url)
    assert again.returncode == 3 and groups(again.stdout)["Changed"] == ["shop_2"], again.stdout


def test_mariadb_fleet_backup_is_a_file_per_changed_database_each_restorable(my_server, my_fleet, tmp_path):
    url, desired = my_fleet
    out = tmp_path / "backups"  # made by the apply
    dry = run("apply", "--dry-run", "--backup", str(out), "--schema", "re:shop_[0-9]+", "--desired", desired,
              "--db", url)
    assert dry.returncode == 0 and not out.exists(), dry.stdout + dry.stderr
    r = run("apply", "--auto-approve", "--jobs", "2", "--backup", str(out), "--schema", "re:shop_[0-9]+",
            "--desired", desired, "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(os.listdir(out)) == ["shop_2.sql", "shop_3.sql"]  # the changed members only
    for name in ("shop_2", "shop_3"):
        line = "Backup written to %s.\n" % (out / (name + ".sql"))
        assert line in r.stdout and r.stdout.index(line) < r.stdout.index("Outcome:"), r.stdout
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    # each file restores into an empty database: that member as it was before the apply, rows included
    try:
        for name in ("shop_2", "shop_3"):
            my(my_server, "CREATE DATABASE `restored_%s`" % name)
            restored = run("restore", "--db", "mysql://root@localhost/restored_%s?unix_socket=%s" % (name, my_server),
                           str(out / (name + ".sql")))
            assert restored.returncode == 0, restored.stdout + restored.stderr
            assert my(my_server, "SELECT id, name FROM author ORDER BY id", "restored_" + name) == [
                (1, "Ursula"), (2, "Italo")]
        assert [c[0] for c in my(my_server, "SHOW COLUMNS FROM author", "restored_shop_2")] == ["id", "name"]
        assert my(my_server, "SHOW TABLES", "restored_shop_3") == [("author",)]
        assert my(my_server, "SHOW TABLES", "shop_3") == [("author",), ("book",)]  # while the member was applied
    finally:
        for name in ("shop_2", "shop_3"):
            my(my_server, "DROP DATABASE IF EXISTS `restored_%s`" % name)


def test_mariadb_fleet_backup_that_fails_changes_no_database(my_server, my_fleet, tmp_path):
    url, desired = my_fleet
    before = my_catalog(my_server)
    # shop_3's file is there already (never overwritten): shop_2's backup is written, shop_3's fails
    out = tmp_path / "backups"
    out.mkdir()
    (out / "shop_3.sql").write_text("-- another run's\n")
    r = run("apply", "--auto-approve", "--jobs", "2", "--backup", str(out), "--schema", "re:shop_[0-9]+",
            "--desired", desired, "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "backup failed, nothing was changed" in r.stderr and "shop_3.sql" in r.stderr, r.stderr
    assert "1 backup(s) written before it stay in %s" % out in r.stderr, r.stderr
    assert "Outcome:" not in r.stdout, r.stdout
    assert my_catalog(my_server) == before
    assert (out / "shop_3.sql").read_text() == "-- another run's\n"
    # a directory that cannot be made: nothing is backed up, nothing changes
    blocked = run("apply", "--auto-approve", "--backup", str(tmp_path / "schema.sql" / "backups"), "--schema",
                  "shop_*", "--desired", desired, "--db", url)
    assert blocked.returncode == 1 and "cannot make the directory" in blocked.stderr, blocked.stderr
    assert my_catalog(my_server) == before
