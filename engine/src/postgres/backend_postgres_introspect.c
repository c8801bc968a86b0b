/*
 * Reading a PostgreSQL schema in a fixed number of catalog queries, the way
 * pg_dump's getTables / getTableAttrs / getConstraints / getIndexes do: one
 * query per kind of object for the whole schema, rows keyed by table oid.
 * Key columns come as attribute numbers and are named from the columns
 * already read; lists that carry text (index parts) come as JSON arrays, so
 * names and expressions with any character in them survive.
 *
 * Expressions are read with pg_get_expr / pg_get_indexdef without the pretty
 * flag, the fully parenthesized form pg_dump relies on across versions.
 *
 * The queries travel as one multi-statement script (the schema name a quoted
 * literal), so a read is one round trip however far away the server is; the
 * shadow schema of backend_postgres_shadow.c appends the same script to its
 * own and hands the results to dbs_pg_read_results.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "ctx.h"
#include "dialect.h"
#include "parse.h"
#include "pg_identity.h"

/* The schemas read: $1 is their names (a name[]), m.i a schema's place in it,
 * m.path the search_path it is read with ($4 the rest of the path after it).
 * Every query reads all of them at once, and every row says whose it is (the
 * table query by m.i, the others by their table's oid). */
#define MEMBERS "(SELECT u.name, u.i, pg_catalog.quote_ident(u.name) || $4 AS path " \
	"FROM pg_catalog.unnest($1) WITH ORDINALITY u(name, i)) m"
#define IN_MEMBERS "JOIN " MEMBERS " ON m.name = n.nspname "
/* Partitions belong to their parent; the model has no place for them. */
#define OWN_TABLES \
	"c.relkind IN ('r','p') AND NOT c.relispartition"
/* What the server prints (format_type, pg_get_expr, pg_get_*def) names an
 * object without its schema when search_path finds it, so it depends on the
 * path: each schema is read with its own first, as a connection syncing it
 * has it. The printer's argument is wrapped in $2 ... $3, which make m.path
 * the path (for this transaction; SET LOCAL) when it is not already: an
 * argument is evaluated before its function runs, wherever the planner puts
 * the call. Rows of one schema mostly come together, so the path is rarely
 * set; the comparison is what most rows cost. The shadow's read keeps the
 * path its script set ($2 and $3 are plain parentheses there). */
#define AT(arg) "$2" arg "$3"
/* Comments are joined, not read with obj_description(), which runs a query
 * of its own for every row. */
#define DESCRIPTION(alias, objoid, subid) \
	"LEFT JOIN pg_catalog.pg_description " alias " ON " alias ".objoid = " objoid \
	" AND " alias ".classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND " alias ".objsubid = " subid " "

/* One row at least per schema asked for (left joined from the names): n.oid
 * NULL when it does not exist, c.oid NULL when it has no table. */
static const char q_tables[] =
	"SELECT c.oid, c.relname, c.relkind, c.relnatts, ds.description, "
	"CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_get_viewdef(" AT("c.oid") ") END, "
	"m.i, n.oid IS NOT NULL "
	"FROM " MEMBERS " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = m.name "
	"LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid "
	"AND (c.relkind = 'v' OR c.relkind IN ('r','p') AND NOT c.relispartition) "
	DESCRIPTION("ds", "c.oid", "0")
	"ORDER BY m.i, c.relname";

/* The sequence a column owns: a serial's (dependency 'a', OWNED BY) or an
 * identity's ('i'), named unqualified in the schema read, with its type and
 * options (pg_sequence, PostgreSQL 10). Only a column with a default (a
 * serial's nextval) or an identity is looked up: the lookup is a third of
 * what reading the columns of a big fleet costs. */
#define SEQUENCE_OWNED \
	"LEFT JOIN LATERAL (SELECT CASE WHEN sn.nspname = n.nspname THEN pg_catalog.quote_ident(sc.relname) " \
	"ELSE pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sc.relname) END AS name, " \
	"pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, " \
	"s.seqcache, s.seqcycle FROM pg_catalog.pg_depend dep " \
	"JOIN pg_catalog.pg_sequence s ON s.seqrelid = dep.objid " \
	"JOIN pg_catalog.pg_class sc ON sc.oid = s.seqrelid " \
	"JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace " \
	"WHERE (a.attidentity <> '' OR a.atthasdef) AND dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " \
	"AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjid = a.attrelid " \
	"AND dep.refobjsubid = a.attnum AND dep.deptype IN ('a','i') ORDER BY sc.relname LIMIT 1) sq ON true "

/* %s: attgenerated, which PostgreSQL 12 added ('' before); %s: whether the
 * column's NOT NULL is NOT VALID. PostgreSQL 18 keeps each NOT NULL as a
 * constraint (contype 'n': named, read only here, never as a CHECK) that may
 * be NOT VALID: attnotnull is set, new NULLs are refused, yet old rows may
 * still hold NULLs. */
static const char q_columns[] =
	"SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(" AT("a.atttypid") ", a.atttypmod), "
	"a.attnotnull, CASE WHEN d.adbin IS NOT NULL THEN pg_catalog.pg_get_expr(d.adbin, " AT("d.adrelid") ") END, "
	"a.attidentity, %s, "
	"CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, ds.description, %s, "
	"sq.name, sq.type, sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle "
	"FROM pg_catalog.pg_attribute a "
	"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " IN_MEMBERS
	"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
	"LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
	DESCRIPTION("ds", "a.attrelid", "a.attnum")
	SEQUENCE_OWNED
	"WHERE " OWN_TABLES " AND a.attnum > 0 AND NOT a.attisdropped "
	"ORDER BY a.attrelid, a.attnum";

