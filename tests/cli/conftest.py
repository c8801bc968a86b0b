"""Throwaway servers for the CLI tests: one PostgreSQL and one MariaDB per test
module that asks for them (scripts/pg-server.sh, scripts/mariadb-server.sh: a
fresh directory under /tmp, a unix socket, no TCP), stopped whatever happens.
A server that cannot start fails the module's tests.

pg_server is the server's directory (its socket and server.log live there); a
module that sets PG_PASSWORD gets it as the password of the role dbsync_pw.
my_server is the MariaDB server's socket.
"""
import os
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _throwaway(script, prefix, env=None):
    # short directory under /tmp: a unix socket's path must fit in 108 bytes
    directory = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    proc = subprocess.run(["sh", str(SCRIPTS / script), "start", directory], capture_output=True, text=True,
                          timeout=180, env=env)
    try:
        assert proc.returncode == 0, "scripts/%s start failed:\n%s" % (script, proc.stderr)
        yield directory, proc.stdout
    finally:
        subprocess.run(["sh", str(SCRIPTS / script), "stop", directory], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pg_server(request):
    password = getattr(request.module, "PG_PASSWORD", None)
    env = dict(os.environ, DBSYNC_PG_PASSWORD=password) if password else None
    for directory, _ in _throwaway("pg-server.sh", "dbsync-cli-pg-", env):
        yield directory


@pytest.fixture(scope="module")
def my_server():
    for _, out in _throwaway("mariadb-server.sh", "dbsync-cli-my-"):
        yield parse_qs(urlsplit(out.strip().splitlines()[-1]).query)["unix_socket"][0]
