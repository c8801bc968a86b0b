"""The project on django-tenants' multi-type tenants: each tenant type has its
own apps (TENANT_TYPES), "shop" tenants the shop, "books" tenants only the
ledger; the public schema's apps are TENANT_TYPES["public"]'s."""
from tenantsite.settings import *  # noqa: F401,F403

HAS_MULTI_TYPE_TENANTS = True
MULTI_TYPE_DATABASE_FIELD = "type"
TENANT_TYPES = {
    "public": {
        "APPS": ["django_tenants", "mt_customers", "django.contrib.contenttypes", "django.contrib.auth",
                 "django_dbsync", "ledger"],
        "URLCONF": "tenantsite.urls",
    },
    "shop": {"APPS": ["django.contrib.contenttypes", "shop", "ledger"], "URLCONF": "tenantsite.urls"},
    "books": {"APPS": ["django.contrib.contenttypes", "ledger"], "URLCONF": "tenantsite.urls"},
}
INSTALLED_APPS = []
for _type in TENANT_TYPES.values():
    INSTALLED_APPS += [app for app in _type["APPS"] if app not in INSTALLED_APPS]
del SHARED_APPS, TENANT_APPS  # noqa: F821 (TENANT_TYPES says it all)

TENANT_MODEL = "mt_customers.Client"
TENANT_DOMAIN_MODEL = "mt_customers.Domain"
