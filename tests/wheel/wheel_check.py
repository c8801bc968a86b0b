"""The binary wheel installed the way a user installs it, on two Pythons.

`make test-wheel` builds the wheel (scripts/wheel.sh) and runs this file with
DBSYNC_WHEEL set to it. It is named so that `pytest tests` does not collect
it: it needs that wheel and several minutes of venv building of its own.

For each Python (3.10 with Django 5.2, and 3.12 with Django 6: one abi3 wheel
serves both) a fresh venv gets the wheel and only pure-Python or binary-wheel
packages from PyPI (Django, psycopg[binary], PyMySQL), then, with
LD_LIBRARY_PATH empty:
- `ldd` and `readelf` show that the extension, the dbsync executable, the
  MariaDB auth plugins and every bundled library resolve only to files inside
  the wheel, glibc and the manylinux whitelist, through $ORIGIN paths only;
- at run time (/proc/self/maps) connecting to SQLite, PostgreSQL and MariaDB
  maps no library from outside the wheel, and MariaDB's ed25519 login loads
  its client plugin from the wheel, in the extension and in the CLI;
- examples/shop is synced with `manage.py dbsync --auto-approve` on SQLite (the
  demo's drifted database), PostgreSQL and MariaDB, and `--check` then exits 0.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# One wheel, two Pythons: the oldest it serves with Django 5.2 LTS, and one with Django 6.
PYTHONS = {"3.10": "Django>=5.2,<5.3", "3.12": "Django>=6,<7"}
TAG_RE = re.compile(r"-cp310-abi3-manylinux_2_(\d+)_x86_64\.whl$")
# The glibc loader and the kernel's vDSO are part of every process.
ALWAYS = {"linux-vdso.so.1", "ld-linux-x86-64.so.2"}
ED_USER, ED_PASSWORD = "wheel_ed", "ed-secret-pw"


def clean_env(**extra):
    """The environment of a user's shell: nothing that points at this tree's libraries."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "PYTHONHOME",
                        "MARIADB_PLUGIN_DIR", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")}
    env["LD_LIBRARY_PATH"] = ""
    env.update(extra)
    return env


def run(cmd, check=True, **kw):
    kw.setdefault("env", clean_env())
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    if check:
        assert proc.returncode == 0, "%s exited %d\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(map(str, cmd)), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])
    return proc


def find_python(version):
    proc = subprocess.run([str(REPO / "scripts" / "deps.sh"), "find-python", version],
                          capture_output=True, text=True)
    assert proc.returncode == 0, "Python %s not found (scripts/deps.sh find-python)" % version
    return proc.stdout.strip()


def soname(path):
    """A library's DT_SONAME (a mapped file is the target of the soname's symlink)."""
    m = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", run(["readelf", "-d", "-W", path]).stdout)
    return m.group(1) if m else Path(path).name


def manylinux_whitelist(glibc_minor):
    """The libraries a manylinux_2_<minor> wheel may take from the system (auditwheel's policy)."""
    import auditwheel
    policies = json.loads((Path(auditwheel.__file__).parent / "policy" / "manylinux-policy.json").read_text())
    name = "manylinux_2_%d" % glibc_minor
    for p in policies:
        if p["name"] == name or name in p.get("aliases", []):
            return set(p["lib_whitelist"])
    raise AssertionError("auditwheel has no policy %s" % name)


# ---------- fixtures ----------

@pytest.fixture(scope="session")
def wheel():
    path = os.environ.get("DBSYNC_WHEEL")
    assert path, "DBSYNC_WHEEL must name the wheel to test (make test-wheel builds it and sets it)"
    path = Path(path).resolve()
    assert path.is_file(), "no wheel at %s" % path
    return path


@pytest.fixture(scope="session")
def whitelist(wheel):
    m = TAG_RE.search(wheel.name)
    assert m, "not a cp310-abi3 manylinux x86_64 wheel: %s" % wheel.name
    return manylinux_whitelist(int(m.group(1)))


