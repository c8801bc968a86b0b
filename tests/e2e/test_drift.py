"""Proof 3: every kind of drift converges, every row survives, and a second
run finds nothing to do.

Each case starts from a database built by `migrate` and filled through the ORM,
drifts it with raw SQL (what a person with a SQL shell does), runs
`dbsync --auto-approve`, then checks: the rows themselves are unchanged, the
drifted object is back (Django's introspection), the whole project schema is
again identical to the migrate-built one, and `--check` exits 0.

Every drift kind has its SQL for each backend it applies to: SQLite rebuilds a
table where ALTER TABLE cannot (as SQLite documents), PostgreSQL and MariaDB use ALTER
TABLE. Every kind that SQLite and PostgreSQL have also runs on MariaDB (the
`my` versions), but for the notes.Oddity table, which the project's router
keeps off MySQL; what only PostgreSQL has (identity columns, pattern-ops
indexes) stays there, with MariaDB counterparts where one exists (a lost
AUTO_INCREMENT). On MariaDB an index a foreign key needs cannot be dropped
alone: the drifts that lose one drop the foreign key with it, or first give
the key another index, as a person would have to.
"""
from dataclasses import dataclass, field

import pytest
from django.test import override_settings

import e2e_support as s


@dataclass
class Drift:
    id: str
    apply: object            # (path) -> None, raw SQL through sqlite3; None: no SQLite version
    restored: object         # (db) -> None, asserts the object is back (either backend)
    settings: dict = field(default_factory=dict)
    pg: object = None        # (PgDb) -> None, the PostgreSQL version of the drift; None: none
    my: object = None        # (MyDb) -> None, the MariaDB version of the drift; None: none

    def backends(self):
        return [b for b, fn in (("sqlite", self.apply), ("postgresql", self.pg), ("mysql", self.my))
                if fn is not None]

    def apply_to(self, db):
        (self.pg if s.is_pg(db) else self.my if s.is_my(db) else self.apply)(db)


ODD = "notes odd-Table Ä"


def _constraints(path, table):
    return s.django_schema(path, {table})[table]["constraints"]


def _has(path, table, *, columns, **flags):
    found = [c for c in _constraints(path, table) if c[1] == tuple(columns)]
    keys = ("primary_key", "unique", "foreign_key", "check", "index")
    positions = {k: 2 + i for i, k in enumerate(keys)}
    for c in found:
        if all(c[positions[k]] == v for k, v in flags.items()):
            return c
    raise AssertionError("%s: nothing on %s with %s; have %s" % (table, columns, flags, found))


def _column(path, table, name):
    return s.django_schema(path, {table})[table]["columns"][name]


def _true(value, message):
    assert value, message


def _edit(old, new):
    return lambda sql: s.replace_once(sql, old, new)


def drop_table(table):
    return lambda path: s.execute(path, "DROP TABLE %s" % s.q(table))


def table_back(table, *, columns, pk, fks=()):
    def check(path):
        assert table in s.user_tables(path)
        assert set(columns) <= set(s.column_names(path, table))
        _has(path, table, columns=pk, primary_key=True)
        for col, target in fks:
            _has(path, table, columns=[col], foreign_key=target)
    return check


def drop_index_where(table, columns, unique):
    def apply(path):
        names = [n for n in s.index_names(path, table, columns=columns, unique=unique)
                 if not n.startswith("sqlite_autoindex_")]
        assert len(names) == 1, names
        s.execute(path, "DROP INDEX %s" % s.q(names[0]))
    return apply


def index_back(table, columns, unique):
    def check(path):
        names = s.index_names(path, table, columns=columns, unique=unique)
        assert names, "no %sindex on %s(%s)" % ("unique " if unique else "", table, columns)
    return check


def pg(*statements):
    return lambda db: db.execute(*statements)


def my(*statements):
    return lambda db: db.execute(*statements)


def my_drop_fk_and_index(table, column):
    """MariaDB refuses to drop the index a foreign key uses: drop the key and
    its index (the foreign key's name) together."""
    def apply(db):
        import e2e_my

        if column not in db.column_names(table):
            return  # all drifts at once: an earlier one dropped the column, key and index with it
        names = db.index_names(table, columns=[column], unique=False)
        fks = _my_fks(db, table, column)
        assert len(names) == 1 and len(fks) == 1, (names, fks)
        db.execute("ALTER TABLE %s DROP FOREIGN KEY %s, DROP INDEX %s" % (
            e2e_my.qi(table), e2e_my.qi(fks[0]), e2e_my.qi(names[0])))
    return apply


