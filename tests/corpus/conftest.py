"""Fixtures of the real-app corpus (README.md).

The corpus is a Django project of its own (corpusproject, apps from PyPI), so
every Django step runs in a subprocess with its settings: the pytest process
may have Django configured already for the end-to-end suite (`pytest tests`
runs both), and Django is configured once per process.

The servers are the end-to-end suite's: ONE throwaway PostgreSQL and ONE
MariaDB for the session (tests/e2e/e2e_pg.py, e2e_my.py), stopped at the end
whatever happens. `migrate` of the whole corpus takes a minute or two per
backend, so each backend's migrate-built database is made once (session
fixture) and copied per test: a file copy on SQLite, CREATE DATABASE ...
TEMPLATE on PostgreSQL, mariadb-dump into a fresh database on MariaDB (it has
no templates).
"""
import json
import os
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

# Long steps of the corpus, recorded for the README's numbers (-s shows them).
TIMINGS = {}


class Corpus:
    """One database of the corpus project: runs manage.py against it."""

    def __init__(self, backend, settings_dict, handle):
        self.backend = backend
        self.settings_dict = settings_dict
        self.handle = handle  # a SQLite path, or an e2e PgDb / MyDb

    def manage(self, *args, check=True, timeout=1800):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="corpusproject.settings",
                   DBSYNC_CORPUS_DB=json.dumps(self.settings_dict), PYTHONWARNINGS="ignore")
        env.pop("DBSYNC_E2E_PG", None)
        start = time.monotonic()
        proc = subprocess.run([sys.executable, str(HERE / "manage.py"), *args], cwd=HERE, env=env,
                              capture_output=True, text=True, timeout=timeout)
        TIMINGS.setdefault((self.backend, args[0]), []).append(time.monotonic() - start)
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


def _sqlite_settings(path):
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


@pytest.fixture(scope="session")
def corpus_pg_server():
    yield from e2e_servers.session_server(e2e_pg, e2e_pg.PgServer)


@pytest.fixture(scope="session")
def corpus_my_server():
    yield from e2e_servers.session_server(e2e_my, e2e_my.MyServer)


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus-template") / "migrated.sqlite3"
    corpus = Corpus("sqlite", _sqlite_settings(path), str(path))
    corpus.manage("migrate", "-v0")
    return corpus


def general_ci(db):
    """MariaDB's own default collation for utf8mb4: wagtail's data migrations
    compare columns with casts in the connection's collation (general_ci), and
    the e2e suite's databases are unicode_ci ("Illegal mix of collations")."""
    db.execute("ALTER DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci" % db.name, db=None)
    return db


@pytest.fixture(scope="session")
def my_migrated_template(corpus_my_server):
    db = general_ci(corpus_my_server.new_database(prefix="corpus_template"))
    corpus = Corpus("mysql", db.settings_dict(), db)
    corpus.manage("migrate", "-v0")
    return corpus


def copy_mariadb(template, target):
    """MariaDB has no database templates: copy schema and rows with
    mariadb-dump (Debian's mariadb-client, installed with mariadb-server),
    seconds where `migrate` takes minutes."""
    server = template.handle.server
    dump = subprocess.run(["mariadb-dump", "--socket", server.socket, "-uroot", "--no-tablespaces", "--triggers",
                           "--routines", template.handle.name], capture_output=True, timeout=600)
    assert dump.returncode == 0, dump.stderr.decode(errors="replace")
    load = subprocess.run(["mariadb", "--socket", server.socket, "-uroot", target.name], input=dump.stdout,
                          capture_output=True, timeout=600)
    assert load.returncode == 0, load.stderr.decode(errors="replace")


@pytest.fixture(scope="session")
def pg_migrated_template(corpus_pg_server):
    db = corpus_pg_server.new_database(prefix="corpus_template")
    corpus = Corpus("postgresql", db.settings_dict(), db)
    corpus.manage("migrate", "-v0")
    return corpus


def new_corpus(request, backend, tmp_path, name):
    """A fresh, empty corpus database of `backend`, dropped after the test."""
    if backend == "sqlite":
        path = tmp_path / ("%s.sqlite3" % name)
        return Corpus(backend, _sqlite_settings(path), str(path))
    server = request.getfixturevalue("corpus_pg_server" if backend == "postgresql" else "corpus_my_server")
    db = server.new_database(prefix="corpus")
    request.addfinalizer(db.drop)
    if backend == "mysql":
        general_ci(db)
    return Corpus(backend, db.settings_dict(), db)


@pytest.fixture
def corpus_migrated(request, backend, tmp_path):
    """A database of `backend` built by `migrate` of every corpus app, the test's own."""
    if backend == "sqlite":
        corpus = new_corpus(request, backend, tmp_path, "migrated")
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template").handle, corpus.handle)
        return corpus
    if backend == "postgresql":
        template = request.getfixturevalue("pg_migrated_template")
        db = template.handle.server.new_database(template=template.handle, prefix="corpus")
        request.addfinalizer(db.drop)
        return Corpus(backend, db.settings_dict(), db)
    corpus = new_corpus(request, backend, tmp_path, "migrated")
    copy_mariadb(request.getfixturevalue("my_migrated_template"), corpus.handle)
    return corpus


@pytest.fixture
def corpus_empty(request, backend, tmp_path):
    return new_corpus(request, backend, tmp_path, "empty")


@pytest.fixture
def corpus_reference(request, backend, tmp_path):
    """A second empty database, for the create_model reference."""
    return new_corpus(request, backend, tmp_path, "reference")


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line("corpus timings (s): " + ", ".join(
            "%s %s %.1f" % (b, step, sum(t)) for (b, step), t in sorted(TIMINGS.items())))
