/*
 * One field line of a generated model: the field class and its arguments,
 * defaults as Python values where they have one, foreign keys to generated
 * or installed models, and comments on everything that was guessed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "dialect.h"
#include "inspect_internal.h"
#include "modelgen.h"

static void put_kw_str(dbs_buf *b, bool *first, const char *key, const char *value)
{
	dbs_buf_printf(b, "%s%s=", *first ? "" : ", ", key);
	dbs_py_str(b, value);
	*first = false;
}

static void put_kw(dbs_buf *b, bool *first, const char *key, const char *value)
{
	dbs_buf_printf(b, "%s%s=%s", *first ? "" : ", ", key, value);
	*first = false;
}

__attribute__((format(printf, 2, 3)))
static void note(dbs_buf *notes, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbs_buf_puts(notes, notes->len ? "; " : "  # ");
	dbs_buf_vprintf(notes, fmt, ap);
	va_end(ap);
}

static bool is_cls(const dbs_field_type *ft, const char *cls)
{
	return strcmp(ft->cls, cls) == 0;
}

static bool numeric_text(const char *s)
{
	char *end;
	if (!*s)
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

/* default=..., auto_now(_add), or a note for a default Python cannot carry. */
static void put_default(dbs_mg *g, dbs_buf *b, bool *first, dbs_buf *notes, const dbs_column *c,
	const dbs_field_type *ft)
{
	dbs_buf val = DBS_BUF_INIT;
	dbs_default_kind k = dbs_default_read(&val, g->d, c->default_expr);
	const char *v = dbs_buf_cstr(&val);
	bool text = is_cls(ft, "CharField") || is_cls(ft, "TextField");
	bool number = strstr(ft->cls, "IntegerField") || is_cls(ft, "FloatField");
	bool dt = is_cls(ft, "DateTimeField") || is_cls(ft, "DateField") || is_cls(ft, "TimeField");
	dbs_buf onupd = DBS_BUF_INIT;
	bool auto_now = c->on_update_expr && dbs_default_read(&onupd, g->d, c->on_update_expr) == DBS_DEFAULT_NOW;
	dbs_buf_free(&onupd);
	if (auto_now && dt) {
		put_kw(b, first, "auto_now", "True");
		goto cleanup;
	}
	switch (k) {
	case DBS_DEFAULT_NONE:
	case DBS_DEFAULT_SEQUENCE:
		break;
	case DBS_DEFAULT_NOW:
		if (dt)
			put_kw(b, first, "auto_now_add", "True");
		else
			note(notes, "database default: %s", c->default_expr);
		break;
	case DBS_DEFAULT_BOOL:
		if (is_cls(ft, "BooleanField"))
			put_kw(b, first, "default", v);
		else if (number)
			put_kw(b, first, "default", strcmp(v, "True") == 0 ? "1" : "0");
		else
			note(notes, "database default: %s", c->default_expr);
		break;
	case DBS_DEFAULT_STRING:
	case DBS_DEFAULT_NUMBER:
		if (text) {
			put_kw_str(b, first, "default", v);
		} else if (is_cls(ft, "BooleanField") && numeric_text(v)) {
			put_kw(b, first, "default", strtod(v, NULL) != 0 ? "True" : "False");
		} else if (is_cls(ft, "BooleanField") && (!strcmp(v, "t") || !strcmp(v, "f"))) {
			put_kw(b, first, "default", v[0] == 't' ? "True" : "False");
		} else if (number && numeric_text(v)) {
			put_kw(b, first, "default", v);
		} else if (is_cls(ft, "DecimalField") && numeric_text(v)) {
			dbs_buf_printf(b, "%sdefault=Decimal(", *first ? "" : ", ");
			dbs_py_str(b, v);
			dbs_buf_putc(b, ')');
			*first = false;
		} else {
			note(notes, "database default: %s", c->default_expr);
		}
		break;
	case DBS_DEFAULT_EXPR:
		note(notes, "database default: %s", c->default_expr);
		break;
	}
cleanup:
	dbs_buf_free(&val);
}

static void put_fk_target(dbs_mg *g, dbs_buf *b, const dbs_mg_model *m, const dbs_constraint *fk,
	const dbs_mg_model **target_out)
{
	const dbs_mg_model *target = dbs_mg_find_model(g, fk->ref_table);
	*target_out = target;
	if (target == m)
		dbs_py_str(b, "self");
	else if (target)
		dbs_py_str(b, target->cls);
	else
		dbs_py_str(b, dbs_mg_known_model(g, fk->ref_table));
	dbs_buf_puts(b, ", models.DO_NOTHING");
}

/* Several keys from one model to one target need distinct reverse names. */
static bool target_repeats(const dbs_mg *g, const dbs_table *t, const char *ref)
{
	size_t n = 0;
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		n += k->kind == DBS_CON_FOREIGN && k->cols.n == 1 && k->ref_table && dbs_name_eq(g->d, k->ref_table, ref);
	}
	return n > 1;
}

