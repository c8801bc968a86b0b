/*
 * Reading a MySQL/MariaDB catalog from information_schema in a fixed number
 * of queries for the whole database: tables (with views), columns, index
 * parts, foreign keys, CHECK constraints. Rows of one kind come grouped by
 * table and are walked once.
 *
 * Choices that make MySQL 8 and MariaDB yield the same model:
 *  - types: COLUMN_TYPE lower-cased, integer display widths dropped
 *    ("int(11)" -> "int", "int(10) unsigned" -> "int unsigned"; MySQL 8.0.19+
 *    no longer shows them and they mean nothing without ZEROFILL), except
 *    tinyint(1), which both servers keep and Django's BooleanField is;
 *  - JSON: MariaDB stores it as longtext utf8mb4_bin plus a column CHECK
 *    json_valid(`col`) named after the column; that shape reads as type
 *    "json" with no collation and no such CHECK, as on MySQL;
 *  - defaults: MariaDB (10.2.7+) quotes string literals and says NULL for a
 *    null default, MySQL 8 gives the bare value and flags expressions with
 *    DEFAULT_GENERATED; both end as canonical expressions, strings quoted,
 *    no default_expr for NULL; current_timestamp() reads as CURRENT_TIMESTAMP;
 *  - a column's collation is kept only where it differs from its table's,
 *    whose own default charset and collation the table carries;
 *  - a unique index over whole columns (no prefix, no expression, ascending)
 *    is a UNIQUE constraint, since MySQL has no other kind; one named after
 *    its only column is marked inline (how MySQL names an inline UNIQUE).
 *    Primary keys come from the PRIMARY index;
 *  - foreign key actions RESTRICT and NO ACTION both read as NULL.
 *
 * Left for the MySQL normalizer of the desired side (parse.h), which must
 * make the same choices: integer -> int, numeric -> decimal, bool ->
 * tinyint(1), double precision -> double, DEFAULT NULL -> none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend_mysql.h"
#include "ctx.h"
#include "dialect.h"
#include "parse.h"

/* Every query reads the databases of a fleet at once: {DB} below stands
 * for the filter on the database's name (= one literal, or IN a list), and
 * the database is each row's first column. The filter names the databases
 * as literals, never DATABASE(): the connection may not be in them (a fleet,
 * the shadow, a lazy use_namespace). */
/* The tables and views; each view's definition as a row of its own after
 * it (a join with VIEWS would have the server read the views of every
 * database: 0.6 s on a server of 15,000 tables); and one row per database
 * that exists (SCHEMATA, no table name, sorted first), so a database without
 * tables is told from a missing one in the same round trip. */
static const char q_tables[] =
	"SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.TABLE_COMMENT, t.TABLE_COLLATION, NULL, "
	"co.CHARACTER_SET_NAME "
	"FROM information_schema.TABLES t "
	"LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = t.TABLE_COLLATION "
	"WHERE t.TABLE_SCHEMA {DB} "
	"AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW') "
	"UNION ALL SELECT TABLE_SCHEMA, TABLE_NAME, 'VIEW DEFINITION', NULL, NULL, VIEW_DEFINITION, NULL "
	"FROM information_schema.VIEWS WHERE TABLE_SCHEMA {DB} "
	"UNION ALL SELECT SCHEMA_NAME, NULL, NULL, NULL, NULL, NULL, NULL "
	"FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {DB} "
	"ORDER BY 1, 2, 3";
/* {ARG}: GENERATION_EXPRESSION, or NULL before MySQL 5.7 / MariaDB 10.2 */
static const char q_columns[] =
	"SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
	"{ARG}, COLLATION_NAME, COLUMN_COMMENT "
	"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA {DB} "
	"ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION";
/* {ARG}: EXPRESSION (functional index parts, MySQL 8.0.13+), or NULL */
static const char q_indexes[] =
	"SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION, "
	"INDEX_TYPE, INDEX_COMMENT, {ARG} "
	"FROM information_schema.STATISTICS WHERE TABLE_SCHEMA {DB} "
	"ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";
/* Rule rows (position 0) and column rows of each foreign key in one result:
 * joining the two views makes MariaDB compare every pair (seconds at
 * thousands of tables), a UNION reads each once. */
static const char q_fkeys[] =
	"SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, REFERENCED_TABLE_NAME, "
	"REFERENCED_COLUMN_NAME, NULL, NULL "
	"FROM information_schema.KEY_COLUMN_USAGE "
	"WHERE TABLE_SCHEMA {DB} AND REFERENCED_TABLE_NAME IS NOT NULL "
	"UNION ALL "
	"SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, 0, NULL, REFERENCED_TABLE_NAME, NULL, UPDATE_RULE, "
	"DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA {DB} "
	"ORDER BY 1, 2, 3, 4";
