"""Which models to sync, and the schema they want: Django's own DDL plus metadata.

The DDL comes from Django's schema editor exactly as `sqlmigrate` gets it
(collect_sql=True, create_model per model), so type mapping, constraint names
and index names are Django's, for the vendor of the target database. Nothing
here compares schemas or writes SQL.
"""

import contextlib
import copy
import datetime
import decimal
import fnmatch
import json
import math
import re
import uuid

from django.apps import apps
from django.core.management.base import CommandError
from django.db import connections, router
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from django_dbsync.cli_args import split_names, split_patterns


class Selection:
    """The options that choose apps and tables, from settings and the command line.

    Two syntaxes, fixed by where a value comes from (as in django-dbsync 1.x):
    - patterns (EXCLUDE_APP_PATTERNS, EXCLUDE_TABLE_PATTERNS and the
      --exclude-*-patterns options) are Python regular expressions tried with
      re.match: anchored at the start of the name only, case-sensitive;
    - EXCLUDE_TABLES holds table names, compared ignoring letter case (the
      same table on most backends); an entry holding *, ? or [ is an fnmatch
      glob, which this project accepted before it took the 1.x regexes.
    An invalid regular expression is a CommandError naming it, never skipped.
    """

    def __init__(self, settings, *, include_apps=(), exclude_apps=(), exclude_app_patterns=(),
                 exclude_table_patterns=(), no_restriction=False):
        self.include_apps = list(include_apps)
        self.exclude_apps = list(exclude_apps)
        self.exclude_app_patterns = list(exclude_app_patterns)
        self.settings_app_patterns = list(settings.get("EXCLUDE_APP_PATTERNS", ()))
        self.exclude_table_regexes = (list(settings.get("EXCLUDE_TABLE_PATTERNS", ()))
                                      + list(exclude_table_patterns))
        self.exclude_tables = list(settings["EXCLUDE_TABLES"])
        # Every table rule as written, for reports.
        self.table_patterns = self.exclude_table_regexes + self.exclude_tables
        self.no_restriction = no_restriction
        self.settings_exclude_apps = list(settings["EXCLUDE_APPS"])
        self._app_res = [compile_pattern(p, "app pattern") for p in self.exclude_app_patterns]
        self._settings_app_res = [compile_pattern(p, "EXCLUDE_APP_PATTERNS pattern")
                                  for p in self.settings_app_patterns]
        self._table_res = [compile_pattern(p, "table pattern") for p in self.exclude_table_regexes]
        self._names = {t.lower() for t in self.exclude_tables if not _is_glob(t)}
        self._globs = [t.lower() for t in self.exclude_tables if _is_glob(t)]

    @classmethod
    def from_options(cls, settings, options):
        """The selection of a dbsync run: DJANGO_DBSYNC `settings` and the command's `options`."""
        return cls(
            settings,
            include_apps=split_names(options.get("include_apps")),
            exclude_apps=split_names(options.get("exclude_apps")),
            exclude_app_patterns=split_patterns(options.get("exclude_app_patterns")),
            exclude_table_patterns=split_patterns(options.get("exclude_table_patterns")),
            no_restriction=options.get("no_restriction", False),
        )

    def routing(self, alias):
        """The context in which the models are chosen and their DDL is built:
        Django's routers decide there which models live on `alias`. Nothing to
        set for one database; a fleet's group sets its target there
        (django_dbsync.tenants: the schema TenantSyncRouter reads)."""
        return contextlib.nullcontext()

    def table_excluded(self, table):
        if any(r.match(table) for r in self._table_res):
            return True
        name = table.lower()
        return name in self._names or any(fnmatch.fnmatchcase(name, g) for g in self._globs)

    def app_excluded_by_pattern(self, label, *, settings_too=True):
        res = self._app_res + (self._settings_app_res if settings_too else [])
        return any(r.match(label) for r in res)


