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

/* Type synonyms per dialect, applied to the leading words of the canonical
 * type. SQLite has none on purpose: it keeps the declared text, and
 * spellings matter there ("int primary key" is not a rowid alias, "integer" is).
 * PostgreSQL's and MySQL's give the names their catalogs print. */
static const struct type_synonym {
	dbsync_dialect dialect;
	const char *from;
	const char *to;
	bool whole;                  /* only the whole type: "time", not "time(3)" */
} type_synonyms[] = {
	/* PostgreSQL prints modifiers inside these names ("time(3) without time
	 * zone"), so only the bare names are rewritten */
	{ DBSYNC_DIALECT_POSTGRES, "time", "time without time zone", true },
	{ DBSYNC_DIALECT_POSTGRES, "timestamp", "timestamp without time zone", true },
	/* PostgreSQL: the names format_type() prints, so a parsed table the server
	 * would read back unchanged compares equal without a shadow schema. Only
	 * names whose modifiers print in the same place ("varchar(20)" is
	 * "character varying(20)"; "timestamp(3)" is not "timestamp without time
	 * zone(3)", so those are whole-name entries above). */
	{ DBSYNC_DIALECT_POSTGRES, "varchar", "character varying", false },
	{ DBSYNC_DIALECT_POSTGRES, "char", "character", false },
	{ DBSYNC_DIALECT_POSTGRES, "dec", "numeric", false },
	{ DBSYNC_DIALECT_POSTGRES, "varbit", "bit varying", false },
	{ DBSYNC_DIALECT_POSTGRES, "national character", "character", false },
	{ DBSYNC_DIALECT_POSTGRES, "national char", "character", false },
	{ DBSYNC_DIALECT_POSTGRES, "nchar", "character", false },
	{ DBSYNC_DIALECT_POSTGRES, "int", "integer", false },
	{ DBSYNC_DIALECT_POSTGRES, "int4", "integer", false },
	{ DBSYNC_DIALECT_POSTGRES, "int8", "bigint", false },
	{ DBSYNC_DIALECT_POSTGRES, "int2", "smallint", false },
	{ DBSYNC_DIALECT_POSTGRES, "bool", "boolean", false },
	{ DBSYNC_DIALECT_POSTGRES, "float8", "double precision", false },
	{ DBSYNC_DIALECT_POSTGRES, "float4", "real", false },
	{ DBSYNC_DIALECT_POSTGRES, "decimal", "numeric", false },
	{ DBSYNC_DIALECT_POSTGRES, "timestamptz", "timestamp with time zone", true },
	{ DBSYNC_DIALECT_POSTGRES, "timetz", "time with time zone", true },
	/* MySQL/MariaDB: the names COLUMN_TYPE shows */
	{ DBSYNC_DIALECT_MYSQL, "integer", "int", false },
	{ DBSYNC_DIALECT_MYSQL, "numeric", "decimal", false },
	{ DBSYNC_DIALECT_MYSQL, "dec", "decimal", false },
	{ DBSYNC_DIALECT_MYSQL, "fixed", "decimal", false },
	{ DBSYNC_DIALECT_MYSQL, "double precision", "double", false },
	{ DBSYNC_DIALECT_MYSQL, "real", "double", false },
	{ DBSYNC_DIALECT_MYSQL, "bool", "tinyint(1)", false },
	{ DBSYNC_DIALECT_MYSQL, "boolean", "tinyint(1)", false },
};

/* A synonym names the leading words of the canonical type: "integer" in
 * "integer unsigned", "varchar" in "varchar(20)", "double precision". */
static const char *apply_synonym(dbs_arena *a, dbsync_dialect d, const char *type)
{
	for (size_t i = 0; i < sizeof type_synonyms / sizeof type_synonyms[0]; i++) {
		const struct type_synonym *ts = &type_synonyms[i];
		if (ts->dialect != d)
			continue;
		size_t n = strlen(ts->from);
		if (strncmp(ts->from, type, n) != 0 || (type[n] && (ts->whole || (type[n] != '(' && type[n] != ' '))))
			continue;
		return dbs_arena_printf(a, "%s%s", ts->to, type + n);
	}
	return type;
}

/* PostgreSQL spellings whose meaning a prefix rule cannot give: the length
 * a bare char or bit has (character(1), bit(1); bpchar alone is unlimited and
 * prints as bpchar), float(p) by its precision, and arrays, whose sizes and
 * dimensions the server accepts and forgets ("integer[8]", "integer[][]",
 * "integer ARRAY[4]" are all "integer[]"). Synonyms apply to the element type. */
