"""Settings of the end-to-end test project.

Every test points DATABASES at its own temporary SQLite files (see conftest.py);
the paths here only matter for manage.py used by hand (makemigrations, a quick
`dbsync --dry-run`). DBSYNC_E2E_DB / DBSYNC_E2E_OTHER_DB let a subprocess test
choose the files; DBSYNC_E2E_PG (a JSON object of DATABASES settings) points
'default' at a PostgreSQL database instead.
"""
import json
import os
import tempfile

SECRET_KEY = "e2e-tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_dbsync",
    "catalog",
    "notes",
]
# DBSYNC_E2E_EXTRA_APPS: apps only one subprocess test installs (a JSON list),
# such as `unhandled` (test_unhandled.py).
INSTALLED_APPS += json.loads(os.environ.get("DBSYNC_E2E_EXTRA_APPS", "[]"))

_tmp = tempfile.gettempdir()
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DBSYNC_E2E_DB", os.path.join(_tmp, "dbsync-e2e-default.sqlite3")),
    },
    "other": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DBSYNC_E2E_OTHER_DB", os.path.join(_tmp, "dbsync-e2e-other.sqlite3")),
    },
}

if os.environ.get("DBSYNC_E2E_PG"):
    DATABASES["default"] = dict(json.loads(os.environ["DBSYNC_E2E_PG"]), ENGINE="django.db.backends.postgresql")
# DBSYNC_E2E_MY: the same for a MariaDB database.
if os.environ.get("DBSYNC_E2E_MY"):
    DATABASES["default"] = dict(json.loads(os.environ["DBSYNC_E2E_MY"]), ENGINE="django.db.backends.mysql")
# DBSYNC_E2E_SETTINGS: DJANGO_DBSYNC for a subprocess test (a JSON object).
if os.environ.get("DBSYNC_E2E_SETTINGS"):
    DJANGO_DBSYNC = json.loads(os.environ["DBSYNC_E2E_SETTINGS"])
# DBSYNC_E2E_OUTPUT_DIR: set by the e2e conftest for the manage.py subprocesses
# of a test run, so their backups and reports land there and not in the source
# tree (BACKUP_BEFORE_SYNC is on by default).
# DBSYNC_E2E_SILENCED: SILENCED_SYSTEM_CHECKS for a subprocess test (a JSON list).
SILENCED_SYSTEM_CHECKS = json.loads(os.environ.get("DBSYNC_E2E_SILENCED", "[]"))
if os.environ.get("DBSYNC_E2E_OUTPUT_DIR") and isinstance(globals().get("DJANGO_DBSYNC", {}), dict):
    _out = os.environ["DBSYNC_E2E_OUTPUT_DIR"]
    DJANGO_DBSYNC = dict(globals().get("DJANGO_DBSYNC", {}))
    DJANGO_DBSYNC.setdefault("BACKUP_DIR", os.path.join(_out, "backups"))
    DJANGO_DBSYNC.setdefault("REPORT_OUTPUT_DIR", os.path.join(_out, "reports"))

# notes.Oddity cannot be built on MySQL/MariaDB (see the router); no effect elsewhere.
DATABASE_ROUTERS = ["testproject.routers.NoOddityOnMySQL"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MEDIA_ROOT = os.path.join(_tmp, "dbsync-e2e-media")