def my_drop_fk(table, column):
    """Drop the foreign key over `column` (its index stays, as MariaDB does)."""
    def apply(db):
        import e2e_my

        fks = _my_fks(db, table, column)
        if not fks and column in db.column_names(table):
            return  # all drifts at once: an earlier one dropped the key with its index
        assert len(fks) == 1, fks
        db.execute("ALTER TABLE %s DROP FOREIGN KEY %s" % (e2e_my.qi(table), e2e_my.qi(fks[0])))
    return apply


def _my_fks(db, table, column):
    return [r[0] for r in db.query(
        "SELECT constraint_name FROM information_schema.key_column_usage WHERE table_schema = %s "
        "AND table_name = %s AND column_name = %s AND referenced_table_name IS NOT NULL", (db.name, table, column))]


def fk_index_back(table, column, target, other_backends):
    """On MariaDB the foreign key and the index it uses are back; elsewhere
    `other_backends` decides."""
    def check(db):
        if not s.is_my(db):
            return other_backends(db)
        index_back(table, [column], unique=False)(db)
        _has(db, table, columns=[column], foreign_key=target)
    return check


def by_backend(my, other):
    return lambda db: my(db) if s.is_my(db) else other(db)


def my_drop_index(table, columns):
    def apply(db):
        import e2e_my

        names = db.index_names(table, columns=columns, unique=False)
        assert len(names) == 1, names
        db.execute("DROP INDEX %s ON %s" % (e2e_my.qi(names[0]), e2e_my.qi(table)))
    return apply


def pg_drop_index(table, columns, like=False):
    """Drop the one index of `table` on exactly `columns` that is (or is not)
    Django's varchar_pattern_ops "_like" index."""
    def apply(db):
        names = [n for n in db.index_names(table, columns=columns, unique=False) if n.endswith("_like") == like]
        assert len(names) == 1, names
        db.execute('DROP INDEX %s' % s.q(names[0]))
    return apply


def pg_drop_constraint(table, contype, columns):
    def apply(db):
        names = db.constraint_names(table, contype, columns)
        assert len(names) == 1, names
        db.execute('ALTER TABLE %s DROP CONSTRAINT %s' % (s.q(table), s.q(names[0])))
    return apply


def pg_constraint_def(db, table, contype, columns):
    names = db.constraint_names(table, contype, columns)
    assert len(names) == 1, names
    return db.query("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND conname = %s", (s.q(table), names[0]))[0][0]


def identity_back(db):
    """notes_memo.id is an identity column again, and its sequence is past the
    existing ids: a row inserted without an id gets a new one."""
    assert db.query("SELECT attidentity FROM pg_attribute WHERE attrelid = 'notes_memo'::regclass "
                    "AND attname = 'id'") == [("d",)]
    with db.connect() as con:
        with con.transaction(force_rollback=True):
            new_id = con.execute('INSERT INTO "notes_memo" ("notebook_id", "body", "pinned") '
                                 "SELECT min(id), 'probe', false FROM notes_notebook RETURNING id").fetchone()[0]
    assert new_id > max(r[0] for r in db.query('SELECT id FROM "notes_memo"'))


def my_auto_increment_back(db):
    """notes_memo.id is AUTO_INCREMENT again and a row inserted without an id
    gets one past the existing ids."""
    assert db.query("SELECT extra FROM information_schema.columns WHERE table_schema = %s AND "
                    "table_name = 'notes_memo' AND column_name = 'id'", (db.name,)) == [("auto_increment",)]
    top = max(r[0] for r in db.query("SELECT id FROM `notes_memo`"))
    con = db.server.connect(db.name)
    try:
        con.autocommit(False)
        cur = con.cursor()
        cur.execute("INSERT INTO `notes_memo` (`notebook_id`, `body`, `pinned`) "
                    "SELECT MIN(id), 'probe', 0 FROM `notes_notebook`")
        new_id = cur.lastrowid
        con.rollback()
    finally:
        con.close()
    assert new_id > top, (new_id, top)


