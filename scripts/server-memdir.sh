# Sourced by scripts/pg-server.sh and scripts/mariadb-server.sh: where a
# throwaway server keeps its data. In memory (a fresh directory in the tmpfs
# at /dev/shm) when there is one: the tests create and drop thousands of
# databases and tables, each a round of file creations and deletions, and on
# a disk file system (ext4 mounted with discard, as here) that round costs the
# server about five times the CPU: 20 CREATE DATABASE ... TEMPLATE of a
# 40-table database took 7.7 s of server CPU in /tmp and 1.5 s in /dev/shm.
# DBSYNC_SERVER_DATA_ON_DISK=1 keeps the data under the server's own DIR.
#
# The socket, the logs and the pid files stay in DIR; DIR/.dbsync-memdir names
# the memory directory, so that `stop DIR` removes both.

MEMDIR_NOTE=.dbsync-memdir

# memdir_create DIR KIND: make the memory directory for the server in DIR and
# print it; nothing (status 1) when the data stays in DIR.
memdir_create() {
	[ -z "${DBSYNC_SERVER_DATA_ON_DISK:-}" ] || return 1
	[ -d /dev/shm ] && [ -w /dev/shm ] || return 1
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || return 1
	m=$(mktemp -d "/dev/shm/dbsync-$2-XXXXXX" 2>/dev/null) || return 1
	echo "$m" >"$1/$MEMDIR_NOTE"
	echo "$m"
}

# memdir_of DIR: the memory directory of the server in DIR, or nothing.
memdir_of() {
	[ -f "$1/$MEMDIR_NOTE" ] || return 1
	m=$(cat "$1/$MEMDIR_NOTE")
	# only ever one this file made
	case $m in
	/dev/shm/dbsync-*) [ -d "$m" ] && echo "$m" ;;
	*) return 1 ;;
	esac
}

# memdir_remove DIR: remove the memory directory of the server in DIR, if any.
memdir_remove() {
	m=$(memdir_of "$1") || return 0
	rm -rf "$m"
}