void dbs_mg_emit_field(dbs_mg *g, const dbs_mg_model *m, size_t i)
{
	dbs_buf *b = &g->out;
	const dbs_table *t = m->t;
	const dbs_column *c = t->columns.items[i];
	const char *name = m->names[i];
	dbs_buf notes = DBS_BUF_INIT;
	bool first = true;
	bool is_pk = i == m->pk;
	const dbs_constraint *fk = m->view ? NULL : dbs_mg_column_fk(g, t, c->name);
	bool unique = !m->view && dbs_mg_unique_column(g->d, t, c->name);
	dbs_buf_printf(b, "    %s = models.", name);
	if (fk) {
		const dbs_mg_model *target = NULL;
		bool one = unique || (is_pk && !m->pk_note);
		dbs_buf_printf(b, "%s(", one ? "OneToOneField" : "ForeignKey");
		put_fk_target(g, b, m, fk, &target);
		first = false;
		if (is_pk)
			put_kw(b, &first, "primary_key", "True");
		if (fk->ref_cols.n == 1) {
			const dbs_table *rt = target ? target->t : NULL;
			size_t ri = rt ? dbs_mg_col_index(g, rt, fk->ref_cols.items[0]) : (size_t)-1;
			bool to_pk = rt ? ri == target->pk : strcasecmp(fk->ref_cols.items[0], "id") == 0;
			if (!to_pk)
				put_kw_str(b, &first, "to_field", ri != (size_t)-1 ? target->names[ri] : fk->ref_cols.items[0]);
		}
		if (!target) {
			/* a model of another app: its reverse accessors are not ours to name */
			put_kw_str(b, &first, "related_name", "+");
		} else if (target_repeats(g, t, fk->ref_table)) {
			dbs_buf rn = DBS_BUF_INIT;
			dbs_buf_printf(&rn, "%s_%s_set", m->cls, name);
			for (char *p = rn.ptr; p && *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			put_kw_str(b, &first, "related_name", dbs_buf_cstr(&rn));
			dbs_buf_free(&rn);
		}
		size_t n = strlen(name);
		if (!(strncmp(c->name, name, n) == 0 && strcmp(c->name + n, "_id") == 0))
			put_kw_str(b, &first, "db_column", c->name);
		if (c->default_expr)
			note(&notes, "database default: %s", c->default_expr);
	} else {
		dbs_default_kind dk = DBS_DEFAULT_NONE;
		if (c->default_expr) {
			dbs_buf tmp = DBS_BUF_INIT;
			dk = dbs_default_read(&tmp, g->d, c->default_expr);
			dbs_buf_free(&tmp);
		}
		/* a rowid alias (SQLite's integer primary key) fills itself */
		const char *rowid_type = dbs_dialect_info_for(g->d)->rowid_alias_type;
		bool fills = c->autoincrement || c->identity || dk == DBS_DEFAULT_SEQUENCE ||
			(rowid_type && !m->view && is_pk && !m->pk_note && c->type && strcmp(c->type, rowid_type) == 0);
		dbs_field_type ft;
		dbs_field_type_for(&ft, g->d, c->type, fills && is_pk && !m->pk_note, dbs_mg_json_checked(t, c->name));
		dbs_buf_printf(b, "%s(", ft.cls);
		if (is_pk)
			put_kw(b, &first, "primary_key", "True");
		if (strcmp(name, c->name) != 0)
			put_kw_str(b, &first, "db_column", c->name);
		if (ft.max_length > 0) {
			char len[24];
			snprintf(len, sizeof len, "%d", ft.max_length);
			put_kw(b, &first, "max_length", len);
		}
		if (ft.max_digits >= 0) {
			char num[24];
			snprintf(num, sizeof num, "%d", ft.max_digits);
			put_kw(b, &first, "max_digits", num);
			snprintf(num, sizeof num, "%d", ft.decimal_places);
			put_kw(b, &first, "decimal_places", num);
		}
		if (unique && !is_pk)
			put_kw(b, &first, "unique", "True");
		if (!is_pk && c->default_expr && dk != DBS_DEFAULT_SEQUENCE)
			put_default(g, b, &first, &notes, c, &ft);
		else if (!is_pk && c->on_update_expr)
			put_default(g, b, &first, &notes, c, &ft);
		if (ft.guessed)
			note(&notes, "guessed: no Django field matches the type '%s'", c->type ? c->type : "(none)");
		if (ft.guessed_precision)
			note(&notes, "guessed: max_digits and decimal_places (the column '%s' declares none)", c->type);
		if (fills && !(is_pk && !m->pk_note))
			note(&notes, "%s", "the database fills it itself");
	}
	if (!c->not_null && !is_pk) {
		put_kw(b, &first, "null", "True");
		put_kw(b, &first, "blank", "True");
	}
	if (c->comment)
		put_kw_str(b, &first, "db_comment", c->comment);
	if (is_pk && m->pk_note)
		note(&notes, "primary key chosen%s: %s", m->view ? " for the view" : "", m->pk_note);
	if (c->generated_expr)
		note(&notes, "generated by the database: %s", c->generated_expr);
	dbs_buf_putc(b, ')');
	if (notes.len)
		dbs_buf_puts(b, dbs_buf_cstr(&notes));
	dbs_buf_putc(b, '\n');
	if (!dbs_buf_ok(&notes))
		b->oom = true;
	dbs_buf_free(&notes);
}

