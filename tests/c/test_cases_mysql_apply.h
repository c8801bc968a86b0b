/*
 * Part of test_cases_mysql.c (included once, after its helpers): applying
 * on a server whose DDL commits statement by statement. A failing statement
 * is reported exactly and a new run converges; two applies never interleave.
 */

static const char mid_current[] =
	"CREATE TABLE `author` (`id` int NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL); "
	"CREATE TABLE `book` (`id` int NOT NULL PRIMARY KEY, `title` varchar(50) NULL, `author_id` int NULL); "
	"INSERT INTO `author` VALUES (1, 'Ann'), (2, 'Bob'); "
	"INSERT INTO `book` VALUES (1, 'A', 1), (2, 'B', 2), (3, NULL, NULL)";
static const char mid_desired[] =
	"CREATE TABLE `author` (`id` integer NOT NULL PRIMARY KEY, `name` varchar(80) NOT NULL, `born` date NULL);\n"
	"CREATE TABLE `book` (`id` integer NOT NULL PRIMARY KEY, `title` varchar(50) NULL UNIQUE, "
	"`author_id` integer NULL, `pages` integer NULL);\n"
	"CREATE TABLE `shelf` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY);\n"
	"ALTER TABLE `book` ADD CONSTRAINT `book_author_id_fk` FOREIGN KEY (`author_id`) REFERENCES `author` (`id`);\n";

static void failure_mid_plan_reported_and_rerun_converges(void **state)
{
	(void)state;
	const char *db = "mid_plan_failure";
	case_file cf = { .name = "mid-plan failure" };
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = server_test_open(&my_cases, db, &ctx);
	exec_ok(ctx, conn, mid_current);
	dbsync_schema *desired = parse_or_fail(ctx, MYD, "mid-plan", mid_desired);
	dbsync_plan *plan = plan_or_fail("mid-plan", ctx, conn, desired, NULL);
	size_t pending = dbsync_plan_pending_count(plan);
	assert_true(pending >= 6);
	/* the unique constraint's count said 0 duplicates when planning; a row
	 * written since makes its statement fail after others already ran */
	exec_ok(ctx, conn, "INSERT INTO `book` VALUES (4, 'A', 1)");
	char *rows_before = dump_rows(db);

	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->native_code, 1062); /* ER_DUP_ENTRY */
	assert_string_equal(e->sqlstate, "23000");
	size_t failed = 0, applied = 0, after_failed = 0, failed_at = 0;
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		if (op->status == DBSYNC_STATUS_FAILED) {
			failed++;
			failed_at = i;
			assert_int_equal(op->kind, DBSYNC_OP_ADD_CONSTRAINT);
			assert_non_null(strstr(e->message, op->summary));
		} else if (!failed) {
			/* DDL committed as it ran: everything before the failure is applied */
			assert_int_equal(op->status, DBSYNC_STATUS_APPLIED);
			applied++;
		} else {
			assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
			after_failed++;
		}
	}
	assert_int_equal(failed, 1);
	assert_true(applied >= 3);
	assert_true(after_failed >= 1); /* the foreign key, at least */
	assert_int_equal(applied + failed + after_failed, pending);

	/* no row lost, nor a value changed */
	char *rows_after = dump_rows(db);
	assert_rows_survived(&cf, rows_before, rows_after);
	free(rows_before);
	free(rows_after);
	dbsync_plan_free(plan);

	/* a new run plans from the live state: what ran is not planned again */
	plan = plan_or_fail("mid-plan again", ctx, conn, desired, NULL);
	assert_int_equal(dbsync_plan_op_count(plan), 1 + after_failed);
	bool refused = false;
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		refused |= dbsync_plan_op(plan, i)->status == DBSYNC_STATUS_REFUSED;
	assert_true(refused); /* the duplicate is counted now */
	dbsync_plan_free(plan);
	exec_ok(ctx, conn, "DELETE FROM `book` WHERE `id` = 4");
	plan = plan_or_fail("mid-plan third", ctx, conn, desired, NULL);
	assert_int_equal(dbsync_plan_pending_count(plan), 1 + after_failed);
	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), 0);
	dbsync_plan_free(plan);
	plan = plan_or_fail("mid-plan converged", ctx, conn, desired, NULL);
	assert_int_equal(dbsync_plan_op_count(plan), 0);
	(void)failed_at;
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static bool someone_waits(MYSQL *m)
{
	/* in this program's databases only: other programs may share the server */
	char sql[320];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE "
		"'Waiting for table metadata lock%%' AND INFO LIKE 'ALTER TABLE%%' "
		"AND LEFT(DB, CHAR_LENGTH('%s__')) = '%s__'", server.db, server.db);
	if (mysql_query(m, sql))
		fail_msg("%s", mysql_error(m));
	MYSQL_RES *r = mysql_store_result(m);
	MYSQL_ROW row = mysql_fetch_row(r);
	bool yes = row && row[0] && strcmp(row[0], "0") != 0;
	mysql_free_result(r);
	return yes;
}

