from django.apps import AppConfig


class DbsyncConfig(AppConfig):
    name = "django_dbsync"
    verbose_name = "django-dbsync"
