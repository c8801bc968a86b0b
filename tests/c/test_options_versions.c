/*
 * Options structs across versions: a caller built against an older header
 * passes the older, shorter layout, and the library takes the fields it has and
 * the defaults for the fields added since. Each older layout here is written
 * out as that version of the header had it and placed at the start of a buffer
 * whose remaining bytes are garbage: a library that read a field the caller's
 * version lacks would read the garbage (a huge count, a wild pointer) and the
 * assertions below, or the crash, would show it. Under ASan the same reads
 * would also be reported as buffer overflows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dbsync/dbsync.h"
#include "dbsync/testing.h"
#include "options.h"
#include "plan_internal.h"

#define GARBAGE 0x5a

/* dbsync_plan_options, version 1 of the header */
#define PLAN_V1_FIELDS \
	unsigned int version; \
	int create_tables; \
	int add_columns; \
	int drop_columns; \
	int alter_columns; \
	int sync_indexes; \
	const char *metadata_json;
#define PLAN_V2_FIELDS \
	int auto_fix_table_case; \
	int auto_rename_tables; \
	const char *const *approved_renames; \
	size_t n_approved_renames; \
	const char *const *drop_tables; \
	size_t n_drop_tables; \
	int count_data_loss;

/* Each layout is written out flat, as the header had it: a nested struct
 * would carry its own tail padding and move the fields after it. */
typedef struct plan_options_v1 {
	PLAN_V1_FIELDS
} plan_options_v1;

/* version 2 added renames, orphan drops and data-loss counts */
typedef struct plan_options_v2 {
	PLAN_V1_FIELDS
	PLAN_V2_FIELDS
} plan_options_v2;

/* version 3 added drop_unmanaged */
typedef struct plan_options_v3 {
	PLAN_V1_FIELDS
	PLAN_V2_FIELDS
	int drop_unmanaged;
} plan_options_v3;

/* dbsync_apply_options, version 1 */
typedef struct apply_options_v1 {
	unsigned int version;
	int verify;
} apply_options_v1;

/* version 2 added retries and progress (version 3: lock_timeout_ms) */
typedef struct apply_options_v2 {
	unsigned int version;
	int verify;
	int max_retries;
	unsigned int retry_base_ms;
	unsigned int retry_max_ms;
	dbsync_progress_fn progress;
	void *progress_user;
} apply_options_v2;

/* An older layout followed by garbage, as a caller's memory would be. */
#define CALLER(type) struct { type o; unsigned char after[256]; }

static void expect_garbage(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != GARBAGE)
			fail_msg("byte %zu after the caller's struct was written", i);
}

/* The layouts above are the current layout's prefixes: a check on the test itself. */
static void test_old_layouts_are_prefixes(void **state)
{
	(void)state;
	assert_int_equal(offsetof(plan_options_v2, auto_fix_table_case),
		offsetof(dbsync_plan_options, auto_fix_table_case));
	assert_int_equal(offsetof(plan_options_v2, count_data_loss), offsetof(dbsync_plan_options, count_data_loss));
	assert_int_equal(offsetof(plan_options_v3, drop_unmanaged), offsetof(dbsync_plan_options, drop_unmanaged));
	assert_true(sizeof(plan_options_v3) <= offsetof(dbsync_plan_options, keep_extra_indexes) + sizeof(int));
	assert_int_equal(offsetof(apply_options_v2, progress_user), offsetof(dbsync_apply_options, progress_user));
	assert_true(sizeof(apply_options_v1) <= offsetof(dbsync_apply_options, max_retries));
}

