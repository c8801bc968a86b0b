/*
 * Django model source for live tables and views (dbsync_conn_models_source).
 * Every model is unmanaged: the file describes what exists so the ORM can
 * read it, and Django never creates, alters or drops these tables. Names are
 * settled for all models first, so a foreign key can point at another
 * generated model's field by its Python name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "inspect_internal.h"
#include "modelgen.h"

const dbs_mg_model *dbs_mg_find_model(const dbs_mg *g, const char *table)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->models[i].skipped && strcmp(g->models[i].table, table) == 0)
			return &g->models[i];
	for (size_t i = 0; i < g->n; i++)
		if (!g->models[i].skipped && dbs_name_eq(g->d, g->models[i].table, table))
			return &g->models[i];
	return NULL;
}

const char *dbs_mg_known_model(const dbs_mg *g, const char *table)
{
	if (!g->known)
		return NULL;
	json_t *v = json_object_get(g->known, table);
	if (!json_is_string(v)) {
		const char *key;
		json_t *val;
		v = NULL;
		json_object_foreach(g->known, key, val)
			if (strcasecmp(key, table) == 0 && json_is_string(val))
				v = val;
	}
	return v ? json_string_value(v) : NULL;
}

/* The single-column constraint of `kind` on column `col`, or NULL. */
static const dbs_constraint *single_con(dbsync_dialect d, const dbs_table *t, dbs_con_kind kind, const char *col)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == kind && k->cols.n == 1 && dbs_name_eq(d, k->cols.items[0], col))
			return k;
	}
	return NULL;
}

bool dbs_mg_unique_column(dbsync_dialect d, const dbs_table *t, const char *col)
{
	if (single_con(d, t, DBS_CON_UNIQUE, col))
		return true;
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *x = t->indexes.items[i];
		if (x->unique && !x->where_expr && x->parts.n == 1 && x->parts.items[0].column &&
		    dbs_name_eq(d, x->parts.items[0].column, col))
			return true;
	}
	return false;
}

size_t dbs_mg_col_index(const dbs_mg *g, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (dbs_name_eq(g->d, t->columns.items[i]->name, name))
			return i;
	return (size_t)-1;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

bool dbs_mg_json_checked(const dbs_table *t, const char *col)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_CHECK && k->check_expr && contains_ci(k->check_expr, "json_valid") &&
		    strstr(k->check_expr, col))
			return true;
	}
	return false;
}

const dbs_constraint *dbs_mg_column_fk(const dbs_mg *g, const dbs_table *t, const char *col)
{
	const dbs_constraint *k = single_con(g->d, t, DBS_CON_FOREIGN, col);
	return k && k->ref_table && (dbs_mg_find_model(g, k->ref_table) || dbs_mg_known_model(g, k->ref_table)) ? k : NULL;
}

static bool name_taken(const dbs_mg_model *m, size_t upto, const char *name)
{
	for (size_t i = 0; i < upto; i++) {
		if (!m->names[i])
			continue;
		if (strcmp(m->names[i], name) == 0)
			return true;
		/* a foreign key's attname is name_id: a column named so would clash */
		size_t n = strlen(m->names[i]);
		if (strncmp(m->names[i], name, n) == 0 && strcmp(name + n, "_id") == 0)
			return true;
	}
	return false;
}