def _is_glob(entry):
    return any(c in entry for c in "*?[")


def compile_pattern(pattern, what="pattern"):
    """re.compile with a CommandError naming the pattern when it is invalid."""
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as e:
        raise CommandError(f"invalid {what} {pattern!r}: {e} (patterns are Python regular "
                           f"expressions, matched with re.match)") from None


def _app_config(label):
    try:
        return apps.get_app_config(label)
    except LookupError:
        raise CommandError(f"No installed app with label '{label}'.") from None


def _names_app(entries, config):
    return config.label in entries or config.name in entries


def unknown_app_labels(labels):
    """The labels among `labels` that name no installed app."""
    known = {c.label for c in apps.get_app_configs()}
    return [label for label in labels if label not in known]


def select_app_configs(selection):
    """The installed apps to sync, in INSTALLED_APPS order.

    An unknown label in include_apps is an error (it would sync nothing); in
    exclude_apps it excludes nothing, as in django-dbsync 1.x (the command says so).
    """
    for label in selection.include_apps:
        _app_config(label)
    chosen = []
    for config in apps.get_app_configs():
        if selection.include_apps:
            # Naming an app explicitly overrides the default exclusions.
            if config.label not in selection.include_apps:
                continue
        elif not selection.no_restriction:
            # The default exclusions: settings, and Django's own apps.
            if _names_app(selection.settings_exclude_apps, config):
                continue
            if selection.app_excluded_by_pattern(config.label):
                continue
            if config.name.startswith("django.contrib."):
                continue
        # What the command line excludes always holds.
        if config.label in selection.exclude_apps:
            continue
        if selection.app_excluded_by_pattern(config.label, settings_too=False):
            continue
        chosen.append(config)
    return chosen


def _syncable(model):
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.swapped


def select_models(selection, alias):
    """Concrete, managed, not swapped models of the chosen apps that may live on `alias`."""
    models = []
    for config in select_app_configs(selection):
        for model in config.get_models():
            if not _syncable(model):
                continue
            if selection.table_excluded(model._meta.db_table):
                continue
            if not router.allow_migrate_model(alias, model):
                continue
            models.append(model)
    return models


def _collecting_editor(connection, selection, alias, created):
    """A schema editor of the connection's own class that only collects SQL.

    create_model recurses into auto-created M2M through models through
    self.create_model, so overriding it is where excluded tables are dropped,
    before any SQL for them exists.
    """
    base = connection.SchemaEditorClass

    class CollectingEditor(base):
        # The SQLite editor's __enter__/__exit__ switch foreign keys off and run
        # foreign_key_check on the live database. Collecting SQL needs neither,
        # and a database with broken rows must still be plannable, so only the
        # generic bookkeeping (deferred statements) runs.
        def __enter__(self):
            return BaseDatabaseSchemaEditor.__enter__(self)

        def __exit__(self, exc_type, exc_value, traceback):
            return BaseDatabaseSchemaEditor.__exit__(self, exc_type, exc_value, traceback)

        def create_model(self, model):
            if model._meta.auto_created and (
                selection.table_excluded(model._meta.db_table)
                or not router.allow_migrate_model(alias, model)
            ):
                return
            created.append(model)
            super().create_model(model)

    return CollectingEditor(connection, collect_sql=True, atomic=False)


_MISSING = object()


