/*
 * Reading a SQLite catalog in a fixed number of queries. The pragma
 * table-valued functions joined with sqlite_schema give, for every table at
 * once, what SQLite itself derived from the stored CREATE text: columns,
 * indexes, foreign keys. They do not give CHECKs, constraint names,
 * DEFERRABLE, generated expressions or index predicates, so the stored CREATE
 * statements are parsed too, and the pragma rows then correct the parse.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend_sqlite.h"
#include "buf.h"
#include "ctx.h"
#include "parse.h"

/* Virtual tables have no pragma rows worth having (and a missing module would
 * make the pragma fail), and sqlite_* objects belong to SQLite. */
#define USER_TABLES \
	"m.type='table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' " \
	"AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'"

static const char q_objects[] =
	"SELECT type, name, tbl_name, sql, 0 FROM sqlite_schema "
	"WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
/* From 3.37 SQLite also tells the shadow tables of FTS/R-Tree apart: they
 * belong to their virtual table, not to the schema a model describes, so
 * they are recorded as such (schema->vtables), never read as tables. */
static const char q_objects_337[] =
	"SELECT type, name, tbl_name, sql, name IN "
	"(SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow') "
	"FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
static const char q_columns[] =
	"SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden "
	"FROM sqlite_schema m JOIN pragma_table_xinfo(m.name, 'main') p "
	"WHERE " USER_TABLES " ORDER BY m.name, p.cid";
static const char q_indexes[] =
	"SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ix.seqno, ix.cid, ix.name, "
	"ix.\"desc\", ix.coll "
	"FROM sqlite_schema m JOIN pragma_index_list(m.name, 'main') il "
	"JOIN pragma_index_xinfo(il.name, 'main') ix "
	"WHERE " USER_TABLES " AND ix.key = 1 ORDER BY m.name, il.name, ix.seqno";
/* SQLite numbers foreign keys last-declared first; id DESC is declaration order */
static const char q_fkeys[] =
	"SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete "
	"FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f "
	"WHERE " USER_TABLES " ORDER BY m.name, f.id DESC, f.seq";

typedef struct sq_object {
	const char *type, *name, *tbl_name, *sql;
} sq_object;

/* State of one introspection; everything lives in ps's arena. */
typedef struct sq_intro {
	dbsync_schema *ps;            /* the pragma-only model */
	DBS_VEC(sq_object) objects;   /* sqlite_schema rows, in their order */
	dbs_table *cur;               /* cache: rows of one table come together */
	const char *cur_key;          /* index name or FK id the current group belongs to */
	int64_t cur_id;
	dbs_constraint *cur_con;
	dbs_index *cur_index;
	/* facts the pragmas have but no model field can hold before normalize */
	DBS_VEC(dbs_column *) generated;   /* hidden 2 (virtual) or 3 (stored) */
	DBS_VEC(dbs_index *) partial;
	DBS_VEC(dbs_vtable) vtables;       /* virtual and shadow tables, for schema->vtables */
} sq_intro;

typedef int (*row_fn)(sq_intro *in, sqlite3_stmt *st);

