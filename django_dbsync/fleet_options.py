"""The dbsync command's fleet options, and the groups of a fleet run they ask for.

--schemas / --all-schemas sync the selected models into many schemas
(PostgreSQL) or databases of one server (MySQL/MariaDB); several --database
or --all-databases sync several aliases, each its own group on its own
connection; --all-tenants asks django-tenants (tenants.py) for its groups.
fleet.py runs the groups.
"""

import importlib

from django.conf import settings as django_settings
from django.core.management.base import CommandError

from .cli_args import add_list_option, split_names, split_patterns
from .fleet import Group, Patterns


def add_arguments(parser, lists):
    add_list_option(
        parser, "--schemas", metavar="PATTERN",
        help=f"Sync the models into every schema (PostgreSQL) or database of the server (MySQL) "
             f"matching a pattern: a name, a glob with * ? [ or 're:' and a regular expression "
             f"matched against the whole name ({lists}).",
    )
    parser.add_argument(
        "--all-schemas", action="store_true",
        help="Sync the models into every schema (PostgreSQL) or database of the server (MySQL), "
             "the server's own left out.",
    )
    parser.add_argument(
        "--all-databases", action="store_true",
        help="Sync every alias of DATABASES, each its own group on its own connection.",
    )
    parser.add_argument(
        "--all-tenants", action="store_true",
        help="django-tenants: SHARED_APPS into the public schema, TENANT_APPS into every tenant's.",
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=1, metavar="N",
        help="Apply N schemas or databases at once, over N connections (default 1).",
    )
    parser.add_argument(
        "--fail-fast", action="store_true",
        help="Stop at the first schema or database that fails (the others are reported as not run).",
    )


def requested(options, aliases):
    """Whether the command runs a fleet rather than one database."""
    return bool(options.get("schemas") or options.get("all_schemas") or options.get("all_databases")
                or options.get("all_tenants") or len(aliases) > 1)


def _aliases(options):
    named = split_names(options.get("database"))
    if options.get("all_databases"):
        if named:
            raise CommandError("--all-databases and --database name the databases twice: give one")
        return list(django_settings.DATABASES)
    return named


def _tenant_groups(aliases, settings, options):
    try:
        tenants = importlib.import_module(f"{__package__}.tenants")
    except ModuleNotFoundError as e:
        if e.name != f"{__package__}.tenants":
            raise  # django-tenants support is there, and something it imports is not
        raise CommandError("django-tenants support is not installed") from None
    groups = []
    for alias in aliases:
        groups.extend(tenants.groups(alias, settings, options))
    return groups


def groups(options, selection_for, settings):
    """The groups the options ask for (fleet.Group), in the order of the aliases;
    selection_for(alias) is the models the command's options choose for one."""
    from . import conf
    aliases = _aliases(options) or [conf.default_database()]
    patterns = split_patterns(options.get("schemas"))
    if options.get("all_tenants"):
        if patterns or options.get("all_schemas"):
            raise CommandError("--all-tenants chooses the schemas itself: leave out --schemas and --all-schemas")
        return _tenant_groups(aliases, settings, options)
    if patterns and options.get("all_schemas"):
        raise CommandError("--schemas and --all-schemas both choose the schemas: give one")
    members = Patterns(patterns) if patterns or options.get("all_schemas") else None
    return [Group(alias, alias, selection_for(alias), members) for alias in aliases]