static void expect_plan_defaults(const dbsync_plan_options *o)
{
	const dbsync_plan_options d = DBSYNC_PLAN_OPTIONS_INIT;
	assert_int_equal(o->version, DBSYNC_PLAN_OPTIONS_VERSION);
	assert_int_equal(o->create_tables, d.create_tables);
	assert_int_equal(o->add_columns, d.add_columns);
	assert_int_equal(o->drop_columns, d.drop_columns);
	assert_int_equal(o->alter_columns, d.alter_columns);
	assert_int_equal(o->sync_indexes, d.sync_indexes);
	assert_null(o->metadata_json);
	assert_int_equal(o->auto_fix_table_case, d.auto_fix_table_case);
	assert_int_equal(o->auto_rename_tables, d.auto_rename_tables);
	assert_null(o->approved_renames);
	assert_int_equal(o->n_approved_renames, 0);
	assert_null(o->drop_tables);
	assert_int_equal(o->n_drop_tables, 0);
	assert_int_equal(o->count_data_loss, d.count_data_loss);
	assert_int_equal(o->drop_unmanaged, d.drop_unmanaged);
	assert_int_equal(o->keep_extra_indexes, d.keep_extra_indexes);
}

/* The documented apply defaults. */
static void expect_apply_defaults(const dbsync_apply_options *o)
{
	assert_int_equal(o->version, DBSYNC_APPLY_OPTIONS_VERSION);
	assert_int_equal(o->verify, 1);
	assert_int_equal(o->max_retries, 0);
	assert_int_equal(o->retry_base_ms, 200);
	assert_int_equal(o->retry_max_ms, 5000);
	assert_null(o->progress);
	assert_null(o->progress_user);
	assert_int_equal(o->lock_timeout_ms, 5000);
}

/* The documented defaults, from the init function and from the macro alike. */
static void test_init_gives_the_defaults(void **state)
{
	(void)state;
	dbsync_plan_options p;
	memset(&p, GARBAGE, sizeof p);
	assert_int_equal(dbsync_plan_options_init(&p, DBSYNC_PLAN_OPTIONS_VERSION), 0);
	expect_plan_defaults(&p);
	assert_int_equal(p.create_tables, 1);
	assert_int_equal(p.drop_columns, 0);
	assert_int_equal(p.auto_fix_table_case, 1);
	assert_int_equal(p.count_data_loss, 1);
	assert_int_equal(p.keep_extra_indexes, 0);

	dbsync_apply_options a;
	memset(&a, GARBAGE, sizeof a);
	assert_int_equal(dbsync_apply_options_init(&a, DBSYNC_APPLY_OPTIONS_VERSION), 0);
	expect_apply_defaults(&a);

	dbsync_inventory_options i;
	memset(&i, GARBAGE, sizeof i);
	assert_int_equal(dbsync_inventory_options_init(&i, DBSYNC_INVENTORY_OPTIONS_VERSION), 0);
	assert_int_equal(i.version, 2);  /* 2: rows (the catalog's estimates) */
	assert_null(i.owned);
	assert_int_equal(i.n_owned, 0);
	assert_int_equal(i.sizes, 1);
	assert_int_equal(i.views, 1);
	assert_int_equal(i.rows, DBSYNC_COUNT_EXACT);

	dbsync_models_options m;
	memset(&m, GARBAGE, sizeof m);
	assert_int_equal(dbsync_models_options_init(&m, DBSYNC_MODELS_OPTIONS_VERSION), 0);
	assert_int_equal(m.version, 1);
	assert_null(m.tables);
	assert_int_equal(m.n_tables, 0);
	assert_null(m.known_models_json);
	assert_null(m.title);

	dbsync_backup_options b;
	memset(&b, GARBAGE, sizeof b);
	assert_int_equal(dbsync_backup_options_init(&b, DBSYNC_BACKUP_OPTIONS_VERSION), 0);
	assert_int_equal(b.version, 1);
	assert_int_equal(b.method, DBSYNC_BACKUP_AUTO);
}

/* init of `version` into `c`, an older layout followed by garbage: the
 * version is set and not a byte of the garbage is written. */
#define INIT_OLD(c, init, type, v) do { \
	memset(&(c), GARBAGE, sizeof(c)); \
	assert_int_equal(init((type *)&(c).o, v), 0); \
	assert_int_equal((c).o.version, v); \
	expect_garbage((c).after, sizeof((c).after)); \
} while (0)

