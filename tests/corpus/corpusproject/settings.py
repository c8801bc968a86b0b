"""Settings of the real-app corpus: every app installed from PyPI (pinned in
requirements-django*.txt) next to all of django.contrib that needs no system
library, as a project would list them.

The database comes from DBSYNC_CORPUS_DB, a JSON DATABASES entry the tests
write (SQLite file, or a throwaway PostgreSQL / MariaDB database); nothing is
ever written inside the source tree.
"""
import json
import os
import tempfile

SECRET_KEY = "corpus-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
SITE_ID = 1

DATABASES = {"default": json.loads(os.environ["DBSYNC_CORPUS_DB"])} if os.environ.get("DBSYNC_CORPUS_DB") \
    else {"default": {"ENGINE": "django.db.backends.sqlite3",
                      "NAME": os.path.join(tempfile.gettempdir(), "dbsync-corpus.sqlite3")}}
VENDOR = DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

# The default of Django's startproject; every app's AppConfig that names its
# own default_auto_field keeps it.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_CONTRIB = [
    "django.contrib.admin",
    "django.contrib.admindocs",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.redirects",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.syndication",
]
# django.contrib.gis needs GDAL, which no package here brings: not in the corpus.
if VENDOR == "postgresql":
    DJANGO_CONTRIB.append("django.contrib.postgres")

WAGTAIL = [
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.table_block",
    "wagtail.contrib.typed_table_block",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

ALLAUTH = [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
]

OSCAR = [
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "django_tables2",
]

INSTALLED_APPS = ["corpussmoke.apps.CorpusSmokeConfig", "django_dbsync"] + WAGTAIL + ALLAUTH + OSCAR + ["reversion"] + DJANGO_CONTRIB

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

ROOT_URLCONF = "corpusproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast: the smoke test makes users
STATIC_URL = "/static/"
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), "dbsync-corpus-media")

WAGTAIL_SITE_NAME = "corpus"
WAGTAILADMIN_BASE_URL = "http://localhost"
# wagtail's database search backend: on MariaDB it needs the FULLTEXT indexes,
# on SQLite the FTS5 table, on PostgreSQL nothing the models do not declare.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

from oscar.defaults import *  # noqa: E402,F401,F403  (oscar's OSCAR_* settings, as its docs say)

HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

# Every installed app is synced: the corpus proves dbsync on all of them.
DJANGO_DBSYNC = {"EXCLUDE_APPS": [], "BACKUP_BEFORE_SYNC": False,
                 "REPORT_OUTPUT_DIR": os.path.join(tempfile.gettempdir(), "dbsync-corpus-reports")}