typedef struct my_parking {
	MYSQL *blocker, *watch;
} my_parking;

/* A table lock the first apply waits on, after it took GET_LOCK. */
static void *my_park(const char *name)
{
	char db[64];
	my_parking *p = malloc(sizeof *p);
	p->blocker = admin(my_db(name, db));
	p->watch = admin(NULL);
	admin_exec(p->blocker, "LOCK TABLES `item` WRITE");
	return p;
}

static bool my_waiting(void *parking)
{
	return someone_waits(((my_parking *)parking)->watch);
}

static void my_release(void *parking)
{
	my_parking *p = parking;
	admin_exec(p->blocker, "UNLOCK TABLES");
	mysql_close(p->blocker);
	mysql_close(p->watch);
	free(p);
}

static const apply_parking my_parking_lot = {
	.current = "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY); INSERT INTO `item` VALUES (1)",
	.desired = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `note` longtext NULL);\n"
		"CREATE TABLE `tag` (`id` integer NOT NULL PRIMARY KEY);\n",
	.locked_message = "another dbsync run",
	.wait_rounds = 3000, /* a bound against a hang (60 s), not an expected time */
	.park = my_park,
	.waiting = my_waiting,
	.release = my_release,
};

static void concurrent_applies_do_not_interleave(void **state)
{
	(void)state;
	assert_applies_do_not_interleave(&my_cases, &my_parking_lot, "concurrent_applies");
}

/* The desired DDL failing inside the shadow database: the error says so,
 * the shadow is gone, and the connection is back on its own database. */
static void shadow_dropped_when_desired_ddl_fails(void **state)
{
	(void)state;
	const char *db = "shadow_failure";
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = server_test_open(&my_cases, db, &ctx);
	exec_ok(ctx, conn, "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY)");
	/* the parser takes it; the server refuses a varchar this long */
	static const char bad[] = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `t` varchar(99999999) NULL);\n";
	dbsync_schema *desired = parse_or_fail(ctx, MYD, "shadow failure", bad);
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), DBSYNC_EDB);
	assert_null(plan);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_non_null(strstr(e->message, "the desired DDL failed in the shadow database"));
	assert_int_equal(e->native_code, 1074); /* ER_TOO_BIG_FIELDLENGTH */
	assert_no_shadow("shadow failure");
	dbsync_schema *live = NULL;
	assert_int_equal(dbsync_conn_introspect(&live, ctx, conn), 0);
	char *sql = NULL;
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, live), 0);
	assert_non_null(strstr(sql, "`item`")); /* read from its own database again */
	dbsync_free(sql);
	dbsync_schema_free(live);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* A read-only connection (dry runs, checks) plans through the shadow
 * database, yet writes nothing else: the server refuses its DDL, and apply
 * refuses before running anything. */
