from django.apps import AppConfig


class DbsyncConfig(AppConfig):
    name = "django_dbsync"
    verbose_name = "django-dbsync"

    def ready(self):
        # Registers the DJANGO_DBSYNC system checks (django_dbsync/checks.py).
        from django_dbsync import checks  # noqa: F401