def my_column_type(db, table, column):
    return db.query("SELECT column_type FROM information_schema.columns WHERE table_schema = %s AND "
                    "table_name = %s AND column_name = %s", (db.name, table, column))[0][0]


def my_check_clause(db, table, name):
    return db.query("SELECT check_clause FROM information_schema.check_constraints WHERE constraint_schema = %s "
                    "AND table_name = %s AND constraint_name = %s", (db.name, table, name))[0][0]


def my_fk_delete_rule(db, table, column):
    return db.query("SELECT r.delete_rule FROM information_schema.key_column_usage k "
                    "JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema "
                    "AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
                    "WHERE k.table_schema = %s AND k.table_name = %s AND k.column_name = %s",
                    (db.name, table, column))


def fk_options_back(db):
    definition = pg_constraint_def(db, "notes_memo", "f", ["notebook_id"])
    assert definition.endswith("DEFERRABLE INITIALLY DEFERRED") and "ON DELETE" not in definition, definition


def add_extra_column(path):
    s.execute(path, 'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" varchar(20) NULL',
              "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'L-' || \"id\"")


def extra_column_gone(path):
    assert "legacy_code" not in s.column_names(path, "catalog_tag")


def generated_values_right(path):
    """The stored generated column exists and holds stock * price for every row."""
    if "stock_value" not in s.column_names(path, "catalog_product"):
        return False
    query = 'SELECT "stock", "price", "stock_value" FROM "catalog_product"'
    rows = s.fetch(path, query.replace('"', "`") if s.is_my(path) else query)
    return bool(rows) and all(abs(stock * price - value) < 1e-9 for stock, price, value in rows)


