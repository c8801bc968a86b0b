/*
 * MySQL/MariaDB backups with mysqldump (mariadb-dump), restores with the
 * mysql (mariadb) client. Both read the connection's host, user and password
 * from an option file that exists only in memory (a memfd, mode 0600, given
 * to the child as fd 3 and named by --defaults-extra-file=/dev/fd/3): never
 * from the command line, which any user of the machine can read, and never
 * from a file on disk, which a killed run would leave behind. Where
 * mysqldump is missing, the engine's dump (backup_dump.c) reads the rows and
 * views here.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_mysql.h"
#include "backup_internal.h"
#include "backup_rows.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "lexer.h"

static const char *const my_env_prefixes[] = { "MYSQL_", "MARIADB_", NULL };

typedef struct opt_file {
	int fd;          /* the memfd, or -1 */
	char arg[64];
} opt_file;

/* Option file values in double quotes, with the escapes the client's
 * option parser undoes. */
static void put_value(dbs_buf *b, const char *v)
{
	dbs_buf_putc(b, '"');
	for (const char *p = v; *p; p++) {
		switch (*p) {
		case '\\': dbs_buf_puts(b, "\\\\"); break;
		case '"': dbs_buf_puts(b, "\\\""); break;
		case '\n': dbs_buf_puts(b, "\\n"); break;
		case '\r': dbs_buf_puts(b, "\\r"); break;
		case '\t': dbs_buf_puts(b, "\\t"); break;
		default: dbs_buf_putc(b, *p);
		}
	}
	dbs_buf_puts(b, "\"\n");
}

static void opt_file_remove(opt_file *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

static int opt_file_write(opt_file *o, dbsync_ctx *ctx, dbsync_conn *conn)
{
	MYSQL *db = dbs_my_db(conn);
	int rc = 0;
	dbs_buf b = DBS_BUF_INIT;
	o->fd = memfd_create("dbsync-client-options", MFD_CLOEXEC);
	snprintf(o->arg, sizeof o->arg, "--defaults-extra-file=/dev/fd/%d", DBS_TOOL_PASS_FD);
	/* the client ignores a world-writable option file, and a memfd starts as 0777 */
	if (o->fd < 0 || fchmod(o->fd, 0600) != 0) {
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot make an in-memory option file: %s", strerror(errno));
		goto cleanup;
	}
	dbs_buf_puts(&b, "[client]\n");
	if (db->user && *db->user) {
		dbs_buf_puts(&b, "user=");
		put_value(&b, db->user);
	}
	/* an empty password must be said, or the client would prompt for none but use ~/.my.cnf's */
	dbs_buf_puts(&b, "password=");
	put_value(&b, db->passwd ? db->passwd : "");
	if (db->unix_socket && *db->unix_socket) {
		dbs_buf_puts(&b, "socket=");
		put_value(&b, db->unix_socket);
	}
	if (db->host && *db->host) {
		dbs_buf_puts(&b, "host=");
		put_value(&b, db->host);
	}
	if (db->port)
		dbs_buf_printf(&b, "port=%u\n", db->port);
	if (db->unix_socket && *db->unix_socket && !(db->host && *db->host))
		dbs_buf_puts(&b, "protocol=socket\n");
	dbs_buf_puts(&b, "default-character-set=utf8mb4\n");
	if (!dbs_buf_ok(&b)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (write(o->fd, b.ptr, b.len) != (ssize_t)b.len)
		rc = dbs_error(ctx, DBSYNC_ERROR, "cannot write an in-memory option file: %s", strerror(errno));
cleanup:
	if (b.ptr)
		memset(b.ptr, 0, b.len);
	dbs_buf_free(&b);
	if (rc)
		opt_file_remove(o);
	return rc;
}

static char *find_first(const char *a, const char *b)
{
	char *t = dbs_find_tool(a);
	return t ? t : dbs_find_tool(b);
}

static int my_backup_tool(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f, const char *tool)
{
	dbs_my_conn *mc = conn->impl;
	opt_file o;
	int rc = opt_file_write(&o, ctx, conn);
	if (rc)
		return rc;
	/* --defaults-extra-file must come first; --single-transaction gives one
	 * consistent snapshot of InnoDB tables without locking out writers */
	char *argv[] = { (char *)tool, o.arg, "--single-transaction", "--skip-lock-tables", "--hex-blob",
		"--no-tablespaces", "--routines", "--triggers", mc->dbname, NULL };
	rc = dbs_run_tool_fd(ctx, argv, my_env_prefixes, NULL, 0, -1, f->fd, o.fd, dbs_my_db(conn)->passwd,
		"mysqldump");
	opt_file_remove(&o);
	return rc;
}

static int my_restore_tool(dbsync_ctx *ctx, dbsync_conn *conn, const char *path)
{
	dbs_my_conn *mc = conn->impl;
	opt_file o = { .fd = -1 };
	int in_fd = -1, rc = 0;
	char *client = find_first("mariadb", "mysql");
	if (!client) {
		rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s was written by mysqldump; restoring it needs the "
			"mysql (or mariadb) client, which is not on PATH", path);
		goto cleanup;
	}
	if ((in_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "cannot read the backup file %s", path);
		goto cleanup;
	}
	if ((rc = opt_file_write(&o, ctx, conn)))
		goto cleanup;
	char *argv[] = { client, o.arg, "--batch", "--binary-mode", mc->dbname, NULL };
	rc = dbs_run_tool_fd(ctx, argv, my_env_prefixes, NULL, 0, in_fd, -1, o.fd, dbs_my_db(conn)->passwd,
		"the mysql client");
cleanup:
	opt_file_remove(&o);
	if (in_fd >= 0)
		close(in_fd);
	free(client);
	return rc;
}

static void put_hex(dbs_buf *b, const char *v, unsigned long len)
{
	static const char digits[] = "0123456789ABCDEF";
	if (!len) {
		dbs_buf_puts(b, "''");
		return;
	}
	dbs_buf_puts(b, "X'");
	for (unsigned long i = 0; i < len; i++) {
		dbs_buf_putc(b, digits[(unsigned char)v[i] >> 4]);
		dbs_buf_putc(b, digits[(unsigned char)v[i] & 15]);
	}
	dbs_buf_putc(b, '\'');
}

/* Bytes, not text: dates and numbers also report charset 63, so the type decides too. */
static bool is_binary(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_GEOMETRY:
		return true;
	case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB: case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB: case MYSQL_TYPE_STRING: case MYSQL_TYPE_VAR_STRING: case MYSQL_TYPE_VARCHAR:
		return f->charsetnr == 63;
	default:
		return false;
	}
}

