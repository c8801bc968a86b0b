"""Engine-level facts the command relies on, checked on the project's real
databases (SQLite, PostgreSQL and MariaDB): the catalog is read in a fixed
number of queries however many tables there are, and an empty database reads
as an empty schema."""
import shutil

import pytest

import e2e_support as s

pytestmark = pytest.mark.parametrize("backend", s.ALL_BACKENDS)


def _introspect_queries(path):
    with s.engine_connect(path) as conn:
        before = conn.catalog_queries
        sql = conn.introspect_sql()
        return conn.catalog_queries - before, sql


def _copy(db, tmp_path, name):
    if s.is_pg(db):
        return db.server.new_database(template=db, prefix="e2e_copy")
    if s.is_my(db):  # no database templates: the tables without their rows
        return db.subset_copy(db.user_tables())
    copy = tmp_path / name
    shutil.copyfile(db, copy)
    return copy


def _discard(db):
    if s.is_server(db):
        db.drop()


def test_catalog_reads_are_constant_in_number(db_empty, db_template, tmp_path):
    n_empty, sql_empty = _introspect_queries(db_empty)
    assert sql_empty.strip() == ""

    n_migrated, sql_migrated = _introspect_queries(db_template)
    assert ('`Catalog_Category`' if s.is_my(db_template) else '"Catalog_Category"') in sql_migrated
    assert "catalog_product_tags" in sql_migrated

    big = _copy(db_template, tmp_path, "big.sqlite3")
    statements = []
    for i in range(300):
        if s.is_my(big):  # MariaDB indexes a TEXT column by a prefix only
            statements.append("CREATE TABLE `bulk_%03d` (`id` integer NOT NULL PRIMARY KEY, `ref` integer NULL, "
                              "`v` text NULL CHECK (`v` <> ''), FOREIGN KEY (`ref`) REFERENCES `bulk_000` (`id`))" % i)
            statements.append("CREATE INDEX `bulk_%03d_v` ON `bulk_%03d` (`v`(20))" % (i, i))
            continue
        statements.append('CREATE TABLE "bulk_%03d" ("id" integer NOT NULL PRIMARY KEY, "ref" integer NULL '
                          'REFERENCES "bulk_000" ("id"), "v" text NULL CHECK ("v" <> \'\'))' % i)
        statements.append('CREATE INDEX "bulk_%03d_v" ON "bulk_%03d" ("v")' % (i, i))
    try:
        s.execute(big, "BEGIN", *statements, "COMMIT")
        n_big, sql_big = _introspect_queries(big)
    finally:
        _discard(big)
    assert sql_big.count("bulk_") >= 600

    assert 0 < n_migrated <= 10, n_migrated
    assert n_big == n_migrated, (n_migrated, n_big)
    assert n_empty <= n_migrated


def test_plan_on_empty_database_creates_every_project_table(db_empty, db_template, tmp_path):
    dbfile = db_empty
    tables = s.model_tables(*s.PROJECT_APPS, alias="default")
    subset = s.subset_copy(db_template, tables, tmp_path / "subset.sqlite3")
    try:
        _plan_and_apply_from_empty(dbfile, subset, tables)
    finally:
        _discard(subset)


def _plan_and_apply_from_empty(dbfile, subset, tables):
    desired = s.engine_introspect_sql(subset)

    plan = s.engine_plan(dbfile, desired)
    created = {op["table"] for op in plan.ops if op["kind"] == "create_table"}
    assert created == tables, created
    assert plan.pending_count == len(plan.ops)
    assert all(op["status"] == "pending" and op["sql"] for op in plan.ops)
    assert plan.script.count("CREATE TABLE") == len(tables), plan.script
    assert s.user_tables(dbfile) == []  # planning changed nothing

    with s.engine_connect(dbfile) as conn:
        plan = conn.plan(desired)
        conn.apply(plan)
        assert all(op["status"] == "applied" for op in plan.ops), [s.op_brief(op) for op in plan.ops]
    assert s.engine_plan(dbfile, desired).ops == []
    s.assert_same_schema(subset, dbfile, tables)