DRIFTS = [
    Drift("missing_table",
          drop_table("catalog_productdetail"),
          table_back("catalog_productdetail", columns=["product_id", "warranty_months", "notes"],
                     pk=["product_id"], fks=[("product_id", ("catalog_product", "id"))]),
          pg=pg('DROP TABLE "catalog_productdetail"'), my=my("DROP TABLE `catalog_productdetail`")),
    Drift("missing_m2m_table",
          drop_table("catalog_product_tags"),
          table_back("catalog_product_tags", columns=["id", "product_id", "tag_id"], pk=["id"],
                     fks=[("product_id", ("catalog_product", "id")), ("tag_id", ("catalog_tag", "id"))]),
          pg=pg('DROP TABLE "catalog_product_tags"'), my=my("DROP TABLE `catalog_product_tags`")),
    Drift("missing_column",
          lambda p: s.rebuild_table(p, "catalog_supplier", _edit(', "website" varchar(200) NULL', "")),
          lambda p: _true(_column(p, "catalog_supplier", "website")["null"], "website NOT NULL"),
          pg=pg('ALTER TABLE "catalog_supplier" DROP COLUMN "website"'),
          my=my("ALTER TABLE `catalog_supplier` DROP COLUMN `website`")),
    Drift("missing_column_mixed_case_table",
          lambda p: s.rebuild_table(p, "Catalog_Category", _edit(', "description" text NOT NULL', "")),
          lambda p: _column(p, "Catalog_Category", "description"),
          pg=pg('ALTER TABLE "Catalog_Category" DROP COLUMN "description"'),
          my=my("ALTER TABLE `Catalog_Category` DROP COLUMN `description`")),
    Drift("missing_foreign_key_column",
          lambda p: s.rebuild_table(p, "catalog_product", _edit(
              ', "supplier_id" bigint NULL REFERENCES "catalog_supplier" ("id") DEFERRABLE INITIALLY DEFERRED', ""),
              drop_indexes=s.index_names(p, "catalog_product", columns=["supplier_id"])),
          lambda p: _has(p, "catalog_product", columns=["supplier_id"], foreign_key=("catalog_supplier", "id")),
          pg=pg('ALTER TABLE "catalog_product" DROP COLUMN "supplier_id"'),
          my=my("ALTER TABLE `catalog_product` DROP FOREIGN KEY `catalog_product_supplier_id_4dd661ea_fk_catalog_supplier_id`",
                "ALTER TABLE `catalog_product` DROP COLUMN `supplier_id`")),
    Drift("missing_generated_column",
          lambda p: s.rebuild_table(p, "catalog_product", _edit(
              ', "stock_value" decimal GENERATED ALWAYS AS ((CAST(("stock" * "price") AS NUMERIC))) STORED', "")),
          lambda p: _true(generated_values_right(p), "stock_value missing or wrong"),
          pg=pg('ALTER TABLE "catalog_product" DROP COLUMN "stock_value"'),
          my=my("ALTER TABLE `catalog_product` DROP COLUMN `stock_value`")),
    Drift("lost_primary_key",
          lambda p: s.rebuild_table(p, "notes_reminder", _edit(
              '"id" integer NOT NULL PRIMARY KEY AUTOINCREMENT', '"id" integer NOT NULL')),
          lambda p: _has(p, "notes_reminder", columns=["id"], primary_key=True),
          pg=pg('ALTER TABLE "notes_reminder" DROP CONSTRAINT "notes_reminder_pkey"'),
          # AUTO_INCREMENT must go first: InnoDB keeps it only on a key
          my=my("ALTER TABLE `notes_reminder` MODIFY `id` bigint NOT NULL, DROP PRIMARY KEY")),
    Drift("extra_column", add_extra_column, extra_column_gone, settings={"AUTO_DROP_COLUMNS": True},
          pg=add_extra_column,
          my=my("ALTER TABLE `catalog_tag` ADD COLUMN `legacy_code` varchar(20) NULL",
                "UPDATE `catalog_tag` SET `legacy_code` = CONCAT('L-', `id`)")),
    Drift("changed_type",
          lambda p: s.rebuild_table(p, "catalog_product", _edit('"views" bigint NOT NULL', '"views" text NOT NULL')),
          lambda p: _true(s.column_type(p, "catalog_product", "views") == "bigint", "views not bigint"),
          pg=pg('ALTER TABLE "catalog_product" ALTER COLUMN "views" TYPE text'),
          my=my("ALTER TABLE `catalog_product` MODIFY `views` longtext NOT NULL")),
    Drift("changed_null",
          lambda p: s.rebuild_table(p, "catalog_supplier",
                                    _edit('"name" varchar(200) NOT NULL', '"name" varchar(200) NULL')),
          lambda p: _true(not _column(p, "catalog_supplier", "name")["null"], "name is NULL-able"),
          pg=pg('ALTER TABLE "catalog_supplier" ALTER COLUMN "name" DROP NOT NULL'),
          my=my("ALTER TABLE `catalog_supplier` MODIFY `name` varchar(200) NULL")),
    Drift("changed_default",
          lambda p: s.rebuild_table(p, "catalog_product",
                                    _edit('"position" integer DEFAULT 0 NOT NULL', '"position" integer DEFAULT 7 NOT NULL')),
          lambda p: _true(_column(p, "catalog_product", "position")["default"] == "0", "default not 0"),
          pg=pg('ALTER TABLE "catalog_product" ALTER COLUMN "position" SET DEFAULT 7'),
          my=my("ALTER TABLE `catalog_product` ALTER COLUMN `position` SET DEFAULT 7")),
    Drift("lost_db_default",
          lambda p: s.rebuild_table(p, "catalog_supplier",
                                    _edit("\"created_at\" datetime DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')) NOT NULL",
                                          '"created_at" datetime NOT NULL')),
          lambda p: _true(_column(p, "catalog_supplier", "created_at")["default"], "no default"),
          pg=pg('ALTER TABLE "catalog_supplier" ALTER COLUMN "created_at" DROP DEFAULT'),
          my=my("ALTER TABLE `catalog_supplier` ALTER COLUMN `created_at` DROP DEFAULT")),
    Drift("lost_unique_column",
          lambda p: s.rebuild_table(p, "catalog_tag", _edit('"name" varchar(50) NOT NULL UNIQUE',
                                                            '"name" varchar(50) NOT NULL')),
          lambda p: _has(p, "catalog_tag", columns=["name"], unique=True),
          pg=pg_drop_constraint("catalog_tag", "u", ["name"]),
          my=my("DROP INDEX `catalog_tag_name_c2802f4e_uniq` ON `catalog_tag`")),
    Drift("lost_unique_constraint",
          lambda p: s.rebuild_table(p, "catalog_product", _edit(
              ', CONSTRAINT "product_slug_per_category" UNIQUE ("category_id", "slug")', "")),
          lambda p: _has(p, "catalog_product", columns=["category_id", "slug"], unique=True),
          pg=pg('ALTER TABLE "catalog_product" DROP CONSTRAINT "product_slug_per_category"'),
          # the unique key is the index of the category foreign key: another
          # one must take its place first, and the sync drops that one after
          # adding the key back
          my=my("CREATE INDEX `e2e_category_only` ON `catalog_product` (`category_id`)",
                "DROP INDEX `product_slug_per_category` ON `catalog_product`")),
    Drift("lost_unique_together",
          drop_index_where("catalog_supplier", ["name", "CountryCode"], unique=True),
          index_back("catalog_supplier", ["name", "CountryCode"], unique=True),
          pg=pg_drop_constraint("catalog_supplier", "u", ["name", "CountryCode"]),
          my=my("DROP INDEX `catalog_supplier_name_CountryCode_cf45a958_uniq` ON `catalog_supplier`")),
    Drift("missing_index_db_index",
          drop_index_where("catalog_supplier", ["CountryCode"], unique=False),
          index_back("catalog_supplier", ["CountryCode"], unique=False),
          pg=pg_drop_index("catalog_supplier", ["CountryCode"]),
          my=my_drop_index("catalog_supplier", ["CountryCode"])),
    Drift("missing_index_foreign_key",
          drop_index_where("catalog_product", ["category_id"], unique=False),
          fk_index_back("catalog_product", "supplier_id", ("catalog_supplier", "id"),
                        index_back("catalog_product", ["category_id"], unique=False)),
          pg=pg_drop_index("catalog_product", ["category_id"]),
          # MySQL's category key uses product_slug_per_category; the supplier's has an index of its own
          my=my_drop_fk_and_index("catalog_product", "supplier_id")),
    Drift("missing_partial_index",
          lambda p: s.execute(p, 'DROP INDEX "product_released_idx"'),
          lambda p: _true("product_released_idx" in s.index_names(p, "catalog_product"), "no index"),
          pg=pg('DROP INDEX "product_released_idx"'),
          my=my("DROP INDEX `product_released_idx` ON `catalog_product`")),
    Drift("missing_index_mixed_case_table",
          drop_index_where("Catalog_Category", ["parent_id"], unique=False),
          fk_index_back("Catalog_Category", "parent_id", ("Catalog_Category", "id"),
                        index_back("Catalog_Category", ["parent_id"], unique=False)),
          pg=pg_drop_index("Catalog_Category", ["parent_id"]),
          my=my_drop_fk_and_index("Catalog_Category", "parent_id")),
    Drift("odd_names_missing_index",
          drop_index_where(ODD, ["Naïve-Label"], unique=False),
          index_back(ODD, ["Naïve-Label"], unique=False),
          pg=pg_drop_index(ODD, ["Naïve-Label"])),
    Drift("odd_names_lost_unique_together",
          drop_index_where(ODD, ["order", "group by"], unique=True),
          index_back(ODD, ["order", "group by"], unique=True),
          pg=pg_drop_constraint(ODD, "u", ["order", "group by"])),
    Drift("odd_names_missing_partial_index",
          lambda p: s.execute(p, 'DROP INDEX "odd_where_idx"'),
          lambda p: _true("odd_where_idx" in s.index_names(p, ODD), "no odd_where_idx"),
          pg=pg('DROP INDEX "odd_where_idx"')),
    Drift("odd_names_changed_type_and_missing_column",
          lambda p: s.rebuild_table(p, ODD, lambda sql: s.replace_once(
              s.replace_once(sql, '"order" integer NOT NULL', '"order" text NOT NULL'), ', "select" text NULL', "")),
          lambda p: _true(s.column_type(p, ODD, "order") == "integer" and "select" in s.column_names(p, ODD),
                          "order not integer or select missing"),
          pg=pg('ALTER TABLE "notes odd-Table Ä" DROP COLUMN "select"',  # drops odd_where_idx ("order" > 0) too
             'ALTER TABLE "notes odd-Table Ä" ALTER COLUMN "order" TYPE text')),
    Drift("dropped_check_constraint",
          lambda p: s.rebuild_table(p, "catalog_product", _edit(
              ', CONSTRAINT "product_price_nonnegative" CHECK ("price" >= \'0\')', "")),
          lambda p: _has(p, "catalog_product", columns=["price"], check=True),
          pg=pg('ALTER TABLE "catalog_product" DROP CONSTRAINT "product_price_nonnegative"'),
          my=my("ALTER TABLE `catalog_product` DROP CONSTRAINT `product_price_nonnegative`")),
    Drift("dropped_foreign_key",
          lambda p: s.rebuild_table(p, "catalog_product", _edit(
              '"category_id" integer NOT NULL REFERENCES "Catalog_Category" ("id") DEFERRABLE INITIALLY DEFERRED',
              '"category_id" integer NOT NULL')),
          lambda p: _has(p, "catalog_product", columns=["category_id"], foreign_key=("Catalog_Category", "id")),
          pg=pg_drop_constraint("catalog_product", "f", ["category_id"]),
          my=my("ALTER TABLE `catalog_product` DROP FOREIGN KEY `catalog_product_category_id_35bf920b_fk_Catalog_Category_id`")),
    Drift("dropped_self_foreign_key",
          lambda p: s.rebuild_table(p, "Catalog_Category", _edit(
              '"parent_id" integer NULL REFERENCES "Catalog_Category" ("id") DEFERRABLE INITIALLY DEFERRED',
              '"parent_id" integer NULL')),
          lambda p: _has(p, "Catalog_Category", columns=["parent_id"], foreign_key=("Catalog_Category", "id")),
          pg=pg_drop_constraint("Catalog_Category", "f", ["parent_id"]),
          my=my_drop_fk("Catalog_Category", "parent_id")),
    # PostgreSQL only: what SQLite has no equivalent of, or no way to change in place.
    Drift("missing_pattern_ops_like_index", None,
          lambda p: _true("catalog_product_sku_5c54c070_like" in s.index_names(p, "catalog_product"), "no _like"),
          pg=pg_drop_index("catalog_product", ["sku"], like=True)),
    # ... with MariaDB counterparts where MariaDB has the same thing.
    Drift("lost_identity", None, by_backend(my_auto_increment_back, identity_back),
          pg=pg('ALTER TABLE "notes_memo" ALTER COLUMN "id" DROP IDENTITY'),
          my=my("ALTER TABLE `notes_memo` MODIFY `id` bigint NOT NULL")),
    Drift("changed_varchar_length", None,
          by_backend(lambda db: _true(my_column_type(db, "catalog_tag", "name") == "varchar(50)", "not varchar(50)"),
                     lambda p: _true(s.column_type(p, "catalog_tag", "name") == "character varying(50)",
                                     "not varchar(50)")),
          pg=pg('ALTER TABLE "catalog_tag" ALTER COLUMN "name" TYPE varchar(100)'),
          my=my("ALTER TABLE `catalog_tag` MODIFY `name` varchar(100) NOT NULL")),
    Drift("changed_check_expression", None,
          by_backend(lambda db: _true("-5" in my_check_clause(db, "catalog_supplier", "supplier_rating_range"),
                                      "old check"),
                     lambda p: _true("-5" in pg_constraint_def(p, "catalog_supplier", "c", ["rating"]), "old check")),
          pg=pg('ALTER TABLE "catalog_supplier" DROP CONSTRAINT "supplier_rating_range"',
                'ALTER TABLE "catalog_supplier" ADD CONSTRAINT "supplier_rating_range" '
                'CHECK ("rating" >= -9 AND "rating" <= 9)'),
          my=my("ALTER TABLE `catalog_supplier` DROP CONSTRAINT `supplier_rating_range`",
                "ALTER TABLE `catalog_supplier` ADD CONSTRAINT `supplier_rating_range` "
                "CHECK (`rating` >= -9 AND `rating` <= 9)")),
    Drift("changed_index_definition", None,
          index_back("catalog_product", ["name", "category_id"], unique=False),
          pg=pg('DROP INDEX "product_name_cat_idx"',
                'CREATE INDEX "product_name_cat_idx" ON "catalog_product" ("name")'),
          my=my("DROP INDEX `product_name_cat_idx` ON `catalog_product`",
                "CREATE INDEX `product_name_cat_idx` ON `catalog_product` (`name`)")),
    Drift("changed_foreign_key_options", None,
          by_backend(lambda db: _true(my_fk_delete_rule(db, "notes_memo", "notebook_id") == [("RESTRICT",)],
                                      "ON DELETE CASCADE kept"),
                     fk_options_back),
          pg=lambda db: db.execute(
              'ALTER TABLE "notes_memo" DROP CONSTRAINT %s' % s.q(db.constraint_names("notes_memo", "f")[0]),
              'ALTER TABLE "notes_memo" ADD CONSTRAINT "notes_memo_fk_changed" FOREIGN KEY ("notebook_id") '
              'REFERENCES "notes_notebook" ("id") ON DELETE CASCADE NOT DEFERRABLE'),
          my=lambda db: db.execute(
              "ALTER TABLE `notes_memo` DROP FOREIGN KEY `notes_memo_notebook_id_6b840a5f_fk_notes_notebook_id`",
              "ALTER TABLE `notes_memo` ADD CONSTRAINT `notes_memo_fk_changed` FOREIGN KEY (`notebook_id`) "
              "REFERENCES `notes_notebook` (`id`) ON DELETE CASCADE")),
]


