/* Helpers shared by the C tests (header-only, test code): a scratch directory
 * for SQLite files, a throwaway database server run by a script, and the
 * per-test ctx and statement helpers those tests all need. */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dbsync/dbsync.h"
#include "dbsync/testing.h"

/* ---- a scratch directory, one per test binary ---- */

enum { TEST_TMPDIR_SIZE = 64 };

/* Where the directory is; a function so the header defines no variable a
 * test binary might leave unused. */
static inline char *test_tmpdir(void)
{
	static char dir[TEST_TMPDIR_SIZE];
	return dir;
}

/* Make /tmp/<prefix>-XXXXXX: 0, or -1. */
static inline int test_tmpdir_create(const char *prefix)
{
	char *dir = test_tmpdir();
	int n = snprintf(dir, TEST_TMPDIR_SIZE, "/tmp/%s-XXXXXX", prefix);
	if (n < 0 || n >= TEST_TMPDIR_SIZE)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

/* cmocka group teardown: remove the directory and the files the tests left
 * in it. */
static inline int test_tmpdir_teardown(void **state)
{
	(void)state;
	const char *dir = test_tmpdir();
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char path[512];
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	return rmdir(dir);
}

/* The path of `file` in the directory, valid until the next call. */
static inline const char *db_path(const char *file)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", test_tmpdir(), file);
	return path;
}

/* ---- fixtures ---- */

/* The whole of tests/c/fixtures/<name>, NUL-terminated (caller frees); its
 * length in *len when len is not NULL. Found from DBSYNC_CASES_DIR, which
 * meson test sets, else from the source root. */
