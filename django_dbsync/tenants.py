"""django-tenants and django-tenant-schemas: the fleet `dbsync --all-tenants` syncs.

As their `migrate_schemas` does: the apps of SHARED_APPS go to the public
schema, those of TENANT_APPS to every tenant's schema (an app in both lists to
both), the tenants being the rows of the tenant model (TENANT_MODEL) but the
public one. Which app goes where is decided by the package's own router
(TenantSyncRouter, which both packages require in DATABASE_ROUTERS) exactly as
during migrate_schemas: it reads the schema Django's connection is set to, so
each group's models are chosen, and their DDL built, with the connection set
to a schema of that group (TenantSelection.routing).

django-tenants' multi-type tenants (HAS_MULTI_TYPE_TENANTS) make one group
per tenant type, each with its TENANT_TYPES apps, as its migrate_schemas does.

Only Django glue: the engine plans and applies each group's schemas
(django_dbsync.fleet); nothing here compares schemas or writes SQL.
"""

import contextlib
import importlib

from django.conf import settings as django_settings
from django.core.management.base import CommandError
from django.db import connections

from django_dbsync.desired import Selection

# The packages, by their app's name in INSTALLED_APPS: django-tenants, then
# the older django-tenant-schemas it was forked from (the same API shape).
PACKAGES = {"django_tenants": "django-tenants", "tenant_schemas": "django-tenant-schemas"}


class TenantSelection(Selection):
    """The command's selection, for the schemas of one group: Django's routers
    see the connection set to `schema` (of type `tenant_type`, for multi-type
    tenants) while the models are chosen and their DDL is built."""

    def __init__(self, base, schema, tenant_type=None):
        self.__dict__.update(base.__dict__)
        self.schema = schema
        self.tenant_type = tenant_type

    @contextlib.contextmanager
    def routing(self, alias):
        connection = connections[alias]
        previous = connection.tenant
        if self.tenant_type is None:
            connection.set_schema(self.schema)
        else:
            connection.set_schema(self.schema, tenant_type=self.tenant_type)
        try:
            yield
        finally:
            if previous is None:
                connection.set_schema_to_public()
            else:
                connection.set_tenant(previous)


def installed_package():
    """The app name of the tenants package INSTALLED_APPS holds, or None."""
    for app in django_settings.INSTALLED_APPS:
        if app in PACKAGES:
            return app
    return None


def _utils(alias):
    """The package's utils module, once its setup for `alias` is checked."""
    package = installed_package()
    if package is None:
        raise CommandError(
            "--all-tenants needs django-tenants or django-tenant-schemas: neither 'django_tenants' "
            "nor 'tenant_schemas' is in INSTALLED_APPS")
    if not getattr(django_settings, "TENANT_MODEL", None):
        raise CommandError(f"--all-tenants: {PACKAGES[package]} is installed but TENANT_MODEL is not set")
    utils = importlib.import_module(f"{package}.utils")
    connection = connections[alias]
    if not hasattr(connection, "set_schema"):
        raise CommandError(
            f"--all-tenants: database '{alias}' does not use {PACKAGES[package]}'s PostgreSQL backend "
            f"(ENGINE {connection.settings_dict['ENGINE']!r})")
    tenant_alias = getattr(utils, "get_tenant_database_alias", lambda: alias)()
    if tenant_alias != alias:
        raise CommandError(
            f"--all-tenants: the tenants live in database '{tenant_alias}' (TENANT_DB_ALIAS), "
            f"not '{alias}'; pass --database {tenant_alias}")
    return utils


def _tenants(utils, alias, public, type_field=None):
    """The tenant model's rows but the public schema's, by schema name: schema
    names, or (schema name, tenant type) pairs when `type_field` is given.
    Read with the connection on the public schema, where the model lives."""
    rows = utils.get_tenant_model().objects.using(alias).exclude(schema_name=public).order_by("schema_name")
    connection = connections[alias]
    previous = connection.tenant
    connection.set_schema_to_public()
    try:
        if type_field:
            return list(rows.values_list("schema_name", type_field))
        return list(rows.values_list("schema_name", flat=True))
    finally:
        if previous is not None:
            connection.set_tenant(previous)


def groups(alias, settings, options):
    """The groups of `dbsync --all-tenants` on database `alias`, as
    django_dbsync.fleet.Group: see group_specs."""
    from django_dbsync.fleet import Group  # the fleet runner; it imports nothing from here

    return [Group(label, alias, selection, members)
            for label, selection, members in group_specs(alias, settings, options)]


def group_specs(alias, settings, options):
    """(label, selection, member schemas) of each group: the public schema
    with the shared apps, then the tenants' schemas with the tenant apps (one
    group per tenant type for multi-type tenants; a type without tenants has
    no group, nor have the tenants when there are none). `settings` is
    DJANGO_DBSYNC for the alias and `options` the command's, which choose apps
    and tables within each group as they do for one schema."""
    utils = _utils(alias)
    public = utils.get_public_schema_name()
    base = Selection.from_options(settings, options)
    result = [("public", TenantSelection(base, public), [public])]
    multi_type = getattr(utils, "has_multi_type_tenants", lambda: False)()
    if not multi_type:
        members = _tenants(utils, alias, public)
        if members:
            result.append(("tenants", TenantSelection(base, members[0]), members))
        return result
    by_type = {}
    for schema, tenant_type in _tenants(utils, alias, public, utils.get_multi_type_database_field_name()):
        by_type.setdefault(tenant_type, []).append(schema)
    for tenant_type in utils.get_tenant_types():
        members = by_type.get(tenant_type)
        if tenant_type != public and members:
            result.append((f"tenants ({tenant_type})", TenantSelection(base, members[0], tenant_type), members))
    return result
