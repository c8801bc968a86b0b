/*
 * One canonical form for a schema, whether it was parsed from DDL or read from a
 * catalog, so the diff can compare with strcmp and finds no false differences.
 * Every rule is idempotent; each says why it holds.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "lexer.h"
#include "parse.h"
#include "parse_internal.h"

/* A synonym names the leading words of the canonical type: "integer" in
 * "integer unsigned", "varchar" in "varchar(20)", "double precision". The
 * tables are the dialects' (dialect.h). */
const char *dbs_type_synonyms(dbs_arena *a, const dbs_dialect_info *info, const char *type)
{
	for (const dbs_type_synonym *ts = info->type_synonyms; ts && ts->from; ts++) {
		size_t n = strlen(ts->from);
		if (strncmp(ts->from, type, n) != 0 || (type[n] && (ts->whole || (type[n] != '(' && type[n] != ' '))))
			continue;
		return dbs_arena_printf(a, "%s%s", ts->to, type + n);
	}
	return type;
}

/* Scratch space for one normalize pass: canonical text is built here and only
 * copied into the arena when it differs, so normalizing twice costs no memory. */
typedef struct norm {
	dbs_arena *a;
	dbsync_dialect d;
	const dbs_dialect_info *info;
	dbs_buf buf;
} norm;

static int keep_or_copy(norm *n, const char **s)
{
	if (strcmp(dbs_buf_cstr(&n->buf), *s) == 0)
		return 0;
	const char *c = dbs_arena_strdup(n->a, dbs_buf_cstr(&n->buf));
	if (!c)
		return -1;
	*s = c;
	return 0;
}

/* Canonical text in place; a text that does not lex is kept as it is. Returns
 * -1 only when out of memory. */
static int canon_expr(norm *n, const char **e)
{
	if (!*e)
		return 0;
	int rc = dbs_expr_canon_buf(&n->buf, n->d, *e, strlen(*e));
	if (rc == -1)
		return 0;
	return rc ? -1 : keep_or_copy(n, e);
}

static int canon_type(norm *n, const char **type)
{
	if (!*type)
		return 0;
	if (dbs_type_canon_buf(&n->buf, n->d, *type, strlen(*type)))
		return -1;
	if (n->buf.len == 0) {
		*type = NULL; /* only blanks: no type */
		return 0;
	}
	if (keep_or_copy(n, type))
		return -1;
	const char *c = n->info->type_meaning ? n->info->type_meaning(n->a, n->info, *type)
		: dbs_type_synonyms(n->a, n->info, *type);
	if (!c)
		return -1;
	*type = c;
	return 0;
}

static char *upper_dup(dbs_arena *a, const char *s)
{
	char *u = dbs_arena_strdup(a, s);
	for (char *p = u; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	return u;
}

/* ON DELETE / ON UPDATE: upper case, single spaces; NO ACTION is what an absent
 * clause means, so it is NULL. */
static int canon_action(dbs_arena *a, const char **act)
{
	if (!*act)
		return 0;
	char *u = dbs_arena_alloc(a, strlen(*act) + 1);
	if (!u)
		return -1;
	size_t n = 0;
	for (const char *p = *act; *p; p++) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (n && u[n - 1] != ' ')
				u[n++] = ' ';
			continue;
		}
		u[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	while (n && u[n - 1] == ' ')
		n--;
	u[n] = '\0';
	*act = (n == 0 || strcmp(u, "NO ACTION") == 0) ? NULL : u;
	return 0;
}

/* Where collation names are case-insensitive (SQLite), `dflt` (the dialect's
 * default_collation for a column) is what no COLLATE means, so naming it
 * says nothing. */
static int canon_collation(dbs_arena *a, const dbs_dialect_info *info, const char **coll, const char *dflt)
{
	if (!*coll || !info->default_collation)
		return 0;
	char *u = upper_dup(a, *coll);
	if (!u)
		return -1;
	*coll = strcmp(u, dflt) == 0 ? NULL : u;
	return 0;
}

static bool is_pk_column(const dbs_constraint *pk, const dbs_column *c, dbsync_dialect d)
{
	for (size_t i = 0; pk && i < pk->cols.n; i++)
		if (dbs_name_eq(d, pk->cols.items[i], c->name))
			return true;
	return false;
}

/* An index part whose expression is a bare column is that column. */
static int expr_part_to_column(dbs_arena *a, dbsync_dialect d, dbs_index_part *part)
{
	dbs_lexer lx;
	dbs_token t1, t2;
	dbs_lex_init(&lx, d, part->expr, strlen(part->expr));
	if (dbs_lex_next(&lx, &t1) || t1.kind != DBS_TK_QUOTED || dbs_lex_next(&lx, &t2) || t2.kind != DBS_TK_EOF)
		return 0;
	dbs_buf v = DBS_BUF_INIT;
	dbs_tok_value(&v, &t1, d);
	const char *col = dbs_buf_ok(&v) ? dbs_arena_strdup(a, dbs_buf_cstr(&v)) : NULL;
	dbs_buf_free(&v);
	if (!col)
		return -1;
	part->column = col;
	part->expr = NULL;
	return 0;
}

typedef struct option_kv {
	char *key, *value;
} option_kv;

static int cmp_option(const void *x, const void *y)
{
	return strcmp(((const option_kv *)x)->key, ((const option_kv *)y)->key);
}

static bool is_bool_option(const char *key)
{
	static const char *const names[] = { "fastupdate", "autosummarize", "deduplicate_items" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(key, names[i]) == 0)
			return true;
	return false;
}

static bool plain_option_value(const char *v)
{
	if (!*v)
		return false;
	for (const char *c = v; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '.' || *c == '-'))
			return false;
	return true;
}