def _json_value(value):
    """A db-prepped default as JSON, or _MISSING when it has no faithful JSON form."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _MISSING
    if isinstance(value, decimal.Decimal):
        return str(value) if value.is_finite() else _MISSING
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, uuid.UUID)):
        return str(value)
    json_text = _json_adapter_text(value)
    if json_text is not None:
        return json_text
    # bytes/memoryview (a hex string would land as text in a SQLite blob) and
    # other driver adapter objects: no default, so the engine refuses rather than guesses.
    return _MISSING


def _json_adapter_text(value):
    """The JSON text of a PostgreSQL JSON adapter (JSONField's prepared value on
    PostgreSQL), serialized with the adapter's own dumps as the driver would;
    None for anything else. The engine then fills jsonb rows from that text."""
    module = type(value).__module__ or ""
    if module.startswith("psycopg.types.json") and hasattr(value, "obj"):
        # psycopg 3: Json/Jsonb hold the object and, from Django, the field's encoder
        dumps = getattr(value, "dumps", None) or json.dumps
        text = dumps(value.obj)
    elif module.startswith("psycopg2") and hasattr(value, "adapted") and hasattr(value, "dumps"):
        text = value.dumps(value.adapted)
    else:
        return None
    return text.decode() if isinstance(text, (bytes, bytearray)) else text


def _fills_existing_rows(field):
    """Whether Django's add_field would fill existing rows from effective_default()."""
    if field.has_db_default() or field.generated:
        return False  # the DDL carries the database default; nothing to fill from Python
    if field.get_internal_type() == "BinaryField":
        return False
    if field.has_default():
        return True
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True
    # Django fills blank, non-null string fields with '' (makemigrations does not
    # ask for a default for them either).
    return not field.null and field.blank and field.empty_strings_allowed


def _table_metadata(model):
    meta = model._meta
    columns = {}
    for field in meta.local_concrete_fields:
        if field.column is None:
            continue
        entry = {"field": field.name, "class": type(field).__name__}
        if _fills_existing_rows(field):
            # Only a mark: the value is computed when a plan being applied asks
            # for it (Desired.metadata_with_fills). A callable default may query
            # the database or have side effects, so it never runs here.
            entry["has_default"] = True
        columns[field.column] = entry
    return {"app_label": meta.app_label, "model": meta.label, "columns": columns}


class Desired:
    """The desired schema of the selected models: DDL, metadata and table names."""

    def __init__(self, sql, metadata, models, alias=None):
        self.sql = sql
        self.metadata = metadata
        self.models = models
        self.alias = alias

    @property
    def metadata_json(self):
        return json.dumps(self.metadata, sort_keys=True)

    @property
    def tables(self):
        return list(self.metadata["tables"])

    def metadata_with_fills(self, fills):
        """The metadata JSON with the values of the defaults a plan waits for
        (plan.fills), each computed now as Django's add_field computes it.
        Call it only when applying: this runs the fields' default callables.
        A value with no faithful JSON form leaves the column without a usable
        default, so the engine refuses the change with the row count."""
        metadata = copy.deepcopy(self.metadata)
        connection = connections[self.alias]
        editor = connection.SchemaEditorClass(connection, collect_sql=True, atomic=False)
        models = {m._meta.label: m for m in self.models}
        for fill in fills:
            # The engine matched the table and column to this metadata and
            # names the model and field it found: nothing here compares
            # table or column names.
            model = models.get(fill["model"])
            field = model and next((f for f in model._meta.local_concrete_fields
                                    if f.name == fill["field"]), None)
            table = field and metadata["tables"].get(model._meta.db_table)
            entry = table and table["columns"].get(field.column)
            if entry is None or field is None:
                continue  # not ours: the engine keeps waiting and apply refuses the plan
            value = _json_value(editor.effective_default(field))
            if value is _MISSING:
                entry["has_default"] = False
            else:
                entry["default"] = value
        return json.dumps(metadata, sort_keys=True)


def build_desired(alias, selection):
    """The DDL Django would run to create the selected models on an empty database."""
    connection = connections[alias]
    created = []
    editor = _collecting_editor(connection, selection, alias, created)
    with selection.routing(alias), editor:
        for model in select_models(selection, alias):
            editor.create_model(model)
    tables = {}
    for model in created:
        tables[model._meta.db_table] = _table_metadata(model)
    sql = "\n".join(str(s) for s in editor.collected_sql)
    return Desired(sql, {"tables": tables}, created, alias)