/* Key columns come as attribute numbers, named from the columns already
 * read; an exclusion constraint comes as the server prints it and is read by
 * the DDL parser. %s: whether a unique key treats NULLs as equal
 * (indnullsnotdistinct, PostgreSQL 15; false before). Only a reference to
 * a table this read does not cover (another schema, a partition) has its
 * names looked up by the server. */
static const char q_constraints[] =
	"SELECT co.conrelid, co.conname, co.contype, co.conkey, "
	"CASE WHEN co.contype = 'c' THEN pg_catalog.pg_get_expr(co.conbin, " AT("co.conrelid") ") END, "
	"co.confrelid, fc.relname, fn.nspname, co.confkey, "
	"CASE WHEN fn.nspname <> n.nspname OR fc.relispartition THEN "
	"(SELECT pg_catalog.json_agg(a.attname ORDER BY k.i) "
	"FROM pg_catalog.unnest(co.confkey) WITH ORDINALITY k(num, i) "
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num) END, "
	"co.confdeltype, co.confupdtype, co.condeferrable, co.condeferred, "
	"CASE WHEN co.contype = 'x' THEN pg_catalog.pg_get_constraintdef(" AT("co.oid") ") END, "
	"%s, dc.description, co.connoinherit, co.confmatchtype, "
	"CASE WHEN co.contype = 'f' THEN pg_catalog.pg_table_is_visible(" AT("co.confrelid") ") END "
	"FROM pg_catalog.pg_constraint co "
	"JOIN pg_catalog.pg_class c ON c.oid = co.conrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " IN_MEMBERS
	"LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid "
	"LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "
	"LEFT JOIN pg_catalog.pg_description dc ON dc.objoid = co.oid "
	"AND dc.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND dc.objsubid = 0 "
	"WHERE " OWN_TABLES " AND co.contype IN ('p','u','c','f','x') "
	"ORDER BY co.conrelid, co.contype <> 'p', co.conname";

/* Indexes that back a constraint are that constraint's business. Storage
 * parameters come as "name=value,..." (reloptions); the last %s is
 * indnullsnotdistinct as above. Each part
 * is [attnum, expression, included, desc, opclass, collation, nulls reversed
 * (NULLS FIRST ascending or NULLS LAST descending: indoption bits 1 and 2
 * differ)]; opclass and
 * collation only where they differ from the default, as pg_get_indexdef
 * prints them. Only key columns have indclass / indoption / indcollation
 * entries. %s: indnkeyatts, which PostgreSQL 11 added (indnatts before).
 * A part's column is looked up only for a collation to compare with its
 * own: joined instead, the planner, counting on a thousand parts an index,
 * hashed all the table's columns for every index (a third of what this
 * query cost a fleet). */
static const char q_indexes[] =
	"SELECT i.indrelid, ic.relname, i.indisunique, am.amname, "
	"pg_catalog.pg_get_expr(i.indpred, " AT("i.indrelid") "), ds.description, "
	"(SELECT pg_catalog.json_agg(pg_catalog.json_build_array("
	"i.indkey[s.k - 1], "
	"CASE WHEN i.indkey[s.k - 1] = 0 THEN pg_catalog.pg_get_indexdef(" AT("i.indexrelid") ", s.k, false) END, "
	"s.k > %s, "
	"COALESCE(i.indoption[s.k - 1] & 1 = 1, false), "
	"CASE WHEN NOT opc.opcdefault THEN opc.opcname END, "
	"CASE WHEN i.indcollation[s.k - 1] <> 0 AND i.indcollation[s.k - 1] <> COALESCE((SELECT a.attcollation "
	"FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[s.k - 1]), 100) "
	"THEN coll.collname END, "
	"COALESCE(i.indoption[s.k - 1] & 3 IN (1, 2), false)"
	") ORDER BY s.k) "
	"FROM pg_catalog.generate_series(1, i.indnatts) s(k) "
	"LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[s.k - 1] "
	"LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = i.indcollation[s.k - 1]) "
	", pg_catalog.array_to_json(ic.reloptions), %s "
	"FROM pg_catalog.pg_index i "
	"JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
	"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
	"JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " IN_MEMBERS
	DESCRIPTION("ds", "i.indexrelid", "0")
	"WHERE " OWN_TABLES " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k "
	"WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid AND k.contype IN ('p','u','x')) "
	"ORDER BY i.indrelid, ic.relname";

/* Triggers no model declares (unmanaged, docs/unmanaged.md): listed, never
 * changed; the constraint triggers of foreign keys are internal. */
static const char q_triggers[] =
	"SELECT tg.tgrelid, tg.tgname, pg_catalog.pg_get_triggerdef(" AT("tg.oid") ") "
	"FROM pg_catalog.pg_trigger tg "
	"JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " IN_MEMBERS
	"WHERE " OWN_TABLES " AND NOT tg.tgisinternal "
	"ORDER BY tg.tgrelid, tg.tgname";

/* One schema read: its model, NULL until the table query finds it exists. */
typedef struct pg_member {
	const char *name;
	dbsync_schema *s;
} pg_member;

