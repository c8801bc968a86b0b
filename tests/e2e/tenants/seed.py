"""The tenants of the test project and their rows: `manage.py shell -c "import seed; seed.run()"`.

Three tenants (saving a tenant creates its schema and runs migrate_schemas on
it, as in a real project), a user in public, and in each tenant's schema a few
categories, products and orders (each order's buyer is the public user: the
foreign key crosses from the tenant's schema into public). Works with either
package: django-tenants (tenantsite.settings), its multi-type tenants
(tenantsite.settings_mt: t_gamma is a "books" tenant, without the shop) or
django-tenant-schemas (tenantsite.settings_ts).
"""
from django.conf import settings
from django.contrib.auth.models import User

from ledger.models import Entry
from shop.models import Category, Order, Product

TENANTS = ("t_alpha", "t_beta", "t_gamma")


def _tenant_type(schema):
    """The tenant type of `schema` (multi-type tenants), else None."""
    if not getattr(settings, "HAS_MULTI_TYPE_TENANTS", False):
        return None
    return "books" if schema == "t_gamma" else "shop"


def _new_tenant(schema):
    if "django_tenants" in settings.INSTALLED_APPS:
        tenant_type = _tenant_type(schema)
        if tenant_type:
            from mt_customers.models import Client, Domain

            client = Client(schema_name=schema, name=schema, type=tenant_type)
        else:
            from customers.models import Client, Domain

            client = Client(schema_name=schema, name=schema)
        client.save(verbosity=0)
        Domain.objects.create(domain=f"{schema}.example", tenant=client, is_primary=True)
    else:
        from ts_customers.models import Client

        Client(schema_name=schema, name=schema, domain_url=f"{schema}.example").save(verbosity=0)


def _schema_context(schema):
    if "django_tenants" in settings.INSTALLED_APPS:
        from django_tenants.utils import schema_context
    else:
        from tenant_schemas.utils import schema_context
    return schema_context(schema)


def run():
    buyer = User.objects.create(username="buyer")
    Entry.objects.create(note="public entry", amount=7)
    for n, schema in enumerate(TENANTS, 1):
        _new_tenant(schema)
        with _schema_context(schema):
            for c in range(2 if _tenant_type(schema) != "books" else 0):
                category = Category.objects.create(name=f"{schema} category {c}")
                for p in range(3):
                    product = Product.objects.create(category=category, sku=f"S{c}{p}", title=f"product {p}",
                                                     price=p + n, stock=10 * p + n)
                    Order.objects.create(product=product, buyer=buyer, quantity=p + 1)
            Entry.objects.create(note=f"{schema} entry", amount=n)