static const char *pg_type_meaning(dbs_arena *a, const char *type)
{
	size_t n = strlen(type), base = n;
	const char *quote = strrchr(type, '"');
	const char *bracket = strchr(quote ? quote : type, '[');
	bool array = false;
	if (n > 6 && strcmp(type + n - 6, " array") == 0) {
		base = n - 6;
		array = true;
	} else if (bracket) {
		base = (size_t)(bracket - type);
		array = true;
		if (base > 6 && strncmp(type + base - 6, " array", 6) == 0)
			base -= 6;
	}
	char *elem = dbs_arena_strndup(a, type, base);
	const char *b = elem ? apply_synonym(a, DBSYNC_DIALECT_POSTGRES, elem) : NULL;
	if (!b)
		return NULL;
	const char *meant = b;
	if (strcmp(b, "character") == 0 || strcmp(b, "bit") == 0) {
		meant = dbs_arena_printf(a, "%s(1)", b);
	} else if (strncmp(b, "bpchar(", 7) == 0) {
		meant = dbs_arena_printf(a, "character%s", b + 6);
	} else if (strcmp(b, "float") == 0) {
		meant = "double precision";
	} else if (strncmp(b, "float(", 6) == 0) {
		/* float(1) to float(24) is real, up to 53 double precision */
		char *end = NULL;
		long bits = strtol(b + 6, &end, 10);
		if (end && strcmp(end, ")") == 0 && bits >= 1 && bits <= 53)
			meant = bits <= 24 ? "real" : "double precision";
	}
	if (!meant)
		return NULL;
	if (!array)
		return strcmp(meant, type) == 0 ? type : meant;
	return dbs_arena_printf(a, "%s[]", meant);
}

/* Scratch space for one normalize pass: canonical text is built here and only
 * copied into the arena when it differs, so normalizing twice costs no memory. */
typedef struct norm {
	dbs_arena *a;
	dbsync_dialect d;
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
	const char *c = n->d == DBSYNC_DIALECT_POSTGRES ? pg_type_meaning(n->a, *type)
		: apply_synonym(n->a, n->d, *type);
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

/* SQLite collation names are case-insensitive; `dflt` (BINARY for a column) is
 * what no COLLATE means, so naming it says nothing. */
static int canon_collation(dbs_arena *a, dbsync_dialect d, const char **coll, const char *dflt)
{
	if (!*coll || d != DBSYNC_DIALECT_SQLITE)
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
	return dbs_quote_literal(b, DBSYNC_DIALECT_POSTGRES, value);
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
		/* SQLite: an indexed column collates like the column unless told otherwise */
		const dbs_column *c = part->column ? dbs_table_find_column(s, t, part->column) : NULL;
		const char *dflt = c && c->collation ? c->collation : "BINARY";
		if (canon_collation(a, s->dialect, &part->collation, dflt))
			return -1;
	}
	if (canon_expr(n, &ix->where_expr) || canon_options(n, &ix->options))
		return -1;
	/* btree is every dialect's default access method */
	if (ix->method && (strcmp(ix->method, "btree") == 0 || strcmp(ix->method, "BTREE") == 0))
		ix->method = NULL;
	return 0;
}

/* Whether `cols` lead the columns of an index InnoDB can use for a foreign
 * key (whole columns, no prefix, no expression). */
static bool index_leads(const dbs_index *ix, const dbs_str_vec *cols)
{
	if (ix->parts.n < cols->n || ix->where_expr)
		return false;
	for (size_t i = 0; i < cols->n; i++) {
		const dbs_index_part *part = &ix->parts.items[i];
		if (!part->column || part->prefix_len || !dbs_ascii_ieq(part->column, cols->items[i]))
			return false;
	}
	return true;
}

static bool key_leads(const dbs_constraint *k, const dbs_str_vec *cols)
{
	if ((k->kind != DBS_CON_PRIMARY && k->kind != DBS_CON_UNIQUE) || k->cols.n < cols->n)
		return false;
	for (size_t i = 0; i < cols->n; i++)
		if (!dbs_ascii_ieq(k->cols.items[i], cols->items[i]))
			return false;
	return true;
}

/*
 * MySQL (InnoDB) gives a foreign key whose columns lead no index an index of
 * its own, named after the constraint (after its first column when it has no
 * name), and drops it again when another index can serve. Django's MySQL DDL
 * relies on that instead of creating the index, so a parsed table holds it
 * too, as the catalog will. Idempotent: a table read from the catalog
 * already has it.
 */
