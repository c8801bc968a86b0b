"""manage.py corpus_reference: build the reference schema of every model on an
empty database with Django's own schema editor (create_model, which also makes
the many-to-many tables), as a database no migration and no dbsync made.
The corpus compares the database dbsync builds from nothing with it."""
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, router


class Command(BaseCommand):
    help = "Create every model's table with schema_editor().create_model (an empty database)."

    def handle(self, *args, **options):
        models = [m for m in apps.get_models()
                  if m._meta.managed and not m._meta.proxy and not m._meta.swapped
                  and router.allow_migrate_model(connection.alias, m)]
        with connection.schema_editor() as editor:
            for model in models:
                editor.create_model(model)
        self.stdout.write(f"{len(models)} models")
