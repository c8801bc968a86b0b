/*
 * Reading a PostgreSQL schema in a fixed number of catalog queries, the way
 * pg_dump's getTables / getTableAttrs / getConstraints / getIndexes do: one
 * query per kind of object for the whole schema, rows ordered by table so
 * each is walked once. Lists inside a row (key columns, index parts) come as
 * JSON arrays, so names with any character in them survive.
 *
 * Expressions are read with pg_get_expr / pg_get_indexdef without the pretty
 * flag, the fully parenthesized form pg_dump relies on across versions.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "ctx.h"
#include "parse.h"

/* Partitions belong to their parent; the model has no place for them. */
#define OWN_TABLES \
	"n.nspname = $1 AND c.relkind IN ('r','p') AND NOT c.relispartition"

static const char q_tables[] =
	"SELECT c.relname, c.relkind, pg_catalog.obj_description(c.oid, 'pg_class'), "
	"CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_get_viewdef(c.oid) END "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = $1 AND (c.relkind = 'v' OR c.relkind IN ('r','p') AND NOT c.relispartition) "
	"ORDER BY c.relname";

/* %s: attgenerated, which PostgreSQL 12 added ('' before) */
static const char q_columns[] =
	"SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
	"pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, %s, "
	"CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, "
	"pg_catalog.col_description(c.oid, a.attnum) "
	"FROM pg_catalog.pg_attribute a "
	"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
	"LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
	"WHERE " OWN_TABLES " AND a.attnum > 0 AND NOT a.attisdropped "
	"ORDER BY c.relname, a.attnum";

/* Column numbers to names, in key order. */
#define KEY_NAMES(arr, rel) \
	"(SELECT pg_catalog.json_agg(a.attname ORDER BY k.i) " \
	"FROM pg_catalog.unnest(" arr ") WITH ORDINALITY k(num, i) " \
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = " rel " AND a.attnum = k.num)"

static const char q_constraints[] =
	"SELECT c.relname, co.conname, co.contype, " KEY_NAMES("co.conkey", "co.conrelid") ", "
	"CASE WHEN co.contype = 'c' THEN pg_catalog.pg_get_expr(co.conbin, co.conrelid) END, "
	"fc.relname, fn.nspname, " KEY_NAMES("co.confkey", "co.confrelid") ", "
	"co.confdeltype, co.confupdtype, co.condeferrable, co.condeferred "
	"FROM pg_catalog.pg_constraint co "
	"JOIN pg_catalog.pg_class c ON c.oid = co.conrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid "
	"LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "
	"WHERE " OWN_TABLES " AND co.contype IN ('p','u','c','f') "
	"ORDER BY c.relname, co.contype <> 'p', co.conname";

/* Indexes that back a constraint are that constraint's business. Each part
 * is [column, expression, included, desc, opclass, collation]; opclass and
 * collation only where they differ from the default, as pg_get_indexdef
 * prints them. Only key columns have indclass / indoption / indcollation
 * entries. %s: indnkeyatts, which PostgreSQL 11 added (indnatts before). */
static const char q_indexes[] =
	"SELECT c.relname, ic.relname, i.indisunique, am.amname, "
	"pg_catalog.pg_get_expr(i.indpred, i.indrelid), pg_catalog.obj_description(i.indexrelid, 'pg_class'), "
	"(SELECT pg_catalog.json_agg(pg_catalog.json_build_array("
	"a.attname, "
	"CASE WHEN i.indkey[s.k - 1] = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, s.k, false) END, "
	"s.k > %s, "
	"COALESCE(i.indoption[s.k - 1] & 1 = 1, false), "
	"CASE WHEN NOT opc.opcdefault THEN opc.opcname END, "
	"CASE WHEN i.indcollation[s.k - 1] NOT IN (0, COALESCE(a.attcollation, 100)) THEN coll.collname END"
	") ORDER BY s.k) "
	"FROM pg_catalog.generate_series(1, i.indnatts) s(k) "
	"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[s.k - 1] "
	"LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[s.k - 1] "
	"LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = i.indcollation[s.k - 1]) "
	"FROM pg_catalog.pg_index i "
	"JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
	"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
	"JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE " OWN_TABLES " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k "
	"WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid AND k.contype IN ('p','u','x')) "
	"ORDER BY c.relname, ic.relname";

