"""The same project on django-tenant-schemas (the package django-tenants was
forked from): its backend, router and TenantMixin (app ts_customers); the
tenant apps are the same."""
from tenantsite.settings import *  # noqa: F401,F403
from tenantsite.settings import DATABASES, TENANT_APPS

SHARED_APPS = [
    "tenant_schemas",
    "ts_customers",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_dbsync",
    "ledger",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "ts_customers.Client"
del TENANT_DOMAIN_MODEL  # noqa: F821 (django-tenants only)

DATABASES["default"]["ENGINE"] = "tenant_schemas.postgresql_backend"
DATABASE_ROUTERS = ["tenant_schemas.routers.TenantSyncRouter"]
# its check W003 asks for a tenant-aware default storage
STORAGES = {"default": {"BACKEND": "tenant_schemas.storage.TenantFileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
