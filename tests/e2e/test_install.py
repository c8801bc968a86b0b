"""What `pip install .` puts in the virtualenv (make test installs the project
into each Django venv that way): the `dbsync` CLI on the venv's PATH, and one
version everywhere, written once in meson.build."""
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import django_dbsync
from django_dbsync import _engine

REPO = Path(__file__).resolve().parents[2]


def meson_version():
    text = (REPO / "meson.build").read_text()
    found = re.search(r"project\('django-dbsync',\s*'c',\s*version:\s*'([^']+)'", text)
    assert found, "no project(version:) in meson.build"
    return found.group(1)


def test_cli_is_installed_in_the_venv():
    cli = Path(sys.executable).parent / "dbsync"
    assert cli.is_file(), "pip install did not put dbsync in %s" % cli.parent
    run = subprocess.run([str(cli), "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "dbsync %s" % meson_version()
    # the Makefile's install asks for every backend: the CLI has all three
    assert lines[1].split() == ["backends:", "sqlite", "postgresql", "mysql"]


def test_one_version_everywhere():
    version = meson_version()
    assert django_dbsync.__version__ == version
    assert _engine.__version__ == _engine.version() == version
    assert importlib.metadata.version("django-dbsync") == version  # pyproject: dynamic, from meson
    # it supersedes django-dbsync 1.2.6 on PyPI: 2.0.0 or a 2.0.0 pre-release
    assert re.fullmatch(r"2\.0\.0((a|b|rc)\d+)?", version), version


def test_declared_django_versions():
    meta = importlib.metadata.metadata("django-dbsync")
    assert "Django<7,>=5.2" in meta.get_all("Requires-Dist")
    classifiers = meta.get_all("Classifier")
    assert "Framework :: Django :: 5.2" in classifiers
    assert "Framework :: Django :: 6.0" in classifiers


def _meson_setup(tmp_path, pc_files, *options):
    """`meson setup` of this project seeing only `pc_files` through pkg-config,
    as on a machine where the other -dev packages are not installed."""
    n = len(list(tmp_path.glob("build*")))
    pc_dir = tmp_path / ("pkgconfig%d" % n)
    pc_dir.mkdir()
    for name in pc_files:
        found = subprocess.run(["pkg-config", "--variable=pcfiledir", name], capture_output=True, text=True)
        assert found.returncode == 0, "%s.pc is not installed here: %s" % (name, found.stderr)
        (pc_dir / (name + ".pc")).write_text((Path(found.stdout.strip()) / (name + ".pc")).read_text())
    build = tmp_path / ("build%d" % n)
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(pc_dir),
               PATH="%s:%s" % (Path(sys.executable).parent, os.environ["PATH"]))
    return subprocess.run([str(Path(sys.executable).parent / "meson"), "setup", str(build), str(REPO),
                           "-Dtests=disabled", *options], capture_output=True, text=True, env=env, timeout=300)


def test_missing_library_stops_the_build_naming_the_package(tmp_path):
    base = ["jansson", "sqlite3"]
    run = _meson_setup(tmp_path, base, "-Dpython=disabled", "-Dpostgres=enabled")
    assert run.returncode != 0
    assert "install the Debian package libpq-dev" in run.stdout + run.stderr
    run = _meson_setup(tmp_path, base, "-Dpython=disabled", "-Dmysql=enabled")
    assert run.returncode != 0
    assert "install the Debian package libmariadb-dev" in run.stdout + run.stderr
    # a Python build always has SQLite, asked for or not
    run = _meson_setup(tmp_path, ["jansson"], "-Dpython=enabled")
    assert run.returncode != 0
    assert "install the Debian package libsqlite3-dev" in run.stdout + run.stderr
    # what is found is built; `auto` leaves the rest out quietly
    run = _meson_setup(tmp_path, base, "-Dpython=enabled")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^\s*backends\s*:\s*sqlite\s*$", run.stdout, re.M), run.stdout
