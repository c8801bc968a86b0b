/*
 * Backups and restores: the public entry points, choosing the method, and
 * what every method shares — a file that appears whole or not at all, and
 * external tools run without a shell, with credentials kept off their
 * command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup_internal.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "options.h"

extern char **environ;

int dbs_out_open(dbs_out_file *f, dbsync_ctx *ctx, const char *path)
{
	f->path = path;
	f->fd = -1;
	f->tmp_path = NULL;
	if (!path || !*path)
		return dbs_error(ctx, DBSYNC_EINVALID, "no backup file name given");
	if (access(path, F_OK) == 0)
		return dbs_error(ctx, DBSYNC_EINVALID, "the backup file %s already exists; not overwriting it", path);
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "%s.partial-XXXXXX", path);
	if (!dbs_buf_ok(&b) || !(f->tmp_path = dbs_buf_detach(&b))) {
		dbs_buf_free(&b);
		return dbs_error_oom(ctx);
	}
	/* mkstemp creates it 0600: a backup holds every row of the database */
	f->fd = mkstemp(f->tmp_path);
	if (f->fd < 0) {
		int e = errno;
		free(f->tmp_path);
		f->tmp_path = NULL;
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot write the backup file %s: %s", path, strerror(e));
	}
	return 0;
}

int dbs_out_commit(dbs_out_file *f, dbsync_ctx *ctx)
{
	int rc = 0;
	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		f->fd = -1;
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot write the backup file %s: %s", f->path, strerror(errno));
	}
	f->fd = -1;
	/* link, not rename: it fails rather than replace a file that appeared meanwhile */
	if (!rc && link(f->tmp_path, f->path) != 0)
		rc = dbs_error(ctx, errno == EEXIST ? DBSYNC_EINVALID : DBSYNC_ERROR,
			"cannot create the backup file %s: %s", f->path, strerror(errno));
	unlink(f->tmp_path);
	free(f->tmp_path);
	f->tmp_path = NULL;
	return rc;
}

void dbs_out_abort(dbs_out_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp_path) {
		unlink(f->tmp_path);
		free(f->tmp_path);
		f->tmp_path = NULL;
	}
}

