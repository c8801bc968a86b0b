#!/bin/sh
# A throwaway MariaDB server for the tests: its own data directory, a unix
# socket inside it, no TCP at all, nothing read from /etc/mysql.
#
#   scripts/mariadb-server.sh start DIR   prints the URL to use as the last line
#   scripts/mariadb-server.sh stop DIR    kills it and removes DIR (idempotent)
#   scripts/mariadb-server.sh createdb DIR NAME   in the running server: the
#       database NAME and the user NAME_pw (password `dbsync-secret-pw`), so
#       programs sharing one server never share a database; prints its URL last
#   scripts/mariadb-server.sh dropdb DIR NAME     drops them again, and every
#       database named NAME__* (a program's extra ones); idempotent
#
# The data and temporary directories are in memory when /dev/shm is a tmpfs,
# else under DIR (scripts/server-memdir.sh says why and how to keep them on disk).
#
# Besides `dbsync_test` (reached as root without a password over the socket),
# it creates the user `dbsync_pw` with password `dbsync-secret-pw`, so tests
# can prove that a password never shows up in a message.
#
# DBSYNC_MYSQL_BINDIR (optional): a directory searched first for the server,
# install and client programs. Only Debian's MariaDB has been run through it:
# no other MariaDB or MySQL build is obtainable here (docs/versions.md), and
# MySQL 8's mysqld would need --initialize-insecure instead of mariadb-install-db.
#
# Exit codes: 0 ok, 1 failure, 3 no MariaDB server binaries installed.
#
# DBSYNC_MARIADB_SERVER_OPTIONS (optional): extra server options, split on
# spaces, given to both the bootstrap and the server, for settings fixed at
# install time such as --lower-case-table-names=1.
set -eu

usage() {
	echo "usage: $0 start|stop DIR | createdb|dropdb DIR NAME" >&2
	exit 2
}

case $#:${1:-} in
2:start | 2:stop | 3:createdb | 3:dropdb) ;;
*) usage ;;
esac
cmd=$1
dir=$2
name=${3:-}
. "$(dirname "$0")/server-memdir.sh"

find_prog() {
	for p in "$@"; do
		if [ -n "${DBSYNC_MYSQL_BINDIR:-}" ] && [ -x "$DBSYNC_MYSQL_BINDIR/$p" ]; then
			echo "$DBSYNC_MYSQL_BINDIR/$p"
			return 0
		fi
	done
	for p in "$@"; do
		if command -v "$p" >/dev/null 2>&1; then
			command -v "$p"
			return 0
		fi
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			if [ -x "$d/$p" ]; then
				echo "$d/$p"
				return 0
			fi
		done
	done
	echo "$0: none of '$*' found: install Debian's mariadb-server" >&2
	exit 3
}

# The client talks to the socket only; ~/.my.cnf and /etc/mysql must not
# redirect it elsewhere.
client() {
	"$CLIENT" --no-defaults --socket="$dir/mysql.sock" --user=root "$@"
}

