"""Proof 4: nothing destructive runs without its setting.

An extra column holding data is listed as skipped, with the SQL that would drop
it, and survives; AUTO_DROP_COLUMNS=True drops it. A NOT NULL column with no
default cannot be added to a table that has rows: that one change is refused by
name while the others apply; with a default, existing rows get the default the
way Django's add_field fills them.

The tests taking db_* fixtures run on SQLite, PostgreSQL and MariaDB,
drifting with each backend's own SQL where it differs. What MariaDB does its
own way (no transactional DDL: a change rows would break is counted and
refused before anything runs) has its own tests here and in test_mysql.py.
"""
import datetime
import json
import re

import pytest
from django.test import override_settings

import e2e_support as s

every_backend = pytest.mark.parametrize("backend", s.ALL_BACKENDS)


def _my(db, *statements):
    """MariaDB's spelling of `statements`: backquoted names (the statements
    here hold no double quote in a string literal)."""
    return [stmt.replace('"', "`") for stmt in statements] if s.is_my(db) else list(statements)


def _execute(db, *statements):
    s.execute(db, *_my(db, *statements))


def _drop_released_idx(db):
    _execute(db, 'DROP INDEX "product_released_idx"' + (' ON "catalog_product"' if s.is_my(db) else ""))


def _add_extra_column(path):
    _execute(path, 'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" varchar(20) NULL',
             "UPDATE \"catalog_tag\" SET \"legacy_code\" = CONCAT('L-', \"id\")" if s.is_my(path) else
             "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'L-' || \"id\"")


def _drop_sql_lines(text):
    return [line for line in text.splitlines()
            if re.search(r"\bDROP\s+COLUMN\b", line, re.I) and "legacy_code" in line and "catalog_tag" in line]


@every_backend
def test_extra_column_with_data_survives_without_setting(db_filled):
    filled_db = db_filled
    _add_extra_column(filled_db)
    before = s.snapshot_rows(filled_db)

    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "skipped" in run.out, run.text
    assert _drop_sql_lines(run.out), "the skipped op must show its DROP COLUMN SQL:\n" + run.out

    assert "legacy_code" in s.column_names(filled_db, "catalog_tag")
    assert s.snapshot_rows(filled_db) == before  # every table, every column, the extra one included
    legacy = s.project_row(before, "catalog_tag", ["legacy_code"])
    assert legacy and all(v[0].startswith("L-") for v in legacy)

    # Still different from the models, so --check keeps failing, and the dry
    # run lists the same DROP SQL.
    check = s.dbsync("--check")
    assert check.code == 1, check.text
    dry = s.dbsync("--dry-run")
    assert _drop_sql_lines(dry.out), dry.out
    assert s.snapshot_rows(filled_db) == before


@every_backend
def test_extra_column_dropped_with_auto_drop_columns(db_filled, db_template):
    filled_db, migrate_template = db_filled, db_template
    _add_extra_column(filled_db)
    before = s.snapshot_rows(filled_db)
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        run = s.dbsync("--auto-approve")
        assert run.code == 0, run.text
        assert "legacy_code" not in s.column_names(filled_db, "catalog_tag")
        after = s.snapshot_rows(filled_db)
        cols = [c for c in before["catalog_tag"][0] if c != "legacy_code"]
        assert s.project_row(after, "catalog_tag", cols) == s.project_row(before, "catalog_tag", cols)
        assert s.dbsync("--check").code == 0
    s.assert_same_schema(migrate_template, filled_db, s.model_tables(*s.PROJECT_APPS, alias="default"))


@every_backend
def test_not_null_column_without_default_is_refused_others_apply(db_filled):
    filled_db = db_filled
    # Supplier.email is NOT NULL, unique, and has no default: nothing can fill
    # the existing rows. Two other drifts ride along and must still be fixed.
    if s.is_server(filled_db):
        _execute(filled_db, 'ALTER TABLE "catalog_supplier" DROP COLUMN "email"')
    else:
        s.rebuild_table(filled_db, "catalog_supplier", lambda sql: s.replace_once(
            sql, ', "email" varchar(254) NOT NULL UNIQUE', ""))
    _drop_released_idx(filled_db)
    _execute(filled_db, 'DROP TABLE "catalog_productdetail"')
    before = s.snapshot_rows(filled_db)

    run = s.dbsync("--auto-approve")
    text = run.text
    assert run.code == 1, "a run that refused a change must exit 1:\n" + text
    assert "refused" in text, text
    refused = [line for line in text.splitlines() if "catalog_supplier" in line and "email" in line]
    assert refused, "the refusal must name table catalog_supplier and column email:\n" + text

    assert "email" not in s.column_names(filled_db, "catalog_supplier")
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
    assert "catalog_productdetail" in s.user_tables(filled_db)
    after = s.snapshot_rows(filled_db)
    for table in ("catalog_supplier", "catalog_product", "Catalog_Category", "catalog_tag", "catalog_product_tags"):
        assert after[table] == before[table], table

    check = s.dbsync("--check")
    assert check.code == 1, check.text