static const char *col_text(sq_intro *in, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? dbs_arena_strndup(&in->ps->arena, (const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

static bool col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static int run_query(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql, sq_intro *in, row_fn fn)
{
	sqlite3_stmt *st = NULL;
	conn->catalog_queries++;
	int rc = sqlite3_prepare_v2(dbs_sq_db(conn), sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(in, st) ? SQLITE_NOMEM : SQLITE_OK;
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc == SQLITE_NOMEM)
		rc = dbs_error_oom(ctx);
	else
		rc = dbs_sq_error(ctx, conn, rc, "reading the SQLite catalog failed");
	sqlite3_finalize(st);
	return rc;
}

/* The table a pragma row belongs to (column 0). */
static dbs_table *row_table(sq_intro *in, sqlite3_stmt *st)
{
	const char *name = (const char *)sqlite3_column_text(st, 0);
	if (!name)
		return NULL;
	if (!in->cur || strcmp(in->cur->name, name) != 0) {
		in->cur = dbs_schema_find_table(in->ps, name);
		in->cur_key = NULL;
		in->cur_id = -1;
		in->cur_con = NULL;
		in->cur_index = NULL;
		if (in->cur && strcmp(in->cur->name, name) != 0)
			in->cur = NULL;
	}
	return in->cur;
}

/* The module a CREATE VIRTUAL TABLE names ("fts5"), lower-case; "" when the
 * text has no USING (it always has). NULL on OOM. */
static const char *vtable_module(dbs_arena *a, const char *sql)
{
	const char *p = sql;
	for (; *p; p++)
		if (strncasecmp(p, "USING", 5) == 0 && (p == sql || strchr(" \t\n\r\"`]", p[-1])) &&
		    strchr(" \t\n\r", p[5]))
			break;
	if (!*p)
		return dbs_arena_strdup(a, "");
	for (p += 5; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	size_t n = strcspn(p, " \t\n\r(");
	char *m = dbs_arena_strndup(a, p, n);
	for (char *q = m; q && *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	return m;
}

/* A shadow table's owner: the longest virtual table name it starts with,
 * followed by '_' (FTS5 "t_data", R*Tree "t_node"). */
static void find_owners(sq_intro *in)
{
	for (size_t i = 0; i < in->vtables.n; i++) {
		dbs_vtable *sh = &in->vtables.items[i];
		if (sh->module)
			continue;
		size_t best = 0;
		for (size_t j = 0; j < in->vtables.n; j++) {
			const dbs_vtable *v = &in->vtables.items[j];
			size_t n = strlen(v->name);
			if (v->module && n > best && strncasecmp(sh->name, v->name, n) == 0 && sh->name[n] == '_') {
				sh->owner = v->name;
				best = n;
			}
		}
	}
}

static int on_object(sq_intro *in, sqlite3_stmt *st)
{
	dbs_arena *a = &in->ps->arena;
	sq_object o = { col_text(in, st, 0), col_text(in, st, 1), col_text(in, st, 2), col_text(in, st, 3) };
	if (!o.type || !o.name || !o.tbl_name)
		return -1;
	if (strcmp(o.type, "table") == 0) {
		bool is_virtual = o.sql && strncasecmp(o.sql, "CREATE VIRTUAL TABLE", 20) == 0;
		if (is_virtual || sqlite3_column_int(st, 4)) {
			dbs_vtable v = { o.name, is_virtual ? vtable_module(a, o.sql) : NULL, NULL };
			if (is_virtual && !v.module)
				return -1;
			return DBS_VEC_PUSH(a, &in->vtables, v);
		}
		if (!o.sql)
			return 0;
		dbs_table *t = dbs_schema_add_table(in->ps, o.name);
		if (!t)
			return -1;
		t->source_sql = o.sql;
	} else if (strcmp(o.type, "index") != 0 && strcmp(o.type, "view") != 0 &&
		   strcmp(o.type, "trigger") != 0) {
		return 0;
	}
	return DBS_VEC_PUSH(a, &in->objects, o);
}

static int on_column(sq_intro *in, sqlite3_stmt *st)
{
	dbs_table *t = row_table(in, st);
	if (!t)
		return 0;
	dbs_arena *a = &in->ps->arena;
	const char *name = (const char *)sqlite3_column_text(st, 2);
	dbs_column *c = dbs_table_add_column(in->ps, t, name ? name : "");
	if (!c)
		return -1;
	const char *type = (const char *)sqlite3_column_text(st, 3);
	if (type && *type && !(c->type = dbs_type_canon(a, DBSYNC_DIALECT_SQLITE, type, strlen(type))))
		return -1;
	c->not_null = sqlite3_column_int(st, 4) != 0;
	if (!col_null(st, 5)) {
		const char *dflt = (const char *)sqlite3_column_text(st, 5);
		size_t n = (size_t)sqlite3_column_bytes(st, 5);
		c->default_expr = dbs_expr_canon(a, DBSYNC_DIALECT_SQLITE, dflt, n);
		if (!c->default_expr && !(c->default_expr = dbs_arena_strndup(a, dflt, n)))
			return -1;
	}
	int hidden = sqlite3_column_int(st, 7);
	if (hidden == 2 || hidden == 3) {
		c->generated_stored = hidden == 3;
		if (DBS_VEC_PUSH(a, &in->generated, c))
			return -1;
	}
	int pk = sqlite3_column_int(st, 6);
	if (pk > 0) {
		dbs_constraint *p = dbs_table_primary_key(t);
		if (!p && !(p = dbs_table_add_constraint(in->ps, t, DBS_CON_PRIMARY)))
			return -1;
		while (p->cols.n < (size_t)pk)
			if (DBS_VEC_PUSH(a, &p->cols, NULL))
				return -1;
		p->cols.items[pk - 1] = c->name;
	}
	return 0;
}

static int on_index(sq_intro *in, sqlite3_stmt *st)
{
	dbs_table *t = row_table(in, st);
	if (!t)
		return 0;
	dbs_arena *a = &in->ps->arena;
	const char *iname = (const char *)sqlite3_column_text(st, 1);
	const char *origin = (const char *)sqlite3_column_text(st, 3);
	if (!iname || !origin || strcmp(origin, "pk") == 0)
		return 0; /* the primary key came with the columns */
	if (!in->cur_key || strcmp(in->cur_key, iname) != 0) {
		if (!(in->cur_key = dbs_arena_strdup(a, iname)))
			return -1;
		in->cur_con = NULL;
		in->cur_index = NULL;
		if (strcmp(origin, "u") == 0) {
			if (!(in->cur_con = dbs_table_add_constraint(in->ps, t, DBS_CON_UNIQUE)))
				return -1;
		} else {
			if (!(in->cur_index = dbs_table_add_index(in->ps, t, iname)))
				return -1;
			in->cur_index->unique = sqlite3_column_int(st, 2) != 0;
			if (sqlite3_column_int(st, 4) && DBS_VEC_PUSH(a, &in->partial, in->cur_index))
				return -1;
		}
	}
	int cid = sqlite3_column_int(st, 6);
	const char *cname = cid == -1 ? "rowid" : col_text(in, st, 7);
	if (in->cur_con)
		return cname ? DBS_VEC_PUSH(a, &in->cur_con->cols, cname) : -1;
	dbs_index_part part = { 0 };
	part.column = cid == -2 ? NULL : cname;
	if (cid != -2 && !cname)
		return -1;
	part.desc = sqlite3_column_int(st, 8) != 0;
	const char *coll = (const char *)sqlite3_column_text(st, 9);
	if (coll && strcasecmp(coll, "BINARY") != 0 && !(part.collation = dbs_arena_strdup(a, coll)))
		return -1;
	return DBS_VEC_PUSH(a, &in->cur_index->parts, part);
}

static const char *fk_action(sq_intro *in, sqlite3_stmt *st, int i)
{
	const char *act = (const char *)sqlite3_column_text(st, i);
	if (!act || strcasecmp(act, "NO ACTION") == 0)
		return NULL;
	return dbs_arena_strdup(&in->ps->arena, act);
}

static int on_fkey(sq_intro *in, sqlite3_stmt *st)
{
	dbs_table *t = row_table(in, st);
	if (!t)
		return 0;
	dbs_arena *a = &in->ps->arena;
	int64_t id = sqlite3_column_int64(st, 1);
	if (!in->cur_con || in->cur_id != id) {
		dbs_constraint *fk = dbs_table_add_constraint(in->ps, t, DBS_CON_FOREIGN);
		if (!fk || !(fk->ref_table = col_text(in, st, 3)))
			return -1;
		fk->on_update = fk_action(in, st, 6);
		fk->on_delete = fk_action(in, st, 7);
		in->cur_con = fk;
		in->cur_id = id;
	}
	const char *from = col_text(in, st, 4);
	if (!from || DBS_VEC_PUSH(a, &in->cur_con->cols, from))
		return -1;
	/* "to" is NULL when the clause named no columns: the parent's primary key */
	if (!col_null(st, 5)) {
		const char *to = col_text(in, st, 5);
		if (!to || DBS_VEC_PUSH(a, &in->cur_con->ref_cols, to))
			return -1;
	}
	return 0;
}

static int read_catalog(dbsync_ctx *ctx, dbsync_conn *conn, sq_intro *in)
{
	int rc;
	const char *q1 = sqlite3_libversion_number() >= 3037000 ? q_objects_337 : q_objects;
	if ((rc = run_query(ctx, conn, q1, in, on_object)))
		return rc;
	find_owners(in);
	if ((rc = run_query(ctx, conn, q_columns, in, on_column)))
		return rc;
	in->cur = NULL;
	if ((rc = run_query(ctx, conn, q_indexes, in, on_index)))
		return rc;
	in->cur = NULL;
	return run_query(ctx, conn, q_fkeys, in, on_fkey);
}

/* ---- parsing the stored CREATE statements ---- */

/* Parse `sql` into `s`; on a parse error, *why (when given) is its message,
 * in s's arena. */
static int parse_text_why(dbsync_schema *s, const char *sql, const char **why)
{
	dbsync_ctx *scratch = NULL;
	if (dbsync_ctx_new(&scratch))
		return DBSYNC_ENOMEM;
	int rc = dbs_parse_into(s, scratch, sql, strlen(sql));
	if (rc && why)
		*why = dbs_arena_printf(&s->arena, "its stored DDL cannot be parsed (%s)",
			dbsync_ctx_error(scratch)->message ? dbsync_ctx_error(scratch)->message : "?");
	dbsync_ctx_free(scratch);
	return rc;
}

static int parse_text(dbsync_schema *s, const char *sql)
{
	return parse_text_why(s, sql, NULL);
}

/* Every table, then every index, then every view, as one script: one parse
 * (and one normalize) for the whole database. */
static int parse_all(dbsync_schema *s, const sq_intro *in, dbsync_ctx *ctx)
{
	static const char *const order[] = { "table", "index", "view" };
	dbs_buf b = DBS_BUF_INIT;
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < in->objects.n; i++) {
			const sq_object *o = &in->objects.items[i];
			if (k == 1 && !dbs_schema_find_table(in->ps, o->tbl_name))
				continue; /* an index of a table left out */
			if (o->sql && strcmp(o->type, order[k]) == 0) {
				dbs_buf_puts(&b, o->sql);
				/* the stored text may end in a line comment */
				dbs_buf_puts(&b, "\n;\n");
			}
		}
	if (!dbs_buf_ok(&b)) {
		dbs_buf_free(&b);
		return dbs_error_oom(ctx);
	}
	int rc = parse_text(s, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
	return rc;
}

/* One statement the parser cannot read must not cost the whole database:
 * parse object by object, and take the pragma model where a parse fails. */
static dbs_index *table_index(dbsync_dialect d, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_name_eq(d, t->indexes.items[i]->name, name))
			return t->indexes.items[i];
	return NULL;
}

/* One index statement, parsed against a scratch copy of its table; the
 * pragma model's index when that fails. */
static int parse_index(dbsync_schema *s, dbs_table *t, const dbs_table *p, const sq_object *o)
{
	dbsync_schema *one = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
	dbs_table *scratch = one ? dbs_schema_copy_table(one, t) : NULL;
	const dbs_index *ix = NULL;
	if (scratch && parse_text(one, o->sql) == 0)
		ix = table_index(s->dialect, scratch, o->name);
	if (!ix)
		ix = table_index(s->dialect, p, o->name);
	int rc = ix && !dbs_table_copy_index(s, t, ix) ? -1 : 0;
	dbsync_schema_free(one);
	return rc;
}

static int parse_each(dbsync_schema *s, const sq_intro *in)
{
	for (size_t i = 0; i < in->ps->tables.n; i++) {
		const dbs_table *p = in->ps->tables.items[i];
		dbsync_schema *one = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
		if (!one)
			return -1;
		dbs_table *src = NULL;
		const char *why = NULL;
		if (parse_text_why(one, p->source_sql, &why) == 0 && one->tables.n == 1 &&
		    strcmp(one->tables.items[0]->name, p->name) == 0)
			src = one->tables.items[0];
		/* a table from the pragma model brings its indexes along; one whose
		 * DDL does not parse is kept so that nothing plans to create it, and
		 * marked: the pragmas alone miss its checks, so it is not planned */
		dbs_table *t = dbs_schema_copy_table(s, src ? src : p);
		if (t && !src && why && !(t->unreadable = dbs_arena_strdup(&s->arena, why)))
			t = NULL;
		dbsync_schema_free(one);
		if (!t)
			return -1;
	}
	for (size_t j = 0; j < in->objects.n; j++) {
		const sq_object *o = &in->objects.items[j];
		if (!o->sql)
			continue;
		if (strcmp(o->type, "index") == 0) {
			dbs_table *t = dbs_schema_find_table(s, o->tbl_name);
			const dbs_table *p = dbs_schema_find_table(in->ps, o->tbl_name);
			if (t && p && !table_index(s->dialect, t, o->name) && parse_index(s, t, p, o))
				return -1;
			continue;
		}
		if (strcmp(o->type, "view") != 0)
			continue;
		dbsync_schema *one = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
		if (!one)
			return -1;
		if (parse_text(one, o->sql) == 0 && one->views.n == 1 &&
		    !dbs_schema_add_view(s, one->views.items[0]->name, one->views.items[0]->definition)) {
			dbsync_schema_free(one);
			return -1;
		}
		dbsync_schema_free(one);
	}
	return 0;
}

/* Make the parsed schema hold exactly the pragma model's tables, each
 * corrected by its pragma rows, plus every stored view. */
static int reconcile(dbsync_schema *s, const sq_intro *in)
{
	size_t w = 0;
	for (size_t i = 0; i < s->tables.n; i++) {
		dbs_table *t = s->tables.items[i];
		const dbs_table *p = dbs_schema_find_table(in->ps, t->name);
		if (!p || strcmp(p->name, t->name) != 0)
			continue; /* not a table SQLite has: drop it */
		if (dbs_sq_reconcile_table(s, t, in->ps, p))
			return -1;
		t->source_sql = dbs_arena_strdup(&s->arena, p->source_sql);
		s->tables.items[w++] = t;
	}
	if (w != s->tables.n) {
		s->tables.n = w;
		if (dbs_schema_reindex(s))
			return -1;
	}
	/* find every missing table before adding any: each addition would make
	 * the next lookup rebuild the name hash */
	size_t n_ps = in->ps->tables.n;
	bool *missing = dbs_arena_alloc(&in->ps->arena, n_ps + 1);
	if (!missing)
		return -1;
	for (size_t i = 0; i < n_ps; i++) {
		const dbs_table *t = dbs_schema_find_table(s, in->ps->tables.items[i]->name);
		missing[i] = !t || strcmp(t->name, in->ps->tables.items[i]->name) != 0;
	}
	for (size_t i = 0; i < n_ps; i++)
		if (missing[i] && !dbs_schema_copy_table(s, in->ps->tables.items[i]))
			return -1;
	for (size_t j = 0; j < in->objects.n; j++) {
		const sq_object *o = &in->objects.items[j];
		if (strcmp(o->type, "trigger") != 0 || !o->sql)
			continue;
		/* a trigger on a view has no table here: views are rebuilt by nobody */
		dbs_table *t = dbs_schema_find_table(s, o->tbl_name);
		if (t && !dbs_table_add_trigger(s, t, o->name, o->sql))
			return -1;
	}
	for (size_t j = 0; j < in->vtables.n; j++) {
		const dbs_vtable *v = &in->vtables.items[j];
		dbs_vtable c = { dbs_arena_strdup(&s->arena, v->name), dbs_arena_strdup(&s->arena, v->module),
			dbs_arena_strdup(&s->arena, v->owner) };
		if (!c.name || (v->module && !c.module) || (v->owner && !c.owner) ||
		    DBS_VEC_PUSH(&s->arena, &s->vtables, c))
			return -1;
	}
	for (size_t j = 0; j < in->objects.n; j++) {
		const sq_object *o = &in->objects.items[j];
		if (strcmp(o->type, "view") != 0 || !o->sql)
			continue;
		bool have = false;
		for (size_t k = 0; k < s->views.n && !have; k++)
			have = dbs_name_eq(s->dialect, s->views.items[k]->name, o->name);
		if (!have && !dbs_schema_add_view(s, o->name, o->sql))
			return -1;
	}
	return 0;
}

int dbs_sq_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, int mode)
{
	int rc;
	sq_intro in = { 0 };
	dbsync_schema *s = NULL;
	*out = NULL;
	if (!(in.ps = dbs_schema_new(DBSYNC_DIALECT_SQLITE)))
		return dbs_error_oom(ctx);
	if ((rc = read_catalog(ctx, conn, &in)))
		goto cleanup;
	for (size_t i = 0; i < in.ps->tables.n; i++) {
		dbs_constraint *pk = dbs_table_primary_key(in.ps->tables.items[i]);
		if (pk && pk->cols.n == 1)
			pk->inline_col = true;
	}
	if ((rc = dbs_schema_normalize(in.ps, ctx)))
		goto cleanup;
	/* The pragmas say a column is generated or an index partial, not from
	 * what expression: "" records the fact, after normalize could touch it. */
	for (size_t i = 0; i < in.generated.n; i++)
		in.generated.items[i]->generated_expr = "";
	for (size_t i = 0; i < in.partial.n; i++)
		in.partial.items[i]->where_expr = "";
	if (!(s = dbs_schema_new(DBSYNC_DIALECT_SQLITE))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (mode == DBS_SQ_PARSE_EACH) {
		if (parse_each(s, &in)) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
	} else if (mode != DBS_SQ_PRAGMA_ONLY && (rc = parse_all(s, &in, ctx)) != 0) {
		if (rc == DBSYNC_ENOMEM) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
		rc = 0;
		dbsync_schema_free(s);
		if (!(s = dbs_schema_new(DBSYNC_DIALECT_SQLITE)) || parse_each(s, &in)) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
	}
	if (reconcile(s, &in)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = dbs_schema_normalize(s, ctx)))
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	dbsync_schema_free(s);
	dbsync_schema_free(in.ps);
	return rc;
}
