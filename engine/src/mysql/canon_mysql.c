/*
 * MySQL/MariaDB's canonical forms (dialect.h): the type names COLUMN_TYPE
 * shows, defaults as the server stores them, the index InnoDB adds for a
 * foreign key, collations and charsets a column takes from its table, and
 * the index kinds no model declares.
 */
#include <string.h>

#include "canon_mysql.h"
#include "model.h"

/* The names COLUMN_TYPE shows. */
const dbs_type_synonym dbs_my_type_synonyms[] = {
	{ "integer", "int", false },
	{ "numeric", "decimal", false },
	{ "dec", "decimal", false },
	{ "fixed", "decimal", false },
	{ "double precision", "double", false },
	{ "real", "double", false },
	{ "bool", "tinyint(1)", false },
	{ "boolean", "tinyint(1)", false },
	{ NULL, NULL, false },
};

/* MySQL stores a quoted number or a bit-value literal given as the default
 * of a numeric column as the number ('1' or b'1' on a tinyint(1) reads back
 * as 1; Django writes a boolean db_default as b'1'). */
int dbs_my_canon_default(dbs_arena *a, dbs_column *c)
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
 * InnoDB gives a foreign key whose columns lead no index an index of its own,
 * named after the constraint (after its first column when it has no name),
 * and drops it again when another index can serve. Django's MySQL DDL relies
 * on that instead of creating the index, so a parsed table holds it too, as
 * the catalog will. Idempotent: a table read from the catalog already has it.
 */
int dbs_my_implied_indexes(dbsync_schema *s, dbs_table *t)
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
	}
	return 0;
}

const char *dbs_my_want_table_collation(const dbs_table *live, const dbs_table *want)
{
	if (want->collation_implied && dbs_ascii_ieq(live->charset, want->charset))
		return live->collation;
	return want->collation;
}

bool dbs_my_table_charset_differs(const dbs_table *live, const dbs_table *want)
{
	const char *coll = dbs_my_want_table_collation(live, want);
	return (want->charset && !dbs_ascii_ieq(live->charset, want->charset)) ||
		(coll && !dbs_ascii_ieq(live->collation, coll));
}

/* Types that carry a collation (the catalog's COLLATION_NAME). */
static bool type_collates(const char *type)
{
	static const char *const kinds[] = { "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum",
		"set" };
	for (size_t i = 0; type && i < sizeof kinds / sizeof *kinds; i++) {
		size_t n = strlen(kinds[i]);
		if (strncmp(type, kinds[i], n) == 0 && (type[n] == '\0' || type[n] == '(' || type[n] == ' '))
			return true;
	}
	return false;
}

/* A column's collation is read relative to its table's (NULL: the table's).
 * When the desired table names its own, they are compared as the server
 * applies them: a column that names none takes its table's. A desired column
 * that names its own (the shadow keeps it even where it is the table's
 * default, backend_mysql_shadow.c) is compared with the collation the live
 * column has, its table's when the catalog showed none: the shadow's
 * database and the live one may have different defaults (a fleet). */
bool dbs_my_collation_eq(const dbs_table *live_t, const dbs_column *live, const dbs_table *want_t,
	const dbs_column *want)
{
	const char *l = live->collation, *w = want->collation;
	if (want_t->charset || want_t->collation) {
		if (!l && type_collates(live->type))
			l = live_t->collation;
		if (!w && type_collates(want->type))
			w = dbs_my_want_table_collation(live_t, want_t);
	} else if (w && !l && type_collates(live->type)) {
		l = live_t->collation;
	}
	return dbs_ascii_ieq(l, w);
}

/* Django writes plain (BTREE) indexes only, over whole columns: a method
 * (FULLTEXT, SPATIAL, HASH) or a prefix length says a migration's RunSQL. */
const char *dbs_my_unmanaged_index_kind(dbs_arena *a, const dbs_index *ix)
{
	if (ix->method) {
		char *m = dbs_arena_strdup(a, ix->method);
		for (char *q = m; q && *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 32);
		return m;
	}
	for (size_t i = 0; i < ix->parts.n; i++)
		if (ix->parts.items[i].prefix_len)
			return "prefix";
	return NULL;
}