/* The engine dump's rows, streamed: text values as quoted literals (the
 * server converts them back to each column's type), binary ones (BLOB,
 * BINARY, BIT: charset 63) in hex, so no byte is lost to the connection's
 * character set. */
static int my_dump_rows(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_table *t, FILE *out)
{
	MYSQL *db = dbs_my_db(conn);
	dbs_buf sql = DBS_BUF_INIT;
	dbs_dump_batch bt = { DBS_BUF_INIT, DBSYNC_DIALECT_MYSQL, 0 };
	MYSQL_RES *res = NULL;
	int rc = 0;
	dbs_dump_select(&sql, DBSYNC_DIALECT_MYSQL, t);
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = dbs_my_use_pending(ctx, conn)))
		goto cleanup;
	if (mysql_real_query(db, sql.ptr, sql.len) || !(res = mysql_use_result(db))) {
		rc = dbs_my_error(ctx, conn, "reading the rows of a table for the backup");
		dbs_error_prefix(ctx, "table `%s`", t->name);
		goto cleanup;
	}
	unsigned int ncols = mysql_num_fields(res);
	MYSQL_FIELD *fields = mysql_fetch_fields(res);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res))) {
		unsigned long *lens = mysql_fetch_lengths(res);
		if (rc)
			continue; /* the rest must still be read off the connection */
		dbs_dump_batch_row(&bt, t);
		dbs_buf_putc(&bt.b, '(');
		for (unsigned int i = 0; i < ncols; i++) {
			if (i)
				dbs_buf_puts(&bt.b, ", ");
			if (!row[i])
				dbs_buf_puts(&bt.b, "NULL");
			else if (is_binary(&fields[i]))
				put_hex(&bt.b, row[i], lens[i]);
			else
				dbs_quote_literal(&bt.b, DBSYNC_DIALECT_MYSQL, row[i]);
		}
		dbs_buf_putc(&bt.b, ')');
		rc = dbs_dump_batch_end_row(ctx, &bt, out, false);
	}
	if (!rc && mysql_errno(db)) {
		rc = dbs_my_error(ctx, conn, "reading the rows of a table for the backup");
		dbs_error_prefix(ctx, "table `%s`", t->name);
	}
	if (!rc)
		rc = dbs_dump_batch_end_row(ctx, &bt, out, true);
