/*
 * The DDL parser's state and helpers, shared by parse.c (statements) and
 * parse_table.c (CREATE/ALTER TABLE). Tokens are pulled from the lexer on
 * demand into a small lookahead window, so memory does not grow with the script.
 * The first error wins: once p->rc is set, every helper returns it unchanged.
 * What differs between dialects comes from p->dl (dialect.h's parser block):
 * flags read here, and hooks for grammar only one dialect has, which live in
 * its folder (<dialect>/parse_<dialect>.c) and use these helpers too.
 */
#ifndef DBS_PARSE_INTERNAL_H
#define DBS_PARSE_INTERNAL_H

#include "buf.h"
#include "dialect.h"
#include "lexer.h"
#include "model.h"

#define DBS_LOOKAHEAD 4

typedef struct dbs_parser {
	dbsync_schema *s;
	dbsync_ctx *ctx;
	const dbs_dialect_info *dl; /* s->dialect's table */
	dbs_lexer lx;
	dbs_token la[DBS_LOOKAHEAD];
	size_t la_n;
	dbs_token prev;            /* the last token consumed */
	int rc;
	dbs_buf scratch;
	char stmt[160];            /* the statement being parsed, for messages */
	/* tokens of one index part, analysed from its end */
	dbs_token *toks;
	size_t toks_n, toks_cap;
	bool part_ops;             /* index parts end in WITH <operator> (EXCLUDE) */
	/* tables created or changed by this parse, to normalize at the end */
	dbs_table **touched;
	size_t touched_n, touched_cap;
	/* a dump's DROP TABLE/VIEW/SEQUENCE IF EXISTS (mariadb-dump's), accepted
	 * only when the file creates the object afterwards (dbs_p_check_drops) */
	DBS_VEC(struct dbs_p_drop { const char *name; dbs_token at; /* its DROP */ }) drops;
} dbs_parser;

/* The token k places ahead (k < DBS_LOOKAHEAD); EOF after the end or an error. */
const dbs_token *dbs_p_peek(dbs_parser *p, size_t k);
void dbs_p_next(dbs_parser *p);
bool dbs_p_at(dbs_parser *p, size_t k, const char *kw);
bool dbs_p_accept(dbs_parser *p, const char *kw);
bool dbs_p_accept_kind(dbs_parser *p, dbs_tok_kind kind);
/* Record a parse error at `t`, unless one is set. At the current token (t NULL
 * or the one dbs_p_peek(p, 0) returned) the message gets what was found there
 * appended; a copy of an earlier token gets none. Returns p->rc. */
int dbs_p_error(dbs_parser *p, const dbs_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dbs_p_oom(dbs_parser *p);
int dbs_p_expect_kw(dbs_parser *p, const char *kw, const char *context);
int dbs_p_expect_kind(dbs_parser *p, dbs_tok_kind kind, const char *context);

/* True when `t` can be a name: a word, a quoted identifier, or a string where
 * the dialect reads one as a name (string_names). */
bool dbs_p_name_tok(const dbs_parser *p, const dbs_token *t);
/* The same for the current token. */
bool dbs_p_at_name(dbs_parser *p);
/* The same for the token k places ahead. */
bool dbs_p_at_name_k(dbs_parser *p, size_t k);
/* Consume a name into the schema arena; `what` describes it for the error. */
int dbs_p_name(dbs_parser *p, const char **out, const char *what);
/* At one of the dialect's index kind words (FULLTEXT): the kind as an index
 * method, lower case; NULL at any other token or when out of memory. */
const char *dbs_p_index_kind(dbs_parser *p);
/* At the end of a script: refuse a DROP whose object the script does not create. */
int dbs_p_check_drops(dbs_parser *p);
/* [schema.]name of an object the script makes or changes: the model has one
 * namespace, so the schema part is recorded (dbs_p_note_schema: planning
 * refuses one that is not the schema synced) and dropped. */
int dbs_p_qualified_name(dbs_parser *p, const char **out, const char *what);
/* [schema.]name with the schema part returned (NULL when none), not recorded:
 * a foreign key may reference a table of another schema. */
int dbs_p_qualified_name_in(dbs_parser *p, const char **schema, const char **out, const char *what);
/* "( name, name ... )" into `v`; index-style ASC/DESC/COLLATE after a name are
 * accepted and dropped when allow_order. With `autoinc`, SQLite's
 * "PRIMARY KEY (id AUTOINCREMENT)" is accepted and reported there. */
int dbs_p_name_list(dbs_parser *p, dbs_str_vec *v, bool allow_order, bool *autoinc, const char *context);

/* After an opening '(' was consumed: skip to the matching ')' and consume it;
 * start and end span the inner text (empty when start == end). */
int dbs_p_balanced(dbs_parser *p, const char **start, const char **end, const char *context);
/* Canonical expression for a span of the source (raw text if it does not lex). */
const char *dbs_p_expr(dbs_parser *p, const char *start, const char *end);
/* Note that a table changed, so it is normalized at the end. */
int dbs_p_touch(dbs_parser *p, dbs_table *t);

/* parse_script.c: a statement that is not CREATE, ALTER TABLE or COMMENT ON:
 * one of the accepted-and-ignored preamble statements (consumed), or refused. */
int dbs_p_other_statement(dbs_parser *p);
/* Refuse the statement starting at `first` as not schema DDL, naming its line
 * and first words; `why` says what it would do. Returns p->rc. */
int dbs_p_refuse(dbs_parser *p, const dbs_token *first, const char *why);
/* The same, `why` told by the statement's first word (changes data, runs a
 * query, changes a setting...). */
int dbs_p_refuse_statement(dbs_parser *p, const dbs_token *first);
/* The statement ends k tokens ahead (';' or the end of input). */
bool dbs_p_at_end(dbs_parser *p, size_t k);
/* Record a schema the script names (checked against the synced one at plan time). */
int dbs_p_note_schema(dbs_parser *p, const char *schema, const dbs_token *at);

/* Skip to the ';' (or end) that ends this statement, parentheses balanced. */
void dbs_p_skip_statement(dbs_parser *p);

/* True when `t` is one of the n keywords of `list`; DBS_WORD_IN counts an array. */
static inline bool dbs_word_in(const dbs_token *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dbs_tok_is(t, list[i]))
			return true;
	return false;
}