@every_backend
def test_null_rows_block_not_null_refused_by_name_and_count(db_filled):
    """A column made nullable, with a NULL in it, cannot go back to NOT NULL
    when the field has no default: that change is refused naming the table,
    the column and the number of NULL rows; the rows stay as they are."""
    filled_db = db_filled
    if s.is_pg(filled_db):
        s.execute(filled_db, 'ALTER TABLE "catalog_product" ALTER COLUMN "name" DROP NOT NULL')
    elif s.is_my(filled_db):
        _execute(filled_db, 'ALTER TABLE "catalog_product" MODIFY "name" varchar(200) NULL')
    else:
        s.rebuild_table(filled_db, "catalog_product", lambda sql: s.replace_once(
            sql, '"name" varchar(200) NOT NULL', '"name" varchar(200) NULL'))
    _execute(filled_db, "UPDATE \"catalog_product\" SET \"name\" = NULL WHERE \"sku\" IN ('SKU-2', 'SKU-3')")
    _drop_released_idx(filled_db)
    before = s.snapshot_rows(filled_db)

    run = s.dbsync("--auto-approve")
    assert run.code == 1, run.text
    reasons = [line for line in run.out.splitlines() if "reason:" in line and "catalog_product" in line
               and '"name"' in line]
    assert reasons and "2 NULL" in reasons[0], run.text
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
    assert s.snapshot_rows(filled_db) == before
    assert s.dbsync("--check").code == 1


@every_backend
def test_not_null_column_with_default_fills_existing_rows(db_filled, db_template):
    filled_db, migrate_template = db_filled, db_template
    if s.is_server(filled_db):
        _execute(filled_db, 'ALTER TABLE "catalog_product" DROP COLUMN "currency", DROP COLUMN "reorder_level", '
                 'DROP COLUMN "attributes"', 'ALTER TABLE "Catalog_Category" DROP COLUMN "description"')
    else:
        s.rebuild_table(filled_db, "catalog_product", lambda sql: s.replace_once(
            s.replace_once(s.replace_once(sql, ', "currency" varchar(3) NOT NULL', ""),
                           ', "reorder_level" smallint unsigned NOT NULL CHECK ("reorder_level" >= 0)', ""),
            ', "attributes" text NOT NULL CHECK ((JSON_VALID("attributes") OR "attributes" IS NULL))', ""))
        s.rebuild_table(filled_db, "Catalog_Category", lambda sql: s.replace_once(
            sql, ', "description" text NOT NULL', ""))
    before = s.snapshot_rows(filled_db)
    n_products = len(before["catalog_product"][1])
    assert n_products >= 4

    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "refused" not in run.out.replace("0 refused", ""), run.text

    after = s.snapshot_rows(filled_db)
    assert s.project_row(after, "catalog_product", ["currency"]) == [("EUR",)] * n_products
    assert s.project_row(after, "catalog_product", ["reorder_level"]) == [(5,)] * n_products
    # default=dict: a callable default is called, as Django's add_field does
    # (SQLite stores JSON as text, PostgreSQL's jsonb comes back decoded).
    assert [v[0] if isinstance(v[0], dict) else json.loads(v[0])
            for v in s.project_row(after, "catalog_product", ["attributes"])] == [{}] * n_products
    assert s.project_row(after, "Catalog_Category", ["description"]) == [("",)] * len(before["Catalog_Category"][1])
    # The other columns are untouched.
    cols = before["catalog_product"][0]
    assert s.project_row(after, "catalog_product", cols) == s.project_row(before, "catalog_product", cols)

    s.assert_same_schema(migrate_template, filled_db, s.model_tables(*s.PROJECT_APPS, alias="default"))
    assert s.dbsync("--check").code == 0