/* Field names for every column of m, and its primary key column. */
static int name_fields(dbs_mg *g, dbs_mg_model *m)
{
	const dbs_table *t = m->t;
	m->names = dbs_arena_alloc(&g->arena, (t->columns.n + 1) * sizeof *m->names);
	if (!m->names)
		return dbs_error_oom(g->ctx);
	const dbs_constraint *pk = dbs_table_primary_key(t);
	m->pk = (size_t)-1;
	if (pk && pk->cols.n == 1)
		m->pk = dbs_mg_col_index(g, t, pk->cols.items[0]);
	/* Django 5.2, the oldest release supported, has CompositePrimaryKey */
	m->composite = NULL;
	if (pk && pk->cols.n > 1) {
		bool all_found = true;
		for (size_t i = 0; i < pk->cols.n && all_found; i++)
			all_found = dbs_mg_col_index(g, t, pk->cols.items[i]) != (size_t)-1;
		if (all_found)
			m->composite = pk;
	}
	if (m->pk == (size_t)-1 && t->columns.n && !m->composite) {
		/* Django needs one primary key column: take the likeliest */
		for (size_t i = 0; i < t->columns.n && m->pk == (size_t)-1; i++)
			if (strcasecmp(t->columns.items[i]->name, "id") == 0) {
				m->pk = i;
				m->pk_note = "it is named id";
			}
		for (size_t i = 0; i < t->columns.n && m->pk == (size_t)-1; i++)
			if (t->columns.items[i]->not_null && dbs_mg_unique_column(g->d, t, t->columns.items[i]->name)) {
				m->pk = i;
				m->pk_note = "the first unique NOT NULL column";
			}
		for (size_t i = 0; i < t->columns.n && m->pk == (size_t)-1; i++)
			if (t->columns.items[i]->not_null) {
				m->pk = i;
				m->pk_note = "the first NOT NULL column; make sure it is unique";
			}
		if (m->pk == (size_t)-1) {
			m->pk = 0;
			m->pk_note = "the first column; make sure it is unique";
		}
	}
	for (size_t i = 0; i < t->columns.n; i++) {
		const char *col = t->columns.items[i]->name;
		const dbs_constraint *fk = m->view ? NULL : dbs_mg_column_fk(g, t, col);
		dbs_py_field_name(&g->tmp, col);
		if (fk && g->tmp.len > 3 && strcmp(dbs_buf_cstr(&g->tmp) + g->tmp.len - 3, "_id") == 0) {
			g->tmp.len -= 3;
			g->tmp.ptr[g->tmp.len] = '\0';
		}
		/* Django allows a field named id only as the primary key */
		if (i != m->pk && strcmp(dbs_buf_cstr(&g->tmp), "id") == 0)
			dbs_buf_puts(&g->tmp, "_field");
		size_t base = g->tmp.len;
		for (int k = 2; name_taken(m, i, dbs_buf_cstr(&g->tmp)); k++) {
			g->tmp.len = base;
			dbs_buf_printf(&g->tmp, "_%d", k);
		}
		if (!dbs_buf_ok(&g->tmp) || !(m->names[i] = dbs_arena_strdup(&g->arena, dbs_buf_cstr(&g->tmp))))
			return dbs_error_oom(g->ctx);
	}
	return 0;
}

static void emit_names(dbs_mg *g, const dbs_mg_model *m, const dbs_str_vec *cols)
{
	dbs_buf_putc(&g->out, '(');
	for (size_t i = 0; i < cols->n; i++) {
		size_t ci = dbs_mg_col_index(g, m->t, cols->items[i]);
		if (i)
			dbs_buf_puts(&g->out, ", ");
		dbs_py_str(&g->out, ci != (size_t)-1 ? m->names[ci] : cols->items[i]);
	}
	dbs_buf_puts(&g->out, cols->n == 1 ? ",)" : ")");
}