static inline char *test_read_fixture(const char *name, size_t *len)
{
	const char *cases = getenv("DBSYNC_CASES_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/../c/fixtures/%s", cases ? cases : "tests/cases", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* ---- a throwaway server, started once per test binary by a script ---- */

/* What differs between the servers; the script is called as
 * `script start|stop DIR` and prints the server's URL last on start, and as
 * `script createdb|dropdb DIR NAME` for a database of one program. */
typedef struct test_server_kind {
	const char *name;          /* for messages: "PostgreSQL" */
	const char *script_env;    /* the variable naming the script */
	const char *dir_env;       /* the variable naming the suite's shared server, if any */
	const char *dir_template;  /* for mkdtemp: the server's own directory */
	const char *url_prefix;    /* what the printed URL must start with */
	int absent_status;         /* the script's exit status for "no server installed", or 0 */
	const char *absent_hint;   /* how to install one */
} test_server_kind;

/* The two servers the tests start: scripts/pg-server.sh and
 * scripts/mariadb-server.sh (each exits 3 when its server is not installed). meson.build
 * names the scripts in the environment. Defined here so every test binary
 * starts them the same way. */
static const test_server_kind TEST_PG_SERVER = {
	.name = "PostgreSQL",
	.script_env = "DBSYNC_PG_SERVER_SCRIPT",
	.dir_env = "DBSYNC_PG_SERVER_DIR",
	.dir_template = "/tmp/dbsync-pg-XXXXXX",
	.url_prefix = "postgresql:///dbsync_test?host=",
	.absent_status = 3,
	.absent_hint = "apt-get install postgresql",
};
static const test_server_kind TEST_MARIADB_SERVER = {
	.name = "MariaDB",
	.script_env = "DBSYNC_MARIADB_SERVER_SCRIPT",
	.dir_env = "DBSYNC_MARIADB_SERVER_DIR",
	.dir_template = "/tmp/dbsync-my-XXXXXX",
	.url_prefix = "mysql://",
	.absent_status = 3,
	.absent_hint = "apt-get install mariadb-server",
};

typedef struct test_server {
	const char *script;
	char dir[64];
	char url[512];
	bool absent;               /* not installed and DBSYNC_ALLOW_MISSING_SERVERS=1: tests skip */
	bool shared;               /* the suite's server (test_server_open_db): only db is this program's */
	char db[64];               /* test_server_open_db: this program's database... */
	char pw_user[80];          /* ...and the user who logs in with a password */
} test_server;

/* Run the script with `verb` on the server's directory, and `name` when not
 * NULL; the last line of its stdout goes to last_line. Returns its exit
 * status, or -1. */
static inline int test_server_run_on(const test_server *srv, const char *verb, const char *name,
	char *last_line, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' %s '%s'%s%s", srv->script, verb, srv->dir, name ? " " : "",
		name ? name : "");
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[512];
	if (last_line && cap)
		last_line[0] = '\0';
	while (fgets(line, sizeof line, p))
		if (last_line)
			snprintf(last_line, cap, "%s", line);
	int status = pclose(p);
	if (last_line) {
		size_t n = strlen(last_line);
		while (n && (last_line[n - 1] == '\n' || last_line[n - 1] == '\r'))
			last_line[--n] = '\0';
	}
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int test_server_run(const test_server *srv, const char *verb, char *last_line, size_t cap)
{
	return test_server_run_on(srv, verb, NULL, last_line, cap);
}

/* Start the server: 0 when it runs (srv->url is set), or when it is not
 * installed and DBSYNC_ALLOW_MISSING_SERVERS=1 (srv->absent); else -1 with
 * the reason on stderr. */
static inline int test_server_start(test_server *srv, const test_server_kind *kind)
{
	memset(srv, 0, sizeof *srv);
	srv->script = getenv(kind->script_env);
	if (!srv->script || !*srv->script) {
		fprintf(stderr, "%s is not set (run through meson test)\n", kind->script_env);
		return -1;
	}
	snprintf(srv->dir, sizeof srv->dir, "%s", kind->dir_template);
	if (!mkdtemp(srv->dir))
		return -1;
	int st = test_server_run(srv, "start", srv->url, sizeof srv->url);
	if (kind->absent_status && st == kind->absent_status) {
		rmdir(srv->dir);
		/* A missing server is a failure: a skipped test proves nothing. Only
		 * an explicit DBSYNC_ALLOW_MISSING_SERVERS=1 (never set by CI) turns
		 * it into skips, for a machine that cannot have one. */
		const char *allow = getenv("DBSYNC_ALLOW_MISSING_SERVERS");
		if (!allow || strcmp(allow, "1") != 0) {
			fprintf(stderr, "no %s server installed (%s); DBSYNC_ALLOW_MISSING_SERVERS=1 skips "
				"its tests instead\n", kind->name, kind->absent_hint);
			return -1;
		}
		fprintf(stderr, "no %s server installed: skipping (DBSYNC_ALLOW_MISSING_SERVERS=1)\n", kind->name);
		srv->absent = true;
		return 0;
	}
	if (st != 0 || strncmp(srv->url, kind->url_prefix, strlen(kind->url_prefix)) != 0) {
		fprintf(stderr, "could not start the %s test server with %s\n", kind->name, srv->script);
		test_server_run(srv, "stop", NULL, 0);
		return -1;
	}
	return 0;
}

/* This program's name (the file /proc/self/exe names) as a database name,
 * lower-case letters, digits and _: "test_backup". 0, or -1. */
static inline int test_program_db_name(char *out, size_t cap)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	size_t len = strlen(base);
	if (!len || len >= cap)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		char c = base[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a')
			: ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\0') ? c : '_';
	}
	return 0;
}

/* A database of this program's own, named after it (srv->db), with a user
 * srv->pw_user who logs in with the test password (PostgreSQL: the
 * DBSYNC_PG_PASSWORD the program set; MariaDB: dbsync-secret-pw); srv->url
 * reaches it as the superuser. On the suite's shared server when the
 * variable kind->dir_env names one (scripts/with-test-servers.sh), so the
 * programs of a suite share one server and still run in parallel; else on a
 * server of its own, as test_server_start. 0, or -1 with the reason on
 * stderr; srv->absent as test_server_start. */
static inline int test_server_open_db(test_server *srv, const test_server_kind *kind)
{
	const char *shared = getenv(kind->dir_env);
	if (shared && *shared) {
		memset(srv, 0, sizeof *srv);
		srv->script = getenv(kind->script_env);
		if (!srv->script || !*srv->script) {
			fprintf(stderr, "%s is not set (run through meson test)\n", kind->script_env);
			return -1;
		}
		if (snprintf(srv->dir, sizeof srv->dir, "%s", shared) >= (int)sizeof srv->dir) {
			fprintf(stderr, "%s is too long: %s\n", kind->dir_env, shared);
			return -1;
		}
		srv->shared = true;
	} else if (test_server_start(srv, kind) || srv->absent) {
		return srv->absent ? 0 : -1;
	}
	if (test_program_db_name(srv->db, sizeof srv->db)) {
		fprintf(stderr, "cannot name a database after this program\n");
		goto fail;
	}
	snprintf(srv->pw_user, sizeof srv->pw_user, "%s_pw", srv->db);
	/* a run that crashed may have left its database on the shared server */
	if (srv->shared && test_server_run_on(srv, "dropdb", srv->db, NULL, 0) != 0)
		goto fail;
	char want[96];
	snprintf(want, sizeof want, "/%s?", srv->db);
	if (test_server_run_on(srv, "createdb", srv->db, srv->url, sizeof srv->url) != 0 ||
	    !strstr(srv->url, want)) {
		fprintf(stderr, "could not create the database %s on the %s test server\n", srv->db, kind->name);
		goto fail;
	}
	return 0;
fail:
	if (!srv->shared)
		test_server_run(srv, "stop", NULL, 0);
	return -1;
}

/* The name of an extra database of this program, "<srv->db>__<suffix>", in
 * out: the scripts' dropdb drops it with srv->db, and no other program on
 * the shared server uses it. */
static inline void test_server_extra_db(char *out, size_t cap, const test_server *srv, const char *suffix)
{
	if (snprintf(out, cap, "%s__%s", srv->db, suffix) >= (int)cap)
		fail_msg("the database name %s__%s is too long", srv->db, suffix);
}

/* Stop the server; on the shared one, drop this program's databases only:
 * 0, or -1. */
static inline int test_server_stop(const test_server *srv)
{
	if (srv->absent)
		return 0;
	if (srv->shared)
		return test_server_run_on(srv, "dropdb", srv->db, NULL, 0) == 0 ? 0 : -1;
	return test_server_run(srv, "stop", NULL, 0) == 0 ? 0 : -1;
}

/* ---- per-test helpers ---- */

/* cmocka setup/teardown giving each test a fresh ctx in *state. */
static inline int ctx_setup(void **state)
{
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return -1;
	*state = ctx;
	return 0;
}

static inline int ctx_teardown(void **state)
{
	dbsync_ctx_free(*state);
	return 0;
}

static inline void exec_ok(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	if (dbsync_conn_exec(ctx, conn, sql))
		fail_msg("exec failed: %s", dbsync_ctx_error(ctx)->message);
}

#endif
