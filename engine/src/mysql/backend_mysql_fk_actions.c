/*
 * Foreign key actions for a user who may not see them in the catalog.
 *
 * MariaDB (checked on 10.11) shows information_schema.REFERENTIAL_CONSTRAINTS
 * rows only to a user with a privilege other than SELECT on the whole
 * database: with `GRANT SELECT ON app.*`, the grant docs/readonly.md asks for,
 * the view is empty while KEY_COLUMN_USAGE still lists every foreign key
 * column. An ON DELETE CASCADE read from that silence would be "no action",
 * and the plan would drop and add the key again. SHOW CREATE TABLE needs only
 * SELECT on the table and states each key's actions, so for the tables whose
 * keys came without their rules the actions are read from it instead.
 */
#include <stdio.h>
#include <string.h>

#include "backend_mysql.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "lexer.h"

/* The action words after ON DELETE / ON UPDATE, as REFERENTIAL_CONSTRAINTS
 * spells them; RESTRICT and NO ACTION are the model's NULL (see
 * no_action in backend_mysql_introspect.c). */
static const char *read_action(dbs_lexer *lx, dbs_token *tok, bool *ok)
{
	*ok = true;
	if (dbs_tok_is(tok, "CASCADE"))
		return "CASCADE";
	if (dbs_tok_is(tok, "RESTRICT"))
		return NULL;
	dbs_token next;
	if (dbs_lex_next(lx, &next) == 0) {
		if (dbs_tok_is(tok, "SET") && dbs_tok_is(&next, "NULL"))
			return "SET NULL";
		if (dbs_tok_is(tok, "SET") && dbs_tok_is(&next, "DEFAULT"))
			return "SET DEFAULT";
		if (dbs_tok_is(tok, "NO") && dbs_tok_is(&next, "ACTION"))
			return NULL;
	}
	*ok = false;
	return NULL;
}

static dbs_constraint *find_fkey(dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *c = t->constraints.items[i];
		if (c->kind == DBS_CON_FOREIGN && strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Walk the CREATE TABLE text: at the table's top level, each
 * "CONSTRAINT name FOREIGN KEY ... REFERENCES ... [ON DELETE a] [ON UPDATE b]"
 * up to the next comma. Returns the number of t's foreign keys whose actions
 * were set, or -1 when the text cannot be read or memory runs out. */
static int actions_from_ddl(dbs_arena *a, dbs_table *t, const char *ddl, size_t len)
{
	dbs_lexer lx;
	dbs_lex_init(&lx, DBSYNC_DIALECT_MYSQL, ddl, len);
	dbs_token tok, name;
	dbs_buf b = DBS_BUF_INIT;
	int depth = 0, found = 0;
	dbs_constraint *k = NULL; /* the key whose clause is being read */
	for (;;) {
		if (dbs_lex_next(&lx, &tok)) {
			found = -1;
			break;
		}
		if (tok.kind == DBS_TK_EOF)
			break;
		if (tok.kind == DBS_TK_LPAREN) {
			depth++;
		} else if (tok.kind == DBS_TK_RPAREN) {
			depth--;
		} else if (depth == 1 && tok.kind == DBS_TK_COMMA) {
			k = NULL;
		} else if (depth == 1 && !k && dbs_tok_is(&tok, "CONSTRAINT")) {
			dbs_token fk, key;
			if (dbs_lex_next(&lx, &name) || dbs_lex_next(&lx, &fk)) {
				found = -1;
				break;
			}
			if (!dbs_tok_is(&fk, "FOREIGN"))
				continue; /* a CHECK: its parenthesis comes next and is counted as any other */
			if (dbs_lex_next(&lx, &key) || !dbs_tok_is(&key, "KEY")) {
				found = -1;
				break;
			}
			dbs_buf_clear(&b);
			if (dbs_tok_value(&b, &name, DBSYNC_DIALECT_MYSQL) || !dbs_buf_ok(&b)) {
				found = -1;
				break;
			}
			if ((k = find_fkey(t, dbs_buf_cstr(&b))) != NULL) {
				k->on_delete = k->on_update = NULL;
				found++;
			}
		} else if (depth == 1 && k && dbs_tok_is(&tok, "ON")) {
			dbs_token which, act;
			bool ok;
			if (dbs_lex_next(&lx, &which) || dbs_lex_next(&lx, &act)) {
				found = -1;
				break;
			}
			const char *action = read_action(&lx, &act, &ok);
			if (!ok || !(dbs_tok_is(&which, "DELETE") || dbs_tok_is(&which, "UPDATE"))) {
				found = -1;
				break;
			}
			const char **slot = dbs_tok_is(&which, "DELETE") ? &k->on_delete : &k->on_update;
			if (action && !(*slot = dbs_arena_strdup(a, action))) {
				found = -1;
				break;
			}
		}
	}
	dbs_buf_free(&b);
	return found;
}

int dbs_my_fk_actions_from_ddl(dbsync_ctx *ctx, dbsync_conn *conn, const char *dbname, dbsync_schema *s,
	dbs_table *t, size_t fkeys)
{
	MYSQL *db = dbs_my_db(conn);
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SHOW CREATE TABLE ");
	dbs_quote_ident(&q, DBSYNC_DIALECT_MYSQL, dbname);
	dbs_buf_putc(&q, '.');
	dbs_quote_ident(&q, DBSYNC_DIALECT_MYSQL, t->name);
	if (!dbs_buf_ok(&q)) {
		dbs_buf_free(&q);
		return dbs_error_oom(ctx);
	}
	conn->catalog_queries++;
	const char *sql = dbs_buf_cstr(&q);
	int qrc = mysql_real_query(db, sql, strlen(sql));
	dbs_buf_free(&q);
	char what[320];
	snprintf(what, sizeof what, "reading the foreign keys of table `%.64s`.`%.64s` (SHOW CREATE TABLE) failed",
		dbname, t->name);
	MYSQL_RES *res = qrc ? NULL : mysql_store_result(db);
	if (!res)
		return dbs_my_error(ctx, conn, what);
	MYSQL_ROW row = mysql_fetch_row(res);
	unsigned long *len = row ? mysql_fetch_lengths(res) : NULL;
	int found = row && row[1] ? actions_from_ddl(&s->arena, t, row[1], len[1]) : 0;
	mysql_free_result(res);
	if (found >= 0 && (size_t)found == fkeys)
		return 0;
	/* never plan from a guess: without the actions a key would look changed */
	return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "cannot read the actions (ON DELETE / ON UPDATE) of the foreign keys "
		"of table `%s` on %s: the server showed this user no rows in information_schema.REFERENTIAL_CONSTRAINTS "
		"and SHOW CREATE TABLE did not list all %zu of them; grant a privilege besides SELECT on the database, "
		"for example GRANT REFERENCES ON `%s`.* TO ... (it lets the user read no data)", t->name, conn->describe,
		fkeys, dbname);
}
