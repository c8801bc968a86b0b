"""A tenant app: a copy of these tables in every tenant schema."""
from django.conf import settings
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    stock = models.IntegerField(default=0)

    class Meta:
        unique_together = [("category", "sku")]
        indexes = [models.Index(fields=["title"], name="shop_product_title_idx")]


class Order(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    # auth is a shared app: its table lives in public only, so this foreign
    # key goes from each tenant schema into public.auth_user
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    quantity = models.PositiveIntegerField(default=1)
    placed_at = models.DateTimeField(auto_now_add=True)