@every_backend
@override_settings(DJANGO_DBSYNC={"AUTO_CREATE_TABLES": False})
def test_auto_create_tables_off_creates_nothing(db_migrated):
    migrated_db = db_migrated
    _execute(migrated_db, 'DROP TABLE "catalog_productdetail"')
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "catalog_productdetail" not in s.user_tables(migrated_db), run.text
    assert "skipped" in run.out and "catalog_productdetail" in run.out, run.out
    assert s.dbsync("--check").code == 1


def _my_fk_names(db, table, column):
    return [r[0] for r in db.query(
        "SELECT constraint_name FROM information_schema.key_column_usage WHERE table_schema = %s "
        "AND table_name = %s AND column_name = %s AND referenced_table_name IS NOT NULL", (db.name, table, column))]


def _unchanged(path):
    return s.schema_rows(path), s.snapshot_rows(path)


def test_rows_violating_a_restored_unique_constraint_roll_everything_back(filled_db):
    """SQLite: restoring UNIQUE on data that now has duplicates cannot keep
    every row: the apply fails naming the table, and nothing at all is
    committed, not even the unrelated fixes planned with it."""
    s.rebuild_table(filled_db, "catalog_tag", lambda sql: s.replace_once(
        sql, '"name" varchar(50) NOT NULL UNIQUE', '"name" varchar(50) NOT NULL'))
    s.execute(filled_db, "INSERT INTO \"catalog_tag\" (\"name\") VALUES ('new')",
              'DROP INDEX "product_released_idx"')
    frozen = _unchanged(filled_db)

    run = s.dbsync("--auto-approve")
    assert run.code == 2 and run.error is not None, run.text
    assert "catalog_tag" in str(run.error), run.error
    assert _unchanged(filled_db) == frozen


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_rows_violating_a_restored_unique_constraint_are_counted_and_refused(db_filled):
    """PostgreSQL and MariaDB: the duplicates are counted before anything
    runs, and that one change is refused naming the table and the count; the
    unrelated fix planned with it applies, and no row changes."""
    filled_db = db_filled
    if s.is_pg(filled_db):
        s.execute(filled_db, 'ALTER TABLE "catalog_tag" DROP CONSTRAINT %s'
                  % s.q(filled_db.constraint_names("catalog_tag", "u", ["name"])[0]))
    else:
        _execute(filled_db, 'DROP INDEX "catalog_tag_name_c2802f4e_uniq" ON "catalog_tag"')
    _execute(filled_db, "INSERT INTO \"catalog_tag\" (\"name\") VALUES ('new'), ('sale')")
    _drop_released_idx(filled_db)
    before = s.snapshot_rows(filled_db)

    run = s.dbsync("--auto-approve")
    assert run.code == 1, run.text
    reasons = [line for line in run.out.splitlines() if "reason:" in line and "catalog_tag" in line]
    assert reasons and re.search(r"\b2\b", reasons[0]), run.text
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
    assert s.index_names(filled_db, "catalog_tag", columns=["name"], unique=True) == []
    assert s.snapshot_rows(filled_db) == before


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_narrowing_a_type_over_values_that_do_not_fit_is_refused_by_count(db_filled):
    """A column widened by hand and given longer values cannot go back to
    the field's max_length: that change is refused naming the table, the
    column and the number of values; an unrelated fix applies, no row changes.
    (SQLite does not enforce lengths: nothing is lost there.)"""
    filled_db = db_filled
    if s.is_pg(filled_db):
        s.execute(filled_db, 'ALTER TABLE "catalog_tag" ALTER COLUMN "name" TYPE varchar(100)')
    else:
        _execute(filled_db, 'ALTER TABLE "catalog_tag" MODIFY "name" varchar(100) NOT NULL')
    _execute(filled_db, "UPDATE \"catalog_tag\" SET \"name\" = CONCAT(\"name\", '%s') WHERE \"name\" IN ('new', 'sale')"
             % ("x" * 60))
    _drop_released_idx(filled_db)
    before = s.snapshot_rows(filled_db)

    run = s.dbsync("--auto-approve")
    assert run.code == 1, run.text
    reasons = [line for line in run.out.splitlines() if "reason:" in line and "catalog_tag" in line]
    assert reasons and '"name"' in reasons[0] and re.search(r"\b2 values?\b.*longer than 50", reasons[0]), run.text
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
    assert s.snapshot_rows(filled_db) == before
    assert s.dbsync("--check").code == 1


