#!/bin/sh
# Run a command (the C suite's `meson test`) beside ONE throwaway PostgreSQL
# and ONE MariaDB server, instead of a pair per test program: starting a
# server costs seconds of CPU, and the suite has a dozen programs.
#
#   scripts/with-test-servers.sh CMD [ARG...]
#
# The servers' directories go to the command as DBSYNC_PG_SERVER_DIR and
# DBSYNC_MARIADB_SERVER_DIR; each test program then makes its own database
# and role in them (tests/c/test_support.h: test_server_open_db), so the
# programs still run in parallel. Both servers are stopped on every way out.
# A server that is not installed (its script exits 3) is not exported: each
# program then fails, or skips under DBSYNC_ALLOW_MISSING_SERVERS=1, as it
# does when run alone. Exits with the command's status.
set -eu

[ $# -ge 1 ] || {
	echo "usage: $0 CMD [ARG...]" >&2
	exit 2
}
scripts=$(cd "$(dirname "$0")" && pwd)
pg_dir=
my_dir=

stop_servers() {
	[ -z "$pg_dir" ] || "$scripts/pg-server.sh" stop "$pg_dir" || true
	[ -z "$my_dir" ] || "$scripts/mariadb-server.sh" stop "$my_dir" || true
	pg_dir=
	my_dir=
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# start_server SCRIPT DIR: 0 when it runs, 3 when it is not installed (DIR
# is removed); a failure to start stops the run. The directories are made
# before the start, so that an interrupt during a start still stops it.
start_server() {
	st=0
	"$1" start "$2" >/dev/null || st=$?
	case $st in
	0 | 3) [ $st -eq 0 ] || rmdir "$2" ;;
	*)
		echo "$0: could not start a test server with $1" >&2
		exit 1
		;;
	esac
	return $st
}

pg_dir=$(mktemp -d /tmp/dbsync-pg-XXXXXX)
start_server "$scripts/pg-server.sh" "$pg_dir" || pg_dir=
my_dir=$(mktemp -d /tmp/dbsync-my-XXXXXX)
start_server "$scripts/mariadb-server.sh" "$my_dir" || my_dir=
[ -z "$pg_dir" ] || export DBSYNC_PG_SERVER_DIR="$pg_dir"
[ -z "$my_dir" ] || export DBSYNC_MARIADB_SERVER_DIR="$my_dir"

# The command runs in the background so that a signal to this script is
# handled at once (a shell runs its traps only after a foreground command
# ends): the command gets a SIGTERM (a background job ignores SIGINT), then
# the servers are stopped.
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; exit 143' TERM
trap 'kill -HUP "$child" 2>/dev/null; exit 129' HUP
st=0
wait "$child" || st=$?
exit "$st"
