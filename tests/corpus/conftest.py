"""Fixtures of the real-app corpus (README.md).

The corpus is a Django project of its own (corpusproject, apps from PyPI), so
every Django step runs in another process with its settings: the pytest
process may have Django configured already for the end-to-end suite (`pytest
tests` runs both), and Django is configured once per process. That process is
worker.py, one per backend for the session: Django starts once (seconds of CPU
with these apps) and each manage.py step runs in a fork of it, on the test's
own database.

The servers are the end-to-end suite's: ONE throwaway PostgreSQL and ONE
MariaDB for the session (tests/e2e/e2e_pg.py, e2e_my.py), stopped at the end
whatever happens. `migrate` of the whole corpus takes a minute or two per
backend, so each backend's migrate-built database is made once (session
fixture; the backends' migrates at once) and copied per test: a file copy on SQLite, CREATE DATABASE ...
TEMPLATE on PostgreSQL, the e2e suite's server-side copy on MariaDB (it has
no templates).
"""
import json
import os
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import e2e_my  # noqa: E402
import e2e_pg  # noqa: E402
import e2e_servers  # noqa: E402

# Long steps of the corpus and the catalog's size, recorded for the README's
# numbers (printed at the end of the run).
TIMINGS = {}
SIZES = {}


class Worker:
    """worker.py for one backend: Django started once, a fork per command."""

    def __init__(self, backend, settings_dict, log_dir):
        self.backend = backend
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="corpusproject.settings",
                   DBSYNC_CORPUS_DB=json.dumps(settings_dict), PYTHONWARNINGS="ignore")
        env.pop("DBSYNC_E2E_PG", None)
        self.log = open(log_dir / ("worker-%s.log" % backend), "w+")
        start = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, str(HERE / "worker.py")], cwd=HERE, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.started = start

    def run(self, settings_dict, args, timeout):
        """(exit status, stdout, stderr) of manage.py `args` on `settings_dict`."""
        self.submit(settings_dict, args)
        return self.result(args, timeout)

    def submit(self, settings_dict, args):
        """Start manage.py `args`; result() waits for it."""
        self.proc.stdin.write(json.dumps({"db": settings_dict, "args": list(args)}) + "\n")
        self.proc.stdin.flush()

    def result(self, args, timeout):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            self.log.seek(0)
            pytest.fail("the corpus worker (%s) %s during manage.py %s:\n%s" % (
                self.backend, "ended" if ready else "timed out", " ".join(args), self.log.read()[-6000:]),
                pytrace=False)
        answer = json.loads(line)
        return answer["rc"], answer["stdout"], answer["stderr"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Corpus:
    """One database of the corpus project: runs manage.py against it."""

    def __init__(self, backend, settings_dict, handle, worker):
        self.backend = backend
        self.settings_dict = settings_dict
        self.handle = handle  # a SQLite path, or an e2e PgDb / MyDb
        self.worker = worker

    def manage(self, *args, check=True, timeout=1800):
        self.submit(*args)
        return self.wait(check=check, timeout=timeout)

    def submit(self, *args):
        """Start manage.py `args` on this database; wait() ends it."""
        self._running = (args, time.monotonic())
        self.worker.submit(self.settings_dict, args)

    def wait(self, check=True, timeout=1800):
        args, start = self._running
        rc, stdout, stderr = self.worker.result(args, timeout)
        TIMINGS.setdefault((self.backend, args[0]), []).append(time.monotonic() - start)
        proc = subprocess.CompletedProcess(args, rc, stdout, stderr)
        if check and proc.returncode != 0:
            pytest.fail("manage.py %s failed (exit %d) on %s:\n%s\n%s" % (
                " ".join(args), proc.returncode, self.backend, proc.stdout[-6000:], proc.stderr[-6000:]),
                pytrace=False)
        return proc

    def schema_rows(self):
        """Everything the catalog says, for "nothing changed" comparisons:
        SQLite's sqlite_schema rows (virtual, shadow tables and triggers
        included), PostgreSQL's deparsed definitions and collations,
        MariaDB's SHOW CREATE TABLE of every table."""
        if self.backend == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.handle)
            try:
                return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall(),
                              key=lambda r: (r[0], r[1]))
            finally:
                con.close()
        return self.handle.schema_rows()


    def size(self):
        """What the catalog holds, counted for the README: tables, indexes
        made on their own (CREATE INDEX, KEY), and the primary, unique,
        foreign-key and check constraints (on MariaDB a unique index is its
        unique constraint)."""
        if self.backend == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.handle)
            try:
                tables = [r[0] for r in con.execute(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
                size = dict.fromkeys(("tables", "indexes", "primary", "unique", "foreign", "check"), 0)
                size["tables"] = len(tables)
                for t in tables:
                    origins = [r[3] for r in con.execute("SELECT * FROM pragma_index_list(?)", (t,))]
                    size["indexes"] += origins.count("c")
                    size["unique"] += origins.count("u")
                    size["primary"] += any(r[5] for r in con.execute("SELECT * FROM pragma_table_info(?)", (t,)))
                    size["foreign"] += len({r[0] for r in con.execute(
                        "SELECT * FROM pragma_foreign_key_list(?)", (t,))})
                    sql = con.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (t,)).fetchone()[0] or ""
                    size["check"] += sql.upper().count("CHECK (")
                return size
            finally:
                con.close()
        db = self.handle
        if self.backend == "postgresql":
            # the indexes of tables only: oscar's materialized view has one
            # (test_corpus.py, OSCAR_MATVIEW), and it is no table
            count = {"tables": "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                               "AND relkind IN ('r', 'p')",
                     "indexes": "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                                "JOIN pg_class t ON t.oid = x.indrelid "
                                "WHERE i.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p') "
                                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"}
            for kind, letter in (("primary", "p"), ("unique", "u"), ("foreign", "f"), ("check", "c")):
                count[kind] = ("SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                               "AND contype = '%s'" % letter)
        else:
            stats = ("SELECT count(DISTINCT table_name, index_name) FROM information_schema.statistics "
                     "WHERE table_schema = DATABASE() AND ")
            count = {"tables": "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                               "AND table_type = 'BASE TABLE'",
                     "indexes": stats + "non_unique = 1",
                     "primary": stats + "index_name = 'PRIMARY'",
                     "unique": stats + "non_unique = 0 AND index_name <> 'PRIMARY'",
                     "foreign": "SELECT count(*) FROM information_schema.referential_constraints "
                                "WHERE constraint_schema = DATABASE()",
                     "check": "SELECT count(*) FROM information_schema.check_constraints "
                              "WHERE constraint_schema = DATABASE()"}
        return {kind: db.query(sql)[0][0] for kind, sql in count.items()}


def _sqlite_settings(path):
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


@pytest.fixture(scope="session")
def corpus_pg_server():
    yield from e2e_servers.session_server(e2e_pg, e2e_pg.PgServer)


@pytest.fixture(scope="session")
def corpus_my_server():
    yield from e2e_servers.session_server(e2e_my, e2e_my.MyServer)


@pytest.fixture(scope="session")
def corpus_sizes():
    """(backend, how it was built) -> Corpus.size(), printed at the end."""
    return SIZES


@pytest.fixture(scope="session")
def corpus_workers(tmp_path_factory):
    """worker(backend, settings_dict): the backend's worker, started on first
    use (with settings_dict: the installed apps depend on the backend), every
    one stopped at the end of the session."""
    workers = {}
    log_dir = tmp_path_factory.mktemp("corpus-workers")

    def worker(backend, settings_dict):
        if backend not in workers:
            workers[backend] = Worker(backend, settings_dict, log_dir)
        return workers[backend]

    yield worker
    for w in workers.values():
        w.stop()


def corpus_on(corpus_workers, backend, settings_dict, handle):
    return Corpus(backend, settings_dict, handle, corpus_workers(backend, settings_dict))


def general_ci(db):
    """MariaDB's own default collation for utf8mb4: wagtail's data migrations
    compare columns with casts in the connection's collation (general_ci), and
    the e2e suite's databases are unicode_ci ("Illegal mix of collations")."""
    db.execute("ALTER DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci" % db.name, db=None)
    return db


@pytest.fixture(scope="session")
def migrated_templates(request, corpus_workers, tmp_path_factory):
    """backend -> the Corpus that `migrate` built, for every backend the
    session's tests use. `migrate` is most of the corpus' time and mostly one
    process's CPU or its server's: the backends' migrates run at once."""
    backends = [b for b in ("sqlite", "postgresql", "mysql") if any(
        getattr(item, "callspec", None) and item.callspec.params.get("backend") == b
        for item in request.session.items)]
    templates = {}
    for backend in backends:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("corpus-template") / "migrated.sqlite3"
            templates[backend] = corpus_on(corpus_workers, backend, _sqlite_settings(path), str(path))
            continue
        server = request.getfixturevalue("corpus_pg_server" if backend == "postgresql" else "corpus_my_server")
        db = server.new_database(prefix="corpus_template")
        if backend == "mysql":
            general_ci(db)
        templates[backend] = corpus_on(corpus_workers, backend, db.settings_dict(), db)
    for corpus in templates.values():
        corpus.submit("migrate", "-v0")
    for corpus in templates.values():
        corpus.wait()
    return templates


def new_corpus(request, backend, tmp_path, name):
    """A fresh, empty corpus database of `backend`, dropped after the test."""
    workers = request.getfixturevalue("corpus_workers")
    if backend == "sqlite":
        path = tmp_path / ("%s.sqlite3" % name)
        return corpus_on(workers, backend, _sqlite_settings(path), str(path))
    server = request.getfixturevalue("corpus_pg_server" if backend == "postgresql" else "corpus_my_server")
    db = server.new_database(prefix="corpus")
    request.addfinalizer(db.drop)
    if backend == "mysql":
        general_ci(db)
    return corpus_on(workers, backend, db.settings_dict(), db)


@pytest.fixture
def corpus_migrated(request, backend, tmp_path):
    """A database of `backend` built by `migrate` of every corpus app, the test's own."""
    if backend == "sqlite":
        corpus = new_corpus(request, backend, tmp_path, "migrated")
        shutil.copyfile(request.getfixturevalue("migrated_templates")["sqlite"].handle, corpus.handle)
        return corpus
    if backend == "postgresql":
        template = request.getfixturevalue("migrated_templates")["postgresql"]
        db = template.handle.server.new_database(template=template.handle, prefix="corpus")
        request.addfinalizer(db.drop)
        return corpus_on(request.getfixturevalue("corpus_workers"), backend, db.settings_dict(), db)
    # MariaDB has no database templates: the e2e suite's server-side copy
    # (SHOW CREATE TABLE, then INSERT ... SELECT), in a general_ci database
    corpus = new_corpus(request, backend, tmp_path, "migrated")
    corpus.handle.copy_from(request.getfixturevalue("migrated_templates")["mysql"].handle)
    return corpus


@pytest.fixture
def corpus_empty(request, backend, tmp_path):
    return new_corpus(request, backend, tmp_path, "empty")


@pytest.fixture
def corpus_reference(request, backend, tmp_path):
    """A second empty database, for the create_model reference."""
    return new_corpus(request, backend, tmp_path, "reference")


def pytest_terminal_summary(terminalreporter):
    for (backend, what), size in sorted(SIZES.items()):
        terminalreporter.write_line("corpus size, %s %s: %s" % (backend, what, ", ".join(
            "%s %d" % kv for kv in size.items())))
    if TIMINGS:
        terminalreporter.write_line("corpus timings (s): " + ", ".join(
            "%s %s %.1f" % (b, step, sum(t)) for (b, step), t in sorted(TIMINGS.items())))