def test_failure_in_the_middle_of_the_plan_changes_nothing_pg(pg_filled):
    """PostgreSQL applies the plan in one transaction: when a statement fails
    after others have run, the schema and every row are exactly as before.
    The failure is injected by an event trigger that rejects creating one
    index in the public schema, whatever the planner checked beforehand."""
    filled_db = pg_filled
    filled_db.execute(
        'DROP TABLE "catalog_productdetail"', 'DROP INDEX "product_released_idx"',
        'ALTER TABLE "catalog_supplier" DROP COLUMN "website"',
        'ALTER TABLE "catalog_product" ALTER COLUMN "position" SET DEFAULT 7',
        'DROP INDEX "odd_where_idx"',
        "CREATE FUNCTION e2e_refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() "
        "WHERE object_identity = 'public.product_released_idx') THEN "
        "RAISE EXCEPTION 'e2e: refusing product_released_idx'; END IF; END $$",
        "CREATE EVENT TRIGGER e2e_refuse ON ddl_command_end EXECUTE FUNCTION e2e_refuse()")
    frozen = s.schema_rows(filled_db), s.snapshot_rows(filled_db)

    # The rejected statement is not the first of the plan: others run before it.
    script = s.dbsync("--dry-run", verbosity=0).out
    victim = script.find('CREATE INDEX "product_released_idx"')
    assert victim > 0 and 'CREATE TABLE "catalog_productdetail"' in script[:victim], script
    run = s.dbsync("--auto-approve")
    assert run.code == 2 and run.error is not None, run.text
    assert "e2e: refusing product_released_idx" in str(run.error), run.error
    assert "nothing was changed" in str(run.error), run.error
    assert (s.schema_rows(filled_db), s.snapshot_rows(filled_db)) == frozen

    filled_db.execute("DROP EVENT TRIGGER e2e_refuse")
    assert s.dbsync("--auto-approve").code == 0
    assert s.dbsync("--check").code == 0


@every_backend
def test_dangling_rows_block_restoring_a_foreign_key(db_filled):
    """Rows pointing nowhere stop the foreign key from coming back. SQLite:
    the apply fails naming the table and nothing at all is committed.
    PostgreSQL and MariaDB: the dangling rows are counted first and that one change is
    refused naming the table and the count; the other fixes apply and no row
    changes."""
    filled_db = db_filled
    if s.is_pg(filled_db):
        s.execute(filled_db, 'ALTER TABLE "catalog_product" DROP CONSTRAINT %s'
                  % s.q(filled_db.constraint_names("catalog_product", "f", ["category_id"])[0]),
                  'DROP INDEX "product_released_idx"', 'DROP TABLE "catalog_productdetail"')
    elif s.is_my(filled_db):
        _execute(filled_db, 'ALTER TABLE "catalog_product" DROP FOREIGN KEY %s'
                 % s.q(_my_fk_names(filled_db, "catalog_product", "category_id")[0]),
                 'DROP TABLE "catalog_productdetail"')
        _drop_released_idx(filled_db)
    else:
        s.rebuild_table(filled_db, "catalog_product", lambda sql: s.replace_once(
            sql, '"category_id" integer NOT NULL REFERENCES "Catalog_Category" ("id") DEFERRABLE INITIALLY DEFERRED',
            '"category_id" integer NOT NULL'))
    if s.is_my(filled_db):
        # MariaDB checks foreign keys on UPDATE even with none on the column:
        # the person's session turns the checks off, as a bulk load would
        filled_db.execute("SET foreign_key_checks = 0",
                          "UPDATE `catalog_product` SET `category_id` = 999 WHERE `sku` = 'SKU-3'")
    else:
        s.execute(filled_db, "UPDATE \"catalog_product\" SET \"category_id\" = 999 WHERE \"sku\" = 'SKU-3'")
    frozen = _unchanged(filled_db)

    run = s.dbsync("--auto-approve")
    if s.is_server(filled_db):
        assert run.code == 1, run.text
        reasons = [line for line in run.out.splitlines() if "reason:" in line and "catalog_product" in line]
        assert reasons and "1 row" in reasons[0] and "Catalog_Category" in reasons[0], run.text
        if s.is_pg(filled_db):
            assert filled_db.constraint_names("catalog_product", "f", ["category_id"]) == []
        else:
            assert _my_fk_names(filled_db, "catalog_product", "category_id") == []
        assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
        assert "catalog_productdetail" in s.user_tables(filled_db)
        assert s.snapshot_rows(filled_db, list(frozen[1])) == frozen[1]
        return
    assert run.code == 2 and run.error is not None, run.text
    assert "catalog_product" in str(run.error), run.error
    assert _unchanged(filled_db) == frozen


