"""The suite's own fixtures are faithful: a database copied from the
template is the database `migrate` builds, schema and rows, so a test on a
copy proves what it would prove on a migrated database."""
import e2e_support as s


def test_mariadb_copy_is_a_migrated_database(my_server, my_template, my_migrated):
    copy = my_migrated
    built = my_server.new_database(prefix="e2e_built")
    try:
        import conftest

        previous = conftest.use_database("default", built.settings_dict())
        try:
            s.migrate()
        finally:
            conftest.use_database("default", previous)
        tables = built.user_tables()
        assert copy.user_tables() == tables and len(tables) > 10
        # the server's own DDL, foreign keys, checks and AUTO_INCREMENT included
        assert copy.schema_rows() == built.schema_rows()
        assert "FOREIGN KEY" in "".join(copy.schema_rows().values())
        snap, fresh = copy.snapshot_rows(), built.snapshot_rows()
        # rows too (content types, permissions, migrations), but when each
        # migration was applied is the one thing that differs
        for rows_of in (snap, fresh):
            cols, rows = rows_of["django_migrations"]
            at = cols.index("applied")
            rows_of["django_migrations"] = (cols, [row[:at] + row[at + 1:] for row in rows])
        assert snap == fresh
        assert len(snap["django_migrations"][1]) > 10
    finally:
        built.drop()


def test_postgresql_copy_is_a_migrated_database(pg_server, pg_template, pg_migrated):
    assert pg_migrated.schema_rows() == pg_template.schema_rows()
    assert pg_migrated.snapshot_rows() == pg_template.snapshot_rows()
