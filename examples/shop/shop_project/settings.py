"""A small shop whose database is kept in line by `manage.py dbsync`, with no migrations."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "example-only-not-secret"
DEBUG = True
USE_TZ = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_dbsync",
    "store",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB", BASE_DIR / "db.sqlite3"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_DBSYNC = {
    # Dropping a column destroys its data, so it is off unless asked for;
    # demo.sh turns it on for one run to show both behaviours.
    "AUTO_DROP_COLUMNS": os.environ.get("SHOP_DROP_COLUMNS") == "1",
    # Backups (BACKUP_BEFORE_SYNC is on by default) go beside the database file,
    # so a run on a database elsewhere (the tests' SHOP_DB) leaves nothing here.
    "BACKUP_DIR": Path(DATABASES["default"]["NAME"]).parent / "dbsync_backups",
}
