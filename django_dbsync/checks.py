"""DJANGO_DBSYNC validated by Django's system check framework, as Django's own apps do.

`manage.py check` (and every command that runs the checks, dbsync and dbcheck
included) reports a typo or a wrong value before any sync runs:

  django_dbsync.E001  DJANGO_DBSYNC is not a dict
  django_dbsync.E002  a value of the wrong type
  django_dbsync.E003  an invalid regular expression in EXCLUDE_*_PATTERNS
  django_dbsync.W001  an unknown key (with the closest real key)
  django_dbsync.W002  CUSTOM_DATABASES names an alias DATABASES lacks
  django_dbsync.W003  a database-choosing key inside a per-database override
  django_dbsync.I001  a django-dbsync 1.x key that has no effect here

Warnings and notes can be silenced with SILENCED_SYSTEM_CHECKS. The findings
themselves come from conf.problems(), which the commands also use to refuse to
run on an error.
"""

from django.core import checks

from django_dbsync import conf

TAG = "django_dbsync"

_LEVELS = {"error": checks.Error, "warning": checks.Warning, "info": checks.Info}


@checks.register(TAG)
def check_settings(app_configs=None, **kwargs):
    return [_LEVELS[p.level](p.msg, hint=p.hint, id=p.id) for p in conf.problems()]