/* Triggers no model declares (unmanaged, docs/unmanaged.md): listed, never
 * changed. Rows show only for what the user may see (TRIGGER privilege). */
static const char q_triggers[] =
	"SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, CONCAT(ACTION_TIMING, ' ', EVENT_MANIPULATION) "
	"FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA {DB} "
	"ORDER BY EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME";
/* MariaDB names CHECKs per table and says whether one was written on a
 * column (LEVEL, 10.5.10+); MySQL names them per schema and keeps the table
 * in TABLE_CONSTRAINTS. */
/* MariaDB shows CHECK_CONSTRAINTS rows only to a user with a privilege on
 * the whole database (the scratch database's CREATE is enough) or SELECT on
 * every database: with table-level grants alone the view is empty, and a table's CHECKs would look absent and be planned again.
 * The second part of the query returns one row without a table name for each
 * database on which the user has such a grant (SCHEMA_PRIVILEGES holds the
 * grant's database pattern, which LIKE matches as the server does), in the
 * same round trip. {ARG}: LEVEL or NULL. */
static const char q_checks_mariadb[] =
	"SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, {ARG} "
	"FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA {DB} "
	"UNION ALL SELECT s.SCHEMA_NAME, NULL, NULL, NULL, NULL FROM information_schema.SCHEMATA s "
	"WHERE s.SCHEMA_NAME {DB} AND (EXISTS (SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES p "
	"WHERE s.SCHEMA_NAME LIKE p.TABLE_SCHEMA) "
	"OR EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'SELECT')) "
	"ORDER BY 1, 2, 3";
static const char q_checks_mysql[] =
	"SELECT tc.CONSTRAINT_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, NULL "
	"FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc "
	"ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME "
	"WHERE tc.CONSTRAINT_SCHEMA {DB} AND tc.CONSTRAINT_TYPE = 'CHECK' "
	"ORDER BY tc.CONSTRAINT_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME";

/* One database's read. */
typedef struct my_intro {
	dbsync_schema *s;
	const char *dbname;
	bool exists;                    /* SCHEMATA showed it */
	const dbs_my_conn *mc;
	dbs_table *cur;
	dbs_index *cur_index;
	dbs_constraint *cur_con;
	bool checks_shown;              /* MariaDB: the user may see CHECK_CONSTRAINTS */
	/* tables with a foreign key whose rule row was not shown (see
	 * backend_mysql_fk_actions.c), each once */
	DBS_VEC(dbs_table *) rules_hidden;
} my_intro;

typedef int (*row_fn)(my_intro *in, MYSQL_ROW row, const unsigned long *len);

bool dbs_my_has_checks(const dbs_my_conn *mc)
{
	return mc->mariadb ? mc->version >= 100222 : mc->version >= 80016;
}

/* Column i as an arena string, or NULL for SQL NULL. */
static const char *col(my_intro *in, MYSQL_ROW row, const unsigned long *len, int i)
{
	return row[i] ? dbs_arena_strndup(&in->s->arena, row[i], len[i]) : NULL;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* The databases read at once, each its own my_intro; `order` sorts them by
 * name for the lookup of each row's database. */
typedef struct my_many {
	my_intro *dbs;
	size_t n;
	my_intro **order;
	bool fold;                      /* lower_case_table_names 1 or 2: names compare ignoring ASCII case */
	my_intro *last;                 /* the database of the previous row */
} my_many;

static int name_cmp(const my_many *m, const char *a, const char *b)
{
	return m->fold ? strcasecmp(a, b) : strcmp(a, b);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(my_intro *const *)a)->dbname, (*(my_intro *const *)b)->dbname);
}

static int by_name_folded(const void *a, const void *b)
{
	return strcasecmp((*(my_intro *const *)a)->dbname, (*(my_intro *const *)b)->dbname);
}

/* A query's text: {DB} replaced by the filter, {ARG} by arg. */
static void expand(dbs_buf *b, const char *tmpl, const char *filter, const char *arg)
{
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{DB}", 4) == 0) {
			dbs_buf_puts(b, filter);
			p += 4;
		} else if (strncmp(p, "{ARG}", 5) == 0) {
			dbs_buf_puts(b, arg);
			p += 5;
		} else {
			size_t n = strcspn(p + 1, "{") + 1;
			dbs_buf_put(b, p, n);
			p += n;
		}
	}
}

/* The database a row belongs to (column 0), matched as the server matches
 * database names: the catalog's case-insensitive filter may return rows of
 * "Foo" for "foo" under lower_case_table_names=0, which belong to no one. */