/* init for an older version writes that version's fields and nothing after them. */
static void test_init_of_an_older_version_stays_in_its_layout(void **state)
{
	(void)state;
	CALLER(plan_options_v1) p1;
	INIT_OLD(p1, dbsync_plan_options_init, dbsync_plan_options, 1);
	assert_int_equal(p1.o.create_tables, 1);
	assert_int_equal(p1.o.drop_columns, 0);
	assert_null(p1.o.metadata_json);
	CALLER(plan_options_v2) p2;
	INIT_OLD(p2, dbsync_plan_options_init, dbsync_plan_options, 2);
	assert_int_equal(p2.o.auto_fix_table_case, 1);
	assert_int_equal(p2.o.count_data_loss, 1);
	CALLER(plan_options_v3) p3;
	INIT_OLD(p3, dbsync_plan_options_init, dbsync_plan_options, 3);
	assert_int_equal(p3.o.drop_unmanaged, 0);
	CALLER(apply_options_v1) a1;
	INIT_OLD(a1, dbsync_apply_options_init, dbsync_apply_options, 1);
	assert_int_equal(a1.o.verify, 1);
	CALLER(apply_options_v2) a2;
	INIT_OLD(a2, dbsync_apply_options_init, dbsync_apply_options, 2);
	assert_int_equal(a2.o.retry_max_ms, 5000);
	assert_null(a2.o.progress_user);
}

static void test_unknown_versions_are_refused(void **state)
{
	(void)state;
	dbsync_plan_options p;
	assert_int_equal(dbsync_plan_options_init(&p, 0), DBSYNC_EINVALID);
	assert_int_equal(dbsync_plan_options_init(&p, DBSYNC_PLAN_OPTIONS_VERSION + 1), DBSYNC_EINVALID);
	assert_int_equal(dbsync_plan_options_init(NULL, 1), DBSYNC_EINVALID);
	dbsync_apply_options a;
	assert_int_equal(dbsync_apply_options_init(&a, DBSYNC_APPLY_OPTIONS_VERSION + 1), DBSYNC_EINVALID);
	dbsync_inventory_options i;
	assert_int_equal(dbsync_inventory_options_init(&i, 3), DBSYNC_EINVALID);
	dbsync_models_options m;
	assert_int_equal(dbsync_models_options_init(&m, 0), DBSYNC_EINVALID);
	dbsync_backup_options b;
	assert_int_equal(dbsync_backup_options_init(&b, 2), DBSYNC_EINVALID);

	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, "sqlite::memory:"), 0);
	dbsync_schema *want = NULL;
	const char *ddl = "CREATE TABLE t (id integer PRIMARY KEY);";
	assert_int_equal(dbsync_schema_parse(&want, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)), 0);
	dbsync_plan_options future = DBSYNC_PLAN_OPTIONS_INIT;
	future.version = DBSYNC_PLAN_OPTIONS_VERSION + 1;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, want, &future), DBSYNC_EINVALID);
	assert_null(plan);
	assert_string_equal(dbsync_ctx_error(ctx)->message, "plan options version 5 is not supported (1 to 4)");
	dbsync_inventory_options inv = DBSYNC_INVENTORY_OPTIONS_INIT;
	inv.version = 0;
	char *json = NULL;
	assert_int_equal(dbsync_conn_inventory(&json, ctx, conn, &inv), DBSYNC_EINVALID);
	assert_null(json);
	assert_string_equal(dbsync_ctx_error(ctx)->message, "inventory options version 0 is not supported (1 to 2)");
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* The reader, field by field: the caller's fields, then the defaults. */
static void test_older_apply_options_read_with_defaults(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_apply_options out;

	CALLER(apply_options_v1) a1;
	memset(&a1, GARBAGE, sizeof a1);
	a1.o.version = 1;
	a1.o.verify = 0;
	assert_int_equal(dbs_apply_options_read(&out, ctx, (const dbsync_apply_options *)&a1.o), 0);
	assert_int_equal(out.verify, 0);
	out.verify = 1;
	expect_apply_defaults(&out);

	CALLER(apply_options_v2) a2;
	memset(&a2, GARBAGE, sizeof a2);
	int user = 0;
	a2.o.version = 2;
	a2.o.verify = 1;
	a2.o.max_retries = 3;
	a2.o.retry_base_ms = 10;
	a2.o.retry_max_ms = 20;
	a2.o.progress = NULL;
	a2.o.progress_user = &user;
	assert_int_equal(dbs_apply_options_read(&out, ctx, (const dbsync_apply_options *)&a2.o), 0);
	assert_int_equal(out.verify, 1);
	assert_int_equal(out.max_retries, 3);
	assert_int_equal(out.retry_base_ms, 10);
	assert_int_equal(out.retry_max_ms, 20);
	assert_ptr_equal(out.progress_user, &user);
	assert_int_equal(out.lock_timeout_ms, 5000);

	/* NULL reads as the defaults; the current version is taken whole */
	assert_int_equal(dbs_apply_options_read(&out, ctx, NULL), 0);
	assert_int_equal(out.lock_timeout_ms, 5000);
	dbsync_apply_options now = DBSYNC_APPLY_OPTIONS_INIT;
	now.lock_timeout_ms = 7;
	assert_int_equal(dbs_apply_options_read(&out, ctx, &now), 0);
	assert_int_equal(out.lock_timeout_ms, 7);
	dbsync_ctx_free(ctx);
}

