/*
 * Table renames, planned before the diff.
 *
 * Case fixes: a desired table `abcd` has no live table of that exact name but
 * one live table, `ABCD`, differs from it only in letter case (and is not
 * itself the table of another desired model). It is renamed to the model's
 * spelling. Two live spellings of one desired name (`Publisher` and
 * `PUBLISHER`), or a live spelling beside the exact one, are a conflict: a
 * REFUSED operation names both, and nothing is renamed.
 *
 * Old-name renames: a desired table with no live table in any letter case,
 * and exactly one live table that belongs to no desired table and that
 * "clearly" is its old name, meaning all of:
 *  - the same columns: the same names, canonical types and NULL-ability,
 *    nothing more and nothing less;
 *  - a related name: the same app prefix with another model name
 *    (`shop_book` -> `shop_novel`) or the same model name under another app
 *    prefix (`store_book` -> `shop_book`), the app prefix being the model's
 *    app label from the metadata where the table name starts with it, else
 *    the text before the first '_';
 *  - no other missing desired table makes the same claim on it.
 *
 * Every rename is risk SAFE: it changes the catalog only, rows are not
 * touched, and the lock it takes is as short as any ALTER's. What makes it
 * dangerous (other code naming the old table) is why old-name renames are
 * off by default and case fixes can be turned off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "plan_rename.h"

/* PostgreSQL truncates identifiers at 63 bytes; MySQL allows 64 characters */
#define TEMP_NAME_MAX 63

typedef struct live_ref {
	dbs_table *t;
	bool owned;      /* some desired table matches it (any case), or a rename claims it */
	size_t claims;   /* old-name pass: missing desired tables that chose it */
} live_ref;

typedef struct rename_state {
	dbs_planner *p;
	dbs_name_case rule;
	live_ref *live;           /* sorted ignoring case */
	size_t n_live;
	const dbs_table **want;   /* sorted ignoring case */
	size_t n_want;
	const dbs_table **missing; /* desired tables with no live table in any case */
	live_ref **pick;          /* per missing table: its old-name candidate, or NULL */
	size_t n_missing;
	bool renamed;
	dbs_buf sql;
} rename_state;

static int ascii_icmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || !ca)
			return ca - cb;
	}
}

static int live_cmp(const void *a, const void *b)
{
	const live_ref *x = a, *y = b;
	int c = ascii_icmp(x->t->name, y->t->name);
	return c ? c : strcmp(x->t->name, y->t->name);
}

static int want_cmp(const void *a, const void *b)
{
	const dbs_table *const *x = a, *const *y = b;
	return ascii_icmp((*x)->name, (*y)->name);
}