static my_intro *row_db(my_many *m, const char *name)
{
	if (!name)
		return NULL;
	if (m->last && name_cmp(m, m->last->dbname, name) == 0)
		return m->last;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(m, m->order[mid]->dbname, name);
		if (c == 0)
			return m->last = m->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Run one catalog query (its text built from `fmt` with the database filter
 * and `arg`), handing each row, without its database column, to fn with the
 * row's database. */
static int run_query(dbsync_ctx *ctx, dbsync_conn *conn, my_many *m, const char *fmt, const char *filter,
	const char *arg, row_fn fn)
{
	MYSQL *db = dbs_my_db(conn);
	dbs_buf sql = DBS_BUF_INIT;
	int rc = 0;
	expand(&sql, fmt, filter, arg ? arg : "NULL");
	if (!dbs_buf_ok(&sql)) {
		dbs_buf_free(&sql);
		return dbs_error_oom(ctx);
	}
	conn->catalog_queries++;
	for (size_t i = 0; i < m->n; i++) {
		m->dbs[i].cur = NULL;
		m->dbs[i].cur_index = NULL;
		m->dbs[i].cur_con = NULL;
	}
	m->last = NULL;
	int qrc = mysql_real_query(db, sql.ptr, sql.len);
	dbs_buf_free(&sql);
	if (qrc)
		return dbs_my_error(ctx, conn, "reading the MySQL catalog failed");
	/* streamed, so a catalog of thousands of tables is never held twice */
	MYSQL_RES *res = mysql_use_result(db);
	if (!res)
		return dbs_my_error(ctx, conn, "reading the MySQL catalog failed");
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res))) {
		my_intro *in = rc ? NULL : row_db(m, row[0]);
		if (in && in->s && fn(in, row + 1, mysql_fetch_lengths(res) + 1))
			rc = dbs_error_oom(ctx); /* keep fetching: the rows must be drained */
	}
	if (!rc && mysql_errno(db))
		rc = dbs_my_error(ctx, conn, "reading the MySQL catalog failed");
	mysql_free_result(res);
	return rc;
}

/* The table a row belongs to (column 0), matched exactly: under
 * lower_case_table_names=0 "Foo" and "foo" are two tables, and the catalog's
 * case-insensitive ORDER BY may interleave their rows. */
static dbs_table *row_table(my_intro *in, MYSQL_ROW row)
{
	const char *name = row[0];
	if (!name)
		return NULL;
	if (in->cur && strcmp(in->cur->name, name) == 0)
		return in->cur;
	in->cur = NULL;
	in->cur_index = NULL;
	in->cur_con = NULL;
	dbs_table *t = dbs_schema_find_table(in->s, name);
	if (t && strcmp(t->name, name) == 0) {
		in->cur = t;
	} else {
		for (size_t i = 0; i < in->s->tables.n && !in->cur; i++)
			if (strcmp(in->s->tables.items[i]->name, name) == 0)
				in->cur = in->s->tables.items[i];
	}
	return in->cur;
}

static int on_table(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	if (!row[0]) {
		in->exists = true; /* the database's SCHEMATA row */
		return 0;
	}
	if (row[1] && strcmp(row[1], "VIEW DEFINITION") == 0) {
		/* after its view's row (ORDER BY ..., TABLE_TYPE), usually right
		 * after it; "V" and "v" may interleave (lower_case_table_names=0) */
		for (size_t i = in->s->views.n; i-- > 0 && row[4];) {
			dbs_view *v = in->s->views.items[i];
			if (strcmp(v->name, row[0]) == 0)
				return (v->definition = col(in, row, len, 4)) ? 0 : -1;
		}
		return 0;
	}
	const char *name = col(in, row, len, 0);
	if (!name)
		return -1;
	if (row[1] && strcmp(row[1], "VIEW") == 0)
		return dbs_schema_add_view(in->s, name, "") ? 0 : -1;
	dbs_table *t = dbs_schema_add_table(in->s, name);
	if (!t)
		return -1;
	if (!empty(row[2]) && !(t->comment = col(in, row, len, 2)))
		return -1;
	if ((row[3] && !(t->collation = col(in, row, len, 3))) || (row[5] && !(t->charset = col(in, row, len, 5))))
		return -1;
	return 0;
}

static bool is_int_type(const char *dt)
{
	static const char *const ints[] = { "tinyint", "smallint", "mediumint", "int", "bigint", "year" };
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if (strcmp(dt, ints[i]) == 0)
			return true;
	return false;
}

