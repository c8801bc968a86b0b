"""Models of the end-to-end test project.

Between them they use every field type the issue lists, plus db_default,
GeneratedField, db_index, unique, unique_together, Meta.indexes (one partial),
UniqueConstraint, CheckConstraint, db_column and a mixed-case db_table. The
migrations were made in two steps on purpose: 0002 adds fields, indexes and
constraints to existing tables, which Django does on SQLite by rebuilding the
tables, so the "built by migrate" baseline is not simply create_model's DDL.
"""
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now


class Category(models.Model):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "Catalog_Category"


class Supplier(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    website = models.URLField(null=True, blank=True)
    country_code = models.CharField(max_length=2, db_column="CountryCode", db_index=True)
    rating = models.SmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        unique_together = [("name", "country_code")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=-5) & Q(rating__lte=5), name="supplier_rating_range"),
        ]


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField()
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    weight_kg = models.FloatField(null=True, blank=True)
    stock = models.PositiveIntegerField(default=0)
    reorder_level = models.PositiveSmallIntegerField(default=5)
    views = models.BigIntegerField(default=0)
    position = models.IntegerField(db_default=0)
    currency = models.CharField(max_length=3, default="EUR")
    is_active = models.BooleanField(db_default=True)
    released_on = models.DateField(null=True, blank=True)
    available_from = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attributes = models.JSONField(default=dict, blank=True)
    manual = models.FileField(upload_to="manuals/", blank=True)
    image = models.ImageField(upload_to="images/", null=True, blank=True)
    stock_value = models.GeneratedField(
        expression=F("stock") * F("price"),
        output_field=models.DecimalField(max_digits=16, decimal_places=2),
        db_persist=True,
    )
    tags = models.ManyToManyField(Tag, related_name="products", blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name", "category"], name="product_name_cat_idx"),
            models.Index(fields=["released_on"], name="product_released_idx", condition=Q(is_active=True)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["category", "slug"], name="product_slug_per_category"),
            models.CheckConstraint(condition=Q(price__gte=Decimal("0")), name="product_price_nonnegative"),
        ]


class ProductDetail(models.Model):
    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="detail")
    warranty_months = models.PositiveSmallIntegerField(default=12)
    notes = models.TextField(null=True, blank=True)