cleanup:
	if (res)
		mysql_free_result(res);
	dbs_buf_free(&sql);
	dbs_buf_free(&bt.b);
	return rc;
}

/* The SELECT of SHOW CREATE VIEW's statement: everything after the first
 * AS that follows the VIEW keyword and the view's name, found with the lexer
 * so nothing inside names or strings can be mistaken for it. */
static const char *view_select(const char *create)
{
	dbs_lexer lx;
	dbs_token t;
	int state = 0; /* 0: before VIEW, 1: the name (maybe qualified), 2: AS next */
	dbs_lex_init(&lx, DBSYNC_DIALECT_MYSQL, create, strlen(create));
	while (dbs_lex_next(&lx, &t) == 0 && t.kind != DBS_TK_EOF) {
		if (state == 0 && dbs_tok_is(&t, "VIEW"))
			state = 1;
		else if (state == 1 && (t.kind == DBS_TK_QUOTED || t.kind == DBS_TK_WORD))
			state = 2;
		else if (state == 2 && t.kind == DBS_TK_DOT)
			state = 1;
		else if (state == 2 && dbs_tok_is(&t, "AS"))
			return t.start + t.len;
		else if (state != 0)
			return NULL;
	}
	return NULL;
}

/* Views, as the server shows them with SHOW CREATE VIEW: unlike the
 * catalog's VIEW_DEFINITION it leaves tables of the view's own database
 * unqualified, so the restored view reads the restored tables. The
 * DEFINER and SQL SECURITY clauses are left out: the restoring user
 * becomes the definer, as with any view it creates. */
static int my_dump_views(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live, dbs_buf *out)
{
	MYSQL *db = dbs_my_db(conn);
	dbs_buf sql = DBS_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < live->views.n && !rc; i++) {
		const char *name = live->views.items[i]->name;
		dbs_buf_clear(&sql);
		dbs_buf_puts(&sql, "SHOW CREATE VIEW ");
		dbs_quote_ident(&sql, DBSYNC_DIALECT_MYSQL, name);
		if (!dbs_buf_ok(&sql)) {
			rc = dbs_error_oom(ctx);
			break;
		}
		MYSQL_RES *res = NULL;
		if ((rc = dbs_my_use_pending(ctx, conn)))
			break;
		conn->catalog_queries++;
		if (mysql_real_query(db, sql.ptr, sql.len) || !(res = mysql_store_result(db))) {
			rc = dbs_my_error(ctx, conn, "reading a view for the backup");
			dbs_error_prefix(ctx, "view `%s`", name);
			break;
		}
		MYSQL_ROW row = mysql_fetch_row(res);
		const char *select = row && mysql_num_fields(res) > 1 && row[1] ? view_select(row[1]) : NULL;
		if (!select)
			rc = dbs_error(ctx, DBSYNC_EDB, "cannot read the definition of view `%s` for the backup", name);
		else {
			dbs_buf_puts(out, "CREATE VIEW ");
			dbs_quote_ident(out, DBSYNC_DIALECT_MYSQL, name);
			dbs_buf_printf(out, " AS%s;\n", select);
		}
		mysql_free_result(res);
	}
	dbs_buf_free(&sql);
	if (!rc && !dbs_buf_ok(out))
		rc = dbs_error_oom(ctx);
	return rc;
}

const dbs_backup_ops dbs_my_backup_ops = {
	.dump_tools = (const char *const[]){ "mariadb-dump", "mysqldump", NULL },
	.tool_backup = my_backup_tool,
	.tool_restore = my_restore_tool,
	/* foreign keys unchecked while loading: a cycle of them has no order
	 * in which every parent comes first */
	.dump_prologue = "SET FOREIGN_KEY_CHECKS = 0;\n",
	.dump_epilogue = "SET FOREIGN_KEY_CHECKS = 1;\n",
	.dump_rows = my_dump_rows,
	/* the catalog spells a view's tables with their database's name, which
	 * would tie the restored view to the original database */
	.dump_views = my_dump_views,
};
