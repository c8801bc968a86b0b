"""django-tenants end to end: `manage.py dbsync --all-tenants` on a project that
`migrate_schemas` built (tests/e2e/tenants, the real django-tenants from PyPI).

The project runs in manage.py subprocesses with its own settings (this process
has Django configured for testproject). The session's PostgreSQL server holds
one database built by migrate_schemas (public, then three tenants created as a
project creates them, with rows); each test works on a copy of it.
"""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg import sql

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "tenants"
TENANTS = ["t_alpha", "t_beta", "t_gamma"]
SCHEMAS = ["public"] + TENANTS


# Each test runs once per package, on the same tenant apps: the settings module and the
# tables of its tenant (and domain) model, in public.
PACKAGES = {
    "django-tenants": ("tenantsite.settings", ["customers_client", "customers_domain"]),
    "django-tenant-schemas": ("tenantsite.settings_ts", ["ts_customers_client"]),
}
# django-tenants' multi-type tenants: t_alpha and t_beta are "shop" tenants, t_gamma a "books" one.
MULTI_TYPE = "django-tenants multi-type"
PROJECTS = dict(PACKAGES, **{MULTI_TYPE: ("tenantsite.settings_mt", ["mt_customers_client", "mt_customers_domain"])})


class TenantsDb:
    """A copy of a package's migrate_schemas-built database, and manage.py on it."""

    def __init__(self, db, package):
        self.db = db
        self.package = package
        self.settings_module, self.tenant_tables = PROJECTS[package]

    def manage(self, *args, output_dir=None, check=True):
        """manage.py `args` of the tenants project on this database: the CompletedProcess."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBSYNC_E2E", "DJANGO_"))}
        settings = {k: v for k, v in self.db.settings_dict().items() if k != "ENGINE"}
        env.update(DJANGO_SETTINGS_MODULE=self.settings_module, DBSYNC_TENANTS_DB=json.dumps(settings))
        if output_dir:
            env["DBSYNC_E2E_OUTPUT_DIR"] = str(output_dir)
        proc = subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=env, text=True,
                              capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        if check:
            assert proc.returncode == 0, \
                f"manage.py {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc


@pytest.fixture(scope="session")
def tenants_templates(pg_server):
    """Per package, one database: migrate_schemas, then the tenants and their
    rows (tenants/seed.py); made when a test first needs it."""
    made = {}

    def template(package):
        if package not in made:
            db = pg_server.new_database(prefix="e2e_tenants")
            TenantsDb(db, package).manage("migrate_schemas", "--noinput", "-v", "0")
            TenantsDb(db, package).manage("shell", "-v", "0", "-c", "import seed; seed.run()")
            made[package] = db
        return made[package]

    return template


def _copy(pg_server, tenants_templates, project):
    db = pg_server.new_database(template=tenants_templates(project), prefix="e2e_tenants")
    yield TenantsDb(db, project)
    db.drop()


@pytest.fixture(params=list(PACKAGES))
def tenants(request, pg_server, tenants_templates):
    yield from _copy(pg_server, tenants_templates, request.param)


@pytest.fixture
def multi_type_tenants(pg_server, tenants_templates):
    yield from _copy(pg_server, tenants_templates, MULTI_TYPE)


def catalog(db, schema):
    """Everything the catalog says about `schema`'s tables: columns, constraint
    and index definitions (as the server prints them)."""
    rows = {}
    rows["columns"] = db.query(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid), a.attidentity FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
        (schema,))
    rows["constraints"] = db.query(
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s ORDER BY 1, 2", (schema,))
    rows["indexes"] = db.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", (schema,))
    return rows


def table_rows(db, schema, table, columns):
    return db.query(sql.SQL("SELECT {} FROM {}.{} ORDER BY id").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema), sql.Identifier(table)))


def report_members(output_dir, groups=2):
    """{member name: state} from the JSON reports of a run in `output_dir`: one
    per group (public, tenants), each listing its members."""
    paths = sorted(glob.glob(str(Path(output_dir) / "reports" / "*.json")))
    assert len(paths) == groups, paths
    states = {}
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        for member in report["members"]:
            assert member["name"] not in states, member
            states[member["name"]] = member["state"]
    return states


# The drift of two tenants, made with SQL: a column dropped in one, an index in
# another. The index is shop_order's (Django's name for the buyer_id index), so
# the table holding the foreign key into public.auth_user is planned too: its
# desired side is spelled in the fleet's shadow, and that key must not show up
# as a difference (docs/tenants.md).
DRIFT = [
    "ALTER TABLE t_alpha.shop_product DROP COLUMN stock",
    "DROP INDEX t_beta.shop_order_buyer_id_cffd21d9",
]


def test_groups_split_the_apps_as_migrate_schemas(tenants):
    """SHARED_APPS go to public, TENANT_APPS to each tenant (ledger, in both, to
    both; with --no-restriction contenttypes too, auth to public only), the
    tenants read from the tenant model; each schema, planned alone from its
    group's DDL, shows no difference (the router saw the right schema; the
    tenants' foreign key into public.auth_user is no false difference), and the
    connection is left on public."""
    out = json.loads(tenants.manage("shell", "-v", "0", "-c", "import probe; probe.run()").stdout)
    assert [(g["label"], g["members"]) for g in out["groups"]] == [("public", ["public"]), ("tenants", TENANTS)]
    public, group = out["groups"]
    assert public["tables"] == sorted(tenants.tenant_tables + ["ledger_entry"])
    assert group["tables"] == ["ledger_entry", "shop_category", "shop_order", "shop_product"]
    assert public["plans"] == {"public": []}
    assert group["plans"] == {t: [] for t in TENANTS}
    assert out["schema_after"] == "public"

    out = json.loads(tenants.manage("shell", "-v", "0", "-c", "import probe; probe.run(True)").stdout)
    public, group = out["groups"]
    assert {"auth_user", "django_content_type", "ledger_entry", *tenants.tenant_tables} <= set(public["tables"])
    assert not [t for t in public["tables"] if t.startswith("shop_")]
    assert group["tables"] == ["django_content_type", "ledger_entry", "shop_category", "shop_order",
                                 "shop_product"]
    assert group["plans"] == {t: [] for t in TENANTS}


def test_all_tenants_check_in_sync(tenants, tmp_path):
    """A fleet built by migrate_schemas: --check exits 0, every schema in sync, changing nothing."""
    before = {s: catalog(tenants.db, s) for s in SCHEMAS}
    proc = tenants.manage("dbsync", "--all-tenants", "--check", "--report", "json", output_dir=tmp_path,
                  check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report_members(tmp_path) == {s: "in_sync" for s in SCHEMAS}
    assert {s: catalog(tenants.db, s) for s in SCHEMAS} == before


def test_drift_in_two_tenants_is_found_and_converges(tenants, tmp_path):
    want = {s: catalog(tenants.db, s) for s in SCHEMAS}
    product_cols = ["id", "category_id", "sku", "title", "price"]
    rows = {t: {"product": table_rows(tenants.db, t, "shop_product", product_cols),
                "order": table_rows(tenants.db, t, "shop_order", ["id", "product_id", "buyer_id", "quantity"])}
            for t in TENANTS}
    tenants.db.execute(*DRIFT)
    drifted = {s: catalog(tenants.db, s) for s in SCHEMAS}

    proc = tenants.manage("dbsync", "--all-tenants", "--check", "--report", "json",
                  output_dir=tmp_path / "check", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert report_members(tmp_path / "check") == {"public": "in_sync", "t_alpha": "changed",
                                                  "t_beta": "changed", "t_gamma": "in_sync"}
    assert "t_alpha" in proc.stdout and "t_beta" in proc.stdout
    assert {s: catalog(tenants.db, s) for s in SCHEMAS} == drifted  # --check changed nothing

    proc = tenants.manage("dbsync", "--all-tenants", "--auto-approve", output_dir=tmp_path / "apply",
                  check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the two drifted tenants are back to what migrate_schemas built, the others untouched
    assert {s: catalog(tenants.db, s) for s in SCHEMAS} == want
    for t in TENANTS:  # every row kept
        assert table_rows(tenants.db, t, "shop_product", product_cols) == rows[t]["product"]
        assert table_rows(tenants.db, t, "shop_order", ["id", "product_id", "buyer_id", "quantity"]) == \
            rows[t]["order"]
    # the new column is filled from the field's default (0) in the tenant that lost it
    assert {r[0] for r in tenants.db.query("SELECT stock FROM t_alpha.shop_product")} == {0}

    proc = tenants.manage("dbsync", "--all-tenants", "--check", output_dir=tmp_path / "again", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_tenant_without_schema_fails_alone(tenants, tmp_path):
    """A tenant whose schema is missing is reported failed; the others are synced."""
    # a tenant row written without its schema (auto_create_schema would make it)
    domain = "" if tenants.package == "django-tenants" else ", domain_url"
    tenants.db.execute(
        sql.SQL("INSERT INTO public.{} (schema_name, name, created_on{}) VALUES ('t_missing', 'm', now(){})").format(
            sql.Identifier(tenants.tenant_tables[0]), sql.SQL(domain), sql.SQL(", 'm.example'" if domain else "")),
        DRIFT[0])
    proc = tenants.manage("dbsync", "--all-tenants", "--auto-approve", "--report", "json",
                  output_dir=tmp_path, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "t_missing" in proc.stdout + proc.stderr
    states = report_members(tmp_path)
    assert states["t_missing"] == "failed"
    assert states["t_alpha"] == "changed"
    assert {states[s] for s in ("public", "t_beta", "t_gamma")} == {"in_sync"}
    assert tenants.db.query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 't_alpha' "
                            "AND table_name = 'shop_product' AND column_name = 'stock'") == [(1,)]


def test_multi_type_tenants_one_group_per_type(multi_type_tenants, tmp_path):
    """HAS_MULTI_TYPE_TENANTS: one group per tenant type with its TENANT_TYPES
    apps, as migrate_schemas migrates them; drift in a tenant of each type is
    found and converged, the others untouched."""
    mt = multi_type_tenants
    out = json.loads(mt.manage("shell", "-v", "0", "-c", "import probe; probe.run()").stdout)
    assert [(g["label"], g["members"], g["tables"]) for g in out["groups"]] == [
        ("public", ["public"], ["ledger_entry", *mt.tenant_tables]),
        ("tenants (shop)", ["t_alpha", "t_beta"], ["ledger_entry", "shop_category", "shop_order", "shop_product"]),
        ("tenants (books)", ["t_gamma"], ["ledger_entry"]),
    ]
    assert [g["plans"] for g in out["groups"]] == [{"public": []}, {"t_alpha": [], "t_beta": []}, {"t_gamma": []}]

    want = {s: catalog(mt.db, s) for s in SCHEMAS}
    mt.db.execute(DRIFT[1], "ALTER TABLE t_gamma.ledger_entry DROP COLUMN amount")
    proc = mt.manage("dbsync", "--all-tenants", "--check", "--report", "json", output_dir=tmp_path / "check",
                     check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert report_members(tmp_path / "check", groups=3) == {
        "public": "in_sync", "t_alpha": "in_sync", "t_beta": "changed", "t_gamma": "changed"}
    proc = mt.manage("dbsync", "--all-tenants", "--auto-approve", output_dir=tmp_path / "apply", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {s: catalog(mt.db, s) for s in SCHEMAS} == want


def test_all_tenants_needs_a_tenants_package(dbfile):
    """In a project without django-tenants or django-tenant-schemas (this
    process's testproject), --all-tenants says what it needs and syncs nothing."""
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--all-tenants needs django-tenants or django-tenant-schemas"):
        call_command("dbsync", "--all-tenants", "--check")
    assert not dbfile.exists()