/* State of one introspection; everything lives in s's arena. */
typedef struct pg_intro {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_schema *s;
	const char *schema;
	dbs_table *cur;              /* rows of one table come together */
} pg_intro;

typedef int (*row_fn)(pg_intro *in, const PGresult *res, int row);

/* The text of a field in the arena, or NULL for SQL NULL (and on OOM: callers
 * that need the value check it). */
static const char *field(pg_intro *in, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return dbs_arena_strndup(&in->s->arena, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static bool field_true(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

static int field_char(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : (unsigned char)PQgetvalue(res, row, col)[0];
}

/* Canonical expression text; the raw text when it does not lex. */
static const char *expr(pg_intro *in, const char *text)
{
	if (!text)
		return NULL;
	const char *e = dbs_expr_canon(&in->s->arena, DBSYNC_DIALECT_POSTGRES, text, strlen(text));
	return e ? e : text;
}

static int run_query(pg_intro *in, const char *sql, const char *what, row_fn fn)
{
	const char *vals[] = { in->schema };
	in->conn->catalog_queries++;
	in->cur = NULL;
	PGresult *res = PQexecParams(dbs_pg_handle(in->conn), sql, 1, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[128];
		snprintf(msg, sizeof msg, "reading the PostgreSQL catalog (%s) failed", what);
		rc = dbs_pg_error(in->ctx, in->conn, res, msg);
	}
	for (int i = 0, n = PQntuples(res); !rc && i < n; i++)
		if (fn(in, res, i))
			rc = dbs_error_oom(in->ctx);
	PQclear(res);
	return rc;
}

/* The table a row belongs to (column 0); NULL when it is not one we read
 * (created between two queries by another session). */
static dbs_table *row_table(pg_intro *in, const PGresult *res, int row)
{
	const char *name = PQgetvalue(res, row, 0);
	if (!in->cur || strcmp(in->cur->name, name) != 0) {
		in->cur = dbs_schema_find_table(in->s, name);
		if (in->cur && strcmp(in->cur->name, name) != 0)
			in->cur = NULL;
	}
	return in->cur;
}

static int on_table(pg_intro *in, const PGresult *res, int row)
{
	const char *name = PQgetvalue(res, row, 0);
	if (field_char(res, row, 1) == 'v') {
		/* pg_get_viewdef pads the SELECT with a space and ends it with ';' */
		const char *def = PQgetvalue(res, row, 3);
		size_t n = strlen(def);
		while (*def == ' ' || *def == '\n')
			def++, n--;
		while (n && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n'))
			n--;
		const char *copy = dbs_arena_strndup(&in->s->arena, def, n);
		return copy && dbs_schema_add_view(in->s, name, copy) ? 0 : -1;
	}
	dbs_table *t = dbs_schema_add_table(in->s, name);
	if (!t)
		return -1;
	if (!PQgetisnull(res, row, 2) && !(t->comment = field(in, res, row, 2)))
		return -1;
	return 0;
}

static int on_column(pg_intro *in, const PGresult *res, int row)
{
	dbs_arena *a = &in->s->arena;
	dbs_table *t = row_table(in, res, row);
	if (!t)
		return 0;
	dbs_column *c = dbs_table_add_column(in->s, t, PQgetvalue(res, row, 1));
	if (!c)
		return -1;
	const char *type = PQgetvalue(res, row, 2);
	if (!(c->type = dbs_type_canon(a, DBSYNC_DIALECT_POSTGRES, type, strlen(type))))
		return -1;
	c->not_null = field_true(res, row, 3);
	const char *dflt = field(in, res, row, 4);
	if (!dflt && !PQgetisnull(res, row, 4))
		return -1;
	int ident = field_char(res, row, 5), gen = field_char(res, row, 6);
	if (gen == 's' || gen == 'v') {
		/* pg_attrdef holds the generation expression of a generated column */
		c->generated_expr = expr(in, dflt);
		c->generated_stored = gen == 's';
	} else {
		c->default_expr = expr(in, dflt);
	}
	c->identity = ident == 'a' ? "ALWAYS" : ident == 'd' ? "BY DEFAULT" : NULL;
	if (!PQgetisnull(res, row, 7) && !(c->collation = field(in, res, row, 7)))
		return -1;
	if (!PQgetisnull(res, row, 8) && !(c->comment = field(in, res, row, 8)))
		return -1;
	return 0;
}

/* A JSON array of names into v; NULL text (no columns) leaves v empty. */
static int json_names(pg_intro *in, dbs_str_vec *v, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	json_t *arr = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
	int rc = json_is_array(arr) ? 0 : -1;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		const char *name = json_string_value(json_array_get(arr, i));
		const char *copy = name ? dbs_arena_strdup(&in->s->arena, name) : NULL;
		rc = copy ? DBS_VEC_PUSH(&in->s->arena, v, copy) : -1;
	}
	json_decref(arr);
	return rc;
}

static const char *fk_action(int code)
{
	switch (code) {
	case 'c': return "CASCADE";
	case 'n': return "SET NULL";
	case 'd': return "SET DEFAULT";
	case 'r': return "RESTRICT";
	default: return NULL; /* 'a': NO ACTION */
	}
}

static int on_constraint(pg_intro *in, const PGresult *res, int row)
{
	dbs_table *t = row_table(in, res, row);
	if (!t)
		return 0;
	int type = field_char(res, row, 2);
	dbs_con_kind kind = type == 'p' ? DBS_CON_PRIMARY : type == 'u' ? DBS_CON_UNIQUE
		: type == 'c' ? DBS_CON_CHECK : DBS_CON_FOREIGN;
	dbs_constraint *k = dbs_table_add_constraint(in->s, t, kind);
	if (!k || !(k->name = field(in, res, row, 1)))
		return -1;
	/* a CHECK's conkey lists the columns it mentions, which the model does
	 * not keep: whether it was written on a column is not in the catalog */
	if (kind != DBS_CON_CHECK && json_names(in, &k->cols, res, row, 3))
		return -1;
	if (kind == DBS_CON_CHECK) {
		const char *e = field(in, res, row, 4);
		if (!e || !(k->check_expr = expr(in, e)))
			return -1;
	}
	if (kind == DBS_CON_FOREIGN) {
		const char *ref = PQgetvalue(res, row, 5), *nsp = PQgetvalue(res, row, 6);
		k->ref_table = strcmp(nsp, in->schema) == 0 ? dbs_arena_strdup(&in->s->arena, ref)
			: dbs_arena_printf(&in->s->arena, "%s.%s", nsp, ref);
		if (!k->ref_table || json_names(in, &k->ref_cols, res, row, 7))
			return -1;
		k->on_delete = fk_action(field_char(res, row, 8));
		k->on_update = fk_action(field_char(res, row, 9));
		k->deferrable = field_true(res, row, 10);
		k->initially_deferred = field_true(res, row, 11);
	}
	return 0;
}

static const char *json_str(pg_intro *in, json_t *v)
{
	const char *s = json_string_value(v);
	return s ? dbs_arena_strdup(&in->s->arena, s) : NULL;
}

static int index_parts(pg_intro *in, dbs_index *ix, const char *text)
{
	json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
	int rc = json_is_array(arr) ? 0 : -1;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i);
		json_t *col = json_array_get(p, 0), *ex = json_array_get(p, 1);
		if (json_is_true(json_array_get(p, 2))) {
			const char *name = json_str(in, col);
			rc = name ? DBS_VEC_PUSH(&in->s->arena, &ix->include, name) : -1;
			continue;
		}
		dbs_index_part part = { 0 };
		if (json_is_string(ex)) {
			const char *raw = json_str(in, ex);
			rc = raw && (part.expr = expr(in, raw)) ? 0 : -1;
		} else {
			rc = (part.column = json_str(in, col)) ? 0 : -1;
		}
		part.desc = json_is_true(json_array_get(p, 3));
		if (!rc && json_is_string(json_array_get(p, 4)) && !(part.opclass = json_str(in, json_array_get(p, 4))))
			rc = -1;
		if (!rc && json_is_string(json_array_get(p, 5)) && !(part.collation = json_str(in, json_array_get(p, 5))))
			rc = -1;
		if (!rc)
			rc = DBS_VEC_PUSH(&in->s->arena, &ix->parts, part);
	}
	json_decref(arr);
	return rc;
}

static int on_index(pg_intro *in, const PGresult *res, int row)
{
	dbs_table *t = row_table(in, res, row);
	if (!t)
		return 0;
	dbs_index *ix = dbs_table_add_index(in->s, t, PQgetvalue(res, row, 1));
	if (!ix)
		return -1;
	ix->unique = field_true(res, row, 2);
	/* the model's NULL method is the dialect's default */
	const char *am = PQgetvalue(res, row, 3);
	if (strcmp(am, "btree") != 0 && !(ix->method = field(in, res, row, 3)))
		return -1;
	const char *pred = field(in, res, row, 4);
	if (!PQgetisnull(res, row, 4) && !(ix->where_expr = expr(in, pred)))
		return -1;
	if (!PQgetisnull(res, row, 5) && !(ix->comment = field(in, res, row, 5)))
		return -1;
	return PQgetisnull(res, row, 6) ? 0 : index_parts(in, ix, PQgetvalue(res, row, 6));
}

static int exec_simple(pg_intro *in, const char *sql)
{
	in->conn->catalog_queries++;
	PGresult *res = PQexec(dbs_pg_handle(in->conn), sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : dbs_pg_error(in->ctx, in->conn, res, sql);
	PQclear(res);
	return rc;
}

static int read_catalog(pg_intro *in, int server_num)
{
	char cols[sizeof q_columns + 32], idx[sizeof q_indexes + 32];
	snprintf(cols, sizeof cols, q_columns, server_num >= 120000 ? "a.attgenerated" : "''::\"char\"");
	snprintf(idx, sizeof idx, q_indexes, server_num >= 110000 ? "i.indnkeyatts" : "i.indnatts");
	int rc;
	if ((rc = run_query(in, q_tables, "tables", on_table)) ||
	    (rc = run_query(in, cols, "columns", on_column)) ||
	    (rc = run_query(in, q_constraints, "constraints", on_constraint)) ||
	    (rc = run_query(in, idx, "indexes", on_index)))
		return rc;
	return 0;
}

int dbs_pg_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	pg_intro in = { .ctx = ctx, .conn = conn, .schema = pc->schema };
	int rc;
	*out = NULL;
	if (!(in.s = dbs_schema_new(DBSYNC_DIALECT_POSTGRES)))
		return dbs_error_oom(ctx);
	/* one snapshot for all the queries, so a concurrent change cannot show
	 * a column of a table the table query did not see */
	bool own_txn = PQtransactionStatus(pc->pg) == PQTRANS_IDLE;
	if (own_txn && (rc = exec_simple(&in, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")))
		goto cleanup;
	rc = read_catalog(&in, pc->server_num);
	if (own_txn) {
		int crc = rc ? 0 : exec_simple(&in, "COMMIT");
		if (rc) {
			PGresult *res = PQexec(pc->pg, "ROLLBACK");
			PQclear(res);
		}
		if (!rc)
			rc = crc;
	}
	if (rc)
		goto cleanup;
	if ((rc = dbs_schema_normalize(in.s, ctx)))
		goto cleanup;
	*out = in.s;
	return 0;
cleanup:
	dbsync_schema_free(in.s);
	return rc;
}
