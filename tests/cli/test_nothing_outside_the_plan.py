"""Nothing outside the plan runs: a desired file is a schema, never a program.

Against real throwaway servers (scripts/mariadb-server.sh, scripts/pg-server.sh;
a server that cannot start fails the test): statements that are not schema DDL
are refused by `plan` and `apply --dry-run` and change nothing, a dump's USE/DROP
cannot reach the live database, the shadow receives only SQL the engine rendered
(proved from the server's own statement log), and hostile identifiers round-trip.
"""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = os.environ.get("DBSYNC_CLI") or str(REPO / "build" / "c" / "dbsync")


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


# --- MariaDB ------------------------------------------------------------------

def my(socket, sql, db=None):
    import MySQLdb

    kw = dict(unix_socket=socket, user="root", charset="utf8mb4", autocommit=True)
    if db:
        kw["database"] = db
    con = MySQLdb.connect(**kw)
    try:
        cur = con.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else None
    finally:
        con.close()


_n = iter(range(1, 10000))


@pytest.fixture
def live_my(my_server):
    """A live database holding `keep` (3 rows) and `kid` (FK, FULLTEXT, comments): (url, name)."""
    name = "live_%d" % next(_n)
    my(my_server, "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % name)
    for stmt in (
            "CREATE TABLE keep (id int PRIMARY KEY, v varchar(20) NOT NULL DEFAULT 'x' COMMENT 'the v', "
            "at datetime(6) NULL ON UPDATE CURRENT_TIMESTAMP(6)) COMMENT='kept'",
            "INSERT INTO keep (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
            "CREATE TABLE kid (id int PRIMARY KEY, keep_id int, name text, KEY kid_keep (keep_id), "
            "FULLTEXT KEY kid_ft (name), CONSTRAINT kid_fk FOREIGN KEY (keep_id) REFERENCES keep (id) "
            "ON DELETE CASCADE)",
            "INSERT INTO kid VALUES (1, 1, 'n')"):
        my(my_server, stmt, name)
    return "mysql://root@localhost/%s?unix_socket=%s" % (name, my_server), name


def my_state(socket, name):
    """Every table's SHOW CREATE TABLE and row count, and the databases present."""
    tables = [r[0] for r in my(socket, "SHOW TABLES", name)]
    quoted = ["`%s`" % t.replace("`", "``") for t in tables]
    return ([my(socket, "SHOW CREATE TABLE %s" % t, name) for t in quoted],
            [my(socket, "SELECT COUNT(*) FROM %s" % t, name) for t in quoted],
            sorted(r[0] for r in my(socket, "SHOW DATABASES")))


@pytest.mark.parametrize("statement", [
    "DELETE FROM {db}.keep",
    "/*!40000 DELETE FROM {db}.keep */",
    "USE {db}",
    "DROP TABLE IF EXISTS {db}.keep",
    "TRUNCATE {db}.keep",
])
def test_mysql_statement_naming_the_live_database_is_refused_and_changes_nothing(my_server, live_my, tmp_path,
                                                                                    statement):
    url, name = live_my
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE newt (id int);\n%s;\n" % statement.format(db=name))
    before = my_state(my_server, name)
    for args in (["plan"], ["apply", "--dry-run"], ["apply", "--auto-approve"]):
        r = run(*args, "--desired", str(desired), "--db", url)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "line 2" in r.stderr and "not schema DDL" in r.stderr, r.stderr
        assert my_state(my_server, name) == before
    assert my(my_server, "SELECT id, v FROM keep ORDER BY id", name) == [(1, "a"), (2, "b"), (3, "c")]


def test_mariadb_dump_with_databases_is_refused_and_drops_nothing(my_server, live_my, tmp_path):
    url, name = live_my
    dump = subprocess.run(["mariadb-dump", "--socket=" + my_server, "-uroot", "--no-data", "--databases", name],
                          capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert "USE `%s`" % name in dump.stdout and "DROP TABLE IF EXISTS `keep`" in dump.stdout
    desired = tmp_path / "dump.sql"
    desired.write_text(dump.stdout)
    before = my_state(my_server, name)
    for args in (["plan"], ["apply", "--dry-run"]):
        r = run(*args, "--desired", str(desired), "--db", url)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "not schema DDL" in r.stderr and "CREATE DATABASE" in r.stderr, r.stderr
        assert "No changes" not in r.stdout
        assert my_state(my_server, name) == before
    # the same dump without USE / DROP / CREATE DATABASE reads back as the live schema
    plain = subprocess.run(["mariadb-dump", "--socket=" + my_server, "-uroot", "--no-data", "--skip-add-drop-table",
                            name], capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    desired.write_text(plain.stdout)
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr
    assert my_state(my_server, name) == before


def test_mysql_shadow_runs_only_engine_rendered_sql(my_server, live_my, tmp_path):
    """The server's general log shows what the shadow ran: the rendered table,
    never the file's text (its comment, its spacing, its executable comment)."""
    url, name = live_my
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE    TABLE newt ( /* marker-h4 */ id int NOT NULL /*!50001 , extra int */ ,\n"
                       "  `odd``name;x` varchar(5) COMMENT \"it's; DROP TABLE keep; -- \")  COMMENT = 'n';\n")
    my(my_server, "TRUNCATE mysql.general_log")
    my(my_server, "SET GLOBAL log_output = 'TABLE'")
    my(my_server, "SET GLOBAL general_log = 1")
    try:
        r = run("plan", "--desired", str(desired), "--db", url)
    finally:
        my(my_server, "SET GLOBAL general_log = 0")
    assert r.returncode == 3, r.stdout + r.stderr
    sent = [row[0].decode() if isinstance(row[0], bytes) else row[0]
            for row in my(my_server, "SELECT argument FROM mysql.general_log WHERE command_type = 'Query'")]
    creates = [s for s in sent if "newt" in s]
    assert creates == ["CREATE TABLE `newt` (`id` int NOT NULL, `extra` int NULL, `odd``name;x` varchar(5) NULL "
                       "COMMENT 'it''s; DROP TABLE keep; -- ') COMMENT='n'"], sent
    assert not any("marker-h4" in s or "DROP TABLE keep" in s.replace("COMMENT 'it''s; DROP TABLE keep; -- '", "")
                   for s in sent), sent
    assert my(my_server, "SELECT COUNT(*) FROM keep", name) == [(3,)]
    assert not [d for (d,) in my(my_server, "SHOW DATABASES") if d.startswith("dbsync_shadow")]


def test_mysql_column_character_set_reaches_the_shadow(my_server, live_my, tmp_path):
    """A column's CHARACTER SET without COLLATE decides its collation: the
    rendered table carries it, so a live latin1 column is no false difference."""
    url, name = live_my
    my(my_server, "CREATE TABLE cs (id int PRIMARY KEY, a varchar(10) CHARACTER SET latin1)", name)
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE cs (id int PRIMARY KEY, a varchar(10) CHARACTER SET latin1, b int);\n")
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "add column `b`" in r.stdout and "MODIFY" not in r.stdout, r.stdout


def test_mysql_hostile_identifiers_round_trip(my_server, live_my, tmp_path):
    url, name = live_my
    desired = tmp_path / "desired.sql"
    desired.write_text(
        "CREATE TABLE keep (id int PRIMARY KEY, v varchar(20) NOT NULL DEFAULT 'x' COMMENT 'the v', "
        "at datetime(6) NULL ON UPDATE CURRENT_TIMESTAMP(6)) COMMENT='kept';\n"
        "CREATE TABLE kid (id int PRIMARY KEY, keep_id int, name text, KEY kid_keep (keep_id), "
        "FULLTEXT KEY kid_ft (name), CONSTRAINT kid_fk FOREIGN KEY (keep_id) REFERENCES keep (id) ON DELETE CASCADE);\n"
        "CREATE TABLE `we``ird;\"t` (`c'ol; DROP TABLE keep; --` int DEFAULT 1 COMMENT '\\'); DROP TABLE keep; --',"
        " `k` int, `z` varchar(20) DEFAULT 'it\\'s; \\\\', KEY `i``x;` (`k`));\n")
    r = run("apply", "--auto-approve", "--desired", str(desired), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert my(my_server, "SELECT COUNT(*) FROM keep", name) == [(3,)]
    assert ("we`ird;\"t",) in my(my_server, "SHOW TABLES", name)
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr


def test_mysql_name_qualified_with_another_database_is_refused(my_server, live_my, tmp_path):
    url, name = live_my
    my(my_server, "CREATE DATABASE IF NOT EXISTS other_db")
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE %s.keep2 (id int);\nCREATE TABLE other_db.t (id int);\n" % name)
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'line 2' in r.stderr and 'database "other_db"' in r.stderr, r.stderr
    assert my(my_server, "SHOW TABLES", "other_db") == []
    # qualified with the database synced: read as the bare name
    desired.write_text("CREATE TABLE `%s`.`keep2` (id int);\nCREATE INDEX k2 ON %s.keep2 (id);\n" % (name, name))
    r = run("apply", "--auto-approve", "--desired", str(desired), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert my(my_server, "SHOW INDEX FROM keep2 WHERE Key_name = 'k2'", name)


# --- PostgreSQL ---------------------------------------------------------------

def pg(server, name, sql):
    import psycopg

    with psycopg.connect(host=server, user="dbsync", dbname=name, autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else None


LIVE_PG = """
CREATE TABLE keep (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x', at timestamptz DEFAULT now());
CREATE TABLE kid (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, keep_id int REFERENCES keep ON DELETE CASCADE,
                  name varchar(20) COLLATE "C", CONSTRAINT name_ne CHECK (name <> ''));
CREATE INDEX kid_name ON kid (lower(name)) WHERE keep_id IS NOT NULL;
COMMENT ON TABLE kid IS 'kids';
COMMENT ON COLUMN kid.name IS 'the name';
INSERT INTO keep (v) VALUES ('a'), ('b'), ('c');
CREATE TABLE calls (n int);
CREATE FUNCTION bump() RETURNS int LANGUAGE sql AS 'INSERT INTO calls VALUES (1) RETURNING n';
"""


@pytest.fixture
def live_pg(pg_server):
    name = "live_%d" % next(_n)
    pg(pg_server, "postgres", 'CREATE DATABASE "%s"' % name)
    pg(pg_server, name, LIVE_PG)
    return "postgresql://dbsync@/%s?host=%s" % (name, pg_server), name


def pg_state(server, name):
    return (pg(server, name, "SELECT c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                             "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 3"),
            pg(server, name, "SELECT id, v FROM keep ORDER BY id"),
            pg(server, name, "SELECT count(*) FROM calls"),
            pg(server, name, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY 1"))


@pytest.mark.parametrize("statement", [
    "DELETE FROM keep",
    "COPY keep TO PROGRAM 'touch {marker}'",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "SELECT bump()",
    "DO $$ BEGIN PERFORM bump(); END $$",
    "SET search_path = other",
])
def test_pg_statement_with_side_effects_is_refused_and_changes_nothing(pg_server, live_pg, tmp_path, statement):
    url, name = live_pg
    marker = tmp_path / "program-ran"
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE newt (id int DEFAULT bump());\n%s;\n" % statement.format(marker=marker))
    before = pg_state(pg_server, name)
    for args in (["plan"], ["apply", "--dry-run"]):
        r = run(*args, "--desired", str(desired), "--db", url)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "line 2" in r.stderr, r.stderr
        assert pg_state(pg_server, name)[:3] == before[:3]
    assert not marker.exists()


def test_pg_function_in_a_default_never_runs_and_the_shadow_gets_rendered_sql(pg_server, live_pg, tmp_path):
    """The server's statement log shows what the shadow ran: the rendered table,
    never the file's text; the DEFAULT's function is never called."""
    url, name = live_pg
    pg(pg_server, "postgres", "ALTER DATABASE \"%s\" SET log_statement = 'all'" % name)
    log = Path(pg_server) / "server.log"
    start = log.stat().st_size
    desired = tmp_path / "desired.sql"
    desired.write_text(LIVE_PG.split("INSERT INTO keep")[0] +
                       "CREATE   TABLE newt ( /* marker-h4 */ id int DEFAULT bump() , \"we\"\"ird;t\" text);\n")
    before = pg_state(pg_server, name)
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 3, r.stdout + r.stderr
    r = run("apply", "--dry-run", "--desired", str(desired), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert pg_state(pg_server, name)[:3] == before[:3]
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        text = f.read()
    assert 'CREATE TABLE "newt" ("id" integer DEFAULT (BUMP()), "we""ird;t" text)' in text, text[-3000:]
    assert "marker-h4" not in text


def test_pg_dump_schema_only_reads_back_as_no_changes(pg_server, live_pg, tmp_path):
    url, name = live_pg
    dump = subprocess.run(["pg_dump", "--schema-only", "-h", pg_server, "-U", "dbsync", "-t", "keep", "-t", "kid",
                           "-t", "keep_id_seq", "-t", "kid_id_seq", name], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert "public.kid" in dump.stdout
    desired = tmp_path / "dump.sql"
    desired.write_text(dump.stdout)
    before = pg_state(pg_server, name)
    # the sequences pg_dump writes on their own are listed, never silently skipped
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Not handled" in r.stdout and "CREATE SEQUENCE keep_id_seq" in r.stdout, r.stdout
    assert "--ignore-unsupported" in r.stderr
    r = run("plan", "--ignore-unsupported", "--desired", str(desired), "--db", url)
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr
    # the same names qualified with another schema are refused, naming it
    pg(pg_server, name, "CREATE SCHEMA other")
    desired.write_text(dump.stdout.replace("CREATE INDEX kid_name ON public.kid", "CREATE INDEX kid_name ON other.kid"))
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 1 and 'schema "other"' in r.stderr, r.stdout + r.stderr
    assert pg_state(pg_server, name)[:3] == before[:3]


def test_pg_dump_of_another_schema_plans_against_that_schema_only(pg_server, live_pg, tmp_path):
    url, name = live_pg
    pg(pg_server, name, "CREATE SCHEMA app; CREATE TABLE app.t (id integer PRIMARY KEY, n text NOT NULL);"
                        "CREATE INDEX t_n ON app.t (n)")
    dump = subprocess.run(["pg_dump", "--schema-only", "-h", pg_server, "-U", "dbsync", "-n", "app", name],
                          capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert "CREATE SCHEMA app;" in dump.stdout and "app.t" in dump.stdout
    desired = tmp_path / "dump.sql"
    desired.write_text(dump.stdout)
    before = pg_state(pg_server, name)
    r = run("plan", "--desired", str(desired), "--db", url, "--schema", "app")
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr
    # against public it names schema "app": refused, nothing made in public
    for args in (["plan"], ["apply", "--auto-approve"]):
        r = run(*args, "--desired", str(desired), "--db", url)
        assert r.returncode == 1 and 'schema "app"' in r.stderr, r.stdout + r.stderr
    assert pg_state(pg_server, name)[:3] == before[:3]


def test_pg_hostile_identifiers_round_trip(pg_server, live_pg, tmp_path):
    url, name = live_pg
    desired = tmp_path / "desired.sql"
    desired.write_text(LIVE_PG.split("INSERT INTO keep")[0] +
                       "CREATE TABLE \"we\"\"ird;`t\" (\"c'ol; DROP TABLE keep; --\" int DEFAULT 1 "
                       "CHECK (\"c'ol; DROP TABLE keep; --\" > 0), \"k\" text COLLATE \"C\");\n"
                       "CREATE INDEX \"i\"\"x;\" ON \"we\"\"ird;`t\" (\"k\");\n"
                       "COMMENT ON COLUMN \"we\"\"ird;`t\".\"k\" IS $$'); DROP TABLE keep; --$$;\n")
    r = run("apply", "--auto-approve", "--desired", str(desired), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert pg(pg_server, name, "SELECT count(*) FROM keep") == [(3,)]
    assert pg(pg_server, name, "SELECT col_description('\"we\"\"ird;`t\"'::regclass, 2)") == [
        ("'); DROP TABLE keep; --",)]
    r = run("plan", "--desired", str(desired), "--db", url)
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr


# --- the Python binding -------------------------------------------------------

def test_binding_lists_unhandled_statements_and_refuses_what_is_not_ddl():
    from django_dbsync import _engine

    sql = "CREATE TABLE t (id int);\nCREATE SEQUENCE s;\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
    assert _engine.unhandled_statements("postgresql", sql) == [("CREATE SEQUENCE", "s", 2),
                                                               ("CREATE TRIGGER", "tr", 3)]
    assert _engine.unhandled_statements("sqlite", "CREATE TABLE t (id int);") == []
    with pytest.raises(_engine.Error) as err:
        _engine.unhandled_statements("mysql", "CREATE TABLE t (id int);\nDELETE FROM live_db.keep;")
    assert err.value.code_name == "EPARSE" and err.value.line == 2
    assert "DELETE FROM live_db.keep" in str(err.value)


# --- not handled: listed, never "in sync" ---------------------------------------

def test_unhandled_statements_are_listed_and_block_plan_and_apply_unless_ignored(tmp_path):
    import sqlite3

    db = tmp_path / "app.db"
    sqlite3.connect(db).close()
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE t (id integer PRIMARY KEY, v text);\n"
                       "CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN UPDATE t SET v = 'x'; END;\n"
                       "CREATE VIRTUAL TABLE fts USING fts5(v);\n")
    url = "sqlite:///%s" % db
    for args in (["plan"], ["apply", "--dry-run"], ["apply", "--auto-approve"]):
        r = run(*args, "--desired", str(desired), "--db", url)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "Not handled" in r.stdout, r.stdout
        assert "line 2: CREATE TRIGGER t_audit" in r.stdout and "line 3: CREATE VIRTUAL TABLE fts" in r.stdout
        assert "--ignore-unsupported" in r.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    r = run("apply", "--auto-approve", "--ignore-unsupported", "--desired", str(desired), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("plan", "--ignore-unsupported", "--desired", str(desired), "--db", url)
    assert r.returncode == 0 and "No changes to what dbsync handles" in r.stdout, r.stdout + r.stderr
    with sqlite3.connect(db) as con:
        assert [n for (n,) in con.execute("SELECT name FROM sqlite_master ORDER BY name")] == ["t"]
