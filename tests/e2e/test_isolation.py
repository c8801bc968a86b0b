"""One table never aborts the whole run.

A table the engine cannot read (SQLite: its stored DDL does not parse) or plan
(PostgreSQL and MariaDB: the user may not SELECT it, and adding a NOT NULL column needs
its row count) is reported with its error and skipped, nothing done to it;
the other tables still sync, and the exit status says something was skipped.
"""
import pytest

import e2e_support as s


def _drop_released_idx(db):
    s.execute(db, 'DROP INDEX "product_released_idx"')


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_table_whose_ddl_cannot_be_read_is_skipped(db_filled):
    # SQLite accepts (and ignores) ON INSERT in a foreign key clause; the
    # engine's parser does not read it, so the table's DDL cannot be read.
    s.rebuild_table(db_filled, "catalog_tag", lambda sql: sql[:sql.rindex(")")] +
                    ', FOREIGN KEY ("id") REFERENCES "catalog_tag" ("id") ON INSERT SET NULL)')
    tag_sql = s.table_sql(db_filled, "catalog_tag")
    _drop_released_idx(db_filled)
    before = s.snapshot_rows(db_filled)

    check = s.dbsync("--check")
    assert check.code == 1, check.text
    run = s.dbsync("--auto-approve")
    assert run.code == 1, "a run that skipped a table must say so in its exit status:\n" + run.text
    assert "skip table `catalog_tag`" in run.text, run.text
    assert "cannot be parsed" in run.text, run.text
    # the other tables synced; the skipped one is exactly as it was
    assert "product_released_idx" in s.index_names(db_filled, "catalog_product")
    assert s.table_sql(db_filled, "catalog_tag") == tag_sql
    assert s.snapshot_rows(db_filled) == before


def test_pg_table_the_user_may_not_select_is_skipped(pg_filled):
    from conftest import use_database
    from e2e_pg import PW_ROLE

    # The password role owns every table and may do anything but read catalog_supplier.
    pg_filled.execute(
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "LOOP EXECUTE format('ALTER TABLE %I OWNER TO ' || quote_ident('" + PW_ROLE + "'), r.tablename); "
        "END LOOP; END $$",
        "GRANT ALL ON SCHEMA public TO %s" % PW_ROLE,
        "GRANT CREATE ON DATABASE %s TO %s" % (s.q(pg_filled.name), PW_ROLE),
        'ALTER TABLE "catalog_supplier" DROP COLUMN "email"',
        'DROP INDEX "product_released_idx"',
        'REVOKE SELECT ON "catalog_supplier" FROM %s' % PW_ROLE)
    previous = use_database("default", pg_filled.settings_dict(user=PW_ROLE, password=pg_filled.server.password))
    try:
        run = s.dbsync("--auto-approve")
    finally:
        use_database("default", previous)
    assert run.code == 1, "a run that skipped a table must say so in its exit status:\n" + run.text
    assert "skip table `catalog_supplier`" in run.text, run.text
    assert "permission denied" in run.text, run.text
    assert "product_released_idx" in s.index_names(pg_filled, "catalog_product")
    assert "email" not in s.column_names(pg_filled, "catalog_supplier")


def test_my_table_the_user_may_not_select_is_skipped(my_filled):
    from conftest import use_database

    user, password = "dbsync_nosel", "n0sel-Secret-61c4"
    db = my_filled
    db.execute("DROP INDEX `product_released_idx` ON `catalog_product`",
               "ALTER TABLE `catalog_supplier` DROP COLUMN `email`")
    # every right on the database but SELECT, which it has on every table but
    # catalog_supplier; and the scratch databases the server reads the desired schema in
    db.execute("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'" % (user, password),
               "GRANT ALTER, CREATE, DROP, INDEX, INSERT, UPDATE, DELETE, REFERENCES ON `%s`.* TO '%s'@'localhost'"
               % (db.name, user), db=None)
    for (table,) in db.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"):
        if table != "catalog_supplier":
            db.execute("GRANT SELECT ON `%s`.`%s` TO '%s'@'localhost'" % (db.name, table, user), db=None)
    db.execute("GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%%`.* TO '%s'@'localhost'"
               % user, db=None)
    settings = dict(db.settings_dict(), USER=user, PASSWORD=password)
    previous = use_database("default", settings)
    try:
        run = s.dbsync("--auto-approve")
    finally:
        use_database("default", previous)
    assert run.code == 1, "a run that skipped a table must say so in its exit status:\n" + run.text
    assert "skip table `catalog_supplier`" in run.text, run.text
    assert "SELECT command denied" in run.text, run.text
    assert "product_released_idx" in s.index_names(db, "catalog_product")
    assert "email" not in s.column_names(db, "catalog_supplier")