typedef struct fixture {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_schema *want;
	dbsync_plan *plan;
} fixture;

/*
 * Live: `t` with a column and an index the desired schema lacks, two rows.
 * What the older fields ask for is visible in the plan, and so are the
 * defaults of the newer ones: count_data_loss (version 2) counts the dropped
 * column's values, keep_extra_indexes (version 4) lets the extra index be
 * dropped. The plan's own copy of the options shows every field.
 */
static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_int_equal(dbsync_ctx_new(&f->ctx), 0);
	assert_int_equal(dbsync_conn_open_url(&f->conn, f->ctx, "sqlite::memory:"), 0);
	assert_int_equal(dbsync_conn_exec(f->ctx, f->conn,
		"CREATE TABLE t (id integer NOT NULL PRIMARY KEY, a integer NULL, old text NULL);"
		"CREATE INDEX t_a ON t (a);"
		"INSERT INTO t VALUES (1, 1, 'x'), (2, 2, 'y');"), 0);
	const char *ddl = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, a integer NULL);";
	assert_int_equal(dbsync_schema_parse(&f->want, f->ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	dbsync_plan_free(f->plan);
	dbsync_schema_free(f->want);
	dbsync_conn_close(f->conn);
	dbsync_ctx_free(f->ctx);
	free(f);
	return 0;
}

static const dbsync_op *find_op(const dbsync_plan *plan, dbsync_op_kind kind)
{
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		if (dbsync_plan_op(plan, i)->kind == kind)
			return dbsync_plan_op(plan, i);
	fail_msg("no %s operation", dbsync_op_kind_name(kind));
	return NULL;
}

static void plan(fixture *f, const void *opts)
{
	dbsync_plan_free(f->plan);
	f->plan = NULL;
	if (dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, opts))
		fail_msg("plan: %s", dbsync_ctx_error(f->ctx)->message);
}

/*
 * Plan with a caller's struct asking for drop_columns: the dropped column's
 * count shows count_data_loss (`affected`: 2 counted, -1 not), the index drop
 * shows keep_extra_indexes at its default. Returns the plan's copy of the
 * options with drop_columns put back to its default.
 */
