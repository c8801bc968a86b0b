"""scripts/check-seam.sh finds what names a dialect where it must not.

The check runs on a copy of the repository (git's files, untracked ones too)
with the real build's object files (DBSYNC_CLI's build directory, as
`make test` sets it; build/c otherwise). The copy is checked once as it is and
once after planting one violation of each rule; every planted line must be
reported, with its file and line, only after planting, and what must not
count (a comment, a docstring) must not be. Whether the tree itself holds the
seam is `make check-seam`'s to say, not this test's: the core still branches
on dialects while issue 13 is being resolved.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = os.environ.get("DBSYNC_CLI") or str(REPO / "build" / "c" / "dbsync")
BUILD = Path(CLI).parent


def run_check(root):
    r = subprocess.run([str(REPO / "scripts" / "check-seam.sh"), "--root", str(root), str(BUILD)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, r.stdout


def plant_before(path, text):
    path.write_text(text + path.read_text())


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """(output before, output after planting, exit status after)."""
    assert (BUILD / "compile_commands.json").is_file(), f"no build in {BUILD}: run make build"
    root = tmp_path_factory.mktemp("seam") / "repo"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in files:
        if f and (REPO / f).is_file():
            (root / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, root / f)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    _, before = run_check(root)

    src = root / "engine" / "src"
    # the core: a folder's header, a comment naming a constant (does not
    # count), a client library's header, a client library's call, a folder's
    # function
    plant_before(src / "apply.c",
                 '#include "backend_mysql.h"\n'
                 "/* DBSYNC_DIALECT_MYSQL, in a comment */\n"
                 "#include <libpq-fe.h>\n"
                 "static void planted(void) { PQfinish(0); dbs_pg_lock_key(0); }\n")
    # a dialect folder including another's header
    plant_before(src / "sqlite" / "plan_sqlite.c", '#include "plan_postgres.h"\n')
    # Django glue the checklist does not list; a docstring naming the same
    # dialect does not count
    (root / "django_dbsync" / "planted.py").write_text('"""mysql"""\nVENDOR = "mysql"\n')
    # the list of dialect folders stops naming one
    folders = src / "meson.build"
    folders.write_text(folders.read_text().replace(", 'mysql']", "]"))
    status, after = run_check(root)
    return before, after, status


PLANTED = [
    "engine/src/apply.c:1: names mysql (includes backend_mysql.h) outside engine/src/mysql/",
    "engine/src/apply.c:3: includes <libpq-fe.h>, outside the dialect folders",
    "engine/src/apply.c:4: PQfinish(): a client library's prefix, outside the dialect folders",
    "engine/src/apply.c:4: names postgres (dbs_pg_lock_key) outside engine/src/postgres/",
    "engine/src/sqlite/plan_sqlite.c:1: names postgres (includes plan_postgres.h) inside engine/src/sqlite/",
    "django_dbsync/planted.py:2: names mysql ('mysql') and is not in the expected set",
    "engine/src/meson.build: in EVERY_DIALECT but no longer names every dialect",
]


@pytest.mark.parametrize("line", PLANTED)
def test_a_planted_violation_is_reported_with_its_line(checked, line):
    before, after, status = checked
    assert line not in before
    assert line in after
    assert status == 1


def test_comments_and_docstrings_do_not_count(checked):
    _, after, _ = checked
    assert "engine/src/apply.c:2:" not in after
    assert "django_dbsync/planted.py:1:" not in after


def test_the_registry_names_every_dialect_and_is_never_a_problem(checked):
    before, after, _ = checked
    for d in ("SQLITE", "POSTGRES", "MYSQL"):
        assert re.search(rf"engine/src/registry\.c \(\d+: DBSYNC_HAVE_{d}, dbs_backend_{d.lower()}, "
                         rf"dbs_dialect_{d.lower()}\): the registry line", before)
    assert "engine/src/registry.c:" not in before + after
