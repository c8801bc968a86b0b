"""The bundled example (examples/shop, what `make demo` runs) works end to end:
demo.sh runs every step and exits 0, and the rows make_drift.py wrote are all
still there, in the types the models want."""
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@pytest.fixture
def shop_env(tmp_path):
    env = dict(os.environ, SHOP_DB=str(tmp_path / "shop.sqlite3"))
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's; the example has its own
    env.pop("SHOP_DROP_COLUMNS", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _run(cmd, env):
    return subprocess.run(cmd, cwd=SHOP, env=env, capture_output=True, text=True, timeout=180)


def test_demo_script_runs_and_converges(shop_env):
    assert Path(sys.executable).name.startswith("python")
    assert shutil.which("python", path=shop_env["PATH"]), "demo.sh runs `python` from PATH"
    proc = _run(["sh", "demo.sh"], shop_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for heading in ("1/6", "2/6", "3/6", "4/6", "5/6", "6/6"):
        assert "==> " + heading in proc.stdout, out
    # The dry run printed SQL for each drift kind before anything was applied.
    dry = proc.stdout.split("==> 2/6", 1)[1].split("==> 3/6", 1)[0]
    assert 'CREATE TABLE "store_review"' in dry, dry
    assert "phone" in dry and "legacy_barcode" in dry, dry
    assert "No changes: the database matches the models." in proc.stdout.split("==> 5/6", 1)[1], out

    con = sqlite3.connect(shop_env["SHOP_DB"])
    try:
        items = con.execute('SELECT "order_id", "product_id", "quantity", typeof("quantity") '
                            'FROM "store_orderitem" ORDER BY "id"').fetchall()
        assert items == [(1, 1, 2, "integer"), (1, 2, 1, "integer")]
        customers = con.execute('SELECT "email", "name", "phone" FROM "store_customer" ORDER BY "id"').fetchall()
        assert customers == [("ada@example.com", "Ada Lovelace", None), ("bob@example.com", "Bob Ñúñez", None)]
        products = con.execute('SELECT "sku", "name", "stock" FROM "store_product" ORDER BY "id"').fetchall()
        assert products == [("MUG-1", "Mug", 40), ("TEE-1", "T-shirt", 12), ("CAP-1", "Cap ☀", 0)]
        assert "legacy_barcode" not in [r[1] for r in con.execute('PRAGMA table_info("store_product")')]
        assert con.execute('SELECT count(*) FROM "store_product_tags"').fetchone()[0] == 3
        assert con.execute('SELECT count(*) FROM "store_review"').fetchone()[0] == 0
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        # email is unique again: a duplicate is rejected.
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO \"store_customer\" (\"email\", \"name\", \"joined\") "
                        "VALUES ('ada@example.com', 'dup', '2024-01-01')")
    finally:
        con.close()


def test_extra_column_is_kept_without_opt_in(shop_env):
    assert _run([sys.executable, "make_drift.py"], shop_env).returncode == 0
    run = _run([sys.executable, "manage.py", "dbsync", "--auto-approve"], shop_env)
    assert run.returncode == 0, run.stdout + run.stderr
    con = sqlite3.connect(shop_env["SHOP_DB"])
    try:
        barcodes = con.execute('SELECT "legacy_barcode" FROM "store_product" ORDER BY "id"').fetchall()
    finally:
        con.close()
    assert barcodes == [("400000000001",), ("400000000002",), ("400000000003",)]
    check = _run([sys.executable, "manage.py", "dbsync", "--check"], shop_env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "CommandError" not in check.stderr and "Traceback" not in check.stderr, check.stderr
