/* The diff, on models built in C: which changes it reports, and which
 * differences of spelling it must not report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctx.h"
#include "diff.h"
#include "model_build.h"

#define SQ DBSYNC_DIALECT_SQLITE

typedef struct fixture {
	dbsync_schema *live, *want;
	dbsync_ctx *ctx;
	dbs_diff diff;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->live = dbs_schema_new(SQ);
	f->want = dbs_schema_new(SQ);
	dbsync_ctx_new(&f->ctx);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	dbs_diff_free(&f->diff);
	dbsync_schema_free(f->live);
	dbsync_schema_free(f->want);
	dbsync_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void run(fixture *f)
{
	dbs_diff_free(&f->diff);
	assert_int_equal(dbs_diff_schemas(&f->diff, f->ctx, f->live, f->want), 0);
}

/* The changes of one table as "kind:object" joined by spaces. */
static const char *summary(fixture *f, const char *table)
{
	static char out[1024];
	out[0] = '\0';
	const dbs_table_diff *td = dbs_diff_find(&f->diff, table);
	if (!td)
		return "";
	if (!td->live)
		return "missing";
	for (size_t i = 0; i < td->changes.n; i++) {
		const dbs_change *c = &td->changes.items[i];
		const char *obj = c->want_col ? c->want_col->name : c->live_col ? c->live_col->name
			: c->want_ix ? c->want_ix->name : c->live_ix ? c->live_ix->name
			: c->want_con ? (c->want_con->name ? c->want_con->name : "-")
			: c->live_con ? (c->live_con->name ? c->live_con->name : "-") : "";
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s:%s", n ? " " : "", dbs_change_kind_name(c->kind), obj);
	}
	return out;
}

/* Both sides get the same Django-style table; tests then perturb one side. */
static void pair(fixture *f, dbs_table **live, dbs_table **want, const char *name)
{
	dbsync_schema *ss[2] = { f->live, f->want };
	dbs_table *ts[2];
	for (int i = 0; i < 2; i++) {
		ts[i] = mb_table_with_id(ss[i], name);
		mb_col(ss[i], ts[i], "email", "varchar(254)", true);
		mb_con(ss[i], ts[i], DBS_CON_UNIQUE, NULL, true, "email", NULL);
		mb_col(ss[i], ts[i], "age", "integer unsigned", false);
		mb_check(ss[i], ts[i], NULL, "age", "\"age\" >= 0");
		mb_index(ss[i], ts[i], "age_idx", false, "age", NULL);
	}
	*live = ts[0];
	*want = ts[1];
}

static void test_identical_and_unrelated_tables(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "shop_customer");
	mb_table_with_id(f->live, "not_a_model"); /* orphans are not this diff's business */
	mb_index(f->live, l, "sqlite_autoindex_shop_customer_1", true, "email", NULL);
	run(f);
	assert_int_equal(f->diff.tables.n, 0);
}

static void test_missing_table_and_case_insensitive_match(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "Shop_Item");
	l->name = "shop_item"; /* SQLite names are case-insensitive */
	mb_table_with_id(f->want, "shop_new");
	run(f);
	assert_int_equal(f->diff.tables.n, 1);
	assert_string_equal(summary(f, "shop_new"), "missing");
	assert_null(dbs_diff_find(&f->diff, "Shop_Item"));
}

static void test_columns_added_dropped_altered(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	mb_col(f->want, w, "nick", "varchar(20)", false);
	mb_col(f->live, l, "legacy", "text", false);
	w->columns.items[1]->type = "varchar(300)";             /* email type */
	w->columns.items[2]->not_null = true;                    /* age */
	w->columns.items[2]->default_expr = "0";
	run(f);
	assert_string_equal(summary(f, "t"), "alter_column:email alter_column:age add_column:nick drop_column:legacy");
	const dbs_table_diff *td = dbs_diff_find(&f->diff, "t");
	assert_int_equal(td->changes.items[0].col_diff, DBS_COL_TYPE);
	assert_int_equal(td->changes.items[1].col_diff, DBS_COL_NOT_NULL | DBS_COL_DEFAULT);
}