static void emit_unique_together(dbs_mg *g, const dbs_mg_model *m)
{
	const dbs_table *t = m->t;
	size_t n = 0;
	DBS_VEC(const dbs_str_vec *) sets = { 0 };
	dbs_str_vec *idx_cols = NULL;
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if ((k->kind == DBS_CON_UNIQUE || (k->kind == DBS_CON_PRIMARY && m->pk_note)) && k->cols.n > 1)
			if (DBS_VEC_PUSH(&g->arena, &sets, &k->cols))
				g->out.oom = true;
	}
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *x = t->indexes.items[i];
		bool plain = x->unique && !x->where_expr && x->parts.n > 1;
		for (size_t j = 0; plain && j < x->parts.n; j++)
			plain = x->parts.items[j].column != NULL;
		if (!plain)
			continue;
		idx_cols = dbs_arena_alloc(&g->arena, sizeof *idx_cols);
		for (size_t j = 0; idx_cols && j < x->parts.n; j++)
			if (DBS_VEC_PUSH(&g->arena, idx_cols, x->parts.items[j].column))
				idx_cols = NULL;
		if (!idx_cols || DBS_VEC_PUSH(&g->arena, &sets, idx_cols))
			g->out.oom = true;
	}
	for (size_t i = 0; i < sets.n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = dbs_names_eq(g->d, sets.items[i], sets.items[j]);
		if (dup)
			continue;
		dbs_buf_puts(&g->out, n++ ? ", " : "        unique_together = (");
		emit_names(g, m, sets.items[i]);
	}
	if (n)
		dbs_buf_puts(&g->out, n == 1 ? ",)\n" : ")\n");
}

static void emit_model(dbs_mg *g, const dbs_mg_model *m)
{
	dbs_buf *b = &g->out;
	if (m->skipped) {
		dbs_buf_puts(b, "\n\n# No model for ");
		dbs_buf_puts(b, m->table);
		dbs_buf_puts(b, ": ");
		dbs_buf_puts(b, m->skipped);
		dbs_buf_puts(b, "\n");
		return;
	}
	dbs_buf_printf(b, "\n\nclass %s(models.Model):\n", m->cls);
	if (m->view)
		dbs_buf_puts(b, "    # A database view: read-only (save() and delete() refuse).\n");
	if (m->t->columns.n == 0)
		dbs_buf_puts(b, "    # The database reports no columns.\n");
	if (m->composite) {
		dbs_buf_puts(b, "    pk = models.CompositePrimaryKey");
		emit_names(g, m, &m->composite->cols);
		dbs_buf_putc(b, '\n');
	}
	for (size_t i = 0; i < m->t->columns.n; i++)
		dbs_mg_emit_field(g, m, i);
	dbs_buf_puts(b, "\n    class Meta:\n        managed = False\n        db_table = ");
	dbs_py_str(b, m->table);
	dbs_buf_putc(b, '\n');
	if (m->t->comment) {
		dbs_buf_puts(b, "        db_table_comment = ");
		dbs_py_str(b, m->t->comment);
		dbs_buf_putc(b, '\n');
	}
	if (!m->view)
		emit_unique_together(g, m);
	if (m->view) {
		dbs_buf_puts(b, "\n    def save(self, *args, **kwargs):\n        raise NotImplementedError(");
		dbs_buf_printf(&g->tmp, "%s is a database view and cannot be written", m->table);
		dbs_py_str(b, dbs_buf_cstr(&g->tmp));
		dbs_buf_puts(b, ")\n\n    def delete(self, *args, **kwargs):\n        raise NotImplementedError(");
		dbs_py_str(b, dbs_buf_cstr(&g->tmp));
		dbs_buf_puts(b, ")\n");
	}
}

static void emit_header(dbs_mg *g, const dbsync_models_options *o)
{
	dbs_buf *b = &g->out;
	dbs_buf_puts(b, "# ");
	/* a title is one comment line, whatever it holds */
	for (const char *p = o->title ? o->title : "Django models for existing database tables"; *p; p++)
		dbs_buf_putc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
	dbs_buf_printf(b, "\n#\n# Generated by libdbsync %s from a %s database.\n", dbsync_version(),
		dbsync_dialect_name(g->d));
	dbs_buf_puts(b,
		"#\n"
		"# How to use this file:\n"
		"#   1. Copy the models you want into the models.py of one of your apps.\n"
		"#   2. Review every line marked \"guessed\" or \"chosen\", the on_delete of each\n"
		"#      foreign key (DO_NOTHING: the database enforces its own rules) and the\n"
		"#      related names.\n"
		"#   3. Run `manage.py check`.\n"
		"# Every model has managed = False: Django and dbsync never create, alter or\n"
		"# drop these tables. Remove that line only when the app should own the table.\n"
		"# Models of views are read-only.\n"
		"from decimal import Decimal  # noqa: F401 (decimal defaults)\n"
		"\n"
		"from django.db import models\n");
}

