/*
 * The DDL a shadow (PostgreSQL's schema, MySQL's database) runs to let the
 * server spell the desired tables: rendered here from the parsed model, one
 * statement per record with the table it belongs to, so a shadow can run the
 * statements of some tables only (a schema too big for one transaction's
 * locks in several scripts, or just the tables the parser finds different).
 *
 * The user's text never reaches a server: a desired file is read by the
 * parser, which refuses whatever is not schema DDL, and the shadow gets what
 * the engine itself renders from the model, the same renderers the plans use.
 * As a last guard, every rendered statement must lex back as one plain
 * statement (dbs_shadow_stmt_is_plain), so no expression, name or comment
 * text carried in the model can end it and start another.
 */
#include <string.h>

#include "shadow_ddl.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "lexer.h"
#include "render.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A MySQL string ends at the same quote whether or not the server reads
 * backslash escapes (sql_mode NO_BACKSLASH_ESCAPES) or takes "..." for a name
 * (ANSI_QUOTES). Asked only of a session in such a mode: elsewhere the server
 * reads strings as the engine's lexer does. */
static bool mysql_string_unambiguous(const dbs_token *t)
{
	size_t i = 0;
	while (i < t->len && t->start[i] != '\'' && t->start[i] != '"')
		i++; /* a prefix: N'..', _utf8mb4'..' */
	if (i >= t->len)
		return false;
	char q = t->start[i];
	for (i++; i < t->len; i++) {
		if (t->start[i] != q)
			continue;
		if (i + 1 < t->len && t->start[i + 1] == q) {
			i++;
			continue;
		}
		break;
	}
	return i == t->len - 1;
}

bool dbs_shadow_stmt_is_plain(dbsync_dialect d, const char *text, size_t len, bool odd_strings)
{
	dbs_lexer lx;
	dbs_token t;
	const char *prev_end = text;
	size_t n = 0;
	dbs_lex_init(&lx, d, text, len);
	for (;;) {
		if (dbs_lex_next(&lx, &t))
			return false;
		if (t.kind == DBS_TK_EOF)
			break;
		for (const char *c = prev_end; c < t.start; c++)
			if (!is_space(*c))
				return false; /* a comment, or a MySQL executable one */
		if (t.kind == DBS_TK_SEMI)
			return false;
		if (odd_strings && d == DBSYNC_DIALECT_MYSQL && t.kind == DBS_TK_STRING && !mysql_string_unambiguous(&t))
			return false;
		prev_end = t.start + t.len;
		n++;
	}
	for (const char *c = prev_end; c < text + len; c++)
		if (!is_space(*c))
			return false;
	return n > 0;
}

typedef struct renderer {
	dbs_arena *a;
	dbsync_ctx *ctx;
	dbsync_dialect d;
	const char *synced;          /* the schema (database) synced, or NULL */
	bool odd_strings;            /* MySQL: the session may end a string elsewhere */
	dbs_ddl_stmts *out;
	dbs_buf b;
} renderer;

/* `t` as the shadow makes it: a foreign key written with the synced schema
 * (public.parent) references the shadow's own table, so the schema goes; one
 * into another schema keeps it. A shallow copy in r->a when anything changes. */
static const dbs_table *local_table(renderer *r, const dbs_table *t)
{
	bool any = false;
	for (size_t i = 0; i < t->constraints.n && !any; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		any = k->ref_schema && r->synced && strcmp(k->ref_schema, r->synced) == 0;
	}
	if (!any)
		return t;
	dbs_table *copy = dbs_arena_alloc(r->a, sizeof *copy);
	if (!copy)
		return NULL;
	*copy = *t;
	memset(&copy->constraints, 0, sizeof copy->constraints);
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		/* every constraint copied (shallow), the schema's own left as read */
		dbs_constraint *c = dbs_arena_alloc(r->a, sizeof *c);
		if (!c)
			return NULL;
		*c = *k;
		if (k->ref_schema && r->synced && strcmp(k->ref_schema, r->synced) == 0)
			c->ref_schema = NULL;
		if (DBS_VEC_PUSH(r->a, &copy->constraints, c))
			return NULL;
	}
	return copy;
}

/* The statement in r->b, for table t, as a record. */
static int push(renderer *r, const dbs_table *t, bool creates, const char *ref)
{
	if (!dbs_buf_ok(&r->b))
		return dbs_error_oom(r->ctx);
	if (!dbs_shadow_stmt_is_plain(r->d, dbs_buf_cstr(&r->b), r->b.len, r->odd_strings)) {
		size_t n = r->b.len > 160 ? 160 : r->b.len;
		return dbs_error(r->ctx, DBSYNC_EINVALID, "table \"%s\" of the desired schema does not render as one "
			"plain SQL statement (a name, type, expression or comment in it would end the statement or "
			"hide text), so it is not run in a shadow: %.*s%s", t->name, (int)n, dbs_buf_cstr(&r->b),
			n < r->b.len ? "..." : "");
	}
	dbs_ddl_stmt st = { .line = t->line, .owner = t->name, .creates = creates };
	st.len = r->b.len;
	st.text = dbs_arena_strndup(r->a, dbs_buf_cstr(&r->b), r->b.len);
	dbs_buf_clear(&r->b);
	if (!st.text || (ref && DBS_VEC_PUSH(r->a, &st.refs, ref)) || DBS_VEC_PUSH(r->a, r->out, st))
		return dbs_error_oom(r->ctx);
	return 0;
}