char *dbs_find_tool(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	dbs_buf b = DBS_BUF_INIT;
	for (const char *p = path;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		dbs_buf_clear(&b);
		/* an empty entry means the current directory: never trusted for a tool */
		if (n && *p == '/') {
			dbs_buf_put(&b, p, n);
			dbs_buf_putc(&b, '/');
			dbs_buf_puts(&b, name);
			if (dbs_buf_ok(&b) && access(dbs_buf_cstr(&b), X_OK) == 0)
				return dbs_buf_detach(&b);
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	dbs_buf_free(&b);
	return NULL;
}

static int has_prefix_in(const char *entry, const char *const *prefixes)
{
	for (size_t i = 0; prefixes && prefixes[i]; i++)
		if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static int overridden(const char *entry, const dbs_env_var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(vars[i].name);
		if (strncmp(entry, vars[i].name, len) == 0 && entry[len] == '=')
			return 1;
	}
	return 0;
}

/* The child's environment: strings are borrowed from environ or allocated
 * into *owned (freed by the caller). */
static char **child_env(char ***owned, const char *const *drop_prefixes, const dbs_env_var *vars, size_t n)
{
	size_t n_env = 0;
	while (environ && environ[n_env])
		n_env++;
	char **env = calloc(n_env + n + 1, sizeof *env);
	*owned = calloc(n + 1, sizeof **owned);
	if (!env || !*owned) {
		free(env);
		free(*owned);
		*owned = NULL;
		return NULL;
	}
	size_t k = 0, o = 0;
	for (size_t i = 0; i < n_env; i++)
		if (!has_prefix_in(environ[i], drop_prefixes) && !overridden(environ[i], vars, n))
			env[k++] = environ[i];
	for (size_t i = 0; i < n; i++) {
		if (!vars[i].value)
			continue;
		dbs_buf b = DBS_BUF_INIT;
		dbs_buf_printf(&b, "%s=%s", vars[i].name, vars[i].value);
		char *s = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
		dbs_buf_free(&b);
		if (!s) {
			for (size_t j = 0; j < o; j++)
				free((*owned)[j]);
			free(*owned);
			*owned = NULL;
			free(env);
			return NULL;
		}
		(*owned)[o++] = s;
		env[k++] = s;
	}
	return env;
}

/* The tool's stderr on one line, the secret masked, at most a few hundred bytes. */
static void put_tool_message(dbs_buf *b, const char *msg, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0;
	size_t shown = 0;
	int space = 0;
	for (const char *p = msg; *p && shown < 600;) {
		if (slen && strncmp(p, secret, slen) == 0) {
			if (space && shown)
				dbs_buf_putc(b, ' ');
			space = 0;
			shown += 8;
			dbs_buf_puts(b, "********");
			p += slen;
			continue;
		}
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			space = 1;
			p++;
			continue;
		}
		if (space && shown)
			dbs_buf_putc(b, ' ');
		space = 0;
		dbs_buf_putc(b, *p++);
		shown++;
	}
}

int dbs_run_tool(dbsync_ctx *ctx, char *const argv[], const char *const *drop_prefixes,
	const dbs_env_var *vars, size_t n_vars, int in_fd, int out_fd, const char *secret,
	const char *what)
{
	return dbs_run_tool_fd(ctx, argv, drop_prefixes, vars, n_vars, in_fd, out_fd, -1, secret, what);
}

int dbs_run_tool_fd(dbsync_ctx *ctx, char *const argv[], const char *const *drop_prefixes,
	const dbs_env_var *vars, size_t n_vars, int in_fd, int out_fd, int pass_fd, const char *secret,
	const char *what)
{
	int rc = 0, pipefd[2] = { -1, -1 }, null_fd = -1, moved_fd = -1;
	char **owned = NULL, **env = NULL;
	posix_spawn_file_actions_t fa;
	bool fa_ready = false;
	dbs_buf err = DBS_BUF_INIT;
	pid_t pid;
	if (!(env = child_env(&owned, drop_prefixes, vars, n_vars))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (pipe(pipefd) != 0 || (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot run %s: %s", what, strerror(errno));
		goto cleanup;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	fa_ready = true;
	posix_spawn_file_actions_adddup2(&fa, in_fd >= 0 ? in_fd : null_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : null_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	/* only fds 0-2: the tool must not hold the pipe open past its own stderr */
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	/* last, so no close above can take it; from another fd, because dup2 onto
	 * itself would keep its close-on-exec flag */
	if (pass_fd >= 0 && pass_fd == DBS_TOOL_PASS_FD && (moved_fd = fcntl(pass_fd, F_DUPFD_CLOEXEC, 10)) < 0) {
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot run %s: %s", what, strerror(errno));
		goto cleanup;
	}
	if (pass_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, moved_fd >= 0 ? moved_fd : pass_fd, DBS_TOOL_PASS_FD);
	int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	if (e != 0) {
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot run %s (%s): %s", what, argv[0], strerror(e));
		goto cleanup;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	char chunk[1024];
	ssize_t got;
	while ((got = read(pipefd[0], chunk, sizeof chunk)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (err.len < 16384)
			dbs_buf_put(&err, chunk, (size_t)got);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		dbs_buf msg = DBS_BUF_INIT;
		if (WIFEXITED(status))
			dbs_buf_printf(&msg, "%s failed (exit status %d)", what, WEXITSTATUS(status));
		else
			dbs_buf_printf(&msg, "%s was killed by signal %d", what, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		if (err.len) {
			dbs_buf_puts(&msg, ": ");
			put_tool_message(&msg, dbs_buf_cstr(&err), secret);
		}
		rc = dbs_buf_ok(&msg) ? dbs_error(ctx, DBSYNC_ERROR, "%s", dbs_buf_cstr(&msg)) : dbs_error_oom(ctx);
		dbs_buf_free(&msg);
	}
cleanup:
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	if (null_fd >= 0)
		close(null_fd);
	if (moved_fd >= 0)
		close(moved_fd);
	for (size_t i = 0; owned && owned[i]; i++) {
		/* the password may sit in one of them: wipe before freeing */
		memset(owned[i], 0, strlen(owned[i]));
		free(owned[i]);
	}
	free(owned);
	free(env);
	dbs_buf_free(&err);
	return rc;
}

int dbs_is_engine_dump(dbsync_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot read the backup file %s: %s", path, strerror(errno));
	char head[sizeof DBS_ENGINE_DUMP_MAGIC];
	size_t n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	return n == sizeof head - 1 && memcmp(head, DBS_ENGINE_DUMP_MAGIC, n) == 0;
}

/* The vendor tool for a method, or NULL when the engine dump is to be used.
 * *absent is set when TOOL was asked for and none is on PATH. */
static char *choose_tool(const dbs_backup_ops *ops, dbsync_backup_method method, bool *absent)
{
	*absent = false;
	if (method == DBSYNC_BACKUP_ENGINE)
		return NULL;
	for (size_t i = 0; ops->dump_tools && ops->dump_tools[i]; i++) {
		char *t = dbs_find_tool(ops->dump_tools[i]);
		if (t)
			return t;
	}
	*absent = method == DBSYNC_BACKUP_TOOL;
	return NULL;
}

/* A tool backup asked for and no dump tool on PATH. The tools are named as
 * people know them: the dialect's backup_tool (the one name users see, in
 * dbsync_backup_tool too) first, then the other names looked for. */
static int no_tool_error(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_backup_ops *ops)
{
	const char *known = dbs_dialect_info_for(conn->dialect)->backup_tool;
	dbs_buf names = DBS_BUF_INIT;
	if (known)
		dbs_buf_puts(&names, known);
	for (size_t i = 0; ops->dump_tools && ops->dump_tools[i]; i++)
		if (!known || strcmp(ops->dump_tools[i], known) != 0)
			dbs_buf_printf(&names, "%s%s", names.len ? " / " : "", ops->dump_tools[i]);
	if (!dbs_buf_ok(&names)) {
		dbs_buf_free(&names);
		return dbs_error_oom(ctx);
	}
	int rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "no %s on PATH for a tool backup of %s",
		names.len ? dbs_buf_cstr(&names) : "dump tool", dbsync_conn_describe(conn));
	dbs_buf_free(&names);
	return rc;
}

static int engine_dump_to(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f)
{
	int fd = dup(f->fd);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!out) {
		if (fd >= 0)
			close(fd);
		return dbs_error(ctx, DBSYNC_ERROR, "cannot write the backup file %s: %s", f->path, strerror(errno));
	}
	int rc = dbs_engine_dump(ctx, conn, out);
	if (fclose(out) != 0 && !rc)
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot write the backup file %s: %s", f->path, strerror(errno));
	return rc;
}

/* With the tool found: its dump, or the engine's where the tool cannot dump
 * this server and was not asked for by name. */
static int tool_dump_to(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f, const char *tool,
	dbsync_backup_method method, dbsync_backup_method *used)
{
	const dbs_backup_ops *ops = conn->backend->backup;
	int rc = ops->tool_backup(ctx, conn, f, tool);
	*used = DBSYNC_BACKUP_TOOL;
	if (rc == DBSYNC_ERROR && method == DBSYNC_BACKUP_AUTO && ops->tool_refuses_server &&
	    strstr(dbsync_ctx_error(ctx)->message, ops->tool_refuses_server) &&
	    lseek(f->fd, 0, SEEK_SET) == 0 && ftruncate(f->fd, 0) == 0) {
		dbsync_ctx_clear_error(ctx);
		rc = engine_dump_to(ctx, conn, f);
		*used = DBSYNC_BACKUP_ENGINE;
	}
	return rc;
}

int dbsync_conn_backup(dbsync_ctx *ctx, dbsync_conn *conn, const char *path,
	const dbsync_backup_options *opts, dbsync_backup_method *out_method)
{
	dbsync_backup_options current;
	int rc = dbs_backup_options_read(&current, ctx, opts);
	if (rc)
		return rc;
	opts = &current;
	if (opts->method != DBSYNC_BACKUP_AUTO && opts->method != DBSYNC_BACKUP_ENGINE &&
	    opts->method != DBSYNC_BACKUP_TOOL)
		return dbs_error(ctx, DBSYNC_EINVALID, "unknown backup method %d", (int)opts->method);
	const dbs_backup_ops *ops = conn->backend->backup;
	dbs_out_file f;
	bool absent = false;
	char *tool = NULL;
	dbsync_backup_method used = DBSYNC_BACKUP_ENGINE;
	if (!ops)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "no backup method for %s", dbsync_conn_describe(conn));
	if (ops->native_backup && opts->method == DBSYNC_BACKUP_TOOL)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s", ops->no_tool_reason);
	if (!ops->native_backup) {
		tool = choose_tool(ops, opts->method, &absent);
		if (absent)
			return no_tool_error(ctx, conn, ops);
	}
	if ((rc = dbs_out_open(&f, ctx, path))) {
		free(tool);
		return rc;
	}
	if (ops->native_backup)
		rc = ops->native_backup(ctx, conn, &f);
	else if (tool)
		rc = tool_dump_to(ctx, conn, &f, tool, opts->method, &used);
	else
		rc = engine_dump_to(ctx, conn, &f);
	free(tool);
	if (!rc)
		rc = dbs_out_commit(&f, ctx);
	else
		dbs_out_abort(&f);
	if (rc) {
		dbs_error_prefix(ctx, "backup of %s to %s failed", dbsync_conn_describe(conn), path);
		return rc;
	}
	if (out_method)
		*out_method = used;
	return 0;
}

int dbsync_conn_restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *path)
{
	if (!path || !*path)
		return dbs_error(ctx, DBSYNC_EINVALID, "no backup file name given");
	if (conn->readonly)
		return dbs_error(ctx, DBSYNC_EINVALID, "%s was opened read-only: it cannot restore a backup",
			dbsync_conn_describe(conn));
	const dbs_backup_ops *ops = conn->backend->backup;
	if (!ops)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "no restore method for %s", dbsync_conn_describe(conn));
	dbsync_schema *live = NULL;
	int rc = dbsync_conn_introspect(&live, ctx, conn);
	if (rc)
		return rc;
	size_t n_tables = dbsync_schema_table_count(live);
	dbsync_schema_free(live);
	if (n_tables)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot restore %s into %s: it holds %zu table%s; "
			"restore into an empty database", path, dbsync_conn_describe(conn), n_tables,
			n_tables == 1 ? "" : "s");
	if (ops->native_restore)
		rc = ops->native_restore(ctx, conn, path);
	else {
		int engine = dbs_is_engine_dump(ctx, path);
		if (engine < 0)
			return engine;
		rc = engine ? dbs_engine_restore(ctx, conn, path) : ops->tool_restore(ctx, conn, path);
	}
	if (rc)
		dbs_error_prefix(ctx, "restoring %s into %s failed", path, dbsync_conn_describe(conn));
	return rc;
}