static bool is_numeric_type(const char *dt)
{
	return is_int_type(dt) || strcmp(dt, "decimal") == 0 || strcmp(dt, "float") == 0 ||
		strcmp(dt, "double") == 0 || strcmp(dt, "bit") == 0 || strcmp(dt, "bool") == 0;
}

/* COLUMN_TYPE is server-generated ("int(10) unsigned zerofill"): the data
 * type, an optional "(digits)", then attributes. The width goes unless it
 * is tinyint(1) or ZEROFILL gives it meaning. */
const char *dbs_my_column_type(dbs_arena *a, const char *column_type, const char *data_type)
{
	const char *ct = dbs_type_canon(a, DBSYNC_DIALECT_MYSQL, column_type, strlen(column_type));
	if (!ct || !data_type || !is_int_type(data_type) || strstr(ct, "zerofill"))
		return ct;
	size_t dl = strlen(data_type);
	if (strncmp(ct, data_type, dl) != 0 || ct[dl] != '(')
		return ct;
	const char *close = strchr(ct + dl, ')');
	if (!close)
		return ct;
	if (strcmp(data_type, "tinyint") == 0 && close == ct + dl + 2 && ct[dl + 1] == '1')
		return ct;
	return dbs_arena_printf(a, "%.*s%s", (int)dl, ct, close + 1);
}

static const char *canon_expr(dbs_arena *a, const char *text)
{
	if (!text)
		return NULL;
	const char *e = dbs_expr_canon(a, DBSYNC_DIALECT_MYSQL, text, strlen(text));
	/* MariaDB writes current_timestamp(), MySQL CURRENT_TIMESTAMP: one value */
	if (e && strcasecmp(e, "CURRENT_TIMESTAMP()") == 0)
		return "CURRENT_TIMESTAMP";
	return e ? e : dbs_arena_strdup(a, text); /* not SQL tokens: keep as read */
}

static bool looks_numeric(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	bool digit = false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s != '.' && *s != 'e' && *s != 'E' && *s != '-' && *s != '+')
			return false;
	}
	return digit;
}

/* Whether MySQL's bare COLUMN_DEFAULT is SQL already rather than a string's
 * value: an expression (DEFAULT_GENERATED, 8.0.13+; CURRENT_TIMESTAMP before
 * that), a number in a numeric column, a b'..' bit value. */
static bool mysql_bare_sql(const char *dflt, const char *data_type, const char *extra)
{
	if (strstr(extra ? extra : "", "DEFAULT_GENERATED"))
		return true;
	if (!data_type)
		return false;
	if (is_numeric_type(data_type) && looks_numeric(dflt))
		return true;
	if (strcmp(data_type, "bit") == 0 && (dflt[0] == 'b' || dflt[0] == 'B') && dflt[1] == '\'')
		return true;
	return (strcmp(data_type, "timestamp") == 0 || strcmp(data_type, "datetime") == 0) &&
		strncasecmp(dflt, "current_timestamp", strlen("current_timestamp")) == 0;
}

const char *dbs_my_column_default(dbs_arena *a, bool mariadb_quoting, const char *dflt,
	const char *data_type, const char *extra, bool *oom)
{
	*oom = false;
	if (!dflt)
		return NULL;
	const char *text = dflt;
	if (mariadb_quoting) {
		if (strcmp(dflt, "NULL") == 0)
			return NULL;
	} else if (!mysql_bare_sql(dflt, data_type, extra)) {
		/* MySQL's bare literal: quote it back into SQL */
		dbs_buf b = DBS_BUF_INIT;
		dbs_quote_literal(&b, DBSYNC_DIALECT_MYSQL, dflt);
		text = dbs_buf_ok(&b) ? dbs_arena_strdup(a, dbs_buf_cstr(&b)) : NULL;
		dbs_buf_free(&b);
		if (!text) {
			*oom = true;
			return NULL;
		}
	}
	const char *e = canon_expr(a, text);
	*oom = e == NULL;
	return e;
}

/* EXTRA is a space-separated word list the server writes:
 * "auto_increment", "on update current_timestamp(6)", "STORED GENERATED",
 * "DEFAULT_GENERATED on update CURRENT_TIMESTAMP". */
static int apply_extra(my_intro *in, dbs_column *c, const char *extra)
{
	if (empty(extra))
		return 0;
	const char *p;
	if (strstr(extra, "auto_increment"))
		c->autoincrement = true;
	if (strstr(extra, "STORED GENERATED"))
		c->generated_stored = true;
	if ((p = strstr(extra, "on update ")) != NULL) {
		p += strlen("on update ");
		size_t n = strcspn(p, " ");
		const char *e = dbs_arena_strndup(&in->s->arena, p, n);
		if (!e || !(c->on_update_expr = canon_expr(&in->s->arena, e)))
			return -1;
	}
	return 0;
}

