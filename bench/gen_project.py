"""Write a throwaway Django project with N generated models for bench/django_compare.sh.

    python gen_project.py DIR N

The models are Django-shaped like bench_catalog's tables: an auto primary key, a
unique CharField, an IntegerField with a CHECK constraint, a nullable ForeignKey to
the previous model in chains of ten (an index), a db_index'd DateTimeField and a decimal. The
database comes from the environment (BENCH_PG_HOST, BENCH_PG_NAME, BENCH_PG_USER).
"""
import os
import sys

SETTINGS = '''import os
SECRET_KEY = "bench"
USE_TZ = True
INSTALLED_APPS = ["benchapp", "django_dbsync"]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": os.environ["BENCH_PG_HOST"],
    "NAME": os.environ["BENCH_PG_NAME"],
    "USER": os.environ["BENCH_PG_USER"],
    "PASSWORD": "",
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The original django-dbsync writes a backup before a run by default; the
# comparison is about checking, so both tools run without one.
DJANGO_DBSYNC = {"BACKUP_BEFORE_SYNC": False, "SHOW_ORPHANED_TABLES": False}
'''

MANAGE = '''import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
'''

MODEL = '''

class M{i}(models.Model):
    code = models.CharField(max_length=40, unique=True)
    qty = models.IntegerField(default=0)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    seen = models.DateTimeField(db_index=True, null=True)
    prev = {prev}

    class Meta:
        constraints = [models.CheckConstraint({check}=models.Q(qty__gte=0), name="m{i}_qty_ok")]
'''


def models_py(n):
    """The source of benchapp/models.py: N models M0..M(N-1)."""
    import django
    # Django 5.1 renamed CheckConstraint's `check` to `condition`.
    check = "condition" if django.VERSION >= (5, 1) else "check"
    parts = ["from django.db import models\n"]
    for i in range(n):
        # Chains of ten: the original django-dbsync orders tables recursively
        # and overflows Python's stack on one chain of 2,000 foreign keys.
        prev = ("models.ForeignKey('M%d', null=True, on_delete=models.CASCADE)" % (i - 1)
                if i % 10 else "models.IntegerField(null=True)")
        parts.append(MODEL.format(i=i, prev=prev, check=check))
    return "".join(parts)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(out, "benchapp"), exist_ok=True)
    with open(os.path.join(out, "settings.py"), "w") as f:
        f.write(SETTINGS)
    with open(os.path.join(out, "manage.py"), "w") as f:
        f.write(MANAGE)
    open(os.path.join(out, "benchapp", "__init__.py"), "w").close()
    with open(os.path.join(out, "benchapp", "models.py"), "w") as f:
        f.write(models_py(n))

if __name__ == "__main__":
    main()
