"""A schema dumped by the server's own tool plans to nothing against the database it came from.

On every backend a rich schema is built natively on a real throwaway server
(scripts/pg-server.sh, scripts/mariadb-server.sh; a server that cannot start
fails the test) or SQLite file, dumped with the tool that comes with it
(`pg_dump --schema-only`, `mariadb-dump --no-data` with and without
`--skip-add-drop-table`, `sqlite3 DB .schema`), and planned with
`dbsync plan --desired dump.sql --db URL`:

- with `--ignore-unsupported`: exit 0, no operation, and the "Not handled" list
  is exactly the statements about objects dbsync does not model (functions,
  triggers, sequences, types), none of the tables, keys or indexes;
- without it: exit 1 on that same list, still no operation;
- the catalog is unchanged by both.

Then the dump is applied with dbsync to an EMPTY database (after the objects
the plan lists as not handled that tables need, the enum type and sequences,
are created natively: dbsync does not create them) and the two catalogs
(tables, columns, indexes, constraints, comments, charsets) must be equal.
Views are read from a desired file but never created or compared
(docs/desired-ddl.md), so they are left out of the comparison.
"""
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = os.environ.get("DBSYNC_CLI") or str(REPO / "build" / "c" / "dbsync")


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)


def tool(name, *bindir_vars):
    """A client program from the bin directory the server scripts use, else PATH; missing fails."""
    for var in bindir_vars:
        d = os.environ.get(var)
        if d and os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    if "DBSYNC_PG_BINDIR" in bindir_vars:
        cfg = shutil.which("pg_config")
        if cfg:
            d = subprocess.run([cfg, "--bindir"], capture_output=True, text=True).stdout.strip()
            if d and os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
    found = shutil.which(name)
    assert found, "%s is not installed (the test needs the server's own dump tool)" % name
    return found


def not_handled(stdout):
    """The plan's "Not handled" list as (kind, name) pairs, in file order."""
    if "Not handled" not in stdout:
        return []
    section = stdout.split("Not handled", 1)[1].split("\n\n", 1)[0]
    return [tuple(m.groups()) for m in re.finditer(r"^  line \d+: ([A-Z][A-Z ]*[A-Z]) (\S+)$", section, re.M)]


