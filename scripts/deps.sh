#!/usr/bin/env bash
# Install what building and testing need, on a fresh Debian machine.
#   scripts/deps.sh system          Debian packages (needs root; skipped when all are present)
#   scripts/deps.sh packages        print the Debian packages `system` installs, one a line
#   scripts/deps.sh venv DIR PY SPEC  a virtualenv at DIR from interpreter PY with Django SPEC
#                                     (and pytest, pytest-xdist, psycopg, mysqlclient, meson-python,
#                                     django-tenants, django-tenant-schemas)
set -euo pipefail

# Build: a C compiler, pkg-config, the C libraries and headers, venv for the
# virtualenvs (meson and ninja come from PyPI into them). Each dialect's own
# (its client library, the server its tests start) are listed in its folder,
# engine/src/<d>/debian-packages, read for every dialect scripts/dialects.sh finds.
COMMON_PACKAGES=(gcc libc6-dev pkg-config libjansson-dev libcmocka-dev
	python3-dev python3-venv
	chromium)  # reports: the e2e suite renders the HTML report in headless Chromium

here=$(cd "$(dirname "$0")" && pwd)

# COMMON_PACKAGES, then each dialect folder's debian-packages (a # starts a
# comment); a dialect folder without that file is an error, not a quiet gap.
packages() {
	local d dialects list
	dialects=$("$here/dialects.sh")
	printf '%s\n' "${COMMON_PACKAGES[@]}"
	for d in $dialects; do
		list="$here/../engine/src/$d/debian-packages"
		[ -f "$list" ] || { echo "deps: engine/src/$d/ has no debian-packages" >&2; return 1; }
		sed 's/#.*//' "$list" | awk '{ for (i = 1; i <= NF; i++) print $i }'
	done
}

system() {
	local missing=() p all
	all=$(packages)
	for p in $all; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	echo "deps: installing Debian packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	# policy-rc.d 101: packages must not start their system-wide servers; tests start their own
	local policy=/usr/sbin/policy-rc.d created=""
	if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -z "$created" ] || rm -f "$policy"
}

venv() {
	local dir="$1" py="$2" spec="$3"
	if [ ! -x "$dir/bin/python" ]; then
		echo "deps: creating $dir with $("$py" --version 2>&1)"
		"$py" -m venv "$dir"
	fi
	# pip >= 23.1: the Makefile passes several --config-settings=setup-args=...
	# (older pips, such as Debian 12's 23.0, keep only the last one)
	"$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade 'pip>=23.1'
	# psycopg: Django's PostgreSQL driver, for the end-to-end suite's PostgreSQL half
	# (the binary wheel bundles libpq; the engine links Debian's libpq-dev).
	# mysqlclient: Django's MySQL/MariaDB driver, for the MariaDB half; it builds
	# from source against libmariadb-dev, found through pkg-config (system installs both).
	# pytest-xdist: the Python suites run in worker processes (Makefile PYTEST_WORKERS),
	# pinned so that how a suite is split does not change under it.
	# jsonschema: the JSON report is validated against docs/report.schema.json.
	# django-tenants, django-tenant-schemas: `dbsync --all-tenants` is tested against
	# the real packages (tests/e2e/tenants); pinned, their releases declare Django 5.2
	# (both) and 6.0 (django-tenants). Only the tenant test projects install their apps.
	"$dir/bin/python" -m pip install -q --disable-pip-version-check \
		"$spec" 'pytest>=8' 'pytest-django>=4.9' 'pytest-xdist==3.8.0' Pillow 'meson-python>=0.15' 'meson>=1.3' ninja \
		'psycopg[binary]>=3.1.8' 'mysqlclient>=2.2.1' \
		'jsonschema>=4.18' \
		'django-tenants==4.0.1' 'django-tenant-schemas==2.0.0'
}

# The interpreter for a Python minor version: PATH first, then pyenv's versions.
find_python() {
	local want="$1"
	# pyenv shims answer `command -v` even for versions not selected, so ask the binary itself
	if "python$want" -c 'import sys' >/dev/null 2>&1; then command -v "python$want"; return; fi
	for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want"; do
		[ -x "$p" ] && { echo "$p"; return; }
	done
	return 1
}

case "${1:-}" in
	system) system ;;
	packages) packages ;;
	venv) venv "$2" "$3" "$4" ;;
	find-python) find_python "$2" ;;
	*) echo "usage: $0 system | packages | venv DIR PY SPEC | find-python X.Y" >&2; exit 2 ;;
esac
