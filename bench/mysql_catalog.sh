#!/usr/bin/env bash
# MariaDB catalog benchmark: a throwaway server, the engine's catalog read and
# no-op plan at growing sizes (bench_catalog --db), then `mariadb-dump --no-data`
# on the same 2,000-table schema for comparison (no target is set for it: the
# ratio is reported, the round-trip, linearity and memory checks are
# bench_catalog's own).
#   bench/mysql_catalog.sh BENCH_BINARY
set -euo pipefail
bench="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap '"$here/scripts/mariadb-server.sh" stop "$dir" >/dev/null 2>&1 || true' EXIT
url="$("$here/scripts/mariadb-server.sh" start "$dir" | tail -n 1)"
out="$("$bench" --db "$url" 10 500 2000)"
echo "$out"
engine_ms="$(echo "$out" | awk '$1 == 2000 { print int($3) }')"
# bench_catalog empties the database at the start of a size, not the end: the
# 2,000 tables are still there
sock="${url#*unix_socket=}"; sock="${sock%%&*}"
db="${url%%\?*}"; db="${db##*/}"
dump="$(command -v mariadb-dump || command -v mysqldump)"
dump_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$dump" --no-defaults --no-data --socket="$sock" -u root "$db" >/dev/null
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
best=$(for _ in 1 2 3; do dump_ms; done | sort -n | head -n 1)
echo "mariadb-dump --no-data at 2000 tables: ${best} ms (best of 3); engine introspect: ${engine_ms} ms"
