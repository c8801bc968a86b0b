"""Fixtures of the end-to-end suite.

No test uses pytest-django's test database: each one gets its own SQLite FILES
in a temporary directory (the engine opens its own connection and needs a file,
and must see committed data), and Django's connections are pointed at them and
closed around every step. Database access is unblocked for the whole test.

The backend-parametrized fixtures (db_empty, db_template, db_migrated,
db_filled) run a test once on SQLite and once on PostgreSQL. For PostgreSQL the
session starts ONE throwaway server (scripts/pg-server.sh, stopped at the end
of the session whatever happens), builds one template database with `migrate`,
and gives each test its own database: CREATE DATABASE ... TEMPLATE, dropped
afterwards. Django's 'default' alias is pointed at that database for the test.

MariaDB (the tests that parametrize `backend` with e2e_support.ALL_BACKENDS):
ONE throwaway server for the session (scripts/mariadb-server.sh, stopped at the
end whatever happens), a template built by `migrate` that tests only read, and
a fresh database per test (CREATE DATABASE, dropped afterwards); a test that
needs a migrated one gets a server-side copy of the template (MariaDB has no
database templates: e2e_my.MyDb.copy_tables; test_fixtures.py proves the copy
equals a migrate-built database).

Under pytest-xdist (`make test` runs two workers) each worker is a session of
its own: its own servers, templates and temporary directories.

A server that cannot start fails the tests that need it; only
DBSYNC_ALLOW_MISSING_SERVERS=1 (never set by CI) skips them when the server
is not installed at all.
"""
import atexit
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SETTINGS = "testproject.settings"


def _prefer_installed_package():
    """`python -m pytest` from the repository root puts the root first on
    sys.path, so the source tree's django_dbsync (which has no built _engine)
    would shadow the installed package. Take the root out of sys.path unless
    the source tree holds an in-place build."""
    source = REPO / "django_dbsync"
    if any(source.glob("_engine*")):
        return

    def is_repo(entry):
        try:
            return Path(entry or os.getcwd()).resolve() == REPO
        except OSError:
            return False

    sys.path[:] = [entry for entry in sys.path if not is_repo(entry)]
    for name in [m for m in sys.modules if m == "django_dbsync" or m.startswith("django_dbsync.")]:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and Path(origin).resolve().is_relative_to(source):
            del sys.modules[name]
    importlib.invalidate_caches()


def _setup_django():
    """Configure Django here rather than in an ini file, so the suite runs the
    same from `pytest tests` at the root (as `make test` does), `pytest
    tests/e2e`, or from this folder, and only after sys.path is right."""
    import django
    from django.apps import apps
    from django.conf import settings

    if settings.configured and os.environ.get("DJANGO_SETTINGS_MODULE") != SETTINGS:
        raise pytest.UsageError("the e2e suite needs DJANGO_SETTINGS_MODULE=%s, Django is already configured "
                                "with %s" % (SETTINGS, os.environ.get("DJANGO_SETTINGS_MODULE")))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    if not apps.ready:
        django.setup()


_prefer_installed_package()
_setup_django()

# manage.py run in a subprocess by a test: its backups and reports go to a
# directory of this session (testproject/settings.py reads the variable), never
# into the source tree. Set only now, so this process's settings stay as they are.
_SUBPROCESS_OUTPUT = tempfile.mkdtemp(prefix="dbsync-e2e-output-")
os.environ["DBSYNC_E2E_OUTPUT_DIR"] = _SUBPROCESS_OUTPUT
atexit.register(shutil.rmtree, _SUBPROCESS_OUTPUT, True)

try:
    from django_dbsync import _engine  # noqa: F401
except ImportError as exc:  # pragma: no cover - environment problem, reported clearly
    import django_dbsync

    raise pytest.UsageError(
        "django_dbsync._engine cannot be imported (%s) from %s: install the project first "
        "(pip install --no-build-isolation .)" % (exc, os.path.dirname(django_dbsync.__file__))
    )

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

import e2e_servers  # noqa: E402
import e2e_support as s  # noqa: E402


@pytest.fixture(autouse=True)
def _backups_off_unless_asked(monkeypatch, tmp_path_factory):
    """backups: BACKUP_BEFORE_SYNC is on by default; in this suite a test turns it
    on itself (tests/e2e/test_backup.py), and backups never land in the source tree."""
    from django_dbsync import conf

    monkeypatch.setitem(conf.DEFAULTS, "BACKUP_BEFORE_SYNC", False)
    monkeypatch.setitem(conf.DEFAULTS, "BACKUP_DIR", str(tmp_path_factory.mktemp("backups")))


@pytest.fixture(autouse=True)
def _db_access(django_db_blocker):
    with django_db_blocker.unblock():
        yield


def _point(alias, path):
    s.close_connections()
    settings.DATABASES[alias]["NAME"] = str(path)
    connections[alias].settings_dict["NAME"] = str(path)


@pytest.fixture
def dbfiles(tmp_path):
    """Fresh, empty database files for both aliases; the paths as (default, other)."""
    saved = {alias: settings.DATABASES[alias]["NAME"] for alias in ("default", "other")}
    default, other = tmp_path / "default.sqlite3", tmp_path / "other.sqlite3"
    _point("default", default)
    _point("other", other)
    yield default, other
    s.close_connections()
    for alias, name in saved.items():
        _point(alias, name)


