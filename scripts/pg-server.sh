#!/bin/sh
# A throwaway PostgreSQL server for tests: a private data directory, a unix
# socket in that directory and no TCP listener, so runs never collide.
#
#   pg-server.sh start DIR   initdb, start, create the database dbsync_test;
#                            the last line of stdout is its URL
#   pg-server.sh stop DIR    stop the server (immediate) and remove DIR
#   pg-server.sh createdb DIR NAME   in the running server: the database NAME
#                            and the role NAME_pw (password $DBSYNC_PG_PASSWORD),
#                            so programs sharing one server never share a
#                            database; the last line of stdout is its URL
#   pg-server.sh dropdb DIR NAME     drop them again, and every database named
#                            NAME__* (a program's extra ones); idempotent
#
# The data directory is in memory when /dev/shm is a tmpfs, else DIR/data
# (scripts/server-memdir.sh says why and how to keep it on disk).
#
# Besides the trusted superuser (dbsync), a role dbsync_pw logs in only with
# the password $DBSYNC_PG_PASSWORD (scram-sha-256), so tests can prove that a
# password never leaks into a message; so do the roles `createdb` makes, as
# members of the group dbsync_pw_roles.
#
# DBSYNC_PG_EXTRA_CONF: more postgresql.conf lines (benchmarks raise
# max_locks_per_transaction with it).
#
# DBSYNC_PG_BINDIR (or PG_BINDIR): the server binaries to use, e.g. a major
# installed by scripts/servers.sh for `make test-matrix`. A bin directory
# without psql (the npm builds ship none) uses the system psql.
#
# Exit codes: 0 ok, 1 failure, 3 no PostgreSQL server binaries installed
# (install Debian's postgresql package).
set -eu

SUPERUSER=dbsync
PW_ROLE=dbsync_pw
PW_GROUP=dbsync_pw_roles
DBNAME=dbsync_test
RUN_AS=dbsync-test
MARKER=.dbsync-pg-server
. "$(dirname "$0")/server-memdir.sh"

die() {
	echo "pg-server.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: pg-server.sh start|stop DIR | createdb|dropdb DIR NAME" >&2
	exit 2
}

# The server binaries: $DBSYNC_PG_BINDIR or $PG_BINDIR, then pg_config, then
# the newest Debian major. A named directory without initdb is an error, not
# a silent fall back to another version.
find_bindir() {
	want=${DBSYNC_PG_BINDIR:-${PG_BINDIR:-}}
	if [ -n "$want" ]; then
		[ -x "$want/initdb" ] || die "no initdb in DBSYNC_PG_BINDIR=$want"
		echo "$want"
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ]; then
			echo "$d"
			return 0
		fi
	fi
	best=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && best=$d
	done
	# the glob sorts 9 after 18: pick the highest major numerically
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] || continue
		v=${d#/usr/lib/postgresql/}
		v=${v%/bin}
		b=${best#/usr/lib/postgresql/}
		b=${b%/bin}
		if [ "$v" -gt "$b" ] 2>/dev/null; then
			best=$d
		fi
	done
	if [ -n "$best" ]; then
		echo "$best"
		return 0
	fi
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	return 1
}

# initdb and the server refuse to run as root: use an unprivileged system user.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$RUN_AS" -- "$@"
	else
		"$@"
	fi
}

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	getent passwd "$RUN_AS" >/dev/null 2>&1 && return 0
	# a concurrent run may create it first: only a still-missing user is an error
	useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS" 2>/dev/null ||
		getent passwd "$RUN_AS" >/dev/null 2>&1 ||
		die "cannot create the system user $RUN_AS (useradd failed)"
}

