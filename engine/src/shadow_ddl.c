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

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool dbs_shadow_stmt_is_plain(dbsync_dialect d, const char *text, size_t len, bool odd_strings)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
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
		if (odd_strings && info->string_unambiguous && t.kind == DBS_TK_STRING && !info->string_unambiguous(&t))
			return false;
		prev_end = t.start + t.len;
		n++;
	}
	for (const char *c = prev_end; c < text + len; c++)
		if (!is_space(*c))
			return false;
	return n > 0;
}

typedef dbs_shadow_renderer renderer;

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

int dbs_shadow_push(renderer *r, const dbs_table *t, bool creates, const char *ref)
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

int dbs_render_shadow_ddl(dbs_ddl_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired,
	const bool *only, const char *synced, bool odd_strings)
{
	renderer r = { .a = a, .ctx = ctx, .d = desired->dialect, .synced = synced, .odd_strings = odd_strings,
		.out = out, .b = DBS_BUF_INIT };
	const dbs_dialect_info *info = dbs_dialect_info_for(r.d);
	int rc = 0;
	for (size_t i = 0; i < desired->tables.n && !rc; i++) {
		if (only && !only[i])
			continue;
		const dbs_table *t = local_table(&r, desired->tables.items[i]);
		if (!t)
			rc = dbs_error_oom(ctx);
		else if (info->shadow_table)
			rc = info->shadow_table(&r, t);
		else
			rc = dbs_error(ctx, DBSYNC_EINVALID, "no shadow renders %s DDL", dbsync_dialect_name(r.d));
	}
	/* what runs once every table of the script exists (PostgreSQL: foreign keys) */
	for (size_t i = 0; i < desired->tables.n && !rc && info->shadow_table_late; i++) {
		const dbs_table *t = only && !only[i] ? NULL : local_table(&r, desired->tables.items[i]);
		if (t)
			rc = info->shadow_table_late(&r, t);
		else if (!only || only[i])
			rc = dbs_error_oom(ctx);
	}
	dbs_buf_free(&r.b);
	return rc;
}