class Venv:
    def __init__(self, root, version):
        self.root = root
        self.version = version
        self.python = root / "bin" / "python"
        self.bin = root / "bin"
        self.site = Path(run([self.python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"])
                         .stdout.strip())
        # what the wheel put in site-packages: the package, auditwheel's libs and the moved CLI
        self.wheel_dirs = [self.site / "django_dbsync", self.site / "django_dbsync.libs",
                           self.site / "django_dbsync.scripts"]

    def in_wheel(self, path):
        path = Path(os.path.realpath(path))
        return any(path.is_relative_to(d.resolve()) for d in self.wheel_dirs)


@pytest.fixture(scope="session", params=sorted(PYTHONS), ids=lambda v: "py" + v)
def venv(request, wheel, tmp_path_factory):
    version = request.param
    root = tmp_path_factory.mktemp("venv-py" + version)
    run([find_python(version), "-m", "venv", root])
    # Only wheels: --only-binary proves no compiler is needed for anything installed here.
    run([root / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--only-binary", ":all:", str(wheel), PYTHONS[version], "psycopg[binary]>=3.1.8", "PyMySQL>=1.1"])
    return Venv(root, version)


def _start(script, env=None):
    d = tempfile.mkdtemp(prefix="dbsync-wh-", dir="/tmp")  # short: unix socket paths are capped
    proc = subprocess.run(["sh", str(REPO / "scripts" / script), "start", d], capture_output=True,
                          text=True, timeout=300, env=env or os.environ)
    if proc.returncode != 0:
        subprocess.run(["sh", str(REPO / "scripts" / script), "stop", d], capture_output=True, timeout=120)
        raise AssertionError("scripts/%s start failed (exit %d): %s" % (script, proc.returncode, proc.stderr))
    return d, proc.stdout.strip().splitlines()[-1]


class PgServer:
    def __init__(self):
        self.dir, url = _start("pg-server.sh", dict(os.environ, DBSYNC_PG_PASSWORD="wheel-pg-pw"))
        self.host = self.dir  # the script puts the socket in its directory
        self.names = 0

    def new_database(self, stem):
        self.names += 1
        name = "%s_%d" % (stem, self.names)
        run(["psql", "-X", "-q", "-h", self.host, "-U", "dbsync", "-d", "postgres", "-c",
             'CREATE DATABASE "%s"' % name], env=os.environ)
        return name

    def url(self, name):
        return "postgresql:///%s?host=%s&user=dbsync" % (name, self.host)

    def django(self, name):
        return {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": "dbsync", "HOST": self.host}


class MyServer:
    def __init__(self):
        self.dir, url = _start("mariadb-server.sh")
        self.sock = os.path.join(self.dir, "mysql.sock")
        self.names = 0
        # a login that only works with the client plugin client_ed25519.so, which Connector/C
        # loads from its plugin directory at run time
        self.sql("INSTALL SONAME 'auth_ed25519'; "
                 "CREATE USER '{u}'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('{p}'); "
                 "GRANT ALL ON `dbsync\\_shadow\\_%`.* TO '{u}'@'localhost'"  # the engine's scratch databases
                 .format(u=ED_USER, p=ED_PASSWORD))

    def sql(self, text):
        run(["mariadb", "--no-defaults", "--socket=" + self.sock, "-u", "root", "-e", text], env=os.environ)

    def new_database(self, stem):
        self.names += 1
        name = "%s_%d" % (stem, self.names)
        self.sql("CREATE DATABASE `%s` CHARACTER SET utf8mb4; GRANT ALL ON `%s`.* TO '%s'@'localhost'"
                 % (name, name, ED_USER))
        return name

    def url(self, name, user="root", password=None):
        auth = user + (":" + password if password else "")
        return "mysql://%s@localhost/%s?unix_socket=%s" % (auth, name, self.sock)

    def django(self, name):
        return {"ENGINE": "django.db.backends.mysql", "NAME": name, "USER": "root",
                "OPTIONS": {"unix_socket": self.sock}}


@pytest.fixture(scope="session")
def pg():
    server = PgServer()
    yield server
    subprocess.run(["sh", str(REPO / "scripts" / "pg-server.sh"), "stop", server.dir], capture_output=True,
                   timeout=120)


@pytest.fixture(scope="session")
def my():
    server = MyServer()
    yield server
    subprocess.run(["sh", str(REPO / "scripts" / "mariadb-server.sh"), "stop", server.dir],
                   capture_output=True, timeout=120)


# ---------- the wheel itself ----------

def test_wheel_is_abi3_manylinux_and_holds_everything(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        wheel_meta = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        tags = [line.split(": ", 1)[1] for line in z.read(wheel_meta).decode().splitlines()
                if line.startswith("Tag: ")]
    assert TAG_RE.search(wheel.name)
    assert tags and all(re.fullmatch(r"cp310-abi3-manylinux_2_\d+_x86_64", t) for t in tags), tags
    assert "django_dbsync/_engine.abi3.so" in names
    assert "django_dbsync.scripts/dbsync" in names
    libs = {re.sub(r"-[0-9a-f]{8}(?=[.-])", "", Path(n).name).split(".so")[0]
            for n in names if n.startswith("django_dbsync.libs/")}
    assert {"libpq", "libmariadb", "libjansson", "libsqlite3", "libssl", "libcrypto"} <= libs, libs
    plugins = {Path(n).name for n in names if n.startswith("django_dbsync/mariadb_plugins/")}
    assert {"caching_sha2_password.so", "sha256_password.so", "client_ed25519.so"} <= plugins, plugins


def elf_files(venv):
    found = []
    for d in venv.wheel_dirs:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.read_bytes()[:4] == b"\x7fELF":
                found.append(p)
    return found


def test_every_binary_resolves_inside_the_wheel(venv, whitelist):
    files = elf_files(venv)
    names = {p.relative_to(venv.site).as_posix() for p in files}
    assert {"django_dbsync/_engine.abi3.so", "django_dbsync.scripts/dbsync",
            "django_dbsync/mariadb_plugins/client_ed25519.so"} <= names, names
    assert sum(n.startswith("django_dbsync.libs/") for n in names) >= 10, names
    for f in files:
        out = run(["ldd", f]).stdout
        for line in out.splitlines():
            line = line.strip()
            assert "not found" not in line, "%s: %s" % (f, line)
            name = line.split()[0]
            if "=>" in line:
                target = line.split("=>", 1)[1].split("(")[0].strip()
                ok = venv.in_wheel(target) or Path(name).name in whitelist | ALWAYS
                assert ok, "%s loads %s from outside the wheel (%s)" % (f, name, target)
            else:
                assert Path(name).name in ALWAYS, "%s: %s" % (f, line)
        dyn = run(["readelf", "-d", "-W", f]).stdout
        for m in re.finditer(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dyn):
            for entry in m.group(1).split(":"):
                assert entry.startswith("$ORIGIN"), "%s searches %s" % (f, entry)
        bundled = {p.name for p in (venv.site / "django_dbsync.libs").iterdir()}
        for needed in re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn):
            assert needed in bundled or needed in whitelist | ALWAYS, "%s needs %s" % (f, needed)


# ---------- what runs ----------

RUNTIME_PROBE = r"""
import importlib.util, json, sys, sysconfig
def mapped():
    with open("/proc/self/maps") as f:
        return {l.split(None, 5)[5].strip() for l in f if len(l.split(None, 5)) == 6 and ".so" in l}
before = mapped()
# the extension alone, without the Django app's package
path = sysconfig.get_path("platlib") + "/django_dbsync/_engine.abi3.so"
spec = importlib.util.spec_from_file_location("django_dbsync._engine", path)
e = importlib.util.module_from_spec(spec)
spec.loader.exec_module(e)
seen = {}
for url in sys.argv[1:]:
    with e.connect_url(url) as c:
        seen[c.vendor] = c.server_version
print(json.dumps({"before": sorted(before), "after": sorted(mapped()), "seen": seen,
                  "backends": e.backends()}))
"""


def test_runtime_maps_only_wheel_libraries(venv, whitelist, pg, my, tmp_path):
    pg_db, my_db = pg.new_database("wheel_rt"), my.new_database("wheel_rt")
    urls = ["sqlite:///%s" % (tmp_path / "rt.db"), pg.url(pg_db), my.url(my_db, ED_USER, ED_PASSWORD)]
    out = json.loads(run([venv.python, "-c", RUNTIME_PROBE, *urls], cwd=tmp_path).stdout)
    assert out["backends"] == ["sqlite", "postgresql", "mysql"]
    assert set(out["seen"]) == {"sqlite", "postgresql", "mysql"}, out["seen"]
    new = sorted(set(out["after"]) - set(out["before"]))
    assert any(p.endswith("/_engine.abi3.so") for p in new), new
    plugin = [p for p in new if p.endswith("/client_ed25519.so")]
    assert plugin and venv.in_wheel(plugin[0]), "ed25519 plugin not loaded from the wheel: %s" % new
    outside = [p for p in new if not venv.in_wheel(p) and soname(p) not in whitelist | ALWAYS]
    assert not outside, "libraries mapped from outside the wheel: %s" % outside


def test_cli_runs_from_the_wheel_on_all_backends(venv, pg, my, tmp_path):
    dbsync = venv.bin / "dbsync"
    version = run([dbsync, "--version"]).stdout
    assert "backends: sqlite postgresql mysql" in version, version
    desired = tmp_path / "desired.sql"
    pg_db, my_db = pg.new_database("wheel_cli"), my.new_database("wheel_cli")
    cases = [("sqlite", "sqlite:///%s" % (tmp_path / "cli.db"), '"'),
             ("postgresql", pg.url(pg_db), '"'),
             ("mysql", my.url(my_db, ED_USER, ED_PASSWORD), "`")]
    for vendor, url, q in cases:
        desired.write_text("CREATE TABLE {q}wheel_t{q} (id integer NOT NULL PRIMARY KEY, "
                           "name varchar(40) NOT NULL);\n".format(q=q))
        # LD_DEBUG=files names every file the loader opens, the dlopen'ed auth plugin included
        proc = run([dbsync, "apply", "--desired", desired, "--db", url, "--auto-approve"],
                   env=clean_env(LD_DEBUG="files"), cwd=tmp_path)
        assert run([dbsync, "plan", "--desired", desired, "--db", url]).returncode == 0, vendor
        assert "wheel_t" in run([dbsync, "inspect", "--db", url]).stdout, vendor
        if vendor == "mysql":
            loaded = re.findall(r"file=(\S*client_ed25519\.so)", proc.stderr)
            assert loaded and all(venv.in_wheel(p) for p in loaded), loaded
    # The login truly needs the plugin: pointed at an empty directory, the connector fails.
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    proc = run([dbsync, "inspect", "--db", my.url(my_db, ED_USER, ED_PASSWORD)], check=False,
               env=clean_env(MARIADB_PLUGIN_DIR=str(empty)))
    assert proc.returncode != 0 and "client_ed25519" in proc.stdout + proc.stderr, proc.stderr


SETTINGS = '''
import json, os
from shop_project.settings import *  # noqa: F401,F403

DATABASES = {"default": json.loads(os.environ["WHEEL_DB"])}
if DATABASES["default"]["ENGINE"].endswith("mysql"):
    # PyMySQL (pure Python) stands in for mysqlclient, which would need a compiler;
    # Django 6 asks for mysqlclient >= 2.2.1.
    import pymysql
    pymysql.version_info = (2, 2, 1, "final", 0)
    pymysql.install_as_MySQLdb()
DJANGO_DBSYNC = dict(DJANGO_DBSYNC, BACKUP_DIR=os.environ["WHEEL_BACKUPS"])
'''

SHOP_TABLES = {"store_customer", "store_product", "store_order", "store_orderitem", "store_review"}


@pytest.fixture
def shop(tmp_path):
    """examples/shop copied out of the tree, so nothing lands in the checkout."""
    dest = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", dest,
                    ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "dbsync_backups"))
    (dest / "wheel_settings.py").write_text(SETTINGS)
    return dest


def test_shop_sqlite_demo(venv, shop, tmp_path):
    env = clean_env(SHOP_DB=str(tmp_path / "shop.sqlite3"))
    py = venv.python
    run([py, "make_drift.py"], cwd=shop, env=env)
    assert run([py, "manage.py", "dbsync", "--check"], cwd=shop, env=env, check=False).returncode != 0
    out = run([py, "manage.py", "dbsync", "--auto-approve"], cwd=shop, env=env).stdout
    assert re.search(r"Done: [1-9][0-9]* applied", out), out
    # as demo.sh does: the extra column holding data goes only when asked for
    run([py, "manage.py", "dbsync", "--auto-approve"], cwd=shop, env=dict(env, SHOP_DROP_COLUMNS="1"))
    run([py, "manage.py", "dbsync", "--check"], cwd=shop, env=env)
    where = run([py, "-c", "import django_dbsync._engine as e; print(e.__file__)"], cwd=shop, env=env).stdout
    assert venv.in_wheel(where.strip()), where


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_shop_server_sync(venv, shop, tmp_path, backend, request):
    server = request.getfixturevalue("pg" if backend == "postgresql" else "my")
    name = server.new_database("wheel_shop")
    env = clean_env(DJANGO_SETTINGS_MODULE="wheel_settings", WHEEL_DB=json.dumps(server.django(name)),
                    WHEEL_BACKUPS=str(tmp_path / "backups"))
    py = venv.python
    assert run([py, "manage.py", "dbsync", "--check"], cwd=shop, env=env, check=False).returncode != 0
    run([py, "manage.py", "dbsync", "--auto-approve"], cwd=shop, env=env)
    run([py, "manage.py", "dbsync", "--check"], cwd=shop, env=env)
    # the live schema, read back by the wheel's own CLI
    ddl = run([venv.bin / "dbsync", "inspect", "--db", server.url(name)]).stdout
    missing = [t for t in SHOP_TABLES if t not in ddl]
    assert not missing, "tables not created on %s: %s" % (backend, missing)