@pytest.fixture
def dbfile(dbfiles):
    return dbfiles[0]


@pytest.fixture(scope="session")
def migrate_template(tmp_path_factory, django_db_blocker):
    """One database built by `migrate` (real migrations), copied by the tests that need it."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    saved = settings.DATABASES["default"]["NAME"]
    with django_db_blocker.unblock():
        _point("default", path)
        try:
            s.migrate()
        finally:
            _point("default", saved)
    return path


# --- PostgreSQL ------------------------------------------------------------------

def use_database(alias, settings_dict):
    """Point Django's `alias` at `settings_dict` (a full DATABASES entry),
    dropping the alias's old connection object. Returns the previous entry."""
    s.close_connections()
    previous = settings.DATABASES[alias]
    new = connections.configure_settings({alias: dict(settings_dict)})[alias]
    settings.DATABASES[alias] = new
    connections.settings[alias] = new
    try:
        del connections[alias]
    except AttributeError:  # never used in this thread
        pass
    return previous


def _migrated_template(server, django_db_blocker):
    """One database on `server` built by `migrate`."""
    db = server.new_database(prefix="e2e_migrated")
    with django_db_blocker.unblock():
        previous = use_database("default", db.settings_dict())
        try:
            s.migrate()
        finally:
            use_database("default", previous)
    return db


@pytest.fixture(scope="session")
def pg_server():
    """ONE throwaway PostgreSQL for the session (scripts/pg-server.sh)."""
    import e2e_pg

    yield from e2e_servers.session_server(e2e_pg, e2e_pg.PgServer)


@pytest.fixture(scope="session")
def pg_template(pg_server, django_db_blocker):
    """One PostgreSQL database built by `migrate`, copied by the tests that need it."""
    return _migrated_template(pg_server, django_db_blocker)


def _pg_default(server, template=None):
    """A fresh PostgreSQL database (a copy of `template`, else empty) that
    Django's 'default' points at, dropped afterwards: a fixture's generator."""
    db = server.new_database(template=template)
    previous = use_database("default", db.settings_dict())
    yield db
    use_database("default", previous)
    db.drop()


@pytest.fixture
def pg_db(pg_server):
    """A fresh, empty PostgreSQL database that Django's 'default' points at."""
    yield from _pg_default(pg_server)


# --- MariaDB ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def my_server():
    """ONE throwaway MariaDB for the session (scripts/mariadb-server.sh)."""
    import e2e_my

    yield from e2e_servers.session_server(e2e_my, e2e_my.MyServer)


@pytest.fixture(scope="session")
def my_template(my_server, django_db_blocker):
    """One MariaDB database built by `migrate`, read (never changed) by the tests."""
    return _migrated_template(my_server, django_db_blocker)


@pytest.fixture
def my_db(my_server):
    """A fresh, empty MariaDB database that Django's 'default' points at."""
    db = my_server.new_database()
    previous = use_database("default", db.settings_dict())
    yield db
    use_database("default", previous)
    db.drop()


@pytest.fixture
def my_migrated(my_db, my_template):
    """A copy of the MariaDB template in the fresh database. MariaDB has no
    CREATE DATABASE ... TEMPLATE: the template's tables are copied server-side
    (e2e_my.MyDb.copy_tables), in milliseconds where `migrate` takes seconds."""
    my_db.copy_from(my_template)
    return my_db


# The proofs run on SQLite and PostgreSQL; a test that also runs on MariaDB
# parametrizes `backend` itself with e2e_support.ALL_BACKENDS.
@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def db_empty(request, backend):
    """A fresh, empty database of the test's backend, Django's 'default' pointing at it."""
    return request.getfixturevalue({"sqlite": "dbfile", "postgresql": "pg_db", "mysql": "my_db"}[backend])


@pytest.fixture
def db_template(request, backend):
    """The database built by `migrate` for the test's backend (read it, never change it)."""
    return request.getfixturevalue({"sqlite": "migrate_template", "postgresql": "pg_template",
                                    "mysql": "my_template"}[backend])


@pytest.fixture
def pg_migrated(pg_server, pg_template):
    """A fresh copy of the PostgreSQL template (CREATE DATABASE ... TEMPLATE)
    that Django's 'default' points at: made directly, never an empty database
    first (each database made costs the server a few hundred files)."""
    yield from _pg_default(pg_server, template=pg_template)


def _fill(db):
    from fill import fill_rows

    fill_rows()
    s.close_connections()
    return db


@pytest.fixture
def pg_filled(pg_migrated):
    return _fill(pg_migrated)


@pytest.fixture
def my_filled(my_migrated):
    return _fill(my_migrated)


@pytest.fixture
def db_migrated(request, backend):
    return request.getfixturevalue({"sqlite": "migrated_db", "postgresql": "pg_migrated",
                                    "mysql": "my_migrated"}[backend])


@pytest.fixture
def db_filled(db_migrated):
    return _fill(db_migrated)


# --- SQLite files ------------------------------------------------------------------

@pytest.fixture
def migrated_db(dbfile, migrate_template):
    shutil.copyfile(migrate_template, dbfile)
    return dbfile


@pytest.fixture
def filled_db(migrated_db):
    from fill import fill_rows

    fill_rows()
    s.close_connections()
    return migrated_db
