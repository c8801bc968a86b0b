"""Helpers of test_orphans.py and test_views.py: orphaned tables written with
each backend's SQL, and a throwaway Django project (a subprocess) into which a
generated models file is pasted as an app, to prove it passes `manage.py check`
and reads real rows through the ORM."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

import e2e_support as s

HERE = Path(__file__).resolve().parent


def qi(db, name):
    """An identifier quoted for the database's SQL."""
    if s.is_my(db):
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def create_orphans(db):
    """Three orphaned tables in a foreign-key chain (grandchild -> child ->
    parent), with rows and columns whose names are not valid Python."""
    s.execute(
        db,
        "CREATE TABLE legacy_parent (id integer NOT NULL PRIMARY KEY, "
        "name varchar(40) NOT NULL DEFAULT 'anon', price decimal(8,2) NULL, "
        f"{qi(db, 'class')} integer NULL, {qi(db, 'my col')} varchar(10) NULL, "
        "created timestamp NULL DEFAULT CURRENT_TIMESTAMP, code varchar(8) NULL, "
        "UNIQUE (name, code))",
        "CREATE TABLE legacy_child (id integer NOT NULL PRIMARY KEY, parent_id integer NULL, "
        "note varchar(20) NULL, FOREIGN KEY (parent_id) REFERENCES legacy_parent (id))",
        "CREATE TABLE legacy_grandchild (id integer NOT NULL PRIMARY KEY, child_id integer NOT NULL, "
        "FOREIGN KEY (child_id) REFERENCES legacy_child (id))",
        f"INSERT INTO legacy_parent (id, name, price, {qi(db, 'class')}, {qi(db, 'my col')}) VALUES "
        "(1, 'alpha', 1.50, 7, 'x'), (2, 'beta', NULL, NULL, NULL), (3, 'gamma', 3.25, 9, 'z')",
        "INSERT INTO legacy_child (id, parent_id, note) VALUES (1, 1, 'first'), (2, 3, 'second')",
        "INSERT INTO legacy_grandchild (id, child_id) VALUES (1, 2)",
    )


def db_settings(db):
    if s.is_server(db):
        return db.settings_dict()
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}


def run_in_project(tmp_path, db, models_source, script, app="legacyapp"):
    """Paste models_source into a new app of a copy of the test project that
    points at `db`, then run `manage.py check` and `script` (Python run after
    django.setup(), its stdout returned). Both must succeed."""
    root = tmp_path / "project"
    (root / app).mkdir(parents=True)
    (root / app / "__init__.py").write_text("")
    (root / app / "models.py").write_text(models_source)
    (root / "pasted_settings.py").write_text(textwrap.dedent(f"""\
        import json
        from testproject.settings import *  # noqa: F401,F403
        INSTALLED_APPS = INSTALLED_APPS + [{app!r}]
        DATABASES = {{"default": json.loads({json.dumps(json.dumps(db_settings(db)))})}}
        DATABASE_ROUTERS = []
        """))
    (root / "script.py").write_text("import django\ndjango.setup()\n" + script)
    env = dict(os.environ)
    paths = [str(root), str(HERE)] + [p for p in sys.path if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["DJANGO_SETTINGS_MODULE"] = "pasted_settings"
    s.close_connections()
    check = subprocess.run([sys.executable, str(HERE / "manage.py"), "check"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    result = subprocess.run([sys.executable, str(root / "script.py")], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def report_dir(tmp_path):
    return {**getattr(settings, "DJANGO_DBSYNC", {}), "REPORT_OUTPUT_DIR": str(tmp_path / "reports")}


def written_path(out, marker="Wrote models"):
    lines = [line for line in out.splitlines() if line.startswith(marker)]
    assert len(lines) == 1, out
    return Path(lines[0].rsplit(" to ", 1)[1])