int dbs_put_option(dbs_buf *b, const char *key, const char *value)
{
	if (b->len)
		dbs_buf_puts(b, ", ");
	dbs_buf_printf(b, "%s=", key);
	if (plain_option_value(value))
		return dbs_buf_puts(b, value);
	/* the list's own notation (PostgreSQL's reloptions): a quote doubles,
	 * nothing else is escaped, whatever the dialect */
	dbs_buf_putc(b, '\'');
	for (const char *c = value; *c; c++) {
		if (*c == '\'')
			dbs_buf_putc(b, '\'');
		dbs_buf_putc(b, *c);
	}
	return dbs_buf_putc(b, '\'');
}

/* Index storage parameters as dbs_put_option wrote them (from the parser or
 * the catalog's reloptions: "fastupdate=off, FILLFACTOR=70") into one text:
 * names lower case, sorted by name; a boolean's spellings (true, on, yes, 1)
 * as on or off, which the server takes for them all. A quoted value stays as
 * it is, so the rule is idempotent. */
static int canon_options(norm *n, const char **opts)
{
	if (!*opts)
		return 0;
	char *copy = dbs_arena_strdup(n->a, *opts);
	if (!copy)
		return -1;
	option_kv kv[64];
	size_t count = 0;
	for (char *c = copy; *c && count < 64;) {
		while (*c == ' ' || *c == ',')
			c++;
		if (!*c)
			break;
		kv[count].key = c;
		c += strcspn(c, "=,");
		kv[count].value = (char *)"on"; /* a name alone is true */
		if (*c == '=') {
			*c++ = '\0';
			kv[count].value = c;
			if (*c == '\'') {
				/* a quoted literal, '' inside it */
				for (c++; *c && !(c[0] == '\'' && c[1] != '\''); c += c[0] == '\'' ? 2 : 1)
					;
				if (*c)
					c++;
			} else {
				c += strcspn(c, ",");
			}
		}
		if (*c)
			*c++ = '\0';
		for (char *k = kv[count].key; *k; k++)
			if (*k >= 'A' && *k <= 'Z')
				*k = (char)(*k + 32);
		const char *v = kv[count].value;
		if (is_bool_option(kv[count].key)) {
			if (dbs_ascii_ieq(v, "true") || dbs_ascii_ieq(v, "on") || dbs_ascii_ieq(v, "yes") || strcmp(v, "1") == 0)
				kv[count].value = (char *)"on";
			else if (dbs_ascii_ieq(v, "false") || dbs_ascii_ieq(v, "off") || dbs_ascii_ieq(v, "no") ||
				 strcmp(v, "0") == 0)
				kv[count].value = (char *)"off";
		}
		if (*kv[count].key)
			count++;
	}
	if (count == 0) {
		*opts = NULL;
		return 0;
	}
	qsort(kv, count, sizeof kv[0], cmp_option);
	dbs_buf_clear(&n->buf);
	for (size_t i = 0; i < count; i++)
		dbs_buf_printf(&n->buf, "%s%s=%s", i ? ", " : "", kv[i].key, kv[i].value);
	if (!dbs_buf_ok(&n->buf))
		return -1;
	return keep_or_copy(n, opts);
}