static void readonly_connection_plans_but_never_writes(void **state)
{
	(void)state;
	const char *db = "readonly_plan";
	dbsync_ctx *ctx = NULL;
	dbsync_conn *rw = server_test_open(&my_cases, db, &ctx);
	exec_ok(ctx, rw, "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY); INSERT INTO `item` VALUES (1)");
	dbsync_conn_close(rw);
	const char *keys[] = { "name", "user", "unix_socket", "readonly" };
	char real_db[64];
	const char *vals[] = { my_db(db, real_db), "root", server_socket, "1" };
	dbsync_conn *ro = NULL;
	if (dbsync_conn_open_params(&ro, ctx, MYD, keys, vals, 4))
		fail_msg("open read-only: %s", dbsync_ctx_error(ctx)->message);
	track_conn(ctx, ro);
	static const char desired_sql[] =
		"CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `note` bool NULL);\n"
		"CREATE TABLE `tag` (`id` integer NOT NULL PRIMARY KEY);\n";
	dbsync_schema *desired = parse_or_fail(ctx, MYD, "readonly", desired_sql);
	for (int round = 0; round < 2; round++) {
		dbsync_plan *plan = plan_or_fail("readonly", ctx, ro, desired, NULL);
		assert_int_equal(dbsync_plan_pending_count(plan), 2);
		assert_no_shadow("readonly");
		/* still read-only after the shadow */
		assert_int_equal(dbsync_conn_exec(ctx, ro, "CREATE TABLE `x` (`id` int)"), DBSYNC_EDB);
		assert_int_equal(dbsync_ctx_error(ctx)->native_code, 1792);
		assert_int_equal(dbsync_plan_apply(ctx, ro, plan, NULL), DBSYNC_EINVALID);
		dbsync_plan_free(plan);
	}
	char *rows = dump_rows(db);
	assert_string_equal(rows, "table item\nid\n1\n");
	free(rows);
	dbsync_schema_free(desired);
	dbsync_conn_close(ro);
	dbsync_ctx_free(ctx);
}

/* One connection runs the shadow once for the same desired DDL: the second
 * plan reads only the live catalog, and plans the same. Other DDL runs it
 * again. */
static void shadow_result_reused_on_one_connection(void **state)
{
	(void)state;
	const char *db = "shadow_reuse";
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = server_test_open(&my_cases, db, &ctx);
	exec_ok(ctx, conn, "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY)");
	static const char one[] = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `n` bool NULL);\n";
	static const char two[] = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `n` bool NULL, `m` date NULL);\n";
	dbsync_schema *d1 = parse_or_fail(ctx, MYD, "reuse", one), *d2 = parse_or_fail(ctx, MYD, "reuse", two);
	uint64_t q0 = dbsync_conn_catalog_queries(conn);
	dbsync_plan *a = plan_or_fail("reuse a", ctx, conn, d1, NULL);
	uint64_t q1 = dbsync_conn_catalog_queries(conn);
	dbsync_plan *b = plan_or_fail("reuse b", ctx, conn, d1, NULL);
	uint64_t q2 = dbsync_conn_catalog_queries(conn);
	assert_true(q2 - q1 < q1 - q0);
	char *la = plan_lines(a), *lb = plan_lines(b);
	assert_string_equal(la, lb);
	assert_string_equal(la, "ALTER TABLE `item` ADD COLUMN `n` tinyint(1) NULL\n");
	dbsync_plan *c = plan_or_fail("reuse c", ctx, conn, d2, NULL);
	uint64_t q3 = dbsync_conn_catalog_queries(conn);
	assert_int_equal(q3 - q2, q1 - q0);
	assert_int_equal(dbsync_plan_pending_count(c), 2);
	free(la);
	free(lb);
	dbsync_plan_free(a);
	dbsync_plan_free(b);
	dbsync_plan_free(c);
	dbsync_schema_free(d1);
	dbsync_schema_free(d2);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static const struct CMUnitTest apply_tests[] = {
	{ "shadow_result_reused_on_one_connection", shadow_result_reused_on_one_connection, NULL, NULL, NULL },
	{ "readonly_connection_plans_but_never_writes", readonly_connection_plans_but_never_writes, NULL, NULL, NULL },
	{ "shadow_dropped_when_desired_ddl_fails", shadow_dropped_when_desired_ddl_fails, NULL, NULL, NULL },
	{ "failure_mid_plan_reported_and_rerun_converges", failure_mid_plan_reported_and_rerun_converges, NULL, NULL,
		NULL },
	{ "concurrent_applies_do_not_interleave", concurrent_applies_do_not_interleave, NULL, NULL, NULL },
};
