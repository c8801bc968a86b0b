#!/usr/bin/env bash
# PostgreSQL catalog benchmark: a throwaway server, the engine's catalog read and
# no-op plan at growing sizes (bench_catalog --db), then `pg_dump --schema-only`
# on the same 2,000-table schema for the target ratio (engine read <= half of it).
#   bench/pg_catalog.sh BENCH_BINARY
set -euo pipefail
bench="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap '"$here/scripts/pg-server.sh" stop "$dir" >/dev/null 2>&1 || true' EXIT
url="$("$here/scripts/pg-server.sh" start "$dir" | tail -n 1)"
out="$("$bench" --db "$url" 10 500 2000)"
echo "$out"
engine_ms="$(echo "$out" | awk '$1 == 2000 { print int($3) }')"

# The same 2,000 tables again, then pg_dump's time against the engine's.
"$bench" --db "$url" 2000 >/dev/null 2>&1 || true
bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
sock="${url#*host=}"; sock="${sock%%&*}"
dump_ms() {
	local t0 t1
	t0=$(date +%s%N)
	runuser -u dbsync-test -- "$bindir/pg_dump" --schema-only -h "$sock" -U dbsync dbsync_test >/dev/null
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
# bench_catalog dropped its schema at the start of its run, not the end, so the
# 2,000 tables are still there
best=$(for _ in 1 2 3; do dump_ms; done | sort -n | head -n 1)
echo "pg_dump --schema-only at 2000 tables: ${best} ms (best of 3); engine introspect: ${engine_ms} ms (target: at most $((best / 2)) ms)"
if [ -z "$engine_ms" ] || [ "$engine_ms" -gt $((best / 2)) ]; then
	echo "bench: FAIL the engine's catalog read is not at most half of pg_dump's time" >&2
	exit 1
fi