/* A table read by the table query, found again by its oid in the others
 * (oids are unique in the database, whichever schema holds the table). */
typedef struct pg_rel {
	unsigned oid;
	dbs_table *t;
	const char **by_attnum;      /* column names by attribute number; dropped ones NULL */
	int natts;
	size_t member;               /* whose table it is */
} pg_rel;

/* State of one introspection; each schema's model lives in its own arena.
 * Row handlers see the schema of the row at hand as s and schema. */
typedef struct pg_intro {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	pg_member *members;
	size_t n_members;
	dbsync_schema *s;            /* the row's schema's model... */
	const char *schema;          /* ...and its name */
	/* Reading a shadow schema (see backend_postgres_shadow.c): references
	 * into `home` read as plain names too, as they would in home itself, and
	 * the shadow's own name is taken out of expressions and types. */
	const char *home;
	bool shadow;
	dbs_arena tmp;               /* what only this read needs: rels and their column maps */
	DBS_VEC(pg_rel) rels;        /* sorted by oid once the table query is read */
	pg_rel *cur;                 /* rows of one table come together */
} pg_intro;

/* Row handlers return 0, ROW_OOM, or ROW_CHANGED when a row names a table or
 * column the earlier queries did not see (only possible when introspect runs
 * inside the caller's read-committed transaction). */
enum { ROW_OOM = -1, ROW_CHANGED = -2, ROW_UNREADABLE = -3 /* the error is on ctx */ };

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

static unsigned field_oid(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : (unsigned)strtoul(PQgetvalue(res, row, col), NULL, 10);
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '$' || c == '"' || (unsigned char)c >= 0x80;
}

/* text without the shadow schema's qualifier ("dbsync_shadow_1_1.x_seq" ->
 * "x_seq"), in the arena; text itself when it has none. The server prints a
 * qualifier only for what search_path does not show, and the shadow comes
 * first there, so this is a safety net, not the rule. The shadow's name is a
 * plain lower-case identifier: it is never quoted. */
static const char *unqualify(pg_intro *in, const char *text)
{
	if (!in->shadow || !text)
		return text;
	size_t nlen = strlen(in->schema);
	const char *hit = strstr(text, in->schema);
	if (!hit)
		return text;
	dbs_buf b = DBS_BUF_INIT;
	const char *p = text;
	for (; hit; hit = strstr(hit + 1, in->schema)) {
		if (hit[nlen] != '.' || (hit > text && ident_char(hit[-1])) || hit < p)
			continue;
		dbs_buf_put(&b, p, (size_t)(hit - p));
		p = hit + nlen + 1;
	}
	dbs_buf_puts(&b, p);
	const char *r = dbs_buf_ok(&b) ? dbs_arena_strdup(&in->s->arena, dbs_buf_cstr(&b)) : NULL;
	dbs_buf_free(&b);
	return r;
}

/* Canonical expression text; the raw text when it does not lex. NULL for
 * NULL, and on OOM. */
static const char *expr(pg_intro *in, const char *text)
{
	if (!text || !(text = unqualify(in, text)))
		return NULL;
	const char *e = dbs_expr_canon(&in->s->arena, DBSYNC_DIALECT_POSTGRES, text, strlen(text));
	return e ? e : text;
}

/* The rows of one catalog query's result into the model. */
static int consume(pg_intro *in, const PGresult *res, const char *what, row_fn fn)
{
	int rc = 0;
	in->cur = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[128];
		snprintf(msg, sizeof msg, "reading the PostgreSQL catalog (%s) failed", what);
		rc = dbs_pg_error(in->ctx, in->conn, res, msg);
	}
	for (int i = 0, n = PQntuples(res); !rc && i < n; i++) {
		int r = fn(in, res, i);
		if (r == ROW_OOM)
			rc = dbs_error_oom(in->ctx);
		else if (r == ROW_UNREADABLE)
			rc = dbsync_ctx_error(in->ctx)->code;
		else if (r == ROW_CHANGED)
			rc = dbs_error(in->ctx, DBSYNC_EDB, "the catalog of schema \"%s\" changed while it was "
				"read (%s); read it again outside a transaction", in->schema, what);
	}
	return rc;
}

static int cmp_rel(const void *a, const void *b)
{
	unsigned x = ((const pg_rel *)a)->oid, y = ((const pg_rel *)b)->oid;
	return x < y ? -1 : x > y;
}

static pg_rel *find_rel(pg_intro *in, unsigned oid)
{
	pg_rel key = { .oid = oid };
	return in->rels.n ? bsearch(&key, in->rels.items, in->rels.n, sizeof key, cmp_rel) : NULL;
}

/* The rows to come are schema k's. */
static void at_member(pg_intro *in, size_t k)
{
	in->s = in->members[k].s;
	in->schema = in->members[k].name;
}

/* The table a row belongs to (its oid in column 0). */
static pg_rel *row_rel(pg_intro *in, const PGresult *res, int row)
{
	unsigned oid = field_oid(res, row, 0);
	if (!in->cur || in->cur->oid != oid) {
		in->cur = find_rel(in, oid);
		if (in->cur)
			at_member(in, in->cur->member);
	}
	return in->cur;
}

/* Columns 6 and 7 of the table query: the schema's place among the names
 * asked for, and whether it exists; column 0 NULL: a schema without tables. */
