/*
 * The desired DDL as statements for the shadow schema, each with the table it
 * belongs to, so a schema too big for one transaction's locks can be run in
 * several scripts. Only the first few tokens of a statement say what it is
 * (CREATE TABLE t, ALTER TABLE t, CREATE INDEX ... ON t, COMMENT ON ... t),
 * plus every name after REFERENCES.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_postgres_shadow.h"
#include "buf.h"
#include "ctx.h"
#include "lexer.h"

#define PG DBSYNC_DIALECT_POSTGRES
#define HEAD 12 /* tokens kept from the start of a statement */

typedef struct splitter {
	dbs_arena *a;
	const dbsync_schema *desired;
	dbs_token head[HEAD];
	size_t n;                    /* tokens in the statement so far */
	dbs_token last, skip;
	bool has_skip;
	int ref_state;               /* 1: a name is due after REFERENCES; 2: one came, a '.' may follow */
	dbs_str_vec refs;
	dbs_buf b;
} splitter;

static bool is_tx_control(const dbs_token *t)
{
	static const char *const words[] = { "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT",
		"SAVEPOINT", "RELEASE", "PREPARE" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (dbs_tok_is(t, words[i]))
			return true;
	return false;
}

static bool is(const splitter *sp, size_t i, const char *kw)
{
	return i < sp->n && i < HEAD && dbs_tok_is(&sp->head[i], kw);
}

static const char *name_of(splitter *sp, const dbs_token *t)
{
	if (t->kind != DBS_TK_WORD && t->kind != DBS_TK_QUOTED)
		return NULL;
	dbs_buf_clear(&sp->b);
	if (dbs_tok_value(&sp->b, t, PG))
		return NULL;
	return dbs_arena_strdup(sp->a, dbs_buf_cstr(&sp->b));
}

/* The last part of the dotted name at head[i] ("s"."t" -> t), or NULL. */
static const char *dotted_last(splitter *sp, size_t i)
{
	while (i + 2 < sp->n && i + 2 < HEAD && sp->head[i + 1].kind == DBS_TK_DOT)
		i += 2;
	return i < sp->n && i < HEAD ? name_of(sp, &sp->head[i]) : NULL;
}

/* COMMENT ON COLUMN [s.]t.c: the part before the last. */
static const char *column_table(splitter *sp, size_t i)
{
	size_t last = i;
	while (last + 2 < sp->n && last + 2 < HEAD && sp->head[last + 1].kind == DBS_TK_DOT)
		last += 2;
	return last >= i + 2 ? name_of(sp, &sp->head[last - 2]) : NULL;
}

/* The index after the first ON among the head tokens, past ONLY. */
static size_t after_on(const splitter *sp, size_t from)
{
	for (size_t i = from; i < sp->n && i < HEAD; i++)
		if (dbs_tok_is(&sp->head[i], "ON"))
			return is(sp, i + 1, "ONLY") ? i + 2 : i + 1;
	return HEAD;
}

static void classify(splitter *sp, dbs_pg_stmt *st)
{
	size_t i;
	if (is(sp, 0, "CREATE")) {
		for (i = 1; is(sp, i, "GLOBAL") || is(sp, i, "LOCAL") || is(sp, i, "TEMP") ||
			    is(sp, i, "TEMPORARY") || is(sp, i, "UNLOGGED"); i++)
			;
		if (is(sp, i, "TABLE")) {
			i++;
			if (is(sp, i, "IF"))
				i += 3;
			st->owner = dotted_last(sp, i);
			st->creates = st->owner != NULL;
			return;
		}
		if (is(sp, 1, "INDEX") || (is(sp, 1, "UNIQUE") && is(sp, 2, "INDEX"))) {
			st->owner = dotted_last(sp, after_on(sp, 2));
			return;
		}
		size_t k = is(sp, 1, "OR") && is(sp, 2, "REPLACE") ? 3 : 1;
		st->independent = is(sp, k, "SEQUENCE") || is(sp, k, "TYPE") || is(sp, k, "DOMAIN") ||
			is(sp, k, "FUNCTION") || is(sp, k, "EXTENSION") || is(sp, k, "COLLATION");
		return;
	}
	if (is(sp, 0, "ALTER") && is(sp, 1, "TABLE")) {
		i = 2;
		if (is(sp, i, "IF"))
			i += 2;
		if (is(sp, i, "ONLY"))
			i++;
		st->owner = dotted_last(sp, i);
		return;
	}
	if (is(sp, 0, "COMMENT") && is(sp, 1, "ON")) {
		if (is(sp, 2, "TABLE")) {
			st->owner = dotted_last(sp, 3);
		} else if (is(sp, 2, "COLUMN")) {
			st->owner = column_table(sp, 3);
		} else if (is(sp, 2, "CONSTRAINT")) {
			st->owner = dotted_last(sp, after_on(sp, 4));
		} else if (is(sp, 2, "INDEX")) {
			const char *ix = dotted_last(sp, 3);
			dbs_table *t = NULL;
			if (ix && dbs_schema_find_index((dbsync_schema *)sp->desired, ix, &t))
				st->owner = t->name;
		}
		return;
	}
	st->independent = is(sp, 0, "SET");
}

/* A name after REFERENCES, qualified or not: the last part counts. */
static int note_ref(splitter *sp, const dbs_token *t)
{
	if (sp->ref_state == 2 && t->kind == DBS_TK_DOT) {
		sp->ref_state = 1;
		sp->refs.n--; /* the schema part */
		return 0;
	}
	if (sp->ref_state == 1) {
		const char *name = name_of(sp, t);
		sp->ref_state = name ? 2 : 0;
		return name && DBS_VEC_PUSH(sp->a, &sp->refs, name) ? -1 : 0;
	}
	sp->ref_state = dbs_tok_is(t, "REFERENCES") ? 1 : 0;
	return 0;
}

static int end_statement(splitter *sp, dbs_pg_stmts *out)
{
	const dbs_token *first = &sp->head[0];
	bool drop = is_tx_control(first) ||
		(is(sp, 0, "SET") && (is(sp, 1, "search_path") || is(sp, 1, "SCHEMA") ||
		((is(sp, 1, "LOCAL") || is(sp, 1, "SESSION")) && (is(sp, 2, "search_path") || is(sp, 2, "SCHEMA")))));
	if (drop)
		return 0;
	dbs_pg_stmt st = { .text = first->start, .line = first->line, .refs = sp->refs };
	st.len = (size_t)(sp->last.start + sp->last.len - first->start);
	if (sp->has_skip) {
		st.skip = sp->skip.start;
		st.skip_len = sp->skip.len;
	}
	classify(sp, &st);
	if (!dbs_buf_ok(&sp->b))
		return -1;
	return DBS_VEC_PUSH(sp->a, out, st);
}

int dbs_pg_split_ddl(dbs_pg_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired)
{
	splitter sp = { .a = a, .desired = desired, .b = DBS_BUF_INIT };
	dbs_lexer lx;
	dbs_token tok;
	int rc = 0;
	dbs_lex_init(&lx, PG, desired->source_ddl, desired->source_ddl_len);
	for (;;) {
		if (dbs_lex_next(&lx, &tok)) {
			rc = dbs_error_parse(ctx, lx.err_line, lx.err_col, "the desired DDL does not lex: %s", lx.err);
			break;
		}
		if (tok.kind == DBS_TK_SEMI || tok.kind == DBS_TK_EOF) {
			if (sp.n && end_statement(&sp, out)) {
				rc = dbs_error_oom(ctx);
				break;
			}
			if (tok.kind == DBS_TK_EOF)
				break;
			sp.n = 0;
			sp.has_skip = false;
			sp.ref_state = 0;
			memset(&sp.refs, 0, sizeof sp.refs);
			continue;
		}
		if (sp.n < HEAD)
			sp.head[sp.n] = tok;
		/* CREATE [UNIQUE] INDEX CONCURRENTLY: not allowed in a transaction */
		if (dbs_tok_is(&tok, "CONCURRENTLY") && is(&sp, 0, "CREATE") &&
		    ((sp.n == 2 && is(&sp, 1, "INDEX")) || (sp.n == 3 && is(&sp, 1, "UNIQUE") && is(&sp, 2, "INDEX")))) {
			sp.skip = tok;
			sp.has_skip = true;
		}
		if (note_ref(&sp, &tok)) {
			rc = dbs_error_oom(ctx);
			break;
		}
		sp.last = tok;
		sp.n++;
	}
	dbs_buf_free(&sp.b);
	return rc;
}

/* The position of desired table `name`, or -1: tables sorted by name once. */
typedef struct table_pos {
	const char *name;
	int pos;
} table_pos;

static int cmp_pos(const void *x, const void *y)
{
	return strcmp(((const table_pos *)x)->name, ((const table_pos *)y)->name);
}

static int position(const table_pos *tp, size_t n, const char *name)
{
	table_pos key = { name, 0 };
	const table_pos *hit = name && n ? bsearch(&key, tp, n, sizeof key, cmp_pos) : NULL;
	return hit ? hit->pos : -1;
}

int dbs_pg_chunk(dbs_pg_stmts *v, const dbsync_schema *desired, size_t per_chunk)
{
	size_t n = desired->tables.n;
	for (size_t i = 0; i < v->n; i++)
		v->items[i].chunk = 0;
	if (per_chunk == 0 || n <= per_chunk)
		return 1;
	table_pos *tp = malloc(n * sizeof *tp);
	if (!tp)
		return 1; /* one script: slower to fail, never wrong */
	for (size_t i = 0; i < n; i++)
		tp[i] = (table_pos){ desired->tables.items[i]->name, (int)i };
	qsort(tp, n, sizeof *tp, cmp_pos);
	bool splits = true;
	for (size_t i = 0; i < v->n && splits; i++) {
		dbs_pg_stmt *st = &v->items[i];
		int pos = position(tp, n, st->owner);
		if (pos >= 0)
			st->chunk = pos / (int)per_chunk;
		else
			splits = st->independent;
	}
	free(tp);
	if (!splits)
		for (size_t i = 0; i < v->n; i++)
			v->items[i].chunk = 0;
	return splits ? (int)((n + per_chunk - 1) / per_chunk) : 1;
}

int dbs_pg_chunk_some(dbs_pg_stmts *v, const dbsync_schema *desired, const bool *only,
	size_t per_chunk)
{
	size_t n = desired->tables.n, n_some = 0;
	table_pos *tp = malloc((n + 1) * sizeof *tp);
	if (!tp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* the chunk of a table left out is -1: no script runs its statements
		 * unless another needs its CREATE TABLE (dbs_pg_chunk_select) */
		int chunk = only[i] ? (int)(n_some++ / (per_chunk ? per_chunk : n + 1)) : -1;
		tp[i] = (table_pos){ desired->tables.items[i]->name, chunk };
	}
	qsort(tp, n, sizeof *tp, cmp_pos);
	bool splits = true;
	for (size_t i = 0; i < v->n && splits; i++) {
		dbs_pg_stmt *st = &v->items[i];
		table_pos key = { st->owner, 0 };
		const table_pos *hit = st->owner && n ? bsearch(&key, tp, n, sizeof key, cmp_pos) : NULL;
		if (hit)
			st->chunk = hit->pos;
		else
			splits = st->independent;
	}
	free(tp);
	if (!splits)
		return -1;
	size_t per = per_chunk ? per_chunk : n_some + 1;
	return (int)((n_some + per - 1) / per);
}

int dbs_pg_chunk_select(bool *emit, const dbs_pg_stmts *v, const dbsync_schema *desired, int c)
{
	/* the statement creating each table, found by name */
	size_t *todo = malloc((v->n + 1) * sizeof *todo), n_todo = 0, n_cr = 0;
	table_pos *creator = malloc((v->n + 1) * sizeof *creator);
	if (!todo || !creator) {
		free(todo);
		free(creator);
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const dbs_pg_stmt *st = &v->items[i];
		if (st->creates)
			creator[n_cr++] = (table_pos){ st->owner, (int)i };
		emit[i] = st->independent || (st->owner && st->chunk == c);
		if (emit[i] && !st->independent)
			todo[n_todo++] = i;
	}
	qsort(creator, n_cr, sizeof *creator, cmp_pos);
	/* what those reference in other chunks: its CREATE TABLE, and what that
	 * one references inline, and so on */
	while (n_todo) {
		const dbs_pg_stmt *st = &v->items[todo[--n_todo]];
		for (size_t r = 0; r < st->refs.n; r++) {
			if (!dbs_schema_find_table((dbsync_schema *)desired, st->refs.items[r]))
				continue;
			int j = position(creator, n_cr, st->refs.items[r]);
			if (j >= 0 && !emit[j]) {
				emit[j] = true;
				todo[n_todo++] = (size_t)j;
			}
		}
	}
	free(todo);
	free(creator);
	return 0;
}