static int on_column(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	dbs_table *t = row_table(in, row);
	if (!t)
		return 0; /* a view's columns */
	dbs_arena *a = &in->s->arena;
	dbs_column *c = dbs_table_add_column(in->s, t, row[1] ? row[1] : "");
	if (!c)
		return -1;
	if (row[2] && !(c->type = dbs_my_column_type(a, row[2], row[3])))
		return -1;
	c->not_null = row[4] && strcmp(row[4], "NO") == 0;
	if (apply_extra(in, c, row[6]))
		return -1;
	if (!empty(row[7])) {
		if (!(c->generated_expr = canon_expr(a, col(in, row, len, 7))))
			return -1;
	} else {
		bool oom;
		bool mariadb_quoting = in->mc->mariadb && in->mc->version >= 100207;
		c->default_expr = dbs_my_column_default(a, mariadb_quoting, row[5], row[3], row[6], &oom);
		if (oom)
			return -1;
	}
	/* compared with the table's at the end */
	if (row[8] && !(c->collation = col(in, row, len, 8)))
		return -1;
	if (!empty(row[9]) && !(c->comment = col(in, row, len, 9)))
		return -1;
	return 0;
}

static dbs_index *find_index(dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (strcmp(t->indexes.items[i]->name, name) == 0)
			return t->indexes.items[i];
	return NULL;
}