/* First live entry not below `name` ignoring case. */
static size_t live_lower_bound(const rename_state *st, const char *name)
{
	size_t lo = 0, hi = st->n_live;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ascii_icmp(st->live[mid].t->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t want_lower_bound(const rename_state *st, const char *name)
{
	size_t lo = 0, hi = st->n_want;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ascii_icmp(st->want[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* exact: a desired table spelled exactly `name`; else one equal ignoring case */
static bool want_has(const rename_state *st, const char *name, bool exact)
{
	for (size_t i = want_lower_bound(st, name); i < st->n_want && !ascii_icmp(st->want[i]->name, name); i++)
		if (!exact || strcmp(st->want[i]->name, name) == 0)
			return true;
	return false;
}

static bool live_has(const rename_state *st, const char *name)
{
	size_t i = live_lower_bound(st, name);
	return i < st->n_live && !ascii_icmp(st->live[i].t->name, name);
}

static bool approved(const dbs_planner *p, const char *live_name)
{
	for (size_t i = 0; i < p->plan->opts.n_approved_renames; i++)
		if (p->plan->opts.approved_renames[i] && strcmp(p->plan->opts.approved_renames[i], live_name) == 0)
			return true;
	return false;
}

static int hold(dbs_planner *p, const char *table)
{
	const char *s = dbs_arena_strdup(&p->plan->arena, table);
	if (!s || DBS_VEC_PUSH(&p->plan->arena, &p->held_tables, s))
		return dbs_error_oom(p->ctx);
	return 0;
}

/* Rename live table `r` to `to` in memory, foreign keys pointing at it
 * included, as the server itself will (PostgreSQL and InnoDB follow the
 * table; SQLite rewrites the references since 3.26). */
static int rename_in_memory(rename_state *st, live_ref *r, const char *to)
{
	dbsync_schema *live = st->p->live;
	const char *from = r->t->name;
	const char *name = dbs_arena_strdup(&live->arena, to);
	if (!name)
		return dbs_error_oom(st->p->ctx);
	for (size_t i = 0; i < live->tables.n; i++) {
		dbs_table *t = live->tables.items[i];
		for (size_t j = 0; j < t->constraints.n; j++) {
			dbs_constraint *k = t->constraints.items[j];
			if (k->kind == DBS_CON_FOREIGN && k->ref_table && strcmp(k->ref_table, from) == 0)
				k->ref_table = name;
		}
	}
	/* an old-name rename leaves st->live out of order: nothing looks names
	 * up in it after the old-name pass */
	r->t->name = name;
	r->owned = true;
	st->renamed = true;
	return 0;
}

/* A name free on the server for a two-step case rename: "<to>_dbsync_tmp". */
static const char *temp_name(rename_state *st, const char *to)
{
	static const char suffix[] = "_dbsync_tmp";
	size_t keep = strlen(to);
	size_t room = TEMP_NAME_MAX - (sizeof suffix - 1) - 2;
	if (keep > room) {
		keep = room;
		/* never cut a UTF-8 sequence in half */
		while (keep > 0 && ((unsigned char)to[keep] & 0xC0) == 0x80)
			keep--;
	}
	for (int k = 1; k < 100; k++) {
		char num[4] = "";
		if (k > 1)
			snprintf(num, sizeof num, "%d", k);
		const char *name = dbs_arena_printf(&st->p->plan->arena, "%.*s%s%s", (int)keep, to, suffix, num);
		if (!name)
			return NULL;
		if (!live_has(st, name) && !want_has(st, name, false))
			return name;
	}
	return NULL;
}

static int add_rename_sql(rename_state *st, dbs_op_build *op, const char *from, const char *to)
{
	dbs_buf_clear(&st->sql);
	if (dbs_render_rename_table(&st->sql, st->p->want->dialect, from, to))
		return dbs_error_oom(st->p->ctx);
	return dbs_op_sql(st->p, op, dbs_buf_cstr(&st->sql));
}

static int plan_case_fix(rename_state *st, const dbs_table *W, live_ref *r)
{
	dbs_planner *p = st->p;
	const char *from = r->t->name;
	int rc;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_RENAME, DBSYNC_OP_RENAME_TABLE, DBSYNC_RISK_SAFE,
		from, W->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	op->op.case_fix = 1;
	if ((rc = dbs_op_summary(p, op, "rename table `%s` to `%s`%s: letter case", from, W->name,
		dbs_planner_label(p, W->name, NULL))))
		return rc;
	if (st->rule == DBS_NAMES_PRESERVED) {
		/* the server sees `ABCD` and `abcd` as one name: a direct rename is
		 * refused (SQLite) or keeps the old spelling */
		const char *via = temp_name(st, W->name);
		if (!via)
			return dbs_error(p->ctx, DBSYNC_ERROR, "no free temporary name to rename table `%s` to `%s`",
				from, W->name);
		if ((rc = add_rename_sql(st, op, from, via)) || (rc = add_rename_sql(st, op, via, W->name)))
			return rc;
		const char *why = dbs_arena_printf(&p->plan->arena, "the server compares table names ignoring "
			"case: two steps, through `%s`", via);
		if (!why || (rc = dbs_op_detail(p, op, why)))
			return why ? rc : dbs_error_oom(p->ctx);
	} else if ((rc = add_rename_sql(st, op, from, W->name))) {
		return rc;
	}
	if (!p->plan->opts.auto_fix_table_case && !approved(p, from)) {
		op->op.status = DBSYNC_STATUS_SKIPPED;
		if ((rc = dbs_op_reason(p, op, "AUTO_FIX_TABLE_CASE is off and the rename was not approved: the "
			"model's table `%s` exists as `%s`", W->name, from)))
			return rc;
		/* where names are exact, what the planner writes for `abcd` would
		 * miss `ABCD` (or create `abcd` beside it) */
		if (st->rule == DBS_NAMES_EXACT && (rc = hold(p, W->name)))
			return rc;
	}
	return rename_in_memory(st, r, W->name);
}

static int refuse(rename_state *st, const char *table, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(rename_state *st, const char *table, const char *object, const char *fmt, ...)
{
	dbs_planner *p = st->p;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_RENAME, DBSYNC_OP_RENAME_TABLE, DBSYNC_RISK_SAFE,
		table, object);
	if (!op)
		return dbs_error_oom(p->ctx);
	op->op.status = DBSYNC_STATUS_REFUSED;
	op->op.case_fix = 1; /* every refusal here is a conflict between spellings */
	/* no object: no single live table to rename, the desired one is `table` */
	int rc = object ? dbs_op_summary(p, op, "rename table `%s` to `%s`%s: letter case", table, object,
		dbs_planner_label(p, object, NULL)) : dbs_op_summary(p, op, "rename a table to `%s`%s: several "
		"spellings exist", table, dbs_planner_label(p, table, NULL));
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	op->op.reason = dbs_arena_vprintf(&p->plan->arena, fmt, ap);
	va_end(ap);
	return op->op.reason ? 0 : dbs_error_oom(p->ctx);
}

/* The live tables spelled like W in any case. Sets *matched when W needs no
 * old-name search. */
static int plan_case(rename_state *st, const dbs_table *W, bool *matched)
{
	size_t lo = live_lower_bound(st, W->name), hi = lo;
	live_ref *exact = NULL, *other = NULL;
	size_t n_other = 0;
	int rc = 0;
	dbs_buf names = DBS_BUF_INIT;
	for (; hi < st->n_live && !ascii_icmp(st->live[hi].t->name, W->name); hi++) {
		live_ref *r = &st->live[hi];
		if (strcmp(r->t->name, W->name) == 0)
			exact = r;
		else if (!want_has(st, r->t->name, true)) {
			/* a spelling no desired table owns */
			dbs_buf_printf(&names, "%s`%s`", n_other ? ", " : "", r->t->name);
			other = r;
			n_other++;
		}
	}
	*matched = exact || n_other;
	/* whatever happens below, these spellings are never an old name */
	for (size_t i = lo; i < hi; i++)
		st->live[i].owned = true;
	if (st->rule == DBS_NAMES_FOLDED || !n_other)
		goto cleanup;
	if (exact) {
		for (size_t i = lo; i < hi; i++) {
			const char *name = st->live[i].t->name;
			if (&st->live[i] == exact || want_has(st, name, true))
				continue;
			rc = refuse(st, name, W->name, "name conflict: `%s` (the model's table) and `%s` both exist "
				"and differ only in letter case; dbsync renames neither: rename or drop `%s` yourself",
				W->name, name, name);
			if (rc)
				goto cleanup;
		}
	} else if (n_other == 1) {
		rc = plan_case_fix(st, W, other);
	} else {
		if (!dbs_buf_ok(&names)) {
			rc = dbs_error_oom(st->p->ctx);
			goto cleanup;
		}
		rc = refuse(st, W->name, NULL, "name conflict: the model's table `%s` does not exist, and %s "
			"all differ from it only in letter case; dbsync renames none of them and leaves `%s` alone: "
			"keep one, rename or drop the others yourself", W->name, dbs_buf_cstr(&names), W->name);
		if (!rc)
			rc = hold(st->p, W->name);
	}
cleanup:
	dbs_buf_free(&names);
	return rc;
}

/* Length of the app prefix of desired table W (without the '_'), or 0. */
static size_t app_prefix_len(const dbs_planner *p, const char *table)
{
	const char *model = dbs_metadata_model(p->md, table);
	const char *dot = model ? strchr(model, '.') : NULL;
	if (dot && dot > model) {
		size_t n = (size_t)(dot - model);
		if (strlen(table) > n + 1 && table[n] == '_' && strncmp(table, model, n) == 0)
			return n;
	}
	const char *u = strchr(table, '_');
	return u && u > table && u[1] ? (size_t)(u - table) : 0;
}

static bool names_related(const dbs_planner *p, const char *old, const char *want)
{
	size_t n = app_prefix_len(p, want);
	if (!n)
		return false;
	size_t n_old = strlen(old), n_model = strlen(want) - n - 1;
	bool same_app = n_old > n + 1 && old[n] == '_' && strncmp(old, want, n) == 0;
	bool same_model = n_old > n_model + 1 && old[n_old - n_model - 1] == '_' &&
		strcmp(old + n_old - n_model, want + n + 1) == 0;
	return same_app || same_model;
}

static bool same_columns(dbsync_dialect d, const dbs_table *L, const dbs_table *W)
{
	if (L->columns.n != W->columns.n)
		return false;
	for (size_t i = 0; i < W->columns.n; i++) {
		const dbs_column *wc = W->columns.items[i], *lc = NULL;
		for (size_t j = 0; j < L->columns.n && !lc; j++)
			if (dbs_name_eq(d, L->columns.items[j]->name, wc->name))
				lc = L->columns.items[j];
		if (!lc || (dbs_column_diff(d, L, lc, W, wc) & (DBS_COL_TYPE | DBS_COL_NOT_NULL)))
			return false;
	}
	return true;
}

static int plan_old_name(rename_state *st, const dbs_table *W, live_ref *r)
{
	dbs_planner *p = st->p;
	const char *from = r->t->name;
	int rc;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_RENAME, DBSYNC_OP_RENAME_TABLE, DBSYNC_RISK_SAFE,
		from, W->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "rename table `%s` to `%s`%s: its old name", from, W->name,
		dbs_planner_label(p, W->name, NULL))) || (rc = add_rename_sql(st, op, from, W->name)))
		return rc;
	const char *why = dbs_arena_printf(&p->plan->arena, "`%s` belongs to no selected model, has the same "
		"columns (names, types, NULL) as `%s` and a related name", from, W->name);
	if (!why || (rc = dbs_op_detail(p, op, why)))
		return why ? rc : dbs_error_oom(p->ctx);
	if (!p->plan->opts.auto_rename_tables && !approved(p, from)) {
		op->op.status = DBSYNC_STATUS_SKIPPED;
		return dbs_op_reason(p, op, "AUTO_RENAME_TABLES is off and the rename was not approved: `%s` is "
			"created empty instead; run this SQL first to keep the rows of `%s`", W->name, from);
	}
	return rename_in_memory(st, r, W->name);
}

static int plan_old_names(rename_state *st)
{
	dbs_planner *p = st->p;
	dbsync_dialect d = p->want->dialect;
	int rc = 0;
	/* the candidates, once: usually few, while missing tables can be thousands */
	size_t n_free = 0;
	live_ref **free_refs = malloc((st->n_live + 1) * sizeof *free_refs);
	if (!free_refs)
		return dbs_error_oom(p->ctx);
	for (size_t j = 0; j < st->n_live; j++)
		if (!st->live[j].owned)
			free_refs[n_free++] = &st->live[j];
	for (size_t i = 0; i < st->n_missing && n_free; i++) {
		const dbs_table *W = st->missing[i];
		size_t n = 0;
		for (size_t j = 0; j < n_free; j++) {
			live_ref *r = free_refs[j];
			if (!names_related(p, r->t->name, W->name) || !same_columns(d, r->t, W))
				continue;
			st->pick[i] = r;
			n++;
		}
		if (n == 1)
			st->pick[i]->claims++;
		else
			st->pick[i] = NULL;
	}
	for (size_t i = 0; i < st->n_missing && !rc; i++)
		if (st->pick[i] && st->pick[i]->claims == 1)
			rc = plan_old_name(st, st->missing[i], st->pick[i]);
	free(free_refs);
	return rc;
}

static int setup(rename_state *st)
{
	dbs_planner *p = st->p;
	st->n_live = p->live->tables.n;
	st->n_want = p->want->tables.n;
	st->live = calloc(st->n_live + 1, sizeof *st->live);
	st->want = calloc(st->n_want + 1, sizeof *st->want);
	st->missing = calloc(st->n_want + 1, sizeof *st->missing);
	st->pick = calloc(st->n_want + 1, sizeof *st->pick);
	if (!st->live || !st->want || !st->missing || !st->pick)
		return dbs_error_oom(p->ctx);
	for (size_t i = 0; i < st->n_live; i++)
		st->live[i].t = p->live->tables.items[i];
	for (size_t i = 0; i < st->n_want; i++)
		st->want[i] = p->want->tables.items[i];
	qsort(st->live, st->n_live, sizeof *st->live, live_cmp);
	qsort(st->want, st->n_want, sizeof *st->want, want_cmp);
	return 0;
}

int dbs_plan_renames(dbs_planner *p)
{
	rename_state st = { .p = p, .rule = dbs_conn_name_case(p->conn) };
	int rc;
	dbs_buf_init(&st.sql);
	if ((rc = setup(&st)))
		goto cleanup;
	for (size_t i = 0; i < p->want->tables.n; i++) {
		const dbs_table *W = p->want->tables.items[i];
		bool matched;
		if ((rc = plan_case(&st, W, &matched)))
			goto cleanup;
		if (!matched)
			st.missing[st.n_missing++] = W;
	}
	if (st.n_missing && (rc = plan_old_names(&st)))
		goto cleanup;
	/* names changed under the name index */
	if (st.renamed && dbs_schema_reindex(p->live))
		rc = dbs_error_oom(p->ctx);
cleanup:
	free(st.live);
	free(st.want);
	free(st.missing);
	free(st.pick);
	dbs_buf_free(&st.sql);
	return rc;
}