def plan_both_ways(dump, url, expected, catalog):
    """plan with and without --ignore-unsupported: no change, exactly `expected` not handled."""
    before = catalog()
    r = run("plan", "--ignore-unsupported", "--desired", str(dump), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No changes to what dbsync handles." in r.stdout, r.stdout
    assert not_handled(r.stdout) == expected, r.stdout
    r = run("plan", "--desired", str(dump), "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "No changes to what dbsync handles." in r.stdout, r.stdout
    assert not_handled(r.stdout) == expected, r.stdout
    assert "%d statement(s)" % len(expected) in r.stderr and "--ignore-unsupported" in r.stderr, r.stderr
    assert catalog() == before


def apply_to_empty(dump, url, expected):
    r = run("apply", "--auto-approve", "--ignore-unsupported", "--desired", str(dump), "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not_handled(r.stdout) == expected, r.stdout
    r = run("plan", "--ignore-unsupported", "--desired", str(dump), "--db", url)
    assert r.returncode == 0 and "No changes to what dbsync handles." in r.stdout, r.stdout + r.stderr


# --- SQLite --------------------------------------------------------------------

SQLITE_RICH = """
CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  email varchar(100) DEFAULT 'x@y', born date, score REAL DEFAULT 0.5 CHECK (score >= 0), data BLOB,
  created TEXT DEFAULT CURRENT_TIMESTAMP, mentor_id INTEGER REFERENCES author(id) ON DELETE SET NULL);
CREATE TABLE book (id INTEGER NOT NULL, author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE
  ON UPDATE CASCADE, title TEXT NOT NULL, price NUMERIC(8,2) NOT NULL DEFAULT 0, pages INTEGER,
  slug TEXT GENERATED ALWAYS AS (lower(title)) VIRTUAL, total REAL GENERATED ALWAYS AS (price * 2) STORED,
  PRIMARY KEY (id, author_id), CONSTRAINT pages_pos CHECK (pages > 0), UNIQUE (author_id, title)) WITHOUT ROWID;
CREATE TABLE tagged (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INT, book_id INTEGER,
  book_author INTEGER, FOREIGN KEY (book_id, book_author) REFERENCES book (id, author_id)) STRICT;
CREATE INDEX book_title ON book (title DESC);
CREATE UNIQUE INDEX author_email_lower ON author (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX tagged_expr ON tagged (n + 1, label COLLATE NOCASE);
CREATE VIEW book_titles AS SELECT title FROM book;
CREATE TRIGGER book_touch AFTER UPDATE ON book BEGIN UPDATE author SET name = name WHERE id = NEW.author_id; END;
"""


def sqlite_catalog(path):
    con = sqlite3.connect(path)
    try:
        out = {}
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name")]
        for t in tables:
            sql = con.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (t,)).fetchone()[0]
            opts = con.execute("SELECT wr, strict FROM pragma_table_list(?)", (t,)).fetchone()
            cols = [(c[1], (c[2] or "").lower(), c[3], c[4], c[5], c[6])
                    for c in con.execute("SELECT * FROM pragma_table_xinfo(?)", (t,))]
            # a rowid table's one INTEGER PRIMARY KEY is the rowid: never NULL
            # whether or not NOT NULL is written (dbsync writes it, as Django does)
            if not opts[0] and [c[4] for c in cols].count(1) == 1:
                cols = [c[:2] + (1,) + c[3:] if c[4] == 1 and c[1] == "integer" else c for c in cols]
            idx = []
            for i in con.execute("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", (t,)):
                parts = [tuple(p) for p in con.execute(
                    "SELECT seqno, cid, name, \"desc\", coll, key FROM pragma_index_xinfo(?)", (i[0],))]
                idx.append((tuple(i), parts))
            fks = [tuple(f) for f in con.execute("SELECT * FROM pragma_foreign_key_list(?)", (t,))]
            checks = len(re.findall(r"\bcheck\b", sql, re.I))
            out[t] = (cols, sorted(idx), sorted(fks), tuple(opts), checks)
        return out
    finally:
        con.close()


def test_sqlite_schema_dump_round_trip(tmp_path):
    db = tmp_path / "rich.db"
    con = sqlite3.connect(db)
    con.executescript(SQLITE_RICH)
    con.close()
    dump = tmp_path / "dump.sql"
    r = subprocess.run([tool("sqlite3"), str(db), ".schema"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "sqlite_sequence" in r.stdout and "WITHOUT ROWID" in r.stdout and "STRICT" in r.stdout
    dump.write_text(r.stdout)
    expected = [("CREATE TRIGGER", "book_touch")]
    plan_both_ways(dump, "sqlite:///" + str(db), expected, lambda: sqlite_catalog(db))

    empty = tmp_path / "empty.db"
    apply_to_empty(dump, "sqlite:///" + str(empty), expected)
    built = sqlite_catalog(empty)
    assert built == sqlite_catalog(db)
    assert built["book"][3] == (1, 0) and built["tagged"][3] == (0, 1)  # WITHOUT ROWID, STRICT


# --- MariaDB -------------------------------------------------------------------

MY_RICH = [
    """CREATE TABLE author (
      id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
      name varchar(100) NOT NULL,
      email varchar(254) CHARACTER SET ascii COLLATE ascii_bin NULL UNIQUE,
      bio text,
      born date DEFAULT NULL,
      score decimal(8,2) NOT NULL DEFAULT 0.00,
      rating double DEFAULT 1.5,
      active tinyint(1) NOT NULL DEFAULT 1,
      flags bigint unsigned NOT NULL DEFAULT 0,
      kind enum('a','b','c') NOT NULL DEFAULT 'a',
      tags set('x','y') DEFAULT NULL,
      created datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
      meta json DEFAULT NULL,
      mentor_id int NULL,
      upper_name varchar(100) GENERATED ALWAYS AS (upper(name)) VIRTUAL,
      name_len int GENERATED ALWAYS AS (char_length(name)) STORED,
      CONSTRAINT score_pos CHECK (score >= 0),
      CONSTRAINT author_mentor FOREIGN KEY (mentor_id) REFERENCES author (id) ON DELETE SET NULL,
      FULLTEXT KEY author_bio (bio),
      KEY author_name_prefix (name(10)),
      KEY author_multi (kind, created DESC)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='people who write'""",
    "CREATE TABLE legacy (id int PRIMARY KEY, label varchar(20) NOT NULL COMMENT 'the label', raw blob, "
    "b binary(16), t time(3), y year, f float, m mediumint, bits bit(8), "
    "note varchar(30) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin) DEFAULT CHARSET=latin1",
    "CREATE TABLE place (id int PRIMARY KEY, spot point NOT NULL, SPATIAL INDEX place_spot (spot))",
    """CREATE TABLE book (
      id bigint NOT NULL AUTO_INCREMENT,
      author_id int NOT NULL,
      title varchar(200) NOT NULL,
      isbn char(13) NOT NULL,
      price decimal(10,2) DEFAULT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY book_isbn (isbn),
      UNIQUE KEY book_author_title (author_id, title),
      KEY book_title (title) USING BTREE COMMENT 'by title',
      CONSTRAINT book_author FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE ON UPDATE CASCADE
    )""",
    "CREATE TABLE shelf (id int PRIMARY KEY, best_book_id bigint NULL, KEY (best_book_id))",
    "CREATE TABLE shelf_item (shelf_id int NOT NULL, book_id bigint NOT NULL, pos int NOT NULL DEFAULT 0, "
    "PRIMARY KEY (shelf_id, book_id), CONSTRAINT si_shelf FOREIGN KEY (shelf_id) REFERENCES shelf (id), "
    "CONSTRAINT si_book FOREIGN KEY (book_id) REFERENCES book (id) ON DELETE RESTRICT)",
    # a cycle: shelf -> book -> ... -> shelf_item -> shelf
    "ALTER TABLE shelf ADD CONSTRAINT shelf_best FOREIGN KEY (best_book_id) REFERENCES book (id) ON DELETE SET NULL",
    "CREATE VIEW book_titles AS SELECT id, title FROM book",
    "CREATE TRIGGER book_touch BEFORE UPDATE ON book FOR EACH ROW SET NEW.title = TRIM(NEW.title)",
    "CREATE SEQUENCE ticket_seq START WITH 100 INCREMENT BY 5",
]
MY_NOT_HANDLED = [("CREATE SEQUENCE", "ticket_seq"), ("DO SETVAL", "ticket_seq"), ("CREATE TRIGGER", "book_touch")]


def my(socket, db, *statements):
    import MySQLdb

    con = MySQLdb.connect(unix_socket=socket, user="root", charset="utf8mb4", autocommit=True,
                          **({"database": db} if db else {}))
    try:
        cur, rows = con.cursor(), None
        for sql in statements:
            cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()] if cur.description else None
        return rows
    finally:
        con.close()


def my_catalog(socket, db):
    """Tables, columns, indexes and constraints as information_schema gives them, the schema name left out."""
    q = lambda sql: my(socket, db, sql)  # noqa: E731
    where = "TABLE_SCHEMA = DATABASE()"
    return {
        "tables": q("SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES "
                    "WHERE %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1" % where),
        "columns": q("SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
                     "EXTRA, GENERATION_EXPRESSION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT "
                     "FROM information_schema.COLUMNS WHERE %s AND TABLE_NAME IN (SELECT TABLE_NAME FROM "
                     "information_schema.TABLES WHERE %s AND TABLE_TYPE = 'BASE TABLE') ORDER BY 1, 2" % (where, where)),
        "indexes": q("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION, "
                     "INDEX_TYPE, INDEX_COMMENT FROM information_schema.STATISTICS WHERE %s ORDER BY 1, 2, 4" % where),
        "constraints": q("SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS "
                         "WHERE %s ORDER BY 1, 2, 3" % where),
        "checks": q("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                    "WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2"),
        "fk_columns": q("SELECT TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, REFERENCED_TABLE_NAME, "
                        "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE %s "
                        "AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY 1, 2, 3" % where),
        "fk_rules": q("SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM "
                      "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2"),
    }


_my_n = iter(range(1, 1000))


@pytest.mark.parametrize("drop_tables", [True, False], ids=["no-data", "no-data-skip-add-drop-table"])
def test_mariadb_schema_dump_round_trip(my_server, tmp_path, drop_tables):
    n = next(_my_n)
    rich, empty = "rt_rich_%d" % n, "rt_empty_%d" % n
    for name in (rich, empty):
        my(my_server, None, "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci" % name)
    my(my_server, rich, *MY_RICH)
    args = [tool("mariadb-dump", "DBSYNC_MYSQL_BINDIR"), "--socket=" + my_server, "-uroot", "--no-data"]
    if not drop_tables:
        args.append("--skip-add-drop-table")
    r = subprocess.run(args + [rich], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert ("DROP TABLE IF EXISTS `book`" in r.stdout) == drop_tables
    assert "DELIMITER ;;" in r.stdout and "DEFAULT CHARSET=latin1" in r.stdout
    dump = tmp_path / "dump.sql"
    dump.write_text(r.stdout)
    url = "mysql://root@localhost/%s?unix_socket=%s"
    plan_both_ways(dump, url % (rich, my_server), MY_NOT_HANDLED, lambda: my_catalog(my_server, rich))

    apply_to_empty(dump, url % (empty, my_server), MY_NOT_HANDLED)
    built = my_catalog(my_server, empty)
    assert built == my_catalog(my_server, rich)
    assert ("legacy", "InnoDB", "latin1_swedish_ci", "") in built["tables"]
    assert {(i[1], i[7], i[8]) for i in built["indexes"]} >= {("author_bio", "FULLTEXT", ""),
                                                              ("place_spot", "SPATIAL", ""),
                                                              ("book_title", "BTREE", "by title")}


# --- PostgreSQL ----------------------------------------------------------------

PG_RICH = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq START 100 INCREMENT 5;
CREATE TABLE author (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name varchar(100) NOT NULL,
  email text UNIQUE,
  bio text COLLATE "C",
  born date,
  score numeric(8,2) NOT NULL DEFAULT 0 CHECK (score >= 0),
  rating double precision DEFAULT 1.5,
  active boolean NOT NULL DEFAULT true,
  flags bigint NOT NULL DEFAULT 0,
  created timestamptz NOT NULL DEFAULT now(),
  meta jsonb,
  tags text[] DEFAULT '{}'::text[],
  feeling mood,
  ticket integer DEFAULT nextval('ticket_seq'),
  mentor_id integer REFERENCES author (id) ON DELETE SET NULL,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  uid uuid,
  CONSTRAINT author_name_nonempty CHECK (name <> '')
);
COMMENT ON TABLE author IS 'people who write';
COMMENT ON COLUMN author.name IS 'full name';
CREATE TABLE book (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id integer NOT NULL,
  title varchar(200) NOT NULL,
  isbn char(13) NOT NULL,
  price numeric(10,2),
  pages smallint,
  CONSTRAINT book_isbn_key UNIQUE (isbn),
  CONSTRAINT book_author_title UNIQUE (author_id, title),
  CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE shelf (id integer PRIMARY KEY, best_book_id bigint);
CREATE TABLE shelf_item (shelf_id integer NOT NULL REFERENCES shelf (id),
  book_id bigint NOT NULL REFERENCES book (id) ON DELETE RESTRICT, pos integer NOT NULL DEFAULT 0,
  PRIMARY KEY (shelf_id, book_id));
ALTER TABLE shelf ADD CONSTRAINT shelf_best FOREIGN KEY (best_book_id) REFERENCES book (id) ON DELETE SET NULL;
CREATE TABLE cyc_a (id serial PRIMARY KEY, b_id integer);
CREATE TABLE cyc_b (id bigserial PRIMARY KEY, a_id integer REFERENCES cyc_a (id) DEFERRABLE INITIALLY DEFERRED,
  code text, CONSTRAINT cyc_b_code UNIQUE NULLS NOT DISTINCT (code));
ALTER TABLE cyc_a ADD CONSTRAINT cyc_a_b FOREIGN KEY (b_id) REFERENCES cyc_b (id) ON UPDATE SET NULL;
CREATE INDEX book_title_lower ON book (lower(title));
CREATE INDEX book_cheap ON book (price) WHERE price < 10;
CREATE INDEX author_created ON author (created DESC, name);
CREATE INDEX author_meta ON author USING gin (meta);
CREATE INDEX cyc_b_code_nulls ON cyc_b (code NULLS FIRST);
COMMENT ON INDEX book_cheap IS 'cheap books';
COMMENT ON CONSTRAINT book_isbn_key ON book IS 'one book per isbn';
CREATE VIEW book_titles AS SELECT id, title FROM book;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := trim(NEW.title); RETURN NEW; END $$;
CREATE TRIGGER book_touch BEFORE UPDATE ON book FOR EACH ROW EXECUTE FUNCTION touch();
"""
PG_NOT_HANDLED = [
    ("CREATE TYPE", "mood"), ("ALTER TYPE", "mood"), ("CREATE FUNCTION", "touch"), ("ALTER FUNCTION", "touch"),
    ("CREATE SEQUENCE", "ticket_seq"), ("CREATE SEQUENCE", "cyc_a_id_seq"), ("ALTER SEQUENCE", "cyc_a_id_seq"),
    ("CREATE SEQUENCE", "cyc_b_id_seq"), ("ALTER SEQUENCE", "cyc_b_id_seq"), ("CREATE TRIGGER", "book_touch"),
]
# what the tables need of that list, made natively in the empty database
PG_PREREQUISITES = ("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE SEQUENCE ticket_seq; "
                    "CREATE SEQUENCE cyc_a_id_seq; CREATE SEQUENCE cyc_b_id_seq;")


def pg(server, db, sql):
    import psycopg

    with psycopg.connect(host=server, user="dbsync", dbname=db, autocommit=True) as con:
        cur = con.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else None


def pg_catalog(server, db):
    """Tables, columns, indexes, constraints and comments of schema public, as the server prints them."""
    q = lambda sql: pg(server, db, sql)  # noqa: E731
    rel = "c.relnamespace = 'public'::regnamespace"
    return {
        "columns": q("SELECT table_name, ordinal_position, column_name, data_type, udt_name, is_nullable, "
                     "column_default, character_maximum_length, numeric_precision, numeric_scale, is_identity, "
                     "identity_generation, identity_start, identity_increment, is_generated, "
                     "generation_expression, collation_name FROM information_schema.columns "
                     "WHERE table_schema = 'public' AND table_name <> 'book_titles' ORDER BY 1, 2"),
        "indexes": q("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                     "ORDER BY 1, 2"),
        "constraints": q("SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid), k.condeferrable, "
                         "k.condeferred FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE %s "
                         "ORDER BY 1, 2" % rel),
        "comments": q("SELECT c.relname, d.objsubid, d.description FROM pg_description d JOIN pg_class c "
                      "ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass WHERE %s ORDER BY 1, 2" % rel),
        "constraint_comments": q("SELECT c.relname, k.conname, d.description FROM pg_description d "
                                 "JOIN pg_constraint k ON k.oid = d.objoid AND d.classoid = 'pg_constraint'::regclass "
                                 "JOIN pg_class c ON c.oid = k.conrelid WHERE %s ORDER BY 1, 2" % rel),
    }


def test_postgres_schema_dump_round_trip(pg_server, tmp_path):
    for name in ("rt_rich", "rt_empty"):
        pg(pg_server, "postgres", "CREATE DATABASE %s" % name)
    pg(pg_server, "rt_rich", PG_RICH)
    r = subprocess.run([tool("pg_dump", "DBSYNC_PG_BINDIR", "PG_BINDIR"), "--schema-only", "-h", pg_server,
                        "-U", "dbsync", "rt_rich"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "CREATE TABLE public.author" in r.stdout and "feeling public.mood" in r.stdout
    dump = tmp_path / "dump.sql"
    dump.write_text(r.stdout)
    url = "postgresql:///%s?host=" + pg_server + "&user=dbsync"
    plan_both_ways(dump, url % "rt_rich", PG_NOT_HANDLED, lambda: pg_catalog(pg_server, "rt_rich"))

    pg(pg_server, "rt_empty", PG_PREREQUISITES)
    apply_to_empty(dump, url % "rt_empty", PG_NOT_HANDLED)
    built = pg_catalog(pg_server, "rt_empty")
    assert built == pg_catalog(pg_server, "rt_rich")
    assert ("cyc_b", "cyc_b_code_nulls", "CREATE INDEX cyc_b_code_nulls ON public.cyc_b USING btree (code NULLS FIRST)") \
        in built["indexes"]
    assert built["constraint_comments"] == [("book", "book_isbn_key", "one book per isbn")]
    assert {(c[0], c[2], c[11]) for c in built["columns"] if c[10] == "YES"} == {("author", "id", "BY DEFAULT"),
                                                                                ("book", "id", "ALWAYS")}