static int on_index(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	dbs_table *t = row_table(in, row);
	if (!t || !row[1])
		return 0;
	dbs_arena *a = &in->s->arena;
	dbs_index *ix = in->cur_index;
	if (!ix || strcmp(ix->name, row[1]) != 0) {
		if (!(ix = find_index(t, row[1]))) {
			if (!(ix = dbs_table_add_index(in->s, t, row[1])))
				return -1;
			ix->unique = row[2] && strcmp(row[2], "0") == 0;
			const char *type = row[7];
			if (type && strcasecmp(type, "BTREE") != 0) {
				char *m = dbs_arena_strdup(a, type);
				if (!m)
					return -1;
				for (char *p = m; *p; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p = (char)(*p + 32);
				ix->method = m;
			}
			if (!empty(row[8]) && !(ix->comment = col(in, row, len, 8)))
				return -1;
		}
		in->cur_index = ix;
	}
	dbs_index_part part;
	memset(&part, 0, sizeof part);
	if (row[4]) {
		if (!(part.column = col(in, row, len, 4)))
			return -1;
	} else if (row[9] && !(part.expr = canon_expr(a, col(in, row, len, 9)))) {
		return -1;
	}
	/* MariaDB reports a SPATIAL key's part as a 32-byte prefix no one can write */
	part.prefix_len = row[5] && !(ix->method && strcmp(ix->method, "spatial") == 0) ? atoi(row[5]) : 0;
	part.desc = row[6] && strcmp(row[6], "D") == 0;
	return DBS_VEC_PUSH(a, &ix->parts, part);
}

/* InnoDB checks RESTRICT and NO ACTION alike, at once (it has no deferred
 * checks), and MariaDB reports an unspecified action as RESTRICT: both are
 * the model's NULL, whichever was written. */
static bool no_action(const char *rule)
{
	return !rule || strcmp(rule, "NO ACTION") == 0 || strcmp(rule, "RESTRICT") == 0;
}

static const char *fk_action(my_intro *in, MYSQL_ROW row, const unsigned long *len, int i)
{
	return no_action(row[i]) ? NULL : col(in, row, len, i);
}

static int on_fkey(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	dbs_table *t = row_table(in, row);
	if (!t || !row[1] || !row[2])
		return 0;
	dbs_arena *a = &in->s->arena;
	dbs_constraint *k = in->cur_con;
	if (!k || strcmp(k->name, row[1]) != 0) {
		k = NULL;
		for (size_t i = 0; i < t->constraints.n && !k; i++) {
			dbs_constraint *c = t->constraints.items[i];
			if (c->kind == DBS_CON_FOREIGN && strcmp(c->name, row[1]) == 0)
				k = c;
		}
		if (!k && (!(k = dbs_table_add_constraint(in->s, t, DBS_CON_FOREIGN)) ||
		           !(k->name = col(in, row, len, 1)) || !(k->ref_table = col(in, row, len, 4))))
			return -1;
		/* the rule row sorts first (position 0): a key first met on a
		 * column row came without its actions */
		bool hidden = strcmp(row[2], "0") != 0;
		if (hidden && (!in->rules_hidden.n || in->rules_hidden.items[in->rules_hidden.n - 1] != t) &&
		    DBS_VEC_PUSH(a, &in->rules_hidden, t))
			return -1;
		in->cur_con = k;
	}
	if (strcmp(row[2], "0") == 0) {
		k->on_update = fk_action(in, row, len, 6);
		k->on_delete = fk_action(in, row, len, 7);
		if ((!k->on_update && !no_action(row[6])) || (!k->on_delete && !no_action(row[7])))
			return -1; /* out of memory */
		return 0;
	}
	const char *c = col(in, row, len, 3), *rc = col(in, row, len, 5);
	if (!c || !rc || DBS_VEC_PUSH(a, &k->cols, c) || DBS_VEC_PUSH(a, &k->ref_cols, rc))
		return -1;
	return 0;
}

/* The one column of `t` that `clause` names (as `col`), or NULL when it names
 * none or several. */
static dbs_column *column_of_clause(dbs_table *t, const char *clause)
{
	dbs_column *found = NULL;
	dbs_buf q = DBS_BUF_INIT;
	for (size_t i = 0; i < t->columns.n; i++) {
		dbs_buf_clear(&q);
		dbs_quote_ident(&q, DBSYNC_DIALECT_MYSQL, t->columns.items[i]->name);
		if (!dbs_buf_ok(&q) || !strstr(clause, dbs_buf_cstr(&q)))
			continue;
		if (found) {
			found = NULL;
			break;
		}
		found = t->columns.items[i];
	}
	dbs_buf_free(&q);
	return found;
}

static int on_check(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	if (!row[0] && !row[1]) {
		in->checks_shown = true; /* see q_checks_mariadb */
		return 0;
	}
	dbs_table *t = row_table(in, row);
	if (!t || !row[1] || !row[2])
		return 0;
	dbs_arena *a = &in->s->arena;
	dbs_constraint *k = dbs_table_add_constraint(in->s, t, DBS_CON_CHECK);
	if (!k || !(k->name = col(in, row, len, 1)) || !(k->check_expr = canon_expr(a, col(in, row, len, 2))))
		return -1;
	/* MariaDB names a column's CHECK after the column; before LEVEL existed
	 * (10.5.10) that name is the only sign */
	bool column_level = row[3] ? strcmp(row[3], "Column") == 0 :
		in->mc->mariadb && dbs_table_find_column(in->s, t, k->name) != NULL;
	if (column_level) {
		dbs_column *c = dbs_table_find_column(in->s, t, k->name);
		/* the name is the column's when the CHECK was made: after a RENAME
		 * COLUMN (wagtail's content_json -> content) it names no column, and
		 * the clause, which can only speak of its own column, tells which */
		if (!c && row[3])
			c = column_of_clause(t, row[2]);
		k->inline_col = c != NULL;
		if (c && DBS_VEC_PUSH(a, &k->cols, c->name))
			return -1;
	}
	return 0;
}

static bool whole_columns(const dbs_index *ix)
{
	if (ix->method)
		return false;
	for (size_t j = 0; j < ix->parts.n; j++) {
		const dbs_index_part *p = &ix->parts.items[j];
		if (!p->column || p->prefix_len || p->desc)
			return false;
	}
	return true;
}

/* Turn the PRIMARY index into the primary key, and plain unique indexes into
 * UNIQUE constraints (see the top); they come first among the constraints,
 * the primary key before the rest, as a CREATE TABLE lists them. */
static int indexes_to_constraints(my_intro *in, dbs_table *t)
{
	dbs_arena *a = &in->s->arena;
	for (int pass = 0; pass < 2; pass++) {
		size_t keep = 0;
		for (size_t i = 0; i < t->indexes.n; i++) {
			dbs_index *ix = t->indexes.items[i];
			bool primary = strcmp(ix->name, "PRIMARY") == 0;
			if (pass == 0 ? !primary : !(ix->unique && whole_columns(ix))) {
				t->indexes.items[keep++] = ix;
				continue;
			}
			dbs_constraint *k = dbs_table_add_constraint(in->s, t, primary ? DBS_CON_PRIMARY : DBS_CON_UNIQUE);
			if (!k)
				return -1;
			if (!primary)
				k->name = ix->name;
			k->comment = ix->comment; /* compared, as an index's is */
			for (size_t j = 0; j < ix->parts.n; j++)
				if (DBS_VEC_PUSH(a, &k->cols, ix->parts.items[j].column))
					return -1;
			k->inline_col = !primary && k->cols.n == 1 && strcmp(k->name, k->cols.items[0]) == 0;
		}
		t->indexes.n = keep;
	}
	return 0;
}

/* MariaDB's JSON (see the top): longtext + CHECK json_valid(`col`). */
static int fold_mariadb_json(my_intro *in, dbs_table *t)
{
	dbs_arena *a = &in->s->arena;
	size_t keep = 0;
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *k = t->constraints.items[i];
		dbs_column *c = NULL;
		if (k->kind == DBS_CON_CHECK && k->inline_col && k->cols.n == 1)
			c = dbs_table_find_column(in->s, t, k->cols.items[0]);
		bool json = false;
		if (c && c->type && strcmp(c->type, "longtext") == 0) {
			dbs_buf b = DBS_BUF_INIT;
			dbs_buf_puts(&b, "json_valid(");
			dbs_quote_ident(&b, DBSYNC_DIALECT_MYSQL, c->name);
			dbs_buf_putc(&b, ')');
			const char *want = dbs_buf_ok(&b) ? canon_expr(a, dbs_buf_cstr(&b)) : NULL;
			dbs_buf_free(&b);
			if (!want)
				return -1;
			json = strcmp(want, k->check_expr) == 0;
		}
		if (!json) {
			t->constraints.items[keep++] = k;
			continue;
		}
		c->type = "json";
		if (c->collation && strcmp(c->collation, "utf8mb4_bin") == 0)
			c->collation = NULL;
	}
	t->constraints.n = keep;
	return 0;
}