static int comment(renderer *r, const dbs_table *t, const char *what, const char *name, const char *column,
	const char *text)
{
	if (!text)
		return 0;
	dbs_pg_render_comment(&r->b, what, name, column, text);
	return push(r, t, false, NULL);
}

static int constraint_comment(renderer *r, const dbs_table *t, const dbs_constraint *k)
{
	if (!k->comment || !k->name)
		return 0;
	dbs_pg_render_constraint_comment(&r->b, t->name, k->name, k->comment);
	return push(r, t, false, NULL);
}

/* PostgreSQL: the table without its foreign keys, its indexes, its comments. */
static int pg_table(renderer *r, const dbs_table *t)
{
	int rc;
	dbs_pg_render_create_table(&r->b, t);
	if ((rc = push(r, t, true, NULL)))
		return rc;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_pg_render_create_index(&r->b, t->name, t->indexes.items[i]);
		if ((rc = push(r, t, false, NULL)))
			return rc;
	}
	if ((rc = comment(r, t, "TABLE", t->name, NULL, t->comment)))
		return rc;
	for (size_t i = 0; i < t->columns.n; i++) {
		const dbs_column *c = t->columns.items[i];
		if ((rc = comment(r, t, "COLUMN", t->name, c->name, c->comment)))
			return rc;
	}
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *ix = t->indexes.items[i];
		if ((rc = comment(r, t, "INDEX", ix->name, NULL, ix->comment)))
			return rc;
	}
	/* a foreign key's comment follows it, in the second pass */
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->kind != DBS_CON_FOREIGN && (rc = constraint_comment(r, t, t->constraints.items[i])))
			return rc;
	return 0;
}

static int pg_foreign_keys(renderer *r, const dbs_table *t)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind != DBS_CON_FOREIGN)
			continue;
		dbs_buf_puts(&r->b, "ALTER TABLE ");
		dbs_quote_ident(&r->b, DBSYNC_DIALECT_POSTGRES, t->name);
		dbs_buf_puts(&r->b, " ADD ");
		dbs_pg_render_constraint(&r->b, k);
		int rc = push(r, t, false, k->ref_table);
		if (rc || (rc = constraint_comment(r, t, k)))
			return rc;
	}
	return 0;
}

/* MySQL: the table with its keys and comments (foreign key checks are off in
 * the shadow, so order does not matter), then its indexes. */
static int my_table(renderer *r, const dbs_table *t)
{
	int rc;
	dbs_render_create_table(&r->b, DBSYNC_DIALECT_MYSQL, t);
	if ((rc = push(r, t, true, NULL)))
		return rc;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_render_create_index(&r->b, DBSYNC_DIALECT_MYSQL, t, t->indexes.items[i]);
		if ((rc = push(r, t, false, NULL)))
			return rc;
	}
	return 0;
}

int dbs_render_shadow_ddl(dbs_ddl_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired,
	const bool *only, const char *synced, bool odd_strings)
{
	renderer r = { .a = a, .ctx = ctx, .d = desired->dialect, .synced = synced, .odd_strings = odd_strings,
		.out = out, .b = DBS_BUF_INIT };
	int rc = 0;
	for (size_t i = 0; i < desired->tables.n && !rc; i++) {
		if (only && !only[i])
			continue;
		const dbs_table *t = local_table(&r, desired->tables.items[i]);
		if (!t)
			rc = dbs_error_oom(ctx);
		else if (r.d == DBSYNC_DIALECT_POSTGRES)
			rc = pg_table(&r, t);
		else if (r.d == DBSYNC_DIALECT_MYSQL)
			rc = my_table(&r, t);
		else
			rc = dbs_error(ctx, DBSYNC_EINVALID, "no shadow renders %s DDL", dbsync_dialect_name(r.d));
	}
	/* PostgreSQL: foreign keys once every table of the script exists */
	for (size_t i = 0; i < desired->tables.n && !rc && r.d == DBSYNC_DIALECT_POSTGRES; i++) {
		const dbs_table *t = only && !only[i] ? NULL : local_table(&r, desired->tables.items[i]);
		if (t)
			rc = pg_foreign_keys(&r, t);
		else if (!only || only[i])
			rc = dbs_error_oom(ctx);
	}
	dbs_buf_free(&r.b);
	return rc;
}