start() {
	INSTALL_DB=$(find_prog mariadb-install-db mysql_install_db)
	SERVER=$(find_prog mariadbd mysqld)
	CLIENT=$(find_prog mariadb mysql)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	sock="$dir/mysql.sock"
	[ ! -e "$dir/data" ] && [ ! -e "$dir/$MEMDIR_NOTE" ] || {
		echo "$0: $dir holds a server already: stop it first" >&2
		exit 1
	}
	home=$dir
	if mem=$(memdir_create "$dir" my); then
		home=$mem
	fi
	data=$home/data
	tmp=$home/tmp
	mkdir -p "$tmp"
	# sun_path holds 108 bytes; a longer path fails later with a vague error
	if [ ${#sock} -gt 100 ]; then
		echo "$0: socket path too long for a unix socket: $sock" >&2
		exit 1
	fi
	# mariadbd refuses to run as root unless told to, and then needs no
	# separate system user or chown of the directory
	run_as=""
	[ "$(id -u)" -eq 0 ] && run_as="--user=root"

	# The bootstrap server gets the private tmpdir too. Under heavy load (two
	# suites starting servers at once beside a sanitizer build) a bootstrap was
	# seen to fail once; a second try from an empty data directory is cheap.
	install_db() {
		"$INSTALL_DB" --no-defaults $run_as --datadir="$data" --tmpdir="$tmp" \
			--auth-root-authentication-method=normal --skip-test-db \
			--skip-name-resolve ${DBSYNC_MARIADB_SERVER_OPTIONS:-} >"$dir/install.log" 2>&1
	}
	if ! install_db; then
		echo "$0: mariadb-install-db failed, trying once more; its log:" >&2
		tail -n 20 "$dir/install.log" >&2
		rm -rf "$data"
		if ! install_db; then
			echo "$0: mariadb-install-db failed again:" >&2
			tail -n 20 "$dir/install.log" >&2
			exit 1
		fi
	fi

	# Settings for speed on a disposable server: small buffers, no binary log,
	# no durability (nothing here outlives the test run), and every table in
	# the system tablespace: the tests create and drop thousands of tables,
	# and a file per table made each CREATE/DROP cost a file system round
	# (the MariaDB half of the e2e safety tests: 97 s -> 53 s on a loaded
	# 2-core machine). Its own tmpdir: big catalog reads spill to disk, and a
	# shared /tmp gets cleaned by others.
	"$SERVER" --no-defaults $run_as --datadir="$data" --socket="$sock" \
		--skip-networking --pid-file="$dir/mysqld.pid" --log-error="$dir/err.log" \
		--tmpdir="$tmp" \
		--skip-name-resolve --skip-log-bin --performance-schema=OFF \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-file-per-table=0 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		${DBSYNC_MARIADB_SERVER_OPTIONS:-} </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/launcher.pid"

	# Bounded wait: 30 s at 0.1 s steps.
	i=0
	while ! client -e "SELECT 1" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then
			echo "$0: the MariaDB server in $dir did not come up; end of its log:" >&2
			tail -n 20 "$dir/err.log" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done

	client -e "CREATE DATABASE dbsync_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER 'dbsync_pw'@'localhost' IDENTIFIED BY 'dbsync-secret-pw';
		GRANT ALL ON dbsync_test.* TO 'dbsync_pw'@'localhost';"
	echo "mysql://root@localhost/dbsync_test?unix_socket=$sock"
}

stop() {
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd)
	# Nothing of a throwaway server is kept, so it is killed outright (as
	# pg-server.sh stops with -m immediate): a clean InnoDB shutdown took
	# seconds per server, and the suites start dozens.
	for f in mysqld.pid launcher.pid; do
		pid=""
		[ -f "$dir/$f" ] && pid=$(cat "$dir/$f" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid" 2>/dev/null || true
			# bounded wait for the process to be dead (a zombie waiting for
			# its parent to reap it counts as dead) before its files go
			i=0
			while kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null &&
				[ $i -lt 300 ]; do
				sleep 0.1
				i=$((i + 1))
			done
		fi
	done
	memdir_remove "$dir"
	rm -rf "$dir"
}

# NAME goes into SQL unquoted: lower-case letters, digits and _ only.
name_db() {
	case $name in
	'' | *[!a-z0-9_]*)
		echo "$0: the database name must be lower-case letters, digits and _: $name" >&2
		exit 1
		;;
	esac
	[ -S "$dir/mysql.sock" ] || {
		echo "$0: no running server in $dir" >&2
		exit 1
	}
	CLIENT=$(find_prog mariadb mysql)
}

createdb() {
	name_db
	dir=$(cd "$dir" && pwd)
	client -e "CREATE DATABASE $name CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER '${name}_pw'@'localhost' IDENTIFIED BY 'dbsync-secret-pw';
		GRANT ALL ON $name.* TO '${name}_pw'@'localhost';"
	echo "mysql://root@localhost/$name?unix_socket=$dir/mysql.sock"
}

dropdb() {
	name_db
	# its extra databases: NAME__*, where _ is no wildcard
	extra=$(client -N -B -e "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
		WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH('${name}__')) = '${name}__'")
	for db in $name $extra; do
		client -e "DROP DATABASE IF EXISTS \`$db\`"
	done
	client -e "DROP USER IF EXISTS '${name}_pw'@'localhost';"
}

case "$cmd" in
start) start ;;
stop) stop ;;
createdb) createdb ;;
dropdb) dropdb ;;
esac