static int on_trigger(my_intro *in, MYSQL_ROW row, const unsigned long *len)
{
	dbs_table *t = row_table(in, row);
	if (!t || !row[1])
		return 0;
	const char *name = col(in, row, len, 1), *what = col(in, row, len, 2);
	return name && dbs_table_add_trigger(in->s, t, name, what ? what : "") ? 0 : -1;
}

/* A user who may not see CHECK_CONSTRAINTS (see q_checks_mariadb) cannot
 * know the tables' CHECKs, so nothing is planned from a guess. */
static int refuse_blind_checks(dbsync_ctx *ctx, dbsync_conn *conn, const my_intro *in)
{
	if (in->checks_shown || !in->s->tables.n)
		return 0;
	const char *db = in->dbname;
	char more[48] = "";
	if (in->s->tables.n > 1)
		snprintf(more, sizeof more, " (and %zu more)", in->s->tables.n - 1);
	return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "cannot read the CHECK constraints of table `%s`%s in database "
		"`%s` on %s: MariaDB shows them only to a user with a privilege on the whole database, and this user's "
		"grants on `%s` are table-level only; grant SELECT on the database (GRANT SELECT ON `%s`.* TO ...) "
		"instead of on each table", in->s->tables.items[0]->name, more, db, conn->describe, db, db);
}

/* What is left once every row is in: the PRIMARY and unique indexes as
 * constraints (before the foreign keys are read, as a CREATE TABLE lists
 * them), then the column collations and MariaDB's JSON. */
static int finish_indexes(dbsync_ctx *ctx, my_many *m)
{
	for (size_t d = 0; d < m->n; d++)
		for (size_t i = 0; m->dbs[d].s && i < m->dbs[d].s->tables.n; i++)
			if (indexes_to_constraints(&m->dbs[d], m->dbs[d].s->tables.items[i]))
				return dbs_error_oom(ctx);
	return 0;
}

static int finish(dbsync_ctx *ctx, my_intro *in)
{
	for (size_t i = 0; i < in->s->tables.n; i++) {
		dbs_table *t = in->s->tables.items[i];
		const char *table_coll = t->collation;
		for (size_t j = 0; j < t->columns.n; j++) {
			dbs_column *c = t->columns.items[j];
			if (c->collation && table_coll && strcmp(c->collation, table_coll) == 0)
				c->collation = NULL;
		}
		if (in->mc->mariadb && fold_mariadb_json(in, t))
			return dbs_error_oom(ctx);
	}
	return dbs_schema_normalize(in->s, ctx);
}

/* The foreign key actions the server hid (see backend_mysql_fk_actions.c):
 * one SHOW CREATE TABLE per table that has such keys, and only those. */
static int hidden_fk_actions(dbsync_ctx *ctx, dbsync_conn *conn, my_intro *in)
{
	for (size_t i = 0; i < in->rules_hidden.n; i++) {
		dbs_table *t = in->rules_hidden.items[i];
		size_t fkeys = 0;
		for (size_t j = 0; j < t->constraints.n; j++)
			fkeys += t->constraints.items[j]->kind == DBS_CON_FOREIGN;
		int rc = dbs_my_fk_actions_from_ddl(ctx, conn, in->dbname, in->s, t, fkeys);
		if (rc)
			return rc;
	}
	return 0;
}

