#!/usr/bin/env bash
# Django-level targets of ARCHITECTURE.md on PostgreSQL, on a generated project of
# N models (default 2,000), against a throwaway server:
#   - a no-op `manage.py dbsync --check` at least 20x faster than the original
#     django-dbsync (PyPI 1.2.6, its `dbsync --dry-run`, in a venv of its own);
#   - creating the whole schema from empty with `dbsync --auto-approve` in at most
#     a tenth of the time of `manage.py migrate` (the app's initial migration,
#     written by makemigrations beforehand and not timed).
#   bench/django_compare.sh [N]
# Our package must be importable by .venv/django52's python (`make bench-django`
# installs it there); BENCH_PYTHONPATH may point at another copy instead.
set -euo pipefail
n="${1:-2000}"
here="$(cd "$(dirname "$0")/.." && pwd)"
ours="$here/.venv/django52/bin/python"
orig_venv="$here/.venv/orig-dbsync-1.2.6"
if [ ! -x "$orig_venv/bin/python" ]; then
	"$here/scripts/deps.sh" venv "$orig_venv" "$("$here/scripts/deps.sh" find-python 3.11)" \
		'Django>=5.2,<5.3' >/dev/null
	"$orig_venv/bin/pip" install -q --disable-pip-version-check 'django-dbsync==1.2.6'
fi
orig="$orig_venv/bin/python"

dir="$(mktemp -d)"
pgdir="$(mktemp -d)"   # pg-server.sh hands this one to the server's user
proj="$dir/project"
trap '"$here/scripts/pg-server.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
# One transaction creating 2,000 tables (migrate --run-syncdb, and dbsync's apply)
# takes more locks than a stock server's lock table holds.
url="$(DBSYNC_PG_EXTRA_CONF='max_locks_per_transaction = 1024' \
	"$here/scripts/pg-server.sh" start "$pgdir" | tail -n 1)"
sock="${url#*host=}"; sock="${sock%%&*}"
export BENCH_PG_HOST="$sock" BENCH_PG_USER=dbsync
psql -X -q -h "$sock" -U dbsync -d dbsync_test \
	-c 'CREATE DATABASE bench_migrate' -c 'CREATE DATABASE bench_dbsync'
"$ours" "$here/bench/gen_project.py" "$proj" "$n"
cd "$proj"

# timed PYTHON PYTHONPATH DB ARGS...: wall milliseconds of one manage.py run
timed() {
	local py="$1" path="$2" db="$3" t0 t1 rc=0
	shift 3
	t0=$(date +%s%N)
	BENCH_PG_NAME="$db" PYTHONPATH="$path" "$py" manage.py "$@" </dev/null >"$dir/out" 2>&1 || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		echo "bench: manage.py $* on $db failed (exit $rc):" >&2
		tail -n 20 "$dir/out" >&2
		exit 1
	fi
	echo $(( (t1 - t0) / 1000000 ))
}
ours_path="$proj${BENCH_PYTHONPATH:+:$BENCH_PYTHONPATH}"

# The project's migration, as a Django project would have it (not timed).
timed "$ours" "$ours_path" bench_migrate makemigrations benchapp -v 0 >/dev/null
migrate_ms=$(timed "$ours" "$ours_path" bench_migrate migrate -v 0)
create_ms=$(timed "$ours" "$ours_path" bench_dbsync dbsync --auto-approve -v 0)
# Both databases must now hold the same schema: the no-op check proves it on each.
timed "$ours" "$ours_path" bench_dbsync dbsync --check -v 0 >/dev/null
best() { sort -n | head -n 1; }
check_ms=$(for _ in 1 2 3; do timed "$ours" "$ours_path" bench_migrate dbsync --check -v 0; done | best)
orig_ms=$(timed "$orig" "$proj" bench_migrate dbsync --dry-run)

echo "models: $n (PostgreSQL $(psql -X -A -t -h "$sock" -U dbsync -d dbsync_test -c 'SHOW server_version'))"
echo "manage.py migrate (from empty):                ${migrate_ms} ms"
echo "dbsync --auto-approve (from empty):            ${create_ms} ms  (target: at most $((migrate_ms / 10)) ms)"
echo "dbsync --check (no-op, best of 3):             ${check_ms} ms"
echo "original django-dbsync 1.2.6 --dry-run:        ${orig_ms} ms  (target: at least 20x ours, $((check_ms * 20)) ms)"
fail=0
if [ "$orig_ms" -lt $((check_ms * 20)) ]; then
	echo "bench: FAIL no-op check is $((orig_ms / (check_ms > 0 ? check_ms : 1)))x faster than the original, not 20x" >&2
	fail=1
fi
if [ "$create_ms" -gt $((migrate_ms / 10)) ]; then
	echo "bench: FAIL creating from empty takes more than a tenth of migrate" >&2
	fail=1
fi
exit "$fail"
