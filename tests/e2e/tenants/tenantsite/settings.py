"""Settings of the django-tenants test project, laid out as django-tenants'
install guide lays out a project: its PostgreSQL backend and router, a tenant
and a domain model in a shared app, SHARED_APPS and TENANT_APPS.

DBSYNC_TENANTS_DB (a JSON object of DATABASES settings, set by the tests)
points 'default' at the test's PostgreSQL database.
"""
import json
import os

SECRET_KEY = "tenants-tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]

# Public schema only: the tenants and their domains, the users (a tenant's
# order points at one: a foreign key from each tenant schema into public).
SHARED_APPS = [
    "django_tenants",
    "customers",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_dbsync",
    "ledger",
]
# Every tenant schema. ledger is in both lists: it goes to public and to each tenant.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "shop",
    "ledger",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"

DATABASES = {
    "default": dict(json.loads(os.environ.get("DBSYNC_TENANTS_DB", "{}")),
                    ENGINE="django_tenants.postgresql_backend"),
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# DBSYNC_E2E_OUTPUT_DIR: the e2e session's directory for reports and backups.
if os.environ.get("DBSYNC_E2E_OUTPUT_DIR"):
    _out = os.environ["DBSYNC_E2E_OUTPUT_DIR"]
    DJANGO_DBSYNC = {"BACKUP_DIR": os.path.join(_out, "backups"),
                     "REPORT_OUTPUT_DIR": os.path.join(_out, "reports")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