static int mysql_fk_indexes(norm *n, dbsync_schema *s, dbs_table *t)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *fk = t->constraints.items[i];
		if (fk->kind != DBS_CON_FOREIGN || !fk->cols.n)
			continue;
		bool served = false;
		for (size_t j = 0; j < t->indexes.n && !served; j++)
			served = index_leads(t->indexes.items[j], &fk->cols);
		for (size_t j = 0; j < t->constraints.n && !served; j++)
			served = key_leads(t->constraints.items[j], &fk->cols);
		if (served)
			continue;
		dbs_index *ix = dbs_table_add_index(s, t, fk->name ? fk->name : fk->cols.items[0]);
		if (!ix)
			return -1;
		for (size_t c = 0; c < fk->cols.n; c++) {
			dbs_index_part part = { .column = fk->cols.items[c] };
			if (DBS_VEC_PUSH(&s->arena, &ix->parts, part))
				return -1;
		}
		if (normalize_index(n, s, t, ix))
			return -1;
	}
	return 0;
}

/* MySQL stores a quoted number or a bit-value literal given as the default
 * of a numeric column as the number ('1' or b'1' on a tinyint(1) reads back
 * as 1; Django writes a boolean db_default as b'1'). */
static int unquote_numeric_default(dbs_arena *a, dbs_column *c)
{
	static const char *const numeric[] = { "tinyint", "smallint", "mediumint", "int", "bigint", "decimal",
		"float", "double" };
	const char *v = c->default_expr;
	if (!v || !c->type)
		return 0;
	bool bits = strncmp(v, "B '", 3) == 0;   /* b'1', a bit-value literal, as canonical text */
	if (bits)
		v += 2;
	if (v[0] != '\'')
		return 0;
	size_t base = strcspn(c->type, "( ");
	bool is_numeric = false;
	for (size_t i = 0; i < sizeof numeric / sizeof numeric[0] && !is_numeric; i++)
		is_numeric = strlen(numeric[i]) == base && strncmp(numeric[i], c->type, base) == 0;
	if (!is_numeric)
		return 0;
	size_t n = strlen(v), i = 1, digits = 0;
	if (bits) {
		/* b'101' is the number 5 */
		unsigned long long value = 0;
		for (; i < n - 1 && (v[i] == '0' || v[i] == '1') && i <= 63; i++)
			value = value * 2 + (unsigned)(v[i] - '0');
		if (n < 3 || i != n - 1 || v[n - 1] != '\'')
			return 0;
		const char *num = dbs_arena_printf(a, "%llu", value);
		if (!num)
			return -1;
		c->default_expr = num;
		return 0;
	}
	/* '-12', '3.50': a sign, digits, at most one point with digits after it */
	if (n < 3 || v[n - 1] != '\'')
		return 0;
	if (v[i] == '-')
		i++;
	for (; i < n - 1 && v[i] >= '0' && v[i] <= '9'; i++)
		digits++;
	if (i < n - 1 && v[i] == '.') {
		size_t frac = 0;
		for (i++; i < n - 1 && v[i] >= '0' && v[i] <= '9'; i++)
			frac++;
		if (!frac)
			return 0;
	}
	if (!digits || i != n - 1)
		return 0;
	char *bare = dbs_arena_alloc(a, n - 1);
	if (!bare)
		return -1;
	memcpy(bare, v + 1, n - 2);
	bare[n - 2] = '\0';
	c->default_expr = bare;
	return 0;
}

static int normalize_table(norm *n, dbsync_schema *s, dbs_table *t)
{
	dbs_arena *a = &s->arena;
	dbsync_dialect d = s->dialect;
	for (size_t i = 0; i < t->columns.n; i++) {
		dbs_column *c = t->columns.items[i];
		if (canon_type(n, &c->type) || canon_expr(n, &c->default_expr) ||
		    canon_expr(n, &c->generated_expr) || canon_collation(a, d, &c->collation, "BINARY"))
			return -1;
		/* a column without a default already defaults to NULL */
		if (c->default_expr && strcmp(c->default_expr, "NULL") == 0)
			c->default_expr = NULL;
		if (d == DBSYNC_DIALECT_MYSQL && unquote_numeric_default(a, c))
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
		if (d != DBSYNC_DIALECT_SQLITE || t->without_rowid) {
			/* PostgreSQL, MySQL and SQLite WITHOUT ROWID tables force NOT NULL on
			 * primary key columns */
			c->not_null = true;
		} else if (pk->cols.n == 1 && c->type && strcmp(c->type, "integer") == 0) {
			/* INTEGER PRIMARY KEY is the rowid: it can never hold NULL. Other SQLite
			 * primary keys can, so their not_null stays as declared */
			c->not_null = true;
		}
	}
	for (size_t i = 0; i < t->indexes.n; i++)
		if (normalize_index(n, s, t, t->indexes.items[i]))
			return -1;
	if (d == DBSYNC_DIALECT_MYSQL && mysql_fk_indexes(n, s, t))
		return -1;
	return 0;
}

int dbs_table_normalize(dbsync_schema *s, dbs_table *t)
{
	norm n = { &s->arena, s->dialect, DBS_BUF_INIT };
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
