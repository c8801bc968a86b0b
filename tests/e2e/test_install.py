"""What `pip install .` puts in the virtualenv (make test installs the project
into each Django venv that way): the `dbsync` CLI on the venv's PATH, and one
version everywhere, written once in meson.build."""
import importlib.metadata
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