static dbsync_plan_options plan_dropping_columns(fixture *f, const void *opts, int64_t affected)
{
	plan(f, opts);
	const dbsync_op *col = find_op(f->plan, DBSYNC_OP_DROP_COLUMN);
	assert_int_equal(col->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(col->affected, affected);
	assert_int_equal(find_op(f->plan, DBSYNC_OP_DROP_INDEX)->status, DBSYNC_STATUS_PENDING);
	dbsync_plan_options o = f->plan->opts;
	assert_int_equal(o.drop_columns, 1);
	o.drop_columns = 0;
	return o;
}

static void test_plan_options_version_1(void **state)
{
	CALLER(plan_options_v1) c;
	memset(&c, GARBAGE, sizeof c);
	c.o = (plan_options_v1){ 1, 1, 1, 1, 1, 1, NULL };
	dbsync_plan_options o = plan_dropping_columns(*state, &c.o, 2);  /* count_data_loss: default 1 */
	expect_plan_defaults(&o);
}

static void test_plan_options_version_2(void **state)
{
	CALLER(plan_options_v2) c;
	memset(&c, GARBAGE, sizeof c);
	c.o = (plan_options_v2){ 2, 1, 1, 1, 1, 1, NULL, 1, 0, NULL, 0, NULL, 0, 0 };
	dbsync_plan_options o = plan_dropping_columns(*state, &c.o, -1);  /* count_data_loss = 0 */
	assert_int_equal(o.count_data_loss, 0);
	o.count_data_loss = 1;
	expect_plan_defaults(&o);
}

static void test_plan_options_version_3(void **state)
{
	fixture *f = *state;
	CALLER(plan_options_v3) c;
	memset(&c, GARBAGE, sizeof c);
	c.o = (plan_options_v3){ 3, 1, 1, 1, 1, 1, NULL, 1, 0, NULL, 0, NULL, 0, 1, 0 };
	dbsync_plan_options o = plan_dropping_columns(f, &c.o, 2);
	expect_plan_defaults(&o);

	/* the current layout with keep_extra_indexes = 1: the index is kept */
	dbsync_plan_options now;
	assert_int_equal(dbsync_plan_options_init(&now, DBSYNC_PLAN_OPTIONS_VERSION), 0);
	now.drop_columns = 1;
	now.keep_extra_indexes = 1;
	plan(f, &now);
	assert_int_equal(find_op(f->plan, DBSYNC_OP_DROP_INDEX)->status, DBSYNC_STATUS_SKIPPED);
}

static int progress_calls(void *user, size_t done, size_t total, const dbsync_op *op, int finished)
{
	(void)done, (void)total, (void)op, (void)finished;
	++*(int *)user;
	return 0;
}

/* Applying with older apply options: a garbage progress pointer would crash here. */
static void test_apply_options_versions_1_and_2(void **state)
{
	fixture *f = *state;
	dbsync_plan_options po;
	assert_int_equal(dbsync_plan_options_init(&po, DBSYNC_PLAN_OPTIONS_VERSION), 0);
	po.drop_columns = 1;
	plan(f, &po);
	CALLER(apply_options_v1) a1;
	memset(&a1, GARBAGE, sizeof a1);
	a1.o = (apply_options_v1){ 1, 1 };
	if (dbsync_plan_apply(f->ctx, f->conn, f->plan, (const dbsync_apply_options *)&a1.o))
		fail_msg("apply: %s", dbsync_ctx_error(f->ctx)->message);
	assert_int_equal(find_op(f->plan, DBSYNC_OP_DROP_COLUMN)->status, DBSYNC_STATUS_APPLIED);
	assert_int_equal(find_op(f->plan, DBSYNC_OP_DROP_INDEX)->status, DBSYNC_STATUS_APPLIED);

	assert_int_equal(dbsync_conn_exec(f->ctx, f->conn, "ALTER TABLE t ADD COLUMN old text NULL"), 0);
	plan(f, &po);
	int calls = 0;
	CALLER(apply_options_v2) a2;
	memset(&a2, GARBAGE, sizeof a2);
	a2.o = (apply_options_v2){ 2, 1, 0, 200, 5000, progress_calls, &calls };
	if (dbsync_plan_apply(f->ctx, f->conn, f->plan, (const dbsync_apply_options *)&a2.o))
		fail_msg("apply: %s", dbsync_ctx_error(f->ctx)->message);
	assert_int_equal(calls, 2);   /* before and after the one operation */
	assert_int_equal(find_op(f->plan, DBSYNC_OP_DROP_COLUMN)->status, DBSYNC_STATUS_APPLIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_layouts_are_prefixes),
		cmocka_unit_test(test_init_gives_the_defaults),
		cmocka_unit_test(test_init_of_an_older_version_stays_in_its_layout),
		cmocka_unit_test(test_unknown_versions_are_refused),
		cmocka_unit_test(test_older_apply_options_read_with_defaults),
		cmocka_unit_test_setup_teardown(test_plan_options_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_options_version_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_options_version_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_options_versions_1_and_2, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