static int on_table(pg_intro *in, const PGresult *res, int row)
{
	long k = strtol(PQgetvalue(res, row, 6), NULL, 10) - 1;
	if (k < 0 || (size_t)k >= in->n_members)
		return ROW_CHANGED;
	pg_member *m = &in->members[k];
	if (!field_true(res, row, 7))
		return 0;
	if (!m->s && !(m->s = dbs_schema_new(DBSYNC_DIALECT_POSTGRES)))
		return ROW_OOM;
	at_member(in, (size_t)k);
	if (PQgetisnull(res, row, 0))
		return 0;
	const char *name = PQgetvalue(res, row, 1);
	if (field_char(res, row, 2) == 'v') {
		/* pg_get_viewdef pads the SELECT with a space and ends it with ';' */
		const char *def = PQgetvalue(res, row, 5);
		size_t n = strlen(def);
		while (*def == ' ' || *def == '\n')
			def++, n--;
		while (n && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n'))
			n--;
		const char *copy = dbs_arena_strndup(&in->s->arena, def, n);
		return copy && dbs_schema_add_view(in->s, name, copy) ? 0 : ROW_OOM;
	}
	pg_rel r = { .oid = field_oid(res, row, 0), .natts = atoi(PQgetvalue(res, row, 3)), .member = (size_t)k };
	if (r.natts < 0)
		r.natts = 0;
	if (!(r.t = dbs_schema_add_table(in->s, name)) ||
	    !(r.by_attnum = dbs_arena_alloc(&in->tmp, ((size_t)r.natts + 1) * sizeof *r.by_attnum)))
		return ROW_OOM;
	if (!PQgetisnull(res, row, 4) && !(r.t->comment = field(in, res, row, 4)))
		return ROW_OOM;
	return DBS_VEC_PUSH(&in->tmp, &in->rels, r) ? ROW_OOM : 0;
}

/* Columns 11..18 of the column query: the sequence the column owns. */
static int owned_sequence(pg_intro *in, dbs_column *c, const PGresult *res, int row)
{
	if (!(c->sequence = field(in, res, row, 11)) || !(c->sequence_type = field(in, res, row, 12)))
		return ROW_OOM;
	if (!c->identity)
		return 0;
	dbs_pg_seq seq = {
		.start = strtoll(PQgetvalue(res, row, 13), NULL, 10),
		.increment = strtoll(PQgetvalue(res, row, 14), NULL, 10),
		.min = strtoll(PQgetvalue(res, row, 15), NULL, 10),
		.max = strtoll(PQgetvalue(res, row, 16), NULL, 10),
		.cache = strtoll(PQgetvalue(res, row, 17), NULL, 10),
		.cycle = field_true(res, row, 18),
	};
	bool oom = false;
	c->identity_options = dbs_pg_identity_canon(&in->s->arena, c->sequence_type, &seq, &oom);
	return oom ? ROW_OOM : 0;
}

static int on_column(pg_intro *in, const PGresult *res, int row)
{
	pg_rel *r = row_rel(in, res, row);
	int attnum = atoi(PQgetvalue(res, row, 1));
	if (!r || attnum < 1 || attnum > r->natts)
		return ROW_CHANGED;
	dbs_arena *a = &in->s->arena; /* the row's schema's, which row_rel chose */
	dbs_column *c = dbs_table_add_column(in->s, r->t, PQgetvalue(res, row, 2));
	if (!c)
		return ROW_OOM;
	r->by_attnum[attnum] = c->name;
	const char *type = unqualify(in, PQgetvalue(res, row, 3));
	if (!type || !(c->type = dbs_type_canon(a, DBSYNC_DIALECT_POSTGRES, type, strlen(type))))
		return ROW_OOM;
	c->not_null = field_true(res, row, 4);
	c->not_null_not_valid = field_true(res, row, 10);
	const char *dflt = field(in, res, row, 5);
	if (!dflt && !PQgetisnull(res, row, 5))
		return ROW_OOM;
	int ident = field_char(res, row, 6), gen = field_char(res, row, 7);
	const char *e = expr(in, dflt);
	if (dflt && !e)
		return ROW_OOM;
	if (gen == 's' || gen == 'v') {
		/* pg_attrdef holds the generation expression of a generated column */
		c->generated_expr = e;
		c->generated_stored = gen == 's';
	} else {
		c->default_expr = e;
	}
	c->identity = ident == 'a' ? "ALWAYS" : ident == 'd' ? "BY DEFAULT" : NULL;
	if (!PQgetisnull(res, row, 8) && !(c->collation = field(in, res, row, 8)))
		return ROW_OOM;
	if (!PQgetisnull(res, row, 9) && !(c->comment = field(in, res, row, 9)))
		return ROW_OOM;
	return PQgetisnull(res, row, 11) ? 0 : owned_sequence(in, c, res, row);
}

/* "{1,3}" (an int2[] as text) into names of r's columns. */
static int key_names(pg_intro *in, dbs_str_vec *v, const pg_rel *r, const char *text)
{
	const char *p = text;
	if (*p++ != '{')
		return ROW_CHANGED;
	while (*p && *p != '}') {
		char *end = NULL;
		long num = strtol(p, &end, 10);
		if (end == p || num < 1 || num > r->natts || !r->by_attnum[num])
			return ROW_CHANGED;
		if (DBS_VEC_PUSH(&in->s->arena, v, r->by_attnum[num]))
			return ROW_OOM;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* A JSON array of names into v. */
static int json_names(pg_intro *in, dbs_str_vec *v, const char *text)
{
	json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
	int rc = json_is_array(arr) ? 0 : ROW_CHANGED;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		const char *name = json_string_value(json_array_get(arr, i));
		const char *copy = name ? dbs_arena_strdup(&in->s->arena, name) : NULL;
		rc = copy ? DBS_VEC_PUSH(&in->s->arena, v, copy) : ROW_OOM;
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

/* An exclusion constraint: pg_get_constraintdef's text, read by the DDL
 * parser as "ALTER TABLE t ADD CONSTRAINT name <text>" so both sides of a
 * comparison come from one reader. */
static int exclusion(pg_intro *in, pg_rel *r, const PGresult *res, int row)
{
	const char *name = PQgetvalue(res, row, 1);
	dbs_buf sql = DBS_BUF_INIT;
	dbs_buf_puts(&sql, "ALTER TABLE ");
	dbs_quote_ident(&sql, DBSYNC_DIALECT_POSTGRES, r->t->name);
	dbs_buf_puts(&sql, " ADD CONSTRAINT ");
	dbs_quote_ident(&sql, DBSYNC_DIALECT_POSTGRES, name);
	dbs_buf_printf(&sql, " %s", unqualify(in, PQgetvalue(res, row, 14)));
	int rc = dbs_buf_ok(&sql) ? 0 : ROW_OOM;
	if (!rc && dbs_parse_into(in->s, in->ctx, sql.ptr, sql.len)) {
		char why[512];
		snprintf(why, sizeof why, "%s", dbsync_ctx_error(in->ctx)->message);
		dbs_error(in->ctx, DBSYNC_EDB, "cannot read exclusion constraint \"%s\" of table \"%s\" (%s): %s", name,
			r->t->name, PQgetvalue(res, row, 14), why);
		rc = ROW_UNREADABLE;
	}
	dbs_buf_free(&sql);
	if (rc || !r->t->constraints.n)
		return rc;
	dbs_constraint *k = r->t->constraints.items[r->t->constraints.n - 1];
	if (!PQgetisnull(res, row, 16) && !(k->comment = field(in, res, row, 16)))
		return ROW_OOM;
	return 0;
}

static int on_constraint(pg_intro *in, const PGresult *res, int row)
{
	pg_rel *r = row_rel(in, res, row);
	if (!r)
		return ROW_CHANGED;
	int type = field_char(res, row, 2), rc;
	dbs_con_kind kind = type == 'p' ? DBS_CON_PRIMARY : type == 'u' ? DBS_CON_UNIQUE
		: type == 'c' ? DBS_CON_CHECK : DBS_CON_FOREIGN;
	if (type == 'x')
		return exclusion(in, r, res, row);
	dbs_constraint *k = dbs_table_add_constraint(in->s, r->t, kind);
	if (!k || !(k->name = field(in, res, row, 1)))
		return ROW_OOM;
	if (!PQgetisnull(res, row, 16) && !(k->comment = field(in, res, row, 16)))
		return ROW_OOM;
	if (kind == DBS_CON_CHECK) {
		/* conkey lists the columns a CHECK mentions, which the model does not
		 * keep: whether it was written on a column is not in the catalog */
		const char *e = field(in, res, row, 4);
		k->no_inherit = field_true(res, row, 17);
		return e && (k->check_expr = expr(in, e)) ? 0 : ROW_OOM;
	}
	if ((rc = key_names(in, &k->cols, r, PQgetvalue(res, row, 3))))
		return rc;
	/* Django: UniqueConstraint(deferrable=..., nulls_distinct=False) */
	k->deferrable = field_true(res, row, 12);
	k->initially_deferred = field_true(res, row, 13);
	k->nulls_not_distinct = field_true(res, row, 15);
	if (kind != DBS_CON_FOREIGN)
		return 0;
	k->match_full = field_char(res, row, 18) == 'f';
	const char *ref = PQgetvalue(res, row, 6), *nsp = PQgetvalue(res, row, 7);
	/* named as the schema's own DDL names it: plainly where its search_path
	 * finds that very table (its own schema's, or a shared one further on
	 * the path: a django-tenants tenant's reference to public's auth_user,
	 * which Django's REFERENCES "auth_user" made), else with its schema */
	bool local = strcmp(nsp, in->schema) == 0 || (in->home && strcmp(nsp, in->home) == 0) ||
		field_true(res, row, 19);
	k->ref_table = local ? dbs_arena_strdup(&in->s->arena, ref)
		: dbs_arena_printf(&in->s->arena, "%s.%s", nsp, ref);
	if (!k->ref_table)
		return ROW_OOM;
	if (!PQgetisnull(res, row, 9)) {
		rc = json_names(in, &k->ref_cols, PQgetvalue(res, row, 9));
	} else {
		const pg_rel *target = find_rel(in, field_oid(res, row, 5));
		rc = target ? key_names(in, &k->ref_cols, target, PQgetvalue(res, row, 8)) : ROW_CHANGED;
	}
	if (rc)
		return rc;
	k->on_delete = fk_action(field_char(res, row, 10));
	k->on_update = fk_action(field_char(res, row, 11));
	return 0;
}

static const char *json_str(pg_intro *in, json_t *v)
{
	const char *s = json_string_value(v);
	return s ? dbs_arena_strdup(&in->s->arena, s) : NULL;
}

/* The name of column attnum (a JSON number) of r. */
static const char *part_column(const pg_rel *r, json_t *attnum)
{
	json_int_t num = json_integer_value(attnum);
	return num >= 1 && num <= r->natts ? r->by_attnum[num] : NULL;
}

static int index_parts(pg_intro *in, const pg_rel *r, dbs_index *ix, const char *text)
{
	json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
	int rc = json_is_array(arr) ? 0 : ROW_CHANGED;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i);
		json_t *ex = json_array_get(p, 1), *opc = json_array_get(p, 4), *coll = json_array_get(p, 5);
		if (json_is_true(json_array_get(p, 2))) {
			const char *name = part_column(r, json_array_get(p, 0));
			rc = !name ? ROW_CHANGED : DBS_VEC_PUSH(&in->s->arena, &ix->include, name) ? ROW_OOM : 0;
			continue;
		}
		dbs_index_part part = { 0 };
		if (json_is_string(ex)) {
			const char *raw = json_str(in, ex);
			rc = raw && (part.expr = expr(in, raw)) ? 0 : ROW_OOM;
		} else {
			rc = (part.column = part_column(r, json_array_get(p, 0))) ? 0 : ROW_CHANGED;
		}
		part.desc = json_is_true(json_array_get(p, 3));
		part.nulls_reversed = json_is_true(json_array_get(p, 6));
		if (!rc && json_is_string(opc) && !(part.opclass = json_str(in, opc)))
			rc = ROW_OOM;
		if (!rc && json_is_string(coll) && !(part.collation = json_str(in, coll)))
			rc = ROW_OOM;
		if (!rc && DBS_VEC_PUSH(&in->s->arena, &ix->parts, part))
			rc = ROW_OOM;
	}
	json_decref(arr);
	return rc;
}

/* reloptions, a JSON array of "name=value", into ix->options. */
static int storage_params(pg_intro *in, dbs_index *ix, const char *text)
{
	json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
	int rc = json_is_array(arr) ? 0 : ROW_CHANGED;
	dbs_buf b = DBS_BUF_INIT, key = DBS_BUF_INIT;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		const char *item = json_string_value(json_array_get(arr, i));
		const char *eq = item ? strchr(item, '=') : NULL;
		if (!eq) {
			rc = ROW_CHANGED;
			break;
		}
		dbs_buf_clear(&key);
		dbs_buf_put(&key, item, (size_t)(eq - item));
		dbs_put_option(&b, dbs_buf_cstr(&key), eq + 1);
	}
	if (!rc && b.len && !(dbs_buf_ok(&b) && dbs_buf_ok(&key) &&
	    (ix->options = dbs_arena_strdup(&in->s->arena, dbs_buf_cstr(&b)))))
		rc = ROW_OOM;
	dbs_buf_free(&b);
	dbs_buf_free(&key);
	json_decref(arr);
	return rc;
}

static int on_index(pg_intro *in, const PGresult *res, int row)
{
	pg_rel *r = row_rel(in, res, row);
	if (!r)
		return ROW_CHANGED;
	dbs_index *ix = dbs_table_add_index(in->s, r->t, PQgetvalue(res, row, 1));
	if (!ix)
		return ROW_OOM;
	ix->unique = field_true(res, row, 2);
	/* the model's NULL method is the dialect's default */
	if (strcmp(PQgetvalue(res, row, 3), "btree") != 0 && !(ix->method = field(in, res, row, 3)))
		return ROW_OOM;
	if (!PQgetisnull(res, row, 4) && !(ix->where_expr = expr(in, field(in, res, row, 4))))
		return ROW_OOM;
	if (!PQgetisnull(res, row, 5) && !(ix->comment = field(in, res, row, 5)))
		return ROW_OOM;
	int rc = PQgetisnull(res, row, 7) ? 0 : storage_params(in, ix, PQgetvalue(res, row, 7));
	if (rc)
		return rc;
	ix->nulls_not_distinct = field_true(res, row, 8);
	return PQgetisnull(res, row, 6) ? 0 : index_parts(in, r, ix, PQgetvalue(res, row, 6));
}

static int on_trigger(pg_intro *in, const PGresult *res, int row)
{
	pg_rel *r = row_rel(in, res, row);
	if (!r)
		return ROW_CHANGED;
	return dbs_table_add_trigger(in->s, r->t, PQgetvalue(res, row, 1), PQgetvalue(res, row, 2)) ? 0 : ROW_OOM;
}

/* PostgreSQL 18: the column's NOT NULL constraint is NOT VALID */
static const char q_notnull_not_valid[] =
	"EXISTS (SELECT FROM pg_catalog.pg_constraint nn WHERE nn.conrelid = a.attrelid "
	"AND nn.contype = 'n' AND nn.conkey[1] = a.attnum AND NOT nn.convalidated)";

/* The catalog queries, in the order they are read, for this server. */
typedef struct catalog_queries {
	char cols[sizeof q_columns + sizeof q_notnull_not_valid + 32], cons[sizeof q_constraints + 160],
		idx[sizeof q_indexes + 64];
	const char *sql[DBS_PG_CATALOG_QUERIES];
} catalog_queries;

static const char *const query_what[DBS_PG_CATALOG_QUERIES] = { "tables", "columns", "constraints", "indexes",
	"triggers" };
static const row_fn query_fn[DBS_PG_CATALOG_QUERIES] = { on_table, on_column, on_constraint, on_index, on_trigger };

static void catalog_queries_for(catalog_queries *q, int server_num)
{
	snprintf(q->cols, sizeof q->cols, q_columns, server_num >= 120000 ? "a.attgenerated" : "''::\"char\"",
		server_num >= 180000 ? q_notnull_not_valid : "false");
	bool nnd = server_num >= 150000;
	snprintf(q->cons, sizeof q->cons, q_constraints, nnd ? "CASE WHEN co.contype = 'u' THEN (SELECT "
		"ci.indnullsnotdistinct FROM pg_catalog.pg_index ci WHERE ci.indexrelid = co.conindid) END" : "false");
	snprintf(q->idx, sizeof q->idx, q_indexes, server_num >= 110000 ? "i.indnkeyatts" : "i.indnatts",
		nnd ? "i.indnullsnotdistinct" : "false");
	q->sql[0] = q_tables;
	q->sql[1] = q->cols;
	q->sql[2] = q->cons;
	q->sql[3] = q->idx;
	q->sql[4] = q_triggers;
}

/* Rels are found by oid from the second query on. */
static void after_query(pg_intro *in, int k)
{
	if (k == 0 && in->rels.n)
		qsort(in->rels.items, in->rels.n, sizeof *in->rels.items, cmp_rel);
}

/* $2 ... $3 of AT(). OR: either order of evaluation is right, the one
 * written only saves the set_config. */
#define AT_OPEN "(CASE WHEN pg_catalog.current_setting('search_path') = m.path OR " \
	"pg_catalog.set_config('search_path', m.path, true) IS NOT NULL THEN "
#define AT_CLOSE " END)"

int dbs_pg_catalog_script(dbs_buf *b, int server_num, const char *names_sql, const char *base_path)
{
	catalog_queries q;
	dbs_buf tail = DBS_BUF_INIT, lit = DBS_BUF_INIT;
	catalog_queries_for(&q, server_num);
	if (base_path && *base_path)
		dbs_buf_printf(&tail, ", %s", base_path);
	dbs_quote_literal(&lit, DBSYNC_DIALECT_POSTGRES, dbs_buf_cstr(&tail));
	for (int k = 0; k < DBS_PG_CATALOG_QUERIES; k++) {
		/* $1..$4, the only parameters, are never followed by a digit in these texts */
		for (const char *p = q.sql[k]; *p; p++) {
			if (p[0] == '$' && p[1] >= '1' && p[1] <= '4') {
				dbs_buf_puts(b, p[1] == '1' ? names_sql : p[1] == '4' ? dbs_buf_cstr(&lit)
					: p[1] == '2' ? (base_path ? AT_OPEN : "(") : (base_path ? AT_CLOSE : ")"));
				p++;
			} else {
				dbs_buf_putc(b, *p);
			}
		}
		dbs_buf_puts(b, ";\n");
	}
	if (!dbs_buf_ok(&tail) || !dbs_buf_ok(&lit))
		b->oom = true;
	dbs_buf_free(&tail);
	dbs_buf_free(&lit);
	return dbs_buf_ok(b) ? 0 : -1;
}

/* The models of names[0..n) from the results of the catalog queries:
 * outs[i] NULL where names[i] does not exist. */
static int read_many(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn, const char *const *names,
	size_t n, const char *shadow_of, PGresult *const *res)
{
	pg_intro in = { .ctx = ctx, .conn = conn, .home = shadow_of, .shadow = shadow_of != NULL,
		.n_members = n, .schema = n ? names[0] : "" };
	int rc = 0;
	dbs_arena_init(&in.tmp);
	if (!(in.members = calloc(n + 1, sizeof *in.members)))
		return dbs_error_oom(ctx);
	for (size_t i = 0; i < n; i++)
		in.members[i].name = names[i];
	for (int k = 0; !rc && k < DBS_PG_CATALOG_QUERIES; k++) {
		rc = consume(&in, res[k], query_what[k], query_fn[k]);
		after_query(&in, k);
	}
	for (size_t i = 0; !rc && i < n; i++)
		if (in.members[i].s)
			rc = dbs_schema_normalize(in.members[i].s, ctx);
	for (size_t i = 0; i < n; i++) {
		outs[i] = rc ? NULL : in.members[i].s;
		if (rc)
			dbsync_schema_free(in.members[i].s);
	}
	free(in.members);
	dbs_arena_free(&in.tmp);
	return rc;
}

int dbs_pg_read_results(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, const char *nspname,
	const char *shadow_of, PGresult *const *res)
{
	int rc = read_many(out, ctx, conn, &nspname, 1, shadow_of, res);
	if (!rc && !*out)
		rc = dbs_error(ctx, DBSYNC_EDB, "schema \"%s\" was gone when its catalog was read on %s", nspname,
			conn->describe);
	return rc;
}

/* The names as a name[] literal. A name longer than the server keeps
 * (NAMEDATALEN - 1 bytes) cannot exist: NULL, which matches no schema,
 * rather than its truncation, which might. */
static void put_names(dbs_buf *b, const char *const *names, size_t n)
{
	dbs_buf_puts(b, "ARRAY[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			dbs_buf_putc(b, ',');
		if (strlen(names[i]) > 63)
			dbs_buf_puts(b, "NULL");
		else
			dbs_quote_literal(b, DBSYNC_DIALECT_POSTGRES, names[i]);
	}
	dbs_buf_puts(b, "]::pg_catalog.name[]");
}

/* Inside the caller's transaction the per-schema paths (SET LOCAL) would
 * outlive the read: the path it had is kept aside and put back; so is jit
 * (JIT_OFF), from PostgreSQL 11 on, where it exists. */
#define SAVE_PATH "SELECT pg_catalog.set_config('dbsync.saved_search_path', " \
	"pg_catalog.current_setting('search_path'), true)"
#define SAVE_JIT ", pg_catalog.set_config('dbsync.saved_jit', pg_catalog.current_setting('jit'), true), " \
	"pg_catalog.set_config('jit', 'off', true)"
#define RESTORE_PATH "SELECT pg_catalog.set_config('search_path', " \
	"pg_catalog.current_setting('dbsync.saved_search_path'), true)"
#define RESTORE_JIT ", pg_catalog.set_config('jit', pg_catalog.current_setting('dbsync.saved_jit'), true)"
/* A fleet's catalog queries cost enough for the planner to compile them
 * (jit_above_cost), and with LLVM that compiling is most of what the server
 * spends on them (1000 schemas x 50 tables: 6.4 s of CPU with it, 4.8 s
 * without); the rows are the same either way. */
#define JIT_OFF "SET LOCAL jit = off;\n"

int dbs_pg_introspect_many(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *names, size_t n)
{
	dbs_pg_conn *pc = conn->impl;
	dbs_buf sql = DBS_BUF_INIT, list = DBS_BUF_INIT;
	enum { MAX_RESULTS = DBS_PG_CATALOG_QUERIES + 2 };
	PGresult *res[MAX_RESULTS] = { 0 }, *failed = NULL, *r;
	int n_rows = 0, rc = 0;
	for (size_t i = 0; i < n; i++)
		outs[i] = NULL;
	/* one snapshot for all the queries, so a concurrent change cannot show
	 * a column of a table the table query did not see; and one round trip */
	bool own_txn = PQtransactionStatus(pc->pg) == PQTRANS_IDLE;
	int first = own_txn ? 0 : 1;
	/* the rows of a fleet's columns are sorted (by table): in memory, not on
	 * disk, where the server's default (4MB) would put those of a thousand
	 * schemas; for this transaction only */
	bool jit = pc->server_num >= 110000;
	if (own_txn)
		dbs_buf_printf(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
			"SET LOCAL work_mem = '64MB';\n%s", jit ? JIT_OFF : "");
	else
		dbs_buf_printf(&sql, "%s%s;\n", SAVE_PATH, jit ? SAVE_JIT : "");
	put_names(&list, names, n);
	if (!dbs_buf_ok(&list) || dbs_pg_catalog_script(&sql, pc->server_num, dbs_buf_cstr(&list),
		pc->base_path ? pc->base_path : ""))
		sql.oom = true;
	if (own_txn)
		dbs_buf_puts(&sql, "COMMIT;\n");
	else
		dbs_buf_printf(&sql, "%s%s;\n", RESTORE_PATH, jit ? RESTORE_JIT : "");
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	conn->catalog_queries++;
	if (!PQsendQuery(pc->pg, dbs_buf_cstr(&sql))) {
		rc = dbs_pg_error(ctx, conn, NULL, "reading the PostgreSQL catalog failed");
		goto cleanup;
	}
	while ((r = PQgetResult(pc->pg))) {
		ExecStatusType st = PQresultStatus(r);
		if (!failed && st == PGRES_TUPLES_OK && n_rows < MAX_RESULTS)
			res[n_rows++] = r;
		else if (!failed && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			failed = r;
		else
			PQclear(r);
	}
	if (failed) {
		char msg[128];
		int k = n_rows - first;
		snprintf(msg, sizeof msg, "reading the PostgreSQL catalog (%s) failed",
			query_what[k < 0 ? 0 : k < DBS_PG_CATALOG_QUERIES ? k : DBS_PG_CATALOG_QUERIES - 1]);
		rc = dbs_pg_error(ctx, conn, failed, msg);
		if (own_txn && PQtransactionStatus(pc->pg) == PQTRANS_INERROR) {
			conn->catalog_queries++;
			PQclear(PQexec(pc->pg, "ROLLBACK"));
		}
		goto cleanup;
	}
	if (n_rows != DBS_PG_CATALOG_QUERIES + 2 * first) {
		rc = dbs_error(ctx, DBSYNC_EDB, "reading the PostgreSQL catalog of %s returned %d results, not %d",
			conn->describe, n_rows, DBS_PG_CATALOG_QUERIES + 2 * first);
		goto cleanup;
	}
	rc = read_many(outs, ctx, conn, names, n, NULL, res + first);
cleanup:
	for (int k = 0; k < MAX_RESULTS; k++)
		PQclear(res[k]);
	PQclear(failed);
	dbs_buf_free(&sql);
	dbs_buf_free(&list);
	return rc;
}

/* The single schema's read is the fleet's read of one name: the two cannot
 * differ. */
int dbs_pg_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	const char *name = pc->schema;
	int rc = dbs_pg_introspect_many(out, ctx, conn, &name, 1);
	if (!rc && !*out)
		rc = dbs_error(ctx, DBSYNC_EINVALID, "schema \"%s\" does not exist in %s", name, conn->describe);
	return rc;
}
