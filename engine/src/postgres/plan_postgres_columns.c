/*
 * Column changes of one existing PostgreSQL table: ADD COLUMN (NOT NULL
 * columns filled from the model's default in the same transaction), DROP
 * COLUMN (only with drop_columns), and ALTER COLUMN for type, nullability,
 * default, identity and generation. A change that would fail on the rows
 * already there is counted first and refused alone, with the count.
 */
#include <inttypes.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_fill.h"
#include "plan_postgres.h"
#include "plan_precount.h"
#include "pg_identity.h"
#include "render_postgres.h"

static void alter_column(pg_table *pt, const char *column)
{
	dbs_pg_alter_prefix(pt);
	dbs_buf_puts(&pt->sql, "ALTER COLUMN ");
	dbs_quote_ident(&pt->sql, PG, column);
	dbs_buf_putc(&pt->sql, ' ');
}

/* A refused change of the table's column, alone in its operation. */
static int refuse(pg_table *pt, dbsync_op_kind kind, const char *column, const char *summary, const char *reason)
{
	return dbs_planner_refuse(pt->p, DBS_STAGE_ALTER, kind, pt->L->name, column, summary, reason);
}

static int add_column(pg_table *pt, const dbs_column *c)
{
	dbs_planner *p = pt->p;
	dbs_arena *a = &p->plan->arena;
	const char *label = dbs_planner_label(p, pt->W->name, c->name);
	const char *summary = dbs_arena_printf(a, "add column `%s` to `%s`%s", c->name, pt->L->name, label);
	const char *fill = NULL;
	int rc;
	if (!summary)
		return dbs_error_oom(p->ctx);
	if (p->plan->opts.add_columns && dbs_column_needs_fill(PG, pt->W, c)) {
		int64_t rows;
		if ((rc = dbs_pg_count_rows(pt, &rows)))
			return rc;
		dbs_fill_kind kind = DBS_FILL_NONE;
		if (rows > 0 && (rc = dbs_fill_for(p, pt->W->name, c->name, &kind, &fill)))
			return rc;
		if (rows > 0 && kind == DBS_FILL_NONE) {
			if (DBS_VEC_PUSH(a, &pt->absent, c->name))
				return dbs_error_oom(p->ctx);
			const char *why = dbs_fill_refusal(p, pt->L->name, pt->W->name, c->name, rows, false);
			return why ? refuse(pt, DBSYNC_OP_ADD_COLUMN, c->name, summary, why) : dbs_error_oom(p->ctx);
		}
		if (kind == DBS_FILL_DEFERRED &&
		    !(summary = dbs_arena_printf(a, "%s, existing rows filled from the field's default", summary)))
			return dbs_error_oom(p->ctx);
	}
	dbs_op_build *op = dbs_pg_op(pt, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN, DBSYNC_RISK_SAFE, c->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_pg_alter_prefix(pt);
	dbs_buf_puts(&pt->sql, "ADD COLUMN ");
	dbs_column src = dbs_pg_source_column(p, pt->W->name, c);
	if (fill) {
		/* As Django's add_field does: the existing rows take the value as a
		 * default, which is dropped again. No UPDATE, so no row rewrite (11+)
		 * and no queued deferred-FK events, which would forbid the next ALTER
		 * of this table in the same transaction. */
		dbs_column filled = src;
		filled.default_expr = fill;
		dbs_pg_render_column_def(&pt->sql, &filled);
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
		alter_column(pt, c->name);
		dbs_buf_puts(&pt->sql, "DROP DEFAULT");
	} else {
		dbs_pg_render_column_def(&pt->sql, &src);
	}
	if ((rc = dbs_pg_put(pt, op)) || (rc = dbs_op_summary(p, op, "%s", summary)))
		return rc;
	if (!p->plan->opts.add_columns) {
		if (DBS_VEC_PUSH(a, &pt->absent, c->name))
			return dbs_error_oom(p->ctx);
		return dbs_op_skip(p, op, "AUTO_ADD_COLUMNS is off");
	}
	return DBS_VEC_PUSH(a, &pt->added, c->name) ? dbs_error_oom(p->ctx) : 0;
}

static int drop_column(pg_table *pt, const dbs_column *c)
{
	dbs_planner *p = pt->p;
	dbs_op_build *op = dbs_pg_op(pt, DBS_STAGE_ALTER, DBSYNC_OP_DROP_COLUMN, DBSYNC_RISK_DATA_LOSS, c->name);
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_pg_alter_prefix(pt);
	dbs_buf_puts(&pt->sql, "DROP COLUMN ");
	dbs_quote_ident(&pt->sql, PG, c->name);
	if ((rc = dbs_pg_put(pt, op)) ||
	    (rc = dbs_op_summary(p, op, "drop column `%s` from `%s` (no model has it)", c->name, pt->L->name)))
		return rc;
	return p->plan->opts.drop_columns ? 0 : dbs_op_skip(p, op, "AUTO_DROP_COLUMNS is off");
}

/* A generated column's expression cannot be altered before PostgreSQL 17:
 * dropping and adding it loses nothing, the values are computed again. A
 * plain column becoming generated loses its values: that needs drop_columns. */
static int regenerate(pg_table *pt, const dbs_column *lc, const dbs_column *wc, dbs_op_build *op)
{
	int rc;
	dbs_pg_alter_prefix(pt);
	dbs_buf_puts(&pt->sql, "DROP COLUMN ");
	dbs_quote_ident(&pt->sql, PG, lc->name);
	if ((rc = dbs_pg_put(pt, op)))
		return rc;
	dbs_pg_alter_prefix(pt);
	dbs_buf_puts(&pt->sql, "ADD COLUMN ");
	dbs_column src = dbs_pg_source_column(pt->p, pt->W->name, wc);
	dbs_pg_render_column_def(&pt->sql, &src);
	if ((rc = dbs_pg_put(pt, op)))
		return rc;
	if (!lc->generated_expr) {
		op->op.risk = DBSYNC_RISK_DATA_LOSS;
		if (!pt->p->plan->opts.drop_columns)
			return dbs_op_skip(pt->p, op, "AUTO_DROP_COLUMNS is off: the column's values would be replaced "
				"by the generated ones");
	} else if (op->op.risk < DBSYNC_RISK_LOCKING) {
		op->op.risk = DBSYNC_RISK_LOCKING; /* ADD COLUMN of a stored generated column rewrites the table */
	}
	return 0;
}

/* The type change, unless it would lose values: then a refusal of its own. */
static int type_change(pg_table *pt, dbs_op_build *op, const dbs_column *lc, const dbs_column *wc, unsigned diff,
	bool counted)
{
	dbs_planner *p = pt->p;
	int rc;
	if ((diff & DBS_COL_TYPE) && counted) {
		int64_t lossy;
		const char *what;
		if ((rc = dbs_count_lossy(p, pt->L->name, lc, wc, &lossy, &what)))
			return rc;
		if (lossy > 0) {
			const char *summary = dbs_arena_printf(&p->plan->arena, "change type of column `%s` of `%s` "
				"to %s%s", wc->name, pt->L->name, wc->type, dbs_planner_label(p, pt->W->name, wc->name));
			const char *why = dbs_arena_printf(&p->plan->arena, "column \"%s\" of \"%s\"%s has %" PRId64
				" value%s %s, so changing its type from %s to %s would fail or change them: fix those rows "
				"or keep the type", wc->name, pt->L->name, dbs_planner_field_ref(pt->p, pt->W->name, wc->name), lossy,
				dbs_plural(lossy), what, lc->type, wc->type);
			if (!summary || !why)
				return dbs_error_oom(p->ctx);
			return refuse(pt, DBSYNC_OP_ALTER_COLUMN, wc->name, summary, why);
		}
	}
	alter_column(pt, wc->name);
	dbs_buf_printf(&pt->sql, "TYPE %s", wc->type);
	if (wc->collation) {
		dbs_buf_puts(&pt->sql, " COLLATE ");
		dbs_quote_ident(&pt->sql, PG, wc->collation);
	}
	if (diff & DBS_COL_TYPE) {
		dbs_buf_puts(&pt->sql, " USING ");
		dbs_quote_ident(&pt->sql, PG, wc->name);
		dbs_buf_printf(&pt->sql, "::%s", wc->type);
	}
	op->op.risk = DBSYNC_RISK_LOCKING;
	return dbs_pg_put(pt, op);
}

/* SET NOT NULL, after filling the NULLs from the default when there is one. */
static int tighten(pg_table *pt, dbs_op_build *op, const dbs_column *lc, const dbs_column *wc, bool counted)
{
	dbs_planner *p = pt->p;
	int64_t nulls = 0;
	int rc;
	if (counted && (rc = dbs_count_nulls(p, pt->L->name, lc->name, &nulls)))
		return rc;
	if (nulls > 0) {
		const char *fill = NULL;
		dbs_fill_kind kind;
		if ((rc = dbs_not_null_fill(p, pt->W->name, wc, &kind, &fill)))
			return rc;
		if (!fill) {
			const char *summary = dbs_arena_printf(&p->plan->arena, "make column `%s` of `%s` NOT NULL%s",
				wc->name, pt->L->name, dbs_planner_label(p, pt->W->name, wc->name));
			const char *why = dbs_fill_refusal(p, pt->L->name, pt->W->name, wc->name, nulls, true);
			if (!summary || !why)
				return dbs_error_oom(p->ctx);
			return refuse(pt, DBSYNC_OP_ALTER_COLUMN, wc->name, summary, why);
		}
		if (kind == DBS_FILL_DEFERRED &&
		    (rc = dbs_op_detail(p, op, "NULLs filled from the field's default when applying")))
			return rc;
		dbs_buf_clear(&pt->sql);
		dbs_buf_puts(&pt->sql, "UPDATE ");
		dbs_quote_ident(&pt->sql, PG, pt->L->name);
		dbs_buf_puts(&pt->sql, " SET ");
		dbs_quote_ident(&pt->sql, PG, wc->name);
		dbs_buf_printf(&pt->sql, " = %s WHERE ", fill);
		dbs_quote_ident(&pt->sql, PG, wc->name);
		dbs_buf_puts(&pt->sql, " IS NULL");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
		/* the UPDATE queued the checks of deferred foreign keys, and an ALTER
		 * TABLE with checks pending is refused: run them now */
		dbs_buf_puts(&pt->sql, "SET CONSTRAINTS ALL IMMEDIATE");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	alter_column(pt, wc->name);
	dbs_buf_puts(&pt->sql, "SET NOT NULL");
	op->op.risk = DBSYNC_RISK_LOCKING;
	return dbs_pg_put(pt, op);
}

/* An existing column becomes serial (bigserial, ...): the server makes the
 * sequence only in CREATE TABLE and ADD COLUMN, so the plan makes it, as the
 * shadow named and typed it, owned by the column, set past the rows, and
 * then the column's default. */
static int make_serial(pg_table *pt, dbs_op_build *op, const dbs_column *wc)
{
	int rc;
	dbs_buf_printf(&pt->sql, "CREATE SEQUENCE %s AS %s OWNED BY ", wc->sequence, wc->sequence_type);
	dbs_quote_ident(&pt->sql, PG, pt->L->name);
	dbs_buf_putc(&pt->sql, '.');
	dbs_quote_ident(&pt->sql, PG, wc->name);
	if ((rc = dbs_pg_put(pt, op)))
		return rc;
	dbs_buf_puts(&pt->sql, "SELECT pg_catalog.setval(");
	dbs_quote_literal(&pt->sql, PG, wc->sequence);
	dbs_buf_puts(&pt->sql, ", COALESCE(max(");
	dbs_quote_ident(&pt->sql, PG, wc->name);
	dbs_buf_puts(&pt->sql, "), 0) + 1, false) FROM ");
	dbs_quote_ident(&pt->sql, PG, pt->L->name);
	if ((rc = dbs_pg_put(pt, op)))
		return rc;
	alter_column(pt, wc->name);
	dbs_buf_puts(&pt->sql, "SET DEFAULT ");
	dbs_pg_put_default(&pt->sql, wc->default_expr);
	return dbs_pg_put(pt, op);
}

static int set_default(pg_table *pt, dbs_op_build *op, const dbs_column *wc)
{
	dbs_column src = dbs_pg_source_column(pt->p, pt->W->name, wc);
	if (wc->default_expr && !src.default_expr) {
		/* written serial: the server's nextval() of the sequence it owns */
		if (wc->sequence && wc->sequence_type)
			return make_serial(pt, op, wc);
		src.default_expr = wc->default_expr;
	}
	alter_column(pt, wc->name);
	if (wc->default_expr) {
		dbs_buf_puts(&pt->sql, "SET DEFAULT ");
		dbs_pg_put_default(&pt->sql, src.default_expr);
	} else {
		dbs_buf_puts(&pt->sql, "DROP DEFAULT");
	}
	return dbs_pg_put(pt, op);
}

/* Clauses were appended from `from` on, each with a leading space; the
 * first's is one too many after "ALTER COLUMN c ". */
static void drop_first_space(dbs_buf *b, size_t from)
{
	if (b->len > from && b->ptr[from] == ' ') {
		memmove(b->ptr + from, b->ptr + from + 1, b->len - from - 1);
		b->len--;
		b->ptr[b->len] = '\0';
	}
}

static int query_int(dbs_planner *p, dbs_buf *q, int64_t *out)
{
	int rc = dbs_buf_ok(q) ? p->conn->backend->query_int64(out, p->ctx, p->conn, dbs_buf_cstr(q))
			       : dbs_error_oom(p->ctx);
	dbs_buf_free(q);
	return rc;
}

/* New identity options whose range leaves out the live sequence's position
 * fail (the server checks it). Then, and only then, the sequence restarts:
 * at the new START WITH, or past the rows when they reach beyond it (counted
 * now), so no value it hands out is one the column holds. Appends
 * " RESTART WITH n" to the ALTER COLUMN being written; the rows decide nothing
 * else, the server refuses a restart outside the new range itself. */
static int restart_if_outside(pg_table *pt, const dbs_column *lc, const dbs_column *wc)
{
	dbs_planner *p = pt->p;
	if (!p->conn || !lc->sequence)
		return 0;
	dbs_pg_seq want;
	dbs_pg_identity_values(wc->type, wc->identity_options, &want);
	dbs_buf q = DBS_BUF_INIT;
	int64_t last;
	dbs_buf_printf(&q, "SELECT last_value FROM %s", lc->sequence);
	int rc = query_int(p, &q, &last);
	if (rc || (last >= want.min && last <= want.max))
		return rc;
	bool up = want.increment > 0;
	int64_t edge = 0, rows = 0;
	if ((rc = dbs_pg_count_rows(pt, &rows)))
		return rc;
	int64_t at = want.start;
	if (rows > 0) {
		dbs_buf_printf(&q, "SELECT %s(", up ? "max" : "min");
		dbs_quote_ident(&q, PG, lc->name);
		dbs_buf_puts(&q, ")::bigint FROM ");
		dbs_quote_ident(&q, PG, pt->L->name);
		if ((rc = query_int(p, &q, &edge)))
			return rc;
		if (up && edge >= at && edge < INT64_MAX)
			at = edge + 1;
		else if (!up && edge <= at && edge > INT64_MIN)
			at = edge - 1;
	}
	dbs_buf_printf(&pt->sql, " RESTART WITH %" PRId64, at);
	return 0;
}

/* Identity added to a column with rows: its sequence must start past them
 * (unless its options choose a start: START WITH). */
static int add_identity(pg_table *pt, dbs_op_build *op, const dbs_column *wc)
{
	int rc;
	alter_column(pt, wc->name);
	dbs_buf_printf(&pt->sql, "ADD GENERATED %s AS IDENTITY", wc->identity);
	if (wc->identity_options)
		dbs_buf_printf(&pt->sql, " (%s)", wc->identity_options);
	if ((rc = dbs_pg_put(pt, op)))
		return rc;
	if (wc->identity_options && strstr(wc->identity_options, "START WITH"))
		return 0; /* a chosen start is kept; rows past it are the user's to mind */
	dbs_buf q = DBS_BUF_INIT;
	dbs_quote_ident(&q, PG, pt->L->name);
	dbs_buf_puts(&pt->sql, "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(");
	dbs_quote_literal(&pt->sql, PG, dbs_buf_cstr(&q));
	dbs_buf_puts(&pt->sql, ", ");
	dbs_quote_literal(&pt->sql, PG, wc->name);
	dbs_buf_puts(&pt->sql, "), COALESCE(max(");
	dbs_quote_ident(&pt->sql, PG, wc->name);
	dbs_buf_puts(&pt->sql, "), 0) + 1, false) FROM ");
	dbs_quote_ident(&pt->sql, PG, pt->L->name);
	if (!dbs_buf_ok(&q))
		pt->sql.oom = true;
	dbs_buf_free(&q);
	return dbs_pg_put(pt, op);
}

static int alter(pg_table *pt, const dbs_change *ch)
{
	dbs_planner *p = pt->p;
	const dbs_column *lc = ch->live_col, *wc = ch->want_col;
	unsigned diff = ch->col_diff;
	bool on = p->plan->opts.alter_columns;
	int rc;
	dbs_op_build *op = dbs_pg_op(pt, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, DBSYNC_RISK_SAFE, wc->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "change column `%s` of `%s`%s", wc->name, pt->L->name,
		dbs_planner_label(p, pt->W->name, wc->name))))
		return rc;
	if ((diff & DBS_COL_GENERATED) && wc->generated_expr) {
		if ((rc = regenerate(pt, lc, wc, op)))
			return rc;
		return on || op->op.status != DBSYNC_STATUS_PENDING ? 0 : dbs_op_skip(p, op, "alter_columns is off");
	}
	if ((diff & DBS_COL_GENERATED) && lc->generated_expr && p->conn && p->conn->server_num &&
	    p->conn->server_num < 130000) {
		/* dropping and adding the column would lose its values */
		op->op.status = DBSYNC_STATUS_REFUSED;
		return dbs_op_reason(p, op, "PostgreSQL %s cannot make a generated column ordinary and keep "
			"its values (ALTER COLUMN ... DROP EXPRESSION needs PostgreSQL 13)", p->conn->server_version);
	}
	if ((diff & DBS_COL_GENERATED) && lc->generated_expr) {
		alter_column(pt, wc->name);
		dbs_buf_puts(&pt->sql, "DROP EXPRESSION");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	bool retype = diff & (DBS_COL_TYPE | DBS_COL_COLLATION);
	bool identity_change = diff & DBS_COL_IDENTITY;
	/* a default of the old type, or one in the way of an identity, goes first */
	bool default_first = (diff & DBS_COL_DEFAULT) && lc->default_expr && (retype || identity_change);
	if (default_first) {
		alter_column(pt, wc->name);
		dbs_buf_puts(&pt->sql, "DROP DEFAULT");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	if (identity_change && lc->identity && !wc->identity) {
		alter_column(pt, wc->name);
		dbs_buf_puts(&pt->sql, "DROP IDENTITY");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	if (retype && (rc = type_change(pt, op, lc, wc, diff, on)))
		return rc;
	if ((diff & DBS_COL_SEQUENCE) && lc->sequence) {
		/* serial -> bigserial: the sequence must count as far as the column */
		dbs_buf_printf(&pt->sql, "ALTER SEQUENCE %s AS %s", lc->sequence, wc->sequence_type);
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	if ((diff & DBS_COL_DEFAULT) && (wc->default_expr || !default_first) && !wc->identity &&
	    (rc = set_default(pt, op, wc)))
		return rc;
	if ((diff & DBS_COL_NOT_NULL) && wc->not_null && (rc = tighten(pt, op, lc, wc, on)))
		return rc;
	if ((diff & DBS_COL_NOT_NULL) && !wc->not_null) {
		alter_column(pt, wc->name);
		dbs_buf_puts(&pt->sql, "DROP NOT NULL");
		if ((rc = dbs_pg_put(pt, op)))
			return rc;
	}
	if (identity_change && wc->identity) {
		if (lc->identity) {
			/* kind and stored options in one statement; the position stays */
			alter_column(pt, wc->name);
			size_t before = pt->sql.len;
			if (!dbs_ascii_ieq(lc->identity, wc->identity))
				dbs_buf_printf(&pt->sql, " SET GENERATED %s", wc->identity);
			dbs_pg_identity_sets(&pt->sql, lc->identity_options, wc->identity_options);
			rc = restart_if_outside(pt, lc, wc);
			drop_first_space(&pt->sql, before);
			rc = rc ? rc : dbs_pg_put(pt, op);
		} else {
			rc = add_identity(pt, op, wc);
		}
		if (rc)
			return rc;
	}
	if (!op->sql.n) {
		/* everything it would do was refused: the refusals say it all */
		dbs_pg_forget_op(p, DBS_STAGE_ALTER, op);
		return 0;
	}
	return on ? 0 : dbs_op_skip(p, op, "alter_columns is off");
}

int dbs_pg_plan_columns(pg_table *pt)
{
	for (size_t i = 0; i < pt->td->changes.n; i++) {
		const dbs_change *ch = &pt->td->changes.items[i];
		int rc = 0;
		switch (ch->kind) {
		case DBS_CH_ADD_COLUMN: rc = add_column(pt, ch->want_col); break;
		case DBS_CH_DROP_COLUMN: rc = drop_column(pt, ch->live_col); break;
		case DBS_CH_ALTER_COLUMN: rc = alter(pt, ch); break;
		default: break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

const char *dbs_pg_default_fill(dbs_arena *a, const char *expr, bool *oom)
{
	*oom = false;
	return "DEFAULT";
}
