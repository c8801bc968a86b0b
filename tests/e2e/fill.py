"""Rows for the drift tests, written through the ORM: several per model, NULLs,
unicode, JSON and M2M links, so a rebuild that loses or mangles any of them shows."""
import datetime
import uuid
from decimal import Decimal


def fill_rows():
    from catalog.models import Category, Product, ProductDetail, Supplier, Tag
    from django.db import router
    from notes.models import Memo, Notebook, Oddity, Reminder

    root = Category.objects.create(name="Électronique ⚡", slug="electronique")
    audio = Category.objects.create(name="Audio", slug="audio", parent=root, description="Ton & son — «hi-fi»")
    books = Category.objects.create(name="书籍", slug="books", description="")

    acme = Supplier.objects.create(name="Acme", email="sales@acme.test", country_code="US", rating=4,
                                   website="https://acme.test/")
    zeta = Supplier.objects.create(name="Zeta Ωmega", email="zeta@example.test", country_code="GR", rating=-2,
                                   active=False)
    Supplier.objects.create(name="Acme", email="eu@acme.test", country_code="DE", website=None)

    tags = [Tag.objects.create(name=n) for n in ("new", "sale", "émoji 🎧", "bulk")]

    p1 = Product.objects.create(
        sku="SKU-1", name="Headphones", slug="headphones", description="Over-ear, ünïcode ✓",
        category=audio, supplier=acme, price=Decimal("199.99"), weight_kg=0.35, stock=12, reorder_level=3,
        views=9_000_000_000, position=1, currency="USD", released_on=datetime.date(2024, 2, 29),
        available_from=datetime.time(8, 30), attributes={"colour": "black", "drivers": [40, 50], "ok": True},
        manual="manuals/hp.pdf", image="images/hp.png",
        uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"))
    p2 = Product.objects.create(
        sku="SKU-2", name="Speaker", slug="speaker", category=audio, supplier=zeta, price=Decimal("0.00"),
        weight_kg=None, stock=0, views=0, currency="GBP", is_active=False, attributes={"ünï": "cödé", "n": None})
    p3 = Product.objects.create(
        sku="SKU-3", name="Novel", slug="novel", category=books, supplier=None, price=Decimal("12.50"),
        stock=100, views=42, attributes=[1, "two", {"three": 3}])
    p4 = Product.objects.create(
        sku="SKU-4", name="Headphones", slug="headphones", category=root, price=Decimal("5"), views=7,
        description="same slug, other category")
    p1.tags.set([tags[0], tags[2]])
    p2.tags.set([tags[1]])
    p3.tags.set(tags)
    del p4

    ProductDetail.objects.create(product=p1, warranty_months=24, notes="Garantie: 2 ans")
    ProductDetail.objects.create(product=p3, notes=None)

    nb = Notebook.objects.create(title="Idées 💡")
    Notebook.objects.create(title="Empty")
    Memo.objects.create(notebook=nb, body="first", pinned=True)
    Memo.objects.create(notebook=nb, body="ßecond\nline")
    Reminder.objects.create(text="call", due=datetime.datetime(2025, 1, 1, 9, 0, tzinfo=datetime.timezone.utc))
    Reminder.objects.create(text="write", due=datetime.datetime(2025, 6, 30, 23, 59, tzinfo=datetime.timezone.utc))
    if router.allow_migrate_model("default", Oddity):  # not on MySQL (testproject/routers.py)
        Oddity.objects.create(order=1, group="a", label="ünï", note="select * from x; -- not SQL")
        Oddity.objects.create(order=1, group="b", label='say "hi"', note=None)
        Oddity.objects.create(order=-3, label="négatif")