#define DBS_WORD_IN(t, list) dbs_word_in((t), (list), sizeof (list) / sizeof (list)[0])

/* True when `t` is one of the words of a NULL-terminated list (NULL: none). */
static inline bool dbs_word_in_list(const dbs_token *t, const char *const *list)
{
	for (; list && *list; list++)
		if (dbs_tok_is(t, *list))
			return true;
	return false;
}

/* parse_canon.c: the canonical text into `out` (cleared first), for callers that
 * want to compare before they copy. 0, -1 when the text does not lex (type: never,
 * it falls back to plain lower case), -2 when out of memory. An empty type means
 * none. */
int dbs_expr_canon_buf(dbs_buf *out, dbsync_dialect d, const char *text, size_t len);
int dbs_type_canon_buf(dbs_buf *out, dbsync_dialect d, const char *text, size_t len);

/* parse_column.c */
/* name type constraints..., added to `t` (an error if the name is taken). */
int dbs_p_column_def(dbs_parser *p, dbs_table *t);
/* After REFERENCES: table [(cols)] [ON DELETE/UPDATE ...] [MATCH x] [deferrable]. */
int dbs_p_references(dbs_parser *p, dbs_constraint *c);
/* [NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE], or INITIALLY ... alone, into
 * c (may be NULL). True when there was one. */
bool dbs_p_deferrable(dbs_parser *p, dbs_constraint *c);
/* PostgreSQL's NO INHERIT after a CHECK, into c (may be NULL). */
bool dbs_p_no_inherit(dbs_parser *p, dbs_constraint *c);
/* ON CONFLICT <resolution> (SQLite): accepted, not modeled. */
int dbs_p_conflict_clause(dbs_parser *p);
dbs_constraint *dbs_p_new_constraint(dbs_parser *p, dbs_table *t, dbs_con_kind kind, const char *name);
/* Error (at `at`) when `t` has a primary key already. */
int dbs_p_check_one_pk(dbs_parser *p, const dbs_table *t, const dbs_token *at);
/* "( expr )": its canonical text, or NULL after an error. */
const char *dbs_p_paren_expr(dbs_parser *p, const char *context);
/* The value after DEFAULT, into col->default_expr. */
int dbs_p_default(dbs_parser *p, dbs_column *col, const char *context);
/* After GENERATED: ALWAYS AS (expr) [STORED|VIRTUAL] or {ALWAYS|BY DEFAULT} AS IDENTITY. */
int dbs_p_generated(dbs_parser *p, dbs_column *col, const char *context);

/* parse_table.c: the current token is TABLE (after CREATE) / ALTER. */
int dbs_p_create_table(dbs_parser *p);
int dbs_p_alter_table(dbs_parser *p);

/* parse_stmt.c: the current token is INDEX / VIEW / COMMENT. */
int dbs_p_create_index(dbs_parser *p, bool unique, const char *method);
int dbs_p_create_view(dbs_parser *p, bool temp, bool or_replace);
int dbs_p_comment(dbs_parser *p);
/* The index of `t` named `name` (the dialect's name comparison), or NULL. */
dbs_index *dbs_p_find_index_on(dbs_parser *p, const dbs_table *t, const char *name);
/* "( part, ... )" of an index on table `t` into ix->parts. */
int dbs_p_index_parts(dbs_parser *p, const dbs_table *t, dbs_index *ix);
/* PostgreSQL storage parameters "( name [= value], ... )" after WITH, into
 * *out as "name=value, ..." (normalize.c makes it canonical). */
int dbs_p_storage_params(dbs_parser *p, const char **out, const char *context);

#endif
