/*
 * The desired DDL as statements, each with the table it belongs to, so a
 * shadow (PostgreSQL's schema, MySQL's database) can run the statements of
 * some tables only: a schema too big for one transaction's locks in several
 * scripts, or just the tables the parser finds different. Only the first few
 * tokens of a statement say what it is (CREATE TABLE t, ALTER TABLE t, CREATE
 * INDEX ... ON t, COMMENT ON ... t), plus every name after REFERENCES.
 */
#include <stdlib.h>
#include <string.h>

#include "ddl_split.h"
#include "buf.h"
#include "ctx.h"
#include "lexer.h"

#define HEAD 12 /* tokens kept from the start of a statement */

typedef struct splitter {
	dbs_arena *a;
	dbsync_dialect d;
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
	if (dbs_tok_value(&sp->b, t, sp->d))
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

static void classify(splitter *sp, dbs_ddl_stmt *st)
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

static int end_statement(splitter *sp, dbs_ddl_stmts *out)
{
	const dbs_token *first = &sp->head[0];
	bool drop = is_tx_control(first) ||
		(is(sp, 0, "SET") && (is(sp, 1, "search_path") || is(sp, 1, "SCHEMA") ||
		((is(sp, 1, "LOCAL") || is(sp, 1, "SESSION")) && (is(sp, 2, "search_path") || is(sp, 2, "SCHEMA")))));
	if (drop)
		return 0;
	dbs_ddl_stmt st = { .text = first->start, .line = first->line, .refs = sp->refs };
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

int dbs_split_ddl(dbs_ddl_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired)
{
	splitter sp = { .a = a, .d = desired->dialect, .desired = desired, .b = DBS_BUF_INIT };
	dbs_lexer lx;
	dbs_token tok;
	int rc = 0;
	dbs_lex_init(&lx, sp.d, desired->source_ddl, desired->source_ddl_len);
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

