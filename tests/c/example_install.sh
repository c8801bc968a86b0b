#!/bin/sh
# The installed library as a third party sees it: `meson install` of this build
# into a staging directory (DESTDIR), examples/plan_sync.c compiled against it
# with nothing but what pkg-config says about dbsync, and run on a SQLite file.
#
#   example_install.sh MESON BUILD_ROOT SOURCE_ROOT
#   env: CC (the compiler command), EXAMPLE_CFLAGS (extra flags: the build's
#   sanitizers, whose runtime the installed library then needs)
set -eu
MESON=$1 BUILD=$2 SRC=$3

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "example_install: $*" >&2; exit 1; }

"$MESON" install -C "$BUILD" --no-rebuild --quiet --destdir "$stage/root" >"$stage/install.log" 2>&1 ||
	{ cat "$stage/install.log" >&2; fail "meson install failed"; }

# What was installed: the shared library with its soname links, the public
# headers (the generated version.h too) and dbsync.pc; never the static archive.
pc=$(find "$stage/root" -name dbsync.pc)
[ -n "$pc" ] || fail "no dbsync.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in libdbsync.so libdbsync.so.2 libdbsync.so.2.0.0; do
	[ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
[ -z "$(find "$stage/root" -name 'libdbsync.a')" ] || fail "the static archive was installed"
incdir=$(find "$stage/root" -type d -path '*/include/dbsync')
for h in dbsync common schema conn plan inspect backup report django testing version; do
	[ -f "$incdir/$h.h" ] || fail "header dbsync/$h.h not installed"
done
grep -q '^Version: ' "$pc" || fail "dbsync.pc has no version"

# Compile the example against the staged prefix only: pkg-config's answer, with
# the staging directory as its sysroot; strict C11, warnings are errors.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$stage/root"
flags=$(pkg-config --cflags --libs dbsync) || fail "pkg-config does not know dbsync"
case " $flags " in *" -ldbsync "*) ;; *) fail "pkg-config --libs dbsync lacks -ldbsync: $flags" ;; esac
# Each installed header compiles on its own, under strict ISO C11.
for h in dbsync common schema conn plan inspect backup report django testing version; do
	# shellcheck disable=SC2086  # CC and flags are word lists
	printf '#include <dbsync/%s.h>\ntypedef int not_empty;\n' "$h" | ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
		$(pkg-config --cflags dbsync) -x c - || fail "dbsync/$h.h does not compile alone"
done
# shellcheck disable=SC2086  # CC, EXAMPLE_CFLAGS and flags are word lists
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${EXAMPLE_CFLAGS:-} "$SRC/examples/plan_sync.c" $flags \
	-o "$stage/plan_sync" || fail "the example does not compile against the installed library"
objdump -p "$stage/plan_sync" | grep -q 'NEEDED.*libdbsync\.so\.2' || fail "the example is not linked to libdbsync.so.2"
export LD_LIBRARY_PATH="$libdir"
ldd "$stage/plan_sync" | grep -qF "$libdir/libdbsync.so.2" || fail "the example does not load the installed library"

# A database with one table; the desired schema adds a column and a table.
db="$stage/app.db"
sqlite3 "$db" 'CREATE TABLE "customer" ("id" integer NOT NULL PRIMARY KEY, "name" text NOT NULL);
	INSERT INTO "customer" VALUES (1, '"'ada'"');'
cat >"$stage/schema.sql" <<'EOF'
CREATE TABLE "customer" ("id" integer NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NULL);
CREATE TABLE "orders" ("id" integer NOT NULL PRIMARY KEY,
	"customer_id" integer NOT NULL REFERENCES "customer" ("id"));
EOF
before=$(sqlite3 "$db" .schema)

status=0
"$stage/plan_sync" "$stage/schema.sql" "$db" >"$stage/out" 2>"$stage/err" || status=$?
[ "$status" = 3 ] || { cat "$stage/out" "$stage/err" >&2; fail "exit status $status, not 3 (changes pending)"; }
expect() {
	grep -qF -- "$1" "$stage/out" || { cat "$stage/out" >&2; fail "the output lacks: $1"; }
}
expect "2 operations, 2 pending"
expect 'pending  safe      create table `orders`'
expect 'pending  safe      add column `email` to `customer`'
expect 'CREATE TABLE "orders" ('
expect 'ALTER TABLE "customer" ADD COLUMN "email" text NULL;'
[ -s "$stage/err" ] && { cat "$stage/err" >&2; fail "the example wrote to stderr"; }
# planning opened the database read-only: nothing changed
[ "$(sqlite3 "$db" .schema)" = "$before" ] || fail "planning changed the database"

# A database made from the schema itself: the plan is empty.
sqlite3 -bail "$stage/synced.db" <"$stage/schema.sql"
status=0
"$stage/plan_sync" "$stage/schema.sql" "$stage/synced.db" >"$stage/out" 2>"$stage/err" || status=$?
[ "$status" = 0 ] || { cat "$stage/out" "$stage/err" >&2; fail "exit status $status, not 0 (in sync)"; }
expect "in sync"

# A schema that does not parse: exit 1, the file, line and column named.
printf 'CREATE TABLE "t" (\n  "id" integer PRIMARY KEY,,\n);\n' >"$stage/bad.sql"
status=0
"$stage/plan_sync" "$stage/bad.sql" "$db" >"$stage/out" 2>"$stage/err" || status=$?
[ "$status" = 1 ] || fail "a bad schema gave exit status $status, not 1"
grep -q "bad.sql:2:" "$stage/err" || { cat "$stage/err" >&2; fail "the parse error does not name line 2"; }
echo "example_install: ok ($flags)"
