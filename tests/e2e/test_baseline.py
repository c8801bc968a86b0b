"""Proofs 1 and 2: a database built by `migrate` shows zero changes, and a
database built by dbsync from an empty one is schema-identical to it. Each
test runs on SQLite and on PostgreSQL (the db_* fixtures), the proofs marked
with ALL_BACKENDS on MariaDB too."""
import pytest

import e2e_support as s


# Django's own quirk, not dbsync's: migrations build the auto-created M2M
# tables of django.contrib.auth with the project's DEFAULT_AUTO_FIELD (here
# BigAutoField, because the migration state has no AppConfig.default_auto_field)
# while the models give them auth's AutoField. On SQLite both are "integer"; on
# PostgreSQL and MariaDB migrate makes bigint where the models say integer, a real
# difference that dbsync reports as a change of those `id` columns and nothing else.
AUTH_M2M_ID_QUIRK = {"auth_group_permissions", "auth_user_groups", "auth_user_user_permissions"}


def project_tables():
    """The project's tables that the 'default' database holds (the routers keep
    notes.Oddity off MySQL, see testproject/routers.py)."""
    return s.model_tables(*s.PROJECT_APPS, alias="default")


def test_models_cover_every_listed_field_type():
    """The suite only proves what the project exercises: check it has every
    field type and schema feature the issue lists."""
    from django.apps import apps
    from django.db import models

    wanted = {
        "AutoField", "BigAutoField", "CharField", "TextField", "EmailField", "URLField", "SlugField",
        "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "FloatField", "DecimalField", "BooleanField", "DateField",
        "DateTimeField", "TimeField", "UUIDField", "JSONField", "FileField", "ImageField", "ForeignKey",
        "OneToOneField", "ManyToManyField", "GeneratedField",
    }
    seen, features = set(), set()
    for label in s.PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            meta = model._meta
            if meta.db_table != meta.db_table.lower():
                features.add("mixed-case db_table")
            if meta.unique_together:
                features.add("unique_together")
            if any(i.condition is not None for i in meta.indexes):
                features.add("partial index")
            for c in meta.constraints:
                features.add(type(c).__name__)
            for f in meta.get_fields(include_hidden=False):
                if f.auto_created and not f.concrete:
                    continue
                seen.add(type(f).__name__)
                if getattr(f, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
                    features.add("db_default")
                if getattr(f, "db_column", None):
                    features.add("db_column")
                if f.concrete and f.db_index and not f.unique and not f.is_relation:
                    features.add("db_index")
                if f.concrete and f.unique and not f.primary_key:
                    features.add("unique")
    assert wanted <= seen, wanted - seen
    assert {"mixed-case db_table", "unique_together", "partial index", "UniqueConstraint",
            "CheckConstraint", "db_default", "db_column", "db_index", "unique"} <= features


def _frozen(db):
    """The schema, and every row (SQLite: every byte of the file)."""
    if s.is_server(db):
        return s.schema_rows(db), s.snapshot_rows(db)
    return s.schema_rows(db), s.file_digest(db)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_migrate_built_database_shows_zero_changes(db_migrated):
    before = _frozen(db_migrated)

    check = s.dbsync("--check")
    assert check.code == 0, check.text
    # Django's own apps too: auth's tables carry years of AlterField rebuilds.
    everything = s.dbsync("--check", "--no-restriction")
    if s.is_server(db_migrated):
        ddl, metadata = _desired(no_restriction=True)
        ops = s.engine_plan(db_migrated, ddl, metadata, drop_columns=True).ops
        assert {(op["table"], op["kind"], op["object"]) for op in ops} == \
            {(t, "alter_column", "id") for t in AUTH_M2M_ID_QUIRK}, "\n".join(s.op_brief(op) for op in ops)
        assert everything.code == 1, everything.text
    else:
        assert everything.code == 0, everything.text
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "No changes: the database matches the models." in run.out, run.text
    assert run.out.startswith("django-dbsync "), run.out
    assert "database 'default'" in run.out.splitlines()[0], run.out

    # Nothing was written, not even a lock table or a journal-mode change.
    assert _frozen(db_migrated) == before


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_migrate_built_database_plans_no_operations_in_the_engine(db_migrated):
    """The same claim, one level down: the plan the command would apply, made
    from the desired schema the app generates, has no operation at all (not
    even a skipped one)."""
    ddl, metadata = _desired_for_default()
    plan = s.engine_plan(db_migrated, ddl, metadata, drop_columns=True)
    assert plan.ops == [], "\n".join(s.op_brief(op) for op in plan.ops)
    assert plan.pending_count == 0
    assert plan.script.strip() == ""


def _desired_for_default():
    return _desired()


def _desired(no_restriction=False):
    """Desired DDL + metadata JSON for the default selection, from the app's own generator."""
    from django_dbsync import conf
    from django_dbsync.desired import Selection, build_desired

    try:
        desired = build_desired("default", Selection(conf.get_settings("default"), no_restriction=no_restriction))
    finally:
        s.close_connections()
    return desired.sql, desired.metadata_json


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_dbsync_built_database_is_identical_to_migrate_built(db_empty, db_template, tmp_path):
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    tables = project_tables()
    built = set(s.user_tables(db_empty)) - {"sqlite_sequence"}
    assert built == tables, "dbsync created %s, the models have %s" % (sorted(built), sorted(tables))

    # Django's own introspection and the catalog (SQLite's pragmas, PostgreSQL's
    # deparsed definitions) agree table by table.
    s.assert_same_schema(db_template, db_empty, tables)

    # The engine agrees in both directions: each database, read back as DDL,
    # is the desired schema of the other and needs no operation.
    s.assert_engine_agrees(db_template, db_empty, tables, tmp_path)

    # And a second run of the command is empty.
    again = s.dbsync("--check")
    assert again.code == 0, again.text


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_dbsync_no_restriction_builds_django_tables_like_migrate(db_empty, db_template):
    """With --no-restriction Django's own apps are synced too; every table it
    creates matches the one migrate creates."""
    run = s.dbsync("--auto-approve", "--no-restriction")
    assert run.code == 0, run.text
    built = set(s.user_tables(db_empty)) - {"sqlite_sequence"}
    assert {"auth_user", "auth_group", "auth_permission", "auth_user_groups"} <= built, built
    assert project_tables() <= built
    assert "django_migrations" not in built
    quirk = AUTH_M2M_ID_QUIRK if s.is_server(db_empty) else set()
    s.assert_same_schema(db_template, db_empty, built - quirk)
    for table in quirk:
        migrated, synced = s.django_schema(db_template, {table})[table], s.django_schema(db_empty, {table})[table]
        assert migrated["constraints"] == synced["constraints"], table
        assert (migrated["columns"].pop("id")["type"], synced["columns"].pop("id")["type"]) == \
            ("BigAutoField", "AutoField"), table
        assert migrated["columns"] == synced["columns"], table
    assert s.dbsync("--check", "--no-restriction").code == 0


def test_committed_migrations_match_the_models():
    """The migrate baseline is only meaningful if the migrations describe the
    models exactly (checked under every Django version the suite runs on)."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("makemigrations", "catalog", "notes", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()