def test_existing_broken_rows_elsewhere_do_not_block_other_fixes(filled_db):
    """A dangling reference that was already there (SQLite does not enforce
    foreign keys unless asked) is not made worse by the sync, so it does not
    stop an unrelated fix; the row is kept as it was."""
    s.execute(filled_db, 'INSERT INTO "catalog_product_tags" ("product_id", "tag_id") VALUES (1, 999)',
              'DROP INDEX "product_released_idx"')
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "product_released_idx" in s.index_names(filled_db, "catalog_product")
    con = s.raw(filled_db)
    try:
        problems = con.execute("PRAGMA foreign_key_check").fetchall()
        assert [(p[0], p[2]) for p in problems] == [("catalog_product_tags", "catalog_tag")], problems
        assert con.execute('SELECT count(*) FROM "catalog_product_tags" WHERE "tag_id" = 999').fetchone()[0] == 1
    finally:
        con.close()


@every_backend
def test_auto_now_column_added_to_rows_gets_the_current_time(db_filled):
    """DateTimeField(auto_now=True) has no default, but Django's add_field fills
    existing rows with now(); so does dbsync."""
    filled_db = db_filled
    if s.is_server(filled_db):
        _execute(filled_db, 'ALTER TABLE "catalog_product" DROP COLUMN "updated_at"')
    else:
        s.rebuild_table(filled_db, "catalog_product", lambda sql: s.replace_once(
            sql, ', "updated_at" datetime NOT NULL', ""))
    started = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(seconds=5)
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    values = [v[0] for v in s.project_row(s.snapshot_rows(filled_db), "catalog_product", ["updated_at"])]
    assert values and all(v is not None for v in values), values
    stamps = {v if isinstance(v, datetime.datetime) else datetime.datetime.fromisoformat(v) for v in values}
    # PostgreSQL returns aware datetimes, SQLite's text is naive UTC
    stamps = {st.astimezone(datetime.timezone.utc).replace(tzinfo=None) if st.tzinfo else st for st in stamps}
    assert all(stamp >= started for stamp in stamps), stamps
    assert s.dbsync("--check").code == 0


def test_views_and_triggers_survive_a_table_rebuild(filled_db):
    """Objects no model describes, that depend on a table the sync rebuilds,
    are still there and still work afterwards."""
    s.rebuild_table(filled_db, "catalog_product", lambda sql: s.replace_once(
        sql, '"views" bigint NOT NULL', '"views" text NOT NULL'))
    s.execute(filled_db,
              'CREATE VIEW "e2e_popular" AS SELECT "sku", "views" FROM "catalog_product" WHERE "views" > 10',
              'CREATE TABLE "e2e_audit" ("sku" text NOT NULL)',
              'CREATE TRIGGER "e2e_audit_views" AFTER UPDATE OF "views" ON "catalog_product" '
              'BEGIN INSERT INTO "e2e_audit" ("sku") VALUES (NEW."sku"); END')
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "rebuild" in run.out, run.out  # the table really was rebuilt
    con = s.raw(filled_db)
    try:
        assert con.execute('SELECT "sku", "views" FROM "e2e_popular" ORDER BY "sku"').fetchall() == \
            [("SKU-1", 9_000_000_000), ("SKU-3", 42)]
        con.execute('UPDATE "catalog_product" SET "views" = "views" + 1 WHERE "sku" = \'SKU-2\'')
        assert con.execute('SELECT "sku" FROM "e2e_audit"').fetchall() == [("SKU-2",)]
    finally:
        con.close()
    assert s.dbsync("--check").code == 0