static void test_spelling_differences_are_not_changes(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	/* table-level PRIMARY KEY ("id") on the live side, inline on the desired */
	l->constraints.items[0]->inline_col = false;
	/* the rowid alias is never NULL, declared or not */
	l->columns.items[0]->not_null = false;
	/* collation names are case-insensitive; column names too */
	w->columns.items[1]->collation = "NOCASE";
	l->columns.items[1]->collation = "nocase";
	l->columns.items[2]->name = "AGE";
	/* a named UNIQUE against an unnamed one on the same columns */
	mb_con(f->want, w, DBS_CON_UNIQUE, "u_age_email", false, "email", "age", NULL);
	mb_con(f->live, l, DBS_CON_UNIQUE, NULL, false, "age", "email", NULL);
	/* ON DELETE NO ACTION is the absent clause */
	mb_col(f->want, w, "ref_id", "integer", false);
	mb_col(f->live, l, "ref_id", "integer", false);
	mb_fk(f->want, w, "ref_id", "other", "id", NULL);
	mb_fk(f->live, l, "ref_id", "OTHER", "id", "NO ACTION");
	run(f);
	assert_string_equal(summary(f, "t"), "");
}

static void test_constraint_changes(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	mb_con(f->want, w, DBS_CON_UNIQUE, "u_new", false, "email", "age", NULL);
	mb_con(f->live, l, DBS_CON_UNIQUE, "u_old", false, "email", "age", NULL);
	l->constraints.items[2]->check_expr = "\"age\" > 0";     /* inline CHECK changed */
	mb_col(f->want, w, "ref_id", "integer", false);
	mb_col(f->live, l, "ref_id", "integer", false);
	mb_fk(f->want, w, "ref_id", "other", "id", "CASCADE");
	mb_fk(f->live, l, "ref_id", "other", "id", NULL);
	run(f);
	assert_string_equal(summary(f, "t"),
		"add_constraint:- add_constraint:u_new add_constraint:- "
		"drop_constraint:- drop_constraint:u_old drop_constraint:-");
}

static void test_primary_key_change(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	dbs_constraint *pk = w->constraints.items[0];
	pk->inline_col = false;
	DBS_VEC_PUSH(&f->want->arena, &pk->cols, "email");
	run(f);
	/* the key is no longer one column, so AUTOINCREMENT goes too */
	assert_string_equal(summary(f, "t"), "alter_column:id add_constraint:- drop_constraint:-");
}

static void test_index_changes(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	w->indexes.items[0]->parts.items[0].desc = true;         /* redefined under the same name */
	mb_index(f->want, w, "email_idx", false, "email", NULL);  /* missing */
	mb_index(f->live, l, "stale_idx", false, "age", NULL);    /* not desired */
	dbs_index *p = mb_index(f->want, w, "part_idx", false, "age", NULL);
	p->where_expr = "\"age\" > 3";
	dbs_index *q = mb_index(f->live, l, "PART_IDX", false, "age", NULL);
	q->where_expr = "\"age\" > 3";
	run(f);
	assert_string_equal(summary(f, "t"),
		"drop_index:age_idx drop_index:stale_idx add_index:age_idx add_index:email_idx");
	const dbs_table_diff *td = dbs_diff_find(&f->diff, "t");
	assert_true(td->changes.items[0].redefined);
	assert_false(td->changes.items[1].redefined);
	assert_true(td->changes.items[2].redefined);
}

static void test_generated_autoincrement_options(void **state)
{
	fixture *f = *state;
	dbs_table *l, *w;
	pair(f, &l, &w, "t");
	dbs_column *g1 = mb_col(f->live, l, "g", "integer", false);
	dbs_column *g2 = mb_col(f->want, w, "g", "integer", false);
	g1->generated_expr = g2->generated_expr = "\"age\" * 2";
	g1->generated_stored = false;
	g2->generated_stored = true;
	l->constraints.items[0]->pk_autoincrement = false;
	w->strict = true;
	run(f);
	assert_string_equal(summary(f, "t"), "alter_column:id alter_column:g table_options:");
	const dbs_table_diff *td = dbs_diff_find(&f->diff, "t");
	assert_int_equal(td->changes.items[0].col_diff, DBS_COL_AUTOINCREMENT);
	assert_int_equal(td->changes.items[1].col_diff, DBS_COL_GENERATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identical_and_unrelated_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_table_and_case_insensitive_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_columns_added_dropped_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spelling_differences_are_not_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_key_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_autoincrement_options, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
