"""The build tooling finds the dialects from their folders (docs/adding-a-dialect.md, section 1).

scripts/dialects.sh lists every engine/src/<d>/ holding dialect_<d>.c; the
Makefile's development builds enable each (-D<d>=enabled), and
`scripts/deps.sh packages` lists each folder's debian-packages beside the
common ones. On this tree the list is what deps.sh installed before the
packages moved into the folders; on a copy with one more dialect folder,
that folder is found by all three with no line added to any of them.
(scripts/wheel.sh uses the same list; `make test-wheel` builds the wheel.)
"""
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What scripts/deps.sh installed when it named every package itself.
PACKAGES_BEFORE_THE_FOLDERS = {
    "gcc", "libc6-dev", "pkg-config", "libsqlite3-dev", "sqlite3", "libjansson-dev", "libcmocka-dev",
    "python3-dev", "python3-venv", "libpq-dev", "postgresql", "libmariadb-dev", "mariadb-server",
    "chromium",
}


def run(root, *args):
    return subprocess.run(list(args), cwd=root, capture_output=True, text=True)


def dev_options(root):
    r = run(root, "make", "-s", "--no-print-directory", "--eval", "print-dev-options: ; @echo $(DEV_OPTIONS)",
            "print-dev-options")
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def copy_of_the_tooling(tmp_path):
    """The Makefile, scripts/ and the dialect folders' tables and package lists."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copy2(REPO / "Makefile", root / "Makefile")
    for table in (REPO / "engine" / "src").glob("*/dialect_*.c"):
        folder = root / table.relative_to(REPO).parent
        folder.mkdir(parents=True, exist_ok=True)
        for name in (table.name, "debian-packages"):
            shutil.copy2(table.parent / name, folder / name)
    return root


def test_this_tree_has_three_dialects_enabled_and_the_same_packages():
    r = run(REPO, "scripts/dialects.sh")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["mysql", "postgres", "sqlite"]
    assert sorted(dev_options(REPO)) == sorted(["-Dwerror=true", "-Dmysql=enabled", "-Dpostgres=enabled",
                                                "-Dsqlite=enabled"])
    r = run(REPO, "bash", "scripts/deps.sh", "packages")
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split("\n")[:-1]
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == PACKAGES_BEFORE_THE_FOLDERS


def test_a_new_dialect_folder_is_found_without_a_line_elsewhere(tmp_path):
    root = copy_of_the_tooling(tmp_path)
    new = root / "engine" / "src" / "newdb"
    new.mkdir()
    (new / "dialect_newdb.c").write_text("/* the data table */\n")
    (new / "debian-packages").write_text("# a comment line\nlibnewdb-dev  # build\n\nnewdb-server newdb-tools\n")
    # a folder without dialect_<d>.c is not a dialect
    (root / "engine" / "src" / "notes").mkdir()
    (root / "engine" / "src" / "notes" / "debian-packages").write_text("never-listed\n")

    r = run(root, "scripts/dialects.sh")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["mysql", "newdb", "postgres", "sqlite"]
    assert "-Dnewdb=enabled" in dev_options(root)
    r = run(root, "bash", "scripts/deps.sh", "packages")
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split()
    assert set(listed) == PACKAGES_BEFORE_THE_FOLDERS | {"libnewdb-dev", "newdb-server", "newdb-tools"}
    assert "never-listed" not in listed


def test_a_dialect_folder_without_its_package_list_stops_deps(tmp_path):
    root = copy_of_the_tooling(tmp_path)
    new = root / "engine" / "src" / "newdb"
    new.mkdir()
    (new / "dialect_newdb.c").write_text("/* the data table */\n")
    for command in ("packages", "system"):
        r = run(root, "bash", "scripts/deps.sh", command)
        assert r.returncode != 0
        assert "engine/src/newdb/ has no debian-packages" in r.stderr
        assert "installing" not in r.stdout + r.stderr