static int normalize_index(norm *n, dbsync_schema *s, dbs_table *t, dbs_index *ix)
{
	dbs_arena *a = &s->arena;
	for (size_t i = 0; i < ix->parts.n; i++) {
		dbs_index_part *part = &ix->parts.items[i];
		if (canon_expr(n, &part->expr))
			return -1;
		if (part->expr && !part->column && expr_part_to_column(a, s->dialect, part))
			return -1;
		/* an indexed column collates like the column unless told otherwise */
		const dbs_column *c = part->column ? dbs_table_find_column(s, t, part->column) : NULL;
		const char *dflt = c && c->collation ? c->collation : n->info->default_collation;
		if (canon_collation(a, n->info, &part->collation, dflt))
			return -1;
	}
	if (canon_expr(n, &ix->where_expr) || canon_options(n, &ix->options))
		return -1;
	/* btree is every dialect's default access method */
	if (ix->method && (strcmp(ix->method, "btree") == 0 || strcmp(ix->method, "BTREE") == 0))
		ix->method = NULL;
	return 0;
}

static int normalize_table(norm *n, dbsync_schema *s, dbs_table *t)
{
	dbs_arena *a = &s->arena;
	dbsync_dialect d = s->dialect;
	const dbs_dialect_info *info = n->info;
	for (size_t i = 0; i < t->columns.n; i++) {
		dbs_column *c = t->columns.items[i];
		if (canon_type(n, &c->type) || canon_expr(n, &c->default_expr) ||
		    canon_expr(n, &c->generated_expr) || canon_collation(a, info, &c->collation, info->default_collation))
			return -1;
		/* a column without a default already defaults to NULL */
		if (c->default_expr && strcmp(c->default_expr, "NULL") == 0)
			c->default_expr = NULL;
		if (info->canon_default && info->canon_default(a, c))
			return -1;
	}
	dbs_constraint *pk = dbs_table_primary_key(t);
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *k = t->constraints.items[i];
		if (canon_expr(n, &k->check_expr) || canon_action(a, &k->on_delete) || canon_action(a, &k->on_update))
			return -1;
		/* INITIALLY DEFERRED needs DEFERRABLE; without it nothing is deferred */
		if (!k->deferrable)
			k->initially_deferred = false;
		if (k->exclude && normalize_index(n, s, t, k->exclude))
			return -1;
	}
	for (size_t i = 0; i < t->columns.n; i++) {
		dbs_column *c = t->columns.items[i];
		if (!pk || !is_pk_column(pk, c, d))
			continue;
		if (info->pk_implies_not_null || t->without_rowid) {
			/* PostgreSQL, MySQL and SQLite WITHOUT ROWID tables force NOT NULL on
			 * primary key columns */
			c->not_null = true;
		} else if (pk->cols.n == 1 && c->type && info->rowid_alias_type &&
			   strcmp(c->type, info->rowid_alias_type) == 0) {
			/* INTEGER PRIMARY KEY is the rowid: it can never hold NULL. Other SQLite
			 * primary keys can, so their not_null stays as declared */
			c->not_null = true;
		}
	}
	for (size_t i = 0; i < t->indexes.n; i++)
		if (normalize_index(n, s, t, t->indexes.items[i]))
			return -1;
	/* indexes the server adds by itself, normalized like the others */
	size_t declared = t->indexes.n;
	if (info->implied_indexes && info->implied_indexes(s, t))
		return -1;
	for (size_t i = declared; i < t->indexes.n; i++)
		if (normalize_index(n, s, t, t->indexes.items[i]))
			return -1;
	return 0;
}

int dbs_table_normalize(dbsync_schema *s, dbs_table *t)
{
	norm n = { &s->arena, s->dialect, dbs_dialect_info_for(s->dialect), DBS_BUF_INIT };
	int rc = normalize_table(&n, s, t);
	dbs_buf_free(&n.buf);
	return rc;
}

int dbs_schema_normalize(dbsync_schema *s, dbsync_ctx *ctx)
{
	for (size_t i = 0; i < s->tables.n; i++)
		if (dbs_table_normalize(s, s->tables.items[i]))
			return dbs_error_oom(ctx);
	return 0;
}