static int resolve(dbs_mg *g, const dbsync_schema *live, const dbs_insp *in, const dbsync_models_options *o)
{
	g->models = dbs_arena_alloc(&g->arena, (o->n_tables + 1) * sizeof *g->models);
	if (!g->models)
		return dbs_error_oom(g->ctx);
	for (size_t i = 0; i < o->n_tables; i++) {
		const char *name = o->tables[i];
		dbs_mg_model *m = &g->models[g->n];
		if (!name)
			continue;
		const dbs_table *t = dbs_schema_find_table(live, name);
		const dbs_insp_view *v = t ? NULL : dbs_insp_find_view(in, g->d, name);
		if (!t && !v)
			return dbs_error(g->ctx, DBSYNC_EINVALID, "no table or view named \"%s\" in the database", name);
		if (dbs_mg_find_model(g, t ? t->name : v->name))
			continue;
		m->table = t ? t->name : v->name;
		m->t = t ? t : v->shape;
		m->view = !t;
		if (v && (!v->valid || !v->shape))
			m->skipped = v->error ? v->error : "the view's columns could not be read";
		dbs_py_class_name(&g->tmp, m->table);
		size_t base = g->tmp.len;
		for (int k = 2;; k++) {
			bool taken = false;
			for (size_t j = 0; j < g->n && !taken; j++)
				taken = g->models[j].cls && strcmp(g->models[j].cls, dbs_buf_cstr(&g->tmp)) == 0;
			if (!taken)
				break;
			g->tmp.len = base;
			dbs_buf_printf(&g->tmp, "%d", k);
		}
		if (!dbs_buf_ok(&g->tmp) || !(m->cls = dbs_arena_strdup(&g->arena, dbs_buf_cstr(&g->tmp))))
			return dbs_error_oom(g->ctx);
		g->n++;
	}
	return 0;
}

int dbs_models_source(char **out, dbsync_ctx *ctx, const dbsync_schema *live, const dbs_insp *in,
	const dbsync_models_options *o)
{
	dbs_mg g = { .ctx = ctx, .d = live->dialect };
	int rc = 0;
	dbs_arena_init(&g.arena);
	dbs_buf_init(&g.out);
	dbs_buf_init(&g.tmp);
	if (o->known_models_json && *o->known_models_json) {
		json_error_t err;
		g.known = json_loads(o->known_models_json, 0, &err);
		if (!json_is_object(g.known)) {
			rc = dbs_error(ctx, DBSYNC_EINVALID, "known_models_json must be a JSON object mapping "
				"tables to \"app.Model\" (line %d: %s)", err.line, g.known ? "not an object" : err.text);
			goto cleanup;
		}
	}
	if ((rc = resolve(&g, live, in, o)))
		goto cleanup;
	for (size_t i = 0; i < g.n; i++)
		if (!g.models[i].skipped && (rc = name_fields(&g, &g.models[i])))
			goto cleanup;
	emit_header(&g, o);
	for (size_t i = 0; i < g.n; i++) {
		dbs_buf_clear(&g.tmp);
		emit_model(&g, &g.models[i]);
	}
	if (!dbs_buf_ok(&g.out) || !dbs_buf_ok(&g.tmp) || !(*out = dbs_buf_detach(&g.out)))
		rc = dbs_error_oom(ctx);
cleanup:
	json_decref(g.known);
	dbs_buf_free(&g.out);
	dbs_buf_free(&g.tmp);
	dbs_arena_free(&g.arena);
	return rc;
}
