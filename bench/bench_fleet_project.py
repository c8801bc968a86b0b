"""Write the throwaway django-tenants project bench/bench_fleet.py measures.

    python bench_fleet_project.py DIR TABLES

A real django-tenants project: the tenant model (customers.Client) and its domain
model live in the public schema (SHARED_APPS); the tenant app (benchapp) holds
TABLES models shaped as bench/gen_project.py's (an auto key, a unique CharField, a
checked IntegerField, a nullable decimal, an indexed DateTimeField and a foreign key
to the previous model in chains of ten), and is migrated into every tenant schema.
The database comes from the environment (BENCH_PG_HOST, BENCH_PG_NAME, BENCH_PG_USER).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_project import MANAGE, models_py  # noqa: E402  the same models and manage.py

SETTINGS = '''import os
SECRET_KEY = "bench"
USE_TZ = True
SHARED_APPS = ["django_tenants", "customers", "django.contrib.contenttypes", "django_dbsync"]
TENANT_APPS = ["benchapp"]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS
DATABASES = {"default": {
    "ENGINE": "django_tenants.postgresql_backend",
    "HOST": os.environ["BENCH_PG_HOST"],
    "NAME": os.environ["BENCH_PG_NAME"],
    "USER": os.environ["BENCH_PG_USER"],
    "PASSWORD": "",
}}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
'''

CUSTOMERS = '''from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    auto_create_schema = True


class Domain(DomainMixin):
    pass
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    write(os.path.join(out, "settings.py"), SETTINGS)
    write(os.path.join(out, "manage.py"), MANAGE)
    write(os.path.join(out, "customers", "__init__.py"), "")
    write(os.path.join(out, "customers", "models.py"), CUSTOMERS)
    write(os.path.join(out, "benchapp", "__init__.py"), "")
    write(os.path.join(out, "benchapp", "models.py"), models_py(n))

if __name__ == "__main__":
    main()
