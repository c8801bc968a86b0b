#!/usr/bin/env python
"""(Re)create db.sqlite3 the way it looked "before": built from the models, filled
with some rows, then changed by hand with raw SQL so it no longer matches them.

    python make_drift.py            # then: python manage.py dbsync --dry-run

The drifts: a missing table, a missing column, an extra column holding data, a
changed column type, a lost unique constraint and a missing index.
"""
import os
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_project.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from store.models import Customer, Order, OrderItem, Product, Review, Tag  # noqa: E402


def django_create_table(model):
    """The CREATE TABLE Django itself would run for `model` (as sqlmigrate shows it)."""
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        editor.create_model(model)
    return next(str(s) for s in editor.collected_sql if str(s).startswith("CREATE TABLE"))


def edit(sql, old, new):
    if sql.count(old) != 1:
        sys.exit(f"make_drift.py: expected {old!r} once in: {sql}")
    return sql.replace(old, new)


def rebuild(con, model, *edits):
    """Rebuild the model's table from Django's DDL with `edits` applied, keeping
    the rows (in the columns both versions have) and the other indexes."""
    table = model._meta.db_table
    sql = django_create_table(model)
    for old, new in edits:
        sql = edit(sql, old, new)
    sql = edit(sql, f'CREATE TABLE "{table}"', 'CREATE TABLE "drift_new"')
    indexes = [r[0] for r in con.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    old_cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
    con.execute(sql)
    cols = ", ".join(f'"{c}"' for c in old_cols
                     if c in [r[1] for r in con.execute('PRAGMA table_info("drift_new")')])
    con.execute(f'INSERT INTO "drift_new" ({cols}) SELECT {cols} FROM "{table}"')
    con.execute(f'DROP TABLE "{table}"')
    con.execute(f'ALTER TABLE "drift_new" RENAME TO "{table}"')
    for index_sql in indexes:
        con.execute(index_sql)


def fill():
    ada = Customer.objects.create(email="ada@example.com", name="Ada Lovelace", phone="+44 20 0000 0000")
    bob = Customer.objects.create(email="bob@example.com", name="Bob Ñúñez")
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    mug = Product.objects.create(sku="MUG-1", name="Mug", price=Decimal("8.50"), stock=40)
    tee = Product.objects.create(sku="TEE-1", name="T-shirt", price=Decimal("19.00"), stock=12)
    Product.objects.create(sku="CAP-1", name="Cap ☀", price=Decimal("15.00"))
    mug.tags.set([red]), tee.tags.set([red, blue])
    order = Order.objects.create(customer=ada, status=Order.Status.PAID)
    OrderItem.objects.create(order=order, product=mug, quantity=2)
    OrderItem.objects.create(order=order, product=tee, quantity=1)
    Order.objects.create(customer=bob)
    Review.objects.create(product=mug, customer=ada, stars=5, text="Holds coffee.")


def main():
    db = Path(settings.DATABASES["default"]["NAME"])
    db.unlink(missing_ok=True)
    call_command("dbsync", auto_approve=True, verbosity=0)
    fill()
    connection.close()

    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("BEGIN")
        # A missing table: reviews were never created here.
        con.execute(f'DROP TABLE "{Review._meta.db_table}"')
        # A missing column (phone) and a lost unique constraint (email).
        rebuild(con, Customer,
                (', "phone" varchar(30) NULL', ""),
                ('"email" varchar(254) NOT NULL UNIQUE', '"email" varchar(254) NOT NULL'))
        # A changed type: quantity stored as text.
        rebuild(con, OrderItem,
                ('"quantity" integer unsigned NOT NULL CHECK ("quantity" >= 0)', '"quantity" text NOT NULL'))
        # An extra column, with data in it.
        con.execute('ALTER TABLE "store_product" ADD COLUMN "legacy_barcode" varchar(32) NULL')
        con.execute("UPDATE \"store_product\" SET \"legacy_barcode\" = '400' || printf('%09d', \"id\")")
        # A missing index: the one db_index=True asks for on Order.status.
        status_index = [r[1] for r in con.execute('PRAGMA index_list("store_order")')
                        if [c[2] for c in con.execute(f'PRAGMA index_info("{r[1]}")')] == ["status"]]
        if len(status_index) != 1:
            sys.exit(f"make_drift.py: expected one index on store_order(status), found {status_index}")
        con.execute(f'DROP INDEX "{status_index[0]}"')
        con.execute("COMMIT")
        problems = con.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            sys.exit(f"make_drift.py: the drifted database has broken foreign keys: {problems}")
    finally:
        con.close()
    print(f"Drifted database written to {db.relative_to(HERE) if db.is_relative_to(HERE) else db}:")
    print("  - table store_review is missing")
    print("  - column store_customer.phone is missing")
    print("  - column store_customer.email lost its UNIQUE constraint")
    print("  - column store_orderitem.quantity is text instead of integer")
    print("  - column store_product.legacy_barcode is extra (and holds data)")
    print("  - the index on store_order.status is missing")


if __name__ == "__main__":
    main()