static int run_all(dbsync_ctx *ctx, dbsync_conn *conn, my_many *m, const char *filter)
{
	const dbs_my_conn *mc = conn->impl;
	bool has_generated = mc->mariadb ? mc->version >= 100200 : mc->version >= 50700;
	bool has_index_expr = !mc->mariadb && mc->version >= 80013;
	int rc;
	if ((rc = run_query(ctx, conn, m, q_tables, filter, NULL, on_table)))
		return rc;
	/* a database SCHEMATA did not show does not exist (or this user may not see it) */
	for (size_t d = 0; d < m->n; d++)
		if (!m->dbs[d].exists) {
			dbsync_schema_free(m->dbs[d].s);
			m->dbs[d].s = NULL;
		}
	if ((rc = run_query(ctx, conn, m, q_columns, filter, has_generated ? "GENERATION_EXPRESSION" : NULL,
		     on_column)) ||
	    (rc = run_query(ctx, conn, m, q_indexes, filter, has_index_expr ? "EXPRESSION" : NULL, on_index)) ||
	    (rc = finish_indexes(ctx, m)) ||
	    (rc = run_query(ctx, conn, m, q_fkeys, filter, NULL, on_fkey)))
		return rc;
	for (size_t d = 0; d < m->n; d++)
		if (m->dbs[d].s && (rc = hidden_fk_actions(ctx, conn, &m->dbs[d])))
			return rc;
	if ((rc = run_query(ctx, conn, m, q_triggers, filter, NULL, on_trigger)))
		return rc;
	if (dbs_my_has_checks(mc)) {
		const char *level = mc->version >= 100510 ? "LEVEL" : NULL;
		if ((rc = run_query(ctx, conn, m, mc->mariadb ? q_checks_mariadb : q_checks_mysql, filter, level,
			     on_check)))
			return rc;
		for (size_t d = 0; mc->mariadb && d < m->n; d++)
			if (m->dbs[d].s && (rc = refuse_blind_checks(ctx, conn, &m->dbs[d])))
				return rc;
	}
	for (size_t d = 0; d < m->n; d++)
		if (m->dbs[d].s && (rc = finish(ctx, &m->dbs[d])))
			return rc;
	return 0;
}

/* "= 'name'" for one database (the server's catalog then opens only that
 * database), "IN ('a', 'b', ...)" for several. */
static int name_filter(dbs_buf *b, dbsync_conn *conn, const char *const *names, size_t n)
{
	dbs_buf_puts(b, n == 1 ? "= " : "IN (");
	for (size_t i = 0; i < n; i++) {
		if (i)
			dbs_buf_puts(b, ", ");
		dbs_my_put_literal(b, conn, names[i]);
	}
	if (n != 1)
		dbs_buf_putc(b, ')');
	return dbs_buf_ok(b) ? 0 : -1;
}

static void free_many(my_many *m)
{
	for (size_t d = 0; m->dbs && d < m->n; d++)
		dbsync_schema_free(m->dbs[d].s);
	free(m->dbs);
	free(m->order);
}

int dbs_my_introspect_many(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *names, size_t n)
{
	const dbs_my_conn *mc = conn->impl;
	my_many m = { .n = n, .fold = mc->lower_case_table_names != 0 };
	dbs_buf filter = DBS_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		outs[i] = NULL;
	if (!n)
		return 0;
	m.dbs = calloc(n, sizeof *m.dbs);
	m.order = calloc(n, sizeof *m.order);
	if (!m.dbs || !m.order || name_filter(&filter, conn, names, n)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		m.dbs[i].dbname = names[i];
		m.dbs[i].mc = mc;
		m.order[i] = &m.dbs[i];
		if (!(m.dbs[i].s = dbs_schema_new(DBSYNC_DIALECT_MYSQL))) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
	}
	qsort(m.order, n, sizeof *m.order, m.fold ? by_name_folded : by_name);
	if ((rc = run_all(ctx, conn, &m, dbs_buf_cstr(&filter))))
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		outs[i] = m.dbs[i].s;
		m.dbs[i].s = NULL;
	}
cleanup:
	free_many(&m);
	dbs_buf_free(&filter);
	return rc;
}

int dbs_my_introspect_db(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, const char *name)
{
	int rc = dbs_my_introspect_many(out, ctx, conn, &name, 1);
	if (!rc && !*out)
		rc = dbs_error(ctx, DBSYNC_EINVALID, "database `%s` does not exist on %s (or this user may not see it)",
			name, conn->describe);
	return rc;
}

int dbs_my_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	return dbs_my_introspect_db(out, ctx, conn, ((const dbs_my_conn *)conn->impl)->dbname);
}