start() {
	dir=$1
	bindir=$(find_bindir) || {
		echo "pg-server.sh: no PostgreSQL server binaries (initdb) found; install Debian's postgresql package" >&2
		exit 3
	}
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd -P)
	[ ! -e "$dir/data" ] && [ ! -e "$dir/$MEMDIR_NOTE" ] || die "$dir holds a server already: stop it first"
	case $dir in
	*"'"* | *'"'* | *' '*) die "the directory path must not contain quotes or spaces: $dir" ;;
	esac
	# the socket path must fit in sun_path (107 bytes)
	[ ${#dir} -le 80 ] || die "the directory path is too long for a unix socket: $dir"
	: >"$dir/$MARKER"
	ensure_user
	data=$dir/data
	if mem=$(memdir_create "$dir" pg); then
		data=$mem/data
	fi
	if [ "$(id -u)" -eq 0 ]; then
		chown "$RUN_AS" "$dir" ${mem:+"$mem"} || die "cannot give $dir to $RUN_AS"
	fi
	cd "$dir"
	as_owner "$bindir/initdb" --pgdata="$data" --username="$SUPERUSER" \
		--auth-local=trust --auth-host=reject --encoding=UTF8 --locale=C --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed in $data"
	}
	# first match wins: the password role must not fall through to trust
	cat >"$dir/pg_hba.conf" <<EOF
local all $PW_ROLE scram-sha-256
local all +$PW_GROUP scram-sha-256
local all all trust
EOF
	cat >"$dir/extra.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
hba_file = '$dir/pg_hba.conf'
max_connections = 50
${DBSYNC_PG_EXTRA_CONF:-}
EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown "$RUN_AS" "$dir/pg_hba.conf" "$dir/extra.conf"
	fi
	echo "include '$dir/extra.conf'" | as_owner sh -c "cat >>'$data/postgresql.conf'"
	as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
		cat "$dir/server.log" >&2 2>/dev/null || true
		die "the server in $data did not start"
	}
	psql=$bindir/psql
	[ -x "$psql" ] || psql=$(command -v psql) || die "no psql in $bindir nor on PATH"
	pw=${DBSYNC_PG_PASSWORD:-dbsync-test-secret}
	# psql interpolates :'pw' as a literal only in scripts, not in -c
	printf '%s\n' "CREATE DATABASE $DBNAME;" "CREATE ROLE $PW_ROLE LOGIN PASSWORD :'pw';" \
		"CREATE ROLE $PW_GROUP NOLOGIN;" \
		"GRANT ALL ON DATABASE $DBNAME TO $PW_ROLE;" |
		as_owner "$psql" -X -q -v ON_ERROR_STOP=1 -v pw="$pw" \
			-h "$dir" -U "$SUPERUSER" -d postgres >/dev/null || {
		as_owner "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
		die "cannot create the database $DBNAME"
	}
	echo "postgresql:///$DBNAME?host=$dir&user=$SUPERUSER"
}

stop() {
	dir=$1
	[ -d "$dir" ] || return 0
	# never remove a directory this script did not set up
	[ -e "$dir/$MARKER" ] || die "$dir was not made by pg-server.sh start; not touching it"
	data=$dir/data
	if mem=$(memdir_of "$dir"); then
		data=$mem/data
	fi
	if [ -f "$data/postmaster.pid" ]; then
		bindir=$(find_bindir) || die "no PostgreSQL server binaries to stop $data with"
		(cd "$dir" && as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1) || true
	fi
	memdir_remove "$dir"
	rm -rf "$dir"
}

# psql as the superuser on the server in DIR, reading SQL from stdin; what
# it prints goes to stdout only with -At (a query's rows).
server_psql() {
	dir=$1
	shift
	[ -e "$dir/$MARKER" ] || die "$dir was not made by pg-server.sh start"
	bindir=$(find_bindir) || die "no PostgreSQL binaries found"
	psql=$bindir/psql
	[ -x "$psql" ] || psql=$(command -v psql) || die "no psql in $bindir nor on PATH"
	case ${1:-} in
	-At) as_owner "$psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U "$SUPERUSER" -d postgres "$@" ;;
	*) as_owner "$psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U "$SUPERUSER" -d postgres "$@" >/dev/null ;;
	esac
}

# NAME becomes an SQL identifier unquoted: lower-case letters, digits, _ only.
check_name() {
	case $1 in
	'' | *[!a-z0-9_]*) die "the database name must be lower-case letters, digits and _: $1" ;;
	esac
}

createdb() {
	dir=$(cd "$1" && pwd -P) || die "no directory $1"
	check_name "$2"
	pw=${DBSYNC_PG_PASSWORD:-dbsync-test-secret}
	printf '%s\n' "CREATE DATABASE $2;" "CREATE ROLE ${2}_pw LOGIN PASSWORD :'pw' IN ROLE $PW_GROUP;" \
		"GRANT ALL ON DATABASE $2 TO ${2}_pw;" | server_psql "$dir" -v pw="$pw" ||
		die "cannot create the database $2"
	echo "postgresql:///$2?host=$dir&user=$SUPERUSER"
}

dropdb() {
	dir=$(cd "$1" && pwd -P) || die "no directory $1"
	check_name "$2"
	# a test that failed midway may leave a connection open (no DROP DATABASE
	# ... WITH (FORCE): PostgreSQL 12 of `make test-matrix` lacks it)
	# its extra databases: NAME__*, where _ is no wildcard
	extra=$(echo "SELECT datname FROM pg_database WHERE starts_with(datname, '${2}__')" |
		server_psql "$dir" -At) || die "cannot list the databases of $2"
	for db in $2 $extra; do
		printf '%s\n' "SET client_min_messages = warning;" \
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db';" \
			"DROP DATABASE IF EXISTS \"$db\";"
	done | server_psql "$dir" || die "cannot drop the database $2"
	echo "DROP ROLE IF EXISTS ${2}_pw;" | server_psql "$dir" || die "cannot drop the role ${2}_pw"
}

case $# in
2)
	case $1 in
	start) start "$2" ;;
	stop) stop "$2" ;;
	*) usage ;;
	esac
	;;
3)
	case $1 in
	createdb) createdb "$2" "$3" ;;
	dropdb) dropdb "$2" "$3" ;;
	*) usage ;;
	esac
	;;
*) usage ;;
esac