CASES = [pytest.param(backend, drift, id="%s-%s" % (backend, drift.id))
         for drift in DRIFTS for backend in drift.backends()]


def assert_consistent(db):
    """Nothing the sync left behind breaks the database's own rules."""
    if s.is_my(db):
        assert db.orphan_rows() == []
        return
    if s.is_pg(db):
        # A constraint added NOT VALID would hide rows that break it.
        assert db.query("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                        "WHERE NOT convalidated") == []
        assert db.query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid") == []
        return
    con = s.raw(db)
    try:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


@pytest.mark.parametrize(("backend", "drift"), CASES, indirect=["backend"])
def test_drift_converges_and_keeps_rows(db_filled, db_template, drift, tmp_path):
    filled_db, migrate_template = db_filled, db_template
    before = s.snapshot_rows(filled_db)
    assert sum(len(rows) for _c, rows in before.values()) > 30  # the fill really happened

    drift.apply_to(filled_db)
    drifted = s.snapshot_rows(filled_db)
    assert s.schema_rows(filled_db) != s.schema_rows(migrate_template)

    with override_settings(DJANGO_DBSYNC=drift.settings):
        check = s.dbsync("--check")
        assert check.code == 1, "drift %s not detected:\n%s" % (drift.id, check.text)

        run = s.dbsync("--auto-approve")
        assert run.code == 0, run.text
        assert "Applied" in run.out or "applied" in run.out, run.text

        after = s.snapshot_rows(filled_db)
        compared = s.assert_rows_survived(before, after, drifted)
        assert compared > 25, compared
        drift.restored(filled_db)

        project = s.model_tables(*s.PROJECT_APPS, alias="default")
        s.assert_same_schema(migrate_template, filled_db, project)
        s.assert_engine_agrees(migrate_template, filled_db, project, tmp_path)
        assert_consistent(filled_db)

        again = s.dbsync("--auto-approve")
        assert "No changes: the database matches the models." in again.out, again.text
        assert s.dbsync("--check").code == 0
    # Untouched by the sync: Django's own tables (not selected) and their rows,
    # as they were before the drift (on MariaDB each test migrates its own
    # database, so the template's django_migrations has other timestamps).
    untouched = ["django_migrations", "auth_permission"]
    assert s.snapshot_rows(filled_db, untouched) == {t: before[t] for t in untouched}


@pytest.mark.parametrize(("backend", "drift"), CASES, indirect=["backend"])
def test_schema_comparison_sees_each_drift(db_migrated, db_template, drift):
    """The identity check used above is not vacuous: it tells each drift apart
    from the migrate-built schema (and a copy from itself it does not)."""
    project = s.model_tables(*s.PROJECT_APPS, alias="default")
    s.assert_same_schema(db_template, db_migrated, project)
    drift.apply_to(db_migrated)
    with pytest.raises(AssertionError):
        s.assert_same_schema(db_template, db_migrated, project)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_every_drift_at_once_converges_in_one_run(db_filled, db_template, backend, tmp_path):
    """All the drifts above together: several on the same table, rebuilds next
    to index and table creations, in one plan."""
    filled_db, migrate_template = db_filled, db_template
    drifts = [d for d in DRIFTS if backend in d.backends()]
    before = s.snapshot_rows(filled_db)
    for drift in drifts:
        drift.apply_to(filled_db)
    drifted = s.snapshot_rows(filled_db)

    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        run = s.dbsync("--auto-approve")
        assert run.code == 0, run.text
        after = s.snapshot_rows(filled_db)
        assert s.assert_rows_survived(before, after, drifted) > 25
        for drift in drifts:
            drift.restored(filled_db)
        project = s.model_tables(*s.PROJECT_APPS, alias="default")
        s.assert_same_schema(migrate_template, filled_db, project)
        s.assert_engine_agrees(migrate_template, filled_db, project, tmp_path)
        assert_consistent(filled_db)
        assert s.dbsync("--check").code == 0
    _orm_still_works()


def _orm_still_works():
    """The synced database works for Django: reads decode, writes satisfy the
    restored constraints, and the constraints reject what they must."""
    from decimal import Decimal

    from django.db import IntegrityError, transaction

    from catalog.models import Category, Product, Tag

    try:
        products = list(Product.objects.order_by("sku").prefetch_related("tags").select_related("category"))
        assert [p.sku for p in products] == ["SKU-1", "SKU-2", "SKU-3", "SKU-4"]
        assert products[0].attributes == {"colour": "black", "drivers": [40, 50], "ok": True}
        assert products[0].price == Decimal("199.99") and products[0].views == 9_000_000_000
        # The M2M table was dropped by the drift (its links with it); it works again.
        products[2].tags.set(Tag.objects.filter(name__in=["new", "émoji 🎧"]))
        assert sorted(t.name for t in products[2].tags.all()) == ["new", "émoji 🎧"]
        assert products[0].category.name == "Audio"
        new = Product.objects.create(sku="SKU-5", name="New", slug="new", category=Category.objects.get(slug="books"),
                                     price=Decimal("1.50"), stock=2)
        new.refresh_from_db()
        assert new.position == 0 and new.is_active is True and new.stock_value == Decimal("3.00")
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.create(sku="SKU-6", name="Bad", slug="bad", category=new.category, price=Decimal("-1"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(name="new")
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.create(sku="SKU-7", name="Dup", slug="novel", category=new.category, price=Decimal("1"))
    finally:
        s.close_connections()


def test_table_name_in_other_letter_case_is_the_same_table(filled_db):
    """SQLite table names ignore case: a "catalog_category" table is the model's
    "Catalog_Category", not a missing table to create next to it."""
    s.execute(filled_db, 'ALTER TABLE "Catalog_Category" RENAME TO "e2e_tmp"',
              'ALTER TABLE "e2e_tmp" RENAME TO "catalog_category"')
    before = s.snapshot_rows(filled_db)
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    after = s.snapshot_rows(filled_db)
    assert after == before or (
        # a later case fix may rename it; the rows must be the same either way
        {k.lower(): v for k, v in after.items()} == {k.lower(): v for k, v in before.items()})
    assert s.dbsync("--check").code == 0


def test_rebuild_keeps_every_row_of_a_large_table(filled_db):
    """Twenty thousand rows (NULL-free text with quotes, unicode, newlines)
    through a table rebuild, compared one by one."""
    con = s.raw(filled_db)
    try:
        con.execute("BEGIN")
        con.executemany('INSERT INTO "notes_memo" ("notebook_id", "body", "pinned") VALUES (?, ?, ?)',
                        ((1 + i % 2, "memo %d — \"quoted\" 'single'\nline ✓" % i, i % 3 == 0) for i in range(20000)))
        con.execute("COMMIT")
    finally:
        con.close()
    s.rebuild_table(filled_db, "notes_memo", lambda sql: s.replace_once(sql, '"pinned" bool NOT NULL', '"pinned" text NOT NULL'))
    before = s.snapshot_rows(filled_db, ["notes_memo"])
    assert len(before["notes_memo"][1]) == 20002

    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    after = s.snapshot_rows(filled_db, ["notes_memo"])
    cols = before["notes_memo"][0]
    # pinned went to text and back to bool (integer affinity): the same integers again.
    assert s.project_row(after, "notes_memo", cols) == [
        tuple(int(v) if c == "pinned" else v for c, v in zip(cols, row)) for row in before["notes_memo"][1]]
    assert s.dbsync("--check").code == 0
