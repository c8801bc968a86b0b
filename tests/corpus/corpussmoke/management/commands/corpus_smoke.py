"""manage.py corpus_smoke: do what the real apps do with their database and
print what came back as JSON, so a test can tell whether dbsync left the
apps working (tests/corpus/test_corpus.py).

- wagtail: a page added to the tree, indexed and found again through wagtail's
  database search backend (MariaDB: MATCH over the FULLTEXT indexes; SQLite:
  the FTS5 table; PostgreSQL: tsvector), and the page tree read in path order;
- allauth: an e-mail address and a social app, queried back;
- oscar: a product class, category tree, product and partner stock, queried back;
- reversion: a revision of a page's owner saved and read back.
"""
import json

from django.core.management.base import BaseCommand
from django.db import connection, transaction


class Command(BaseCommand):
    help = "Exercise the corpus apps on the database; print the results as JSON."

    def handle(self, *args, **options):
        # wagtail outside a transaction: InnoDB's FULLTEXT indexes see a row
        # only once it is committed
        result = {"wagtail": self._wagtail()}
        with transaction.atomic():
            result.update(allauth=self._allauth(), oscar=self._oscar(), reversion=self._reversion())
        self.stdout.write(json.dumps(result, sort_keys=True))

    def _wagtail(self):
        from wagtail.models import Page
        from wagtail.search.backends import get_search_backend

        root = Page.get_first_root_node()
        page = root.add_child(instance=Page(title="Quokka corpus page", slug="quokka-corpus"))
        backend = get_search_backend()
        backend.add(page)
        found = [p.pk for p in backend.search("quokka", Page)]
        paths = list(Page.objects.order_by("path").values_list("path", flat=True))
        column = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT collation_name FROM information_schema.columns "
                            "WHERE table_name = 'wagtailcore_page' AND column_name = 'path'")
                column = cur.fetchone()[0]
        return {"page": page.pk, "found": found, "paths": paths, "path_collation": column,
                "descendants": list(root.get_descendants().values_list("pk", flat=True))}

    def _allauth(self):
        from allauth.account.models import EmailAddress
        from allauth.socialaccount.models import SocialApp
        from django.contrib.auth import get_user_model
        from django.contrib.sites.models import Site

        user = get_user_model().objects.create_user("quokka", "quokka@example.com", "pw")
        EmailAddress.objects.create(user=user, email="quokka@example.com", primary=True, verified=True)
        app = SocialApp.objects.create(provider="github", name="GitHub", client_id="id", secret="s")
        app.sites.add(Site.objects.get_current())
        return {
            "emails": list(EmailAddress.objects.filter(user__username="quokka").values_list("email", flat=True)),
            "apps": list(SocialApp.objects.filter(sites__id=Site.objects.get_current().id)
                         .values_list("provider", flat=True)),
        }

    def _oscar(self):
        from oscar.core.loading import get_model

        ProductClass = get_model("catalogue", "ProductClass")
        Category = get_model("catalogue", "Category")
        Product = get_model("catalogue", "Product")
        Partner = get_model("partner", "Partner")
        StockRecord = get_model("partner", "StockRecord")
        books = ProductClass.objects.create(name="Books", requires_shipping=True, track_stock=True)
        shelf = Category.add_root(name="Shelf")
        shelf.add_child(name="Novels")
        product = Product.objects.create(product_class=books, title="Quokka tales", structure="standalone")
        product.categories.add(shelf)
        partner = Partner.objects.create(name="Warehouse")
        StockRecord.objects.create(product=product, partner=partner, partner_sku="Q-1",
                                   price_currency="EUR", price=10, num_in_stock=3)
        return {
            "products": list(Product.objects.filter(categories__name="Shelf").values_list("title", flat=True)),
            "categories": list(Category.objects.order_by("path").values_list("name", flat=True)),
            "stock": list(StockRecord.objects.filter(product=product).values_list("num_in_stock", flat=True)),
        }

    def _reversion(self):
        import reversion
        from django.contrib.auth.models import Group
        from reversion.models import Version

        if not reversion.is_registered(Group):
            reversion.register(Group)
        with reversion.create_revision():
            group = Group.objects.create(name="quokkas")
        return {"versions": Version.objects.get_for_object(group).count()}
