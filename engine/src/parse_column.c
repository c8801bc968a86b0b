/* Column definitions: type names, column constraints, DEFAULT, GENERATED, REFERENCES. */
#include <stdio.h>
#include <string.h>

#include "dialect.h"
#include "parse.h"
#include "parse_internal.h"

/* At `entry` of a word list: one word, or the pair "A B" (at A then B). */
static bool at_words(dbs_parser *p, const char *entry)
{
	const char *space = strchr(entry, ' ');
	if (!space)
		return dbs_p_at(p, 0, entry);
	char first[32];
	snprintf(first, sizeof first, "%.*s", (int)(space - entry), entry);
	return dbs_p_at(p, 0, first) && dbs_p_at(p, 1, space + 1);
}

/* Words that start a column constraint (or one of the dialect's column
 * attributes), so they end a type name or a DEFAULT expression. */
static bool at_column_constraint(dbs_parser *p)
{
	static const char *const words[] = {
		"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
		"REFERENCES", "GENERATED", "AS", "AUTOINCREMENT",
	};
	const dbs_token *t = dbs_p_peek(p, 0);
	if (t->kind != DBS_TK_WORD)
		return false;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (dbs_tok_is(t, words[i]))
			return true;
	for (const char *const *w = p->dl->column_attribute_words; w && *w; w++)
		if (at_words(p, *w))
			return true;
	return false;
}

/* ON CONFLICT <resolution> (SQLite): accepted, not modeled. */
int dbs_p_conflict_clause(dbs_parser *p)
{
	if (dbs_p_at(p, 0, "ON") && dbs_p_at(p, 1, "CONFLICT")) {
		dbs_p_next(p);
		dbs_p_next(p);
		if (dbs_p_peek(p, 0)->kind != DBS_TK_WORD)
			return dbs_p_error(p, NULL, "expected a conflict resolution after ON CONFLICT in %s", p->stmt);
		dbs_p_next(p);
	}
	return p->rc;
}

static int parse_action(dbs_parser *p, const char **out, const char *which)
{
	static const char *const actions[][2] = {
		{ "SET", "NULL" }, { "SET", "DEFAULT" }, { "NO", "ACTION" }, { "CASCADE", NULL }, { "RESTRICT", NULL },
	};
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		if (!dbs_p_at(p, 0, actions[i][0]) || (actions[i][1] && !dbs_p_at(p, 1, actions[i][1])))
			continue;
		*out = actions[i][1] ? dbs_arena_printf(&p->s->arena, "%s %s", actions[i][0], actions[i][1]) : actions[i][0];
		if (!*out)
			return dbs_p_oom(p);
		dbs_p_next(p);
		if (actions[i][1])
			dbs_p_next(p);
		return p->rc;
	}
	return dbs_p_error(p, NULL, "expected an action after ON %s in %s", which, p->stmt);
}

bool dbs_p_deferrable(dbs_parser *p, dbs_constraint *c)
{
	bool seen = false;
	if (dbs_p_at(p, 0, "NOT") && dbs_p_at(p, 1, "DEFERRABLE")) {
		dbs_p_next(p);
		dbs_p_next(p);
		if (c)
			c->deferrable = false;
		seen = true;
	} else if (dbs_p_accept(p, "DEFERRABLE")) {
		if (c)
			c->deferrable = true;
		seen = true;
	}
	if (dbs_p_at(p, 0, "INITIALLY") && (dbs_p_at(p, 1, "DEFERRED") || dbs_p_at(p, 1, "IMMEDIATE"))) {
		dbs_p_next(p);
		bool deferred = dbs_p_at(p, 0, "DEFERRED");
		dbs_p_next(p);
		if (c) {
			c->initially_deferred = deferred;
			if (deferred)
				c->deferrable = true; /* PostgreSQL: INITIALLY DEFERRED implies DEFERRABLE */
		}
		seen = true;
	}
	return seen;
}

/* After REFERENCES: table [(cols)] then actions, MATCH and deferrability in any order. */
int dbs_p_references(dbs_parser *p, dbs_constraint *c)
{
	if (dbs_p_qualified_name_in(p, &c->ref_schema, &c->ref_table, "the referenced table name after REFERENCES"))
		return p->rc;
	if (dbs_p_peek(p, 0)->kind == DBS_TK_LPAREN) {
		char context[240];
		snprintf(context, sizeof context, "the REFERENCES \"%s\" column list of %s", c->ref_table, p->stmt);
		if (dbs_p_name_list(p, &c->ref_cols, false, NULL, context))
			return p->rc;
	}
	while (!p->rc) {
		if (dbs_p_at(p, 0, "ON") && (dbs_p_at(p, 1, "DELETE") || dbs_p_at(p, 1, "UPDATE"))) {
			dbs_p_next(p);
			bool del = dbs_p_at(p, 0, "DELETE");
			dbs_p_next(p);
			parse_action(p, del ? &c->on_delete : &c->on_update, del ? "DELETE" : "UPDATE");
		} else if (dbs_p_accept(p, "MATCH")) {
			if (dbs_p_peek(p, 0)->kind != DBS_TK_WORD)
				return dbs_p_error(p, NULL, "expected a match type after MATCH in %s", p->stmt);
			/* PostgreSQL enforces MATCH FULL; MySQL and SQLite read and ignore any */
			if (dbs_p_at(p, 0, "FULL") && p->dl->match_enforced)
				c->match_full = true;
			else if (dbs_p_at(p, 0, "PARTIAL") && p->dl->match_enforced)
				return dbs_p_error(p, NULL, "MATCH PARTIAL is not implemented by PostgreSQL, in %s", p->stmt);
			dbs_p_next(p);
		} else if (!dbs_p_deferrable(p, c)) {
			break;
		}
	}
	return p->rc;
}

dbs_constraint *dbs_p_new_constraint(dbs_parser *p, dbs_table *t, dbs_con_kind kind, const char *name)
{
	dbs_constraint *c = dbs_table_add_constraint(p->s, t, kind);
	if (!c) {
		dbs_p_oom(p);
		return NULL;
	}
	c->name = name;
	return c;
}

static dbs_constraint *inline_constraint(dbs_parser *p, dbs_table *t, dbs_column *col, dbs_con_kind kind,
	const char *name)
{
	dbs_constraint *c = dbs_p_new_constraint(p, t, kind, name);
	if (!c)
		return NULL;
	c->inline_col = true;
	if (DBS_VEC_PUSH(&p->s->arena, &c->cols, col->name)) {
		dbs_p_oom(p);
		return NULL;
	}
	return c;
}

int dbs_p_check_one_pk(dbs_parser *p, const dbs_table *t, const dbs_token *at)
{
	if (dbs_table_primary_key(t))
		return dbs_p_error(p, at, "table \"%s\" has more than one primary key", t->name);
	return p->rc;
}

bool dbs_p_no_inherit(dbs_parser *p, dbs_constraint *c)
{
	if (!p->dl->no_inherit || !dbs_p_at(p, 0, "NO") || !dbs_p_at(p, 1, "INHERIT"))
		return false;
	dbs_p_next(p);
	dbs_p_next(p);
	if (c)
		c->no_inherit = true;
	return true;
}

/* "( expr )" after CHECK / AS: the canonical expression. */
const char *dbs_p_paren_expr(dbs_parser *p, const char *context)
{
	const char *start, *end;
	if (dbs_p_expect_kind(p, DBS_TK_LPAREN, context) || dbs_p_balanced(p, &start, &end, context))
		return NULL;
	if (start == end) {
		dbs_p_error(p, &p->prev, "empty expression %s", context);
		return NULL;
	}
	return dbs_p_expr(p, start, end);
}

/* DEFAULT as one term (SQLite's): a literal, a signed literal, or (expr). A
 * bare identifier there is a string to SQLite, so it becomes a string literal. */
static int parse_default_term(dbs_parser *p, dbs_column *col, const char *context)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	const char *start = t->start, *end = t->start + t->len;
	if (t->kind == DBS_TK_LPAREN) {
		dbs_p_next(p);
		if (dbs_p_balanced(p, &start, &end, context))
			return p->rc;
		if (start == end)
			return dbs_p_error(p, &p->prev, "empty expression %s", context);
	} else if (t->kind == DBS_TK_OP && (t->len == 1 && (*t->start == '-' || *t->start == '+'))) {
		dbs_p_next(p);
		t = dbs_p_peek(p, 0);
		if (t->kind != DBS_TK_NUMBER && t->kind != DBS_TK_STRING && t->kind != DBS_TK_BLOB)
			return dbs_p_error(p, NULL, "expected a literal after the sign %s", context);
		end = t->start + t->len;
		dbs_p_next(p);
	} else if (t->kind == DBS_TK_STRING || t->kind == DBS_TK_NUMBER || t->kind == DBS_TK_BLOB) {
		dbs_p_next(p);
	} else if (dbs_tok_is(t, "NULL") || dbs_tok_is(t, "TRUE") || dbs_tok_is(t, "FALSE") ||
		   dbs_tok_is(t, "CURRENT_TIME") || dbs_tok_is(t, "CURRENT_DATE") || dbs_tok_is(t, "CURRENT_TIMESTAMP")) {
		dbs_p_next(p);
	} else if (t->kind == DBS_TK_WORD || t->kind == DBS_TK_QUOTED) {
		dbs_buf_clear(&p->scratch);
		dbs_buf lit = DBS_BUF_INIT;
		dbs_tok_value(&p->scratch, t, p->s->dialect);
		dbs_quote_literal(&lit, p->s->dialect, dbs_buf_cstr(&p->scratch));
		col->default_expr = dbs_buf_ok(&lit) ? dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&lit)) : NULL;
		dbs_buf_free(&lit);
		if (!col->default_expr)
			return dbs_p_oom(p);
		dbs_p_next(p);
		return p->rc;
	} else {
		return dbs_p_error(p, NULL, "expected a literal, a signed number or (expression) %s", context);
	}
	col->default_expr = dbs_p_expr(p, start, end);
	return p->rc;
}

/* DEFAULT as any expression; it ends at ',' / ')' or the next constraint. */
static int parse_default_expr(dbs_parser *p, dbs_column *col, const char *context)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	const char *start = t->start, *end = t->start;
	int depth = 0;
	for (bool first = true;; first = false) {
		t = dbs_p_peek(p, 0);
		if (p->rc)
			return p->rc;
		if (t->kind == DBS_TK_EOF || t->kind == DBS_TK_SEMI) {
			if (depth > 0)
				return dbs_p_error(p, t, "missing ')' %s", context);
			break;
		}
		if (depth == 0 && (t->kind == DBS_TK_COMMA || t->kind == DBS_TK_RPAREN))
			break;
		if (depth == 0 && !first && at_column_constraint(p))
			break;
		/* ARRAY[1, 2]: a comma inside brackets ends nothing either */
		bool open = t->kind == DBS_TK_LPAREN || (t->kind == DBS_TK_OP && t->len == 1 && *t->start == '[');
		bool close = t->kind == DBS_TK_RPAREN || (t->kind == DBS_TK_OP && t->len == 1 && *t->start == ']');
		if (open)
			depth++;
		else if (close)
			depth--;
		end = t->start + t->len;
		dbs_p_next(p);
	}
	if (start == end)
		return dbs_p_error(p, NULL, "expected an expression %s", context);
	col->default_expr = dbs_p_expr(p, start, end);
	return p->rc;
}

int dbs_p_default(dbs_parser *p, dbs_column *col, const char *context)
{
	return p->dl->default_is_one_term ? parse_default_term(p, col, context) : parse_default_expr(p, col, context);
}

/* An optionally signed integer of a sequence option, appended to b. */
static int option_number(dbs_parser *p, dbs_buf *b, const char *option, const char *context)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	if (t->kind == DBS_TK_OP && t->len == 1 && (*t->start == '-' || *t->start == '+')) {
		if (*t->start == '-')
			dbs_buf_putc(b, '-');
		dbs_p_next(p);
		t = dbs_p_peek(p, 0);
	}
	if (t->kind != DBS_TK_NUMBER || memchr(t->start, '.', t->len) || memchr(t->start, 'e', t->len) ||
	    memchr(t->start, 'E', t->len))
		return dbs_p_error(p, NULL, "expected an integer after %s in the identity options %s", option, context);
	dbs_buf_put(b, t->start, t->len);
	dbs_p_next(p);
	return p->rc;
}

/* The sequence options of an identity, after its "(": kept as written in a
 * fixed spelling (START WITH n, INCREMENT BY n, MINVALUE n, ...) for the
 * shadow, which reads them back canonical (pg_identity.h). SEQUENCE NAME is
 * read and not kept: the sequence's name is not compared. NO MINVALUE, NO
 * MAXVALUE and NO CYCLE are the defaults. */
static int identity_options(dbs_parser *p, dbs_column *col, const char *context)
{
	dbs_buf b = DBS_BUF_INIT;
	while (!p->rc && !dbs_p_accept_kind(p, DBS_TK_RPAREN)) {
		size_t mark = b.len;
		if (b.len)
			dbs_buf_putc(&b, ' ');
		if (dbs_p_accept(p, "SEQUENCE")) {
			const char *ignored;
			b.len = mark;
			if (!dbs_p_expect_kw(p, "NAME", context))
				dbs_p_qualified_name(p, &ignored, "the sequence name after SEQUENCE NAME");
		} else if (dbs_p_accept(p, "START")) {
			dbs_p_accept(p, "WITH");
			dbs_buf_puts(&b, "START WITH ");
			option_number(p, &b, "START WITH", context);
		} else if (dbs_p_accept(p, "INCREMENT")) {
			dbs_p_accept(p, "BY");
			dbs_buf_puts(&b, "INCREMENT BY ");
			option_number(p, &b, "INCREMENT BY", context);
		} else if (dbs_p_at(p, 0, "MINVALUE") || dbs_p_at(p, 0, "MAXVALUE") || dbs_p_at(p, 0, "CACHE")) {
			const char *word = dbs_p_at(p, 0, "MINVALUE") ? "MINVALUE" : dbs_p_at(p, 0, "MAXVALUE") ? "MAXVALUE" : "CACHE";
			dbs_p_next(p);
			dbs_buf_printf(&b, "%s ", word);
			option_number(p, &b, word, context);
		} else if (dbs_p_accept(p, "CYCLE")) {
			dbs_buf_puts(&b, "CYCLE");
		} else if (dbs_p_accept(p, "NO")) {
			b.len = mark;
			if (!dbs_p_accept(p, "MINVALUE") && !dbs_p_accept(p, "MAXVALUE") && !dbs_p_accept(p, "CYCLE"))
				dbs_p_error(p, NULL, "expected MINVALUE, MAXVALUE or CYCLE after NO in the identity options %s",
					context);
		} else {
			dbs_p_error(p, NULL, "unsupported identity option %s (START WITH, INCREMENT BY, MINVALUE, MAXVALUE, "
				"CACHE, CYCLE and SEQUENCE NAME are read)", context);
		}
	}
	if (!p->rc && b.len && !(col->identity_options = dbs_arena_strndup(&p->s->arena, b.ptr, b.len)))
		dbs_p_oom(p);
	if (!p->rc && !dbs_buf_ok(&b))
		dbs_p_oom(p);
	dbs_buf_free(&b);
	return p->rc;
}

/* GENERATED ... after the word GENERATED was consumed (or AS directly). */
int dbs_p_generated(dbs_parser *p, dbs_column *col, const char *context)
{
	if (dbs_p_accept(p, "BY")) {
		if (dbs_p_expect_kw(p, "DEFAULT", context) || dbs_p_expect_kw(p, "AS", context) ||
		    dbs_p_expect_kw(p, "IDENTITY", context))
			return p->rc;
		col->identity = "BY DEFAULT";
	} else {
		if (dbs_p_expect_kw(p, "ALWAYS", context) || dbs_p_expect_kw(p, "AS", context))
			return p->rc;
		if (dbs_p_accept(p, "IDENTITY")) {
			col->identity = "ALWAYS";
		} else {
			col->generated_expr = dbs_p_paren_expr(p, context);
			col->generated_stored = dbs_p_accept(p, "STORED");
			if (!col->generated_stored)
				dbs_p_accept(p, "VIRTUAL");
			return p->rc;
		}
	}
	if (dbs_p_accept_kind(p, DBS_TK_LPAREN))
		identity_options(p, col, context);
	return p->rc;
}

static int parse_column_constraints(dbs_parser *p, dbs_table *t, dbs_column *col)
{
	char context[300];
	snprintf(context, sizeof context, "for column \"%s\" of table \"%s\"", col->name, t->name);
	dbs_constraint *last_fk = NULL;
	while (!p->rc) {
		const char *cname = NULL;
		const dbs_token at = *dbs_p_peek(p, 0);
		if (dbs_p_accept(p, "CONSTRAINT") && dbs_p_name(p, &cname, "a constraint name after CONSTRAINT"))
			return p->rc;
		if (dbs_p_at(p, 0, "NOT") && dbs_p_at(p, 1, "NULL")) {
			dbs_p_next(p);
			dbs_p_next(p);
			col->not_null = true;
			dbs_p_conflict_clause(p);
			/* PostgreSQL 18 keeps NOT NULL as a named constraint that may be
			 * NO INHERIT; only the nullability is modeled (docs/parser.md) */
			dbs_p_no_inherit(p, NULL);
		} else if (dbs_p_accept(p, "NULL")) {
			col->not_null = false;
			dbs_p_conflict_clause(p);
		} else if (dbs_p_accept(p, "PRIMARY")) {
			if (dbs_p_expect_kw(p, "KEY", "after PRIMARY") || dbs_p_check_one_pk(p, t, &at))
				return p->rc;
			dbs_constraint *c = inline_constraint(p, t, col, DBS_CON_PRIMARY, cname);
			if (!c)
				return p->rc;
			if (!dbs_p_accept(p, "ASC"))
				dbs_p_accept(p, "DESC");
			dbs_p_conflict_clause(p);
			if (p->dl->autoincrement_instead && dbs_p_at(p, 0, "AUTOINCREMENT"))
				return dbs_p_error(p, NULL, "AUTOINCREMENT is SQLite syntax %s: write %s", context,
					p->dl->autoincrement_instead);
			if (dbs_p_accept(p, "AUTOINCREMENT")) {
				if (!col->type || strcmp(col->type, "integer") != 0)
					return dbs_p_error(p, &p->prev, "AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY %s",
						context);
				c->pk_autoincrement = col->autoincrement = true;
			}
		} else if (dbs_p_accept(p, "UNIQUE")) {
			if (p->dl->key_index_syntax)
				dbs_p_accept(p, "KEY");
			if (!inline_constraint(p, t, col, DBS_CON_UNIQUE, cname))
				return p->rc;
			dbs_p_conflict_clause(p);
		} else if (dbs_p_accept(p, "CHECK")) {
			dbs_constraint *c = inline_constraint(p, t, col, DBS_CON_CHECK, cname);
			if (!c)
				return p->rc;
			c->check_expr = dbs_p_paren_expr(p, context);
			dbs_p_no_inherit(p, c);
		} else if (dbs_p_accept(p, "DEFAULT")) {
			dbs_p_default(p, col, context);
		} else if (dbs_p_accept(p, "COLLATE")) {
			/* pg_dump writes pg_catalog."C": the catalog's collations are the
			 * ones a bare name finds */
			if (!dbs_p_name(p, &col->collation, "a collation name after COLLATE") &&
			    dbs_p_peek(p, 0)->kind == DBS_TK_DOT && strcmp(col->collation, "pg_catalog") == 0) {
				dbs_p_next(p);
				dbs_p_name(p, &col->collation, "a collation name after COLLATE");
			}
		} else if (dbs_p_accept(p, "REFERENCES")) {
			last_fk = inline_constraint(p, t, col, DBS_CON_FOREIGN, cname);
			if (!last_fk)
				return p->rc;
			dbs_p_references(p, last_fk);
		} else if (dbs_p_accept(p, "GENERATED")) {
			dbs_p_generated(p, col, context);
		} else if (dbs_p_at(p, 0, "AS") && dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
			dbs_p_next(p);
			col->generated_expr = dbs_p_paren_expr(p, context);
			col->generated_stored = dbs_p_accept(p, "STORED");
			if (!col->generated_stored)
				dbs_p_accept(p, "VIRTUAL");
		} else if (!cname && dbs_p_deferrable(p, last_fk)) {
			/* SQLite accepts the deferrable clause as a constraint of its own */
		} else if (p->dl->column_attribute && p->dl->column_attribute(p, col, context)) {
			/* the dialect's own (MySQL's AUTO_INCREMENT, COMMENT...) */
		} else if (cname) {
			return dbs_p_error(p, NULL, "expected a constraint after CONSTRAINT \"%s\" %s", cname, context);
		} else {
			break;
		}
	}
	return p->rc;
}

/* Type name: words, then optional (args), then more words (MySQL's "int(11)
 * unsigned", PostgreSQL's "timestamp(6) with time zone") and [] suffixes. */
static int parse_type(dbs_parser *p, dbs_column *col, const char *context)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	/* where types are schema objects (PostgreSQL), pg_dump qualifies a type of
	 * the schema dumped ("public.mood"): read as the bare name, the schema
	 * checked like a table name's; pg_catalog's are the built-in types */
	dbs_tok_kind k2 = dbs_p_peek(p, 2)->kind;
	if (p->dl->qualified_type_names && (t->kind == DBS_TK_WORD || t->kind == DBS_TK_QUOTED) &&
	    dbs_p_peek(p, 1)->kind == DBS_TK_DOT && (k2 == DBS_TK_WORD || k2 == DBS_TK_QUOTED)) {
		const dbs_token at = *t;
		const char *schema;
		if (dbs_p_name(p, &schema, "a schema name"))
			return p->rc;
		dbs_p_next(p); /* . */
		if (strcmp(schema, "pg_catalog") != 0 && dbs_p_note_schema(p, schema, &at))
			return p->rc;
		t = dbs_p_peek(p, 0);
	}
	const char *start = t->start, *end = t->start;
	for (;;) {
		t = dbs_p_peek(p, 0);
		if (p->rc)
			return p->rc;
		if (dbs_p_name_tok(p, t) && !at_column_constraint(p)) {
			end = t->start + t->len;
			dbs_p_next(p);
		} else if (t->kind == DBS_TK_LPAREN && end != start) {
			const char *s, *e;
			dbs_p_next(p);
			if (dbs_p_balanced(p, &s, &e, context))
				return p->rc;
			end = p->prev.start + p->prev.len;
		} else if (t->kind == DBS_TK_OP && t->len == 1 && *t->start == '[' && end != start) {
			/* an array: [] or [size] (the size is accepted and not enforced) */
			dbs_p_next(p);
			if (dbs_p_peek(p, 0)->kind == DBS_TK_NUMBER)
				dbs_p_next(p);
			const dbs_token *close = dbs_p_peek(p, 0);
			if (close->kind != DBS_TK_OP || close->len != 1 || *close->start != ']')
				return dbs_p_error(p, NULL, "expected ']' in the array type %s", context);
			end = close->start + 1;
			dbs_p_next(p);
		} else {
			break;
		}
	}
	if (end != start && !(col->type = dbs_type_canon(&p->s->arena, p->s->dialect, start, (size_t)(end - start))))
		return dbs_p_oom(p);
	return p->rc;
}

int dbs_p_column_def(dbs_parser *p, dbs_table *t)
{
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *name;
	char what[200];
	snprintf(what, sizeof what, "a column name in table \"%s\"", t->name);
	if (dbs_p_name(p, &name, what))
		return p->rc;
	if (dbs_table_find_column(p->s, t, name))
		return dbs_p_error(p, &at, "duplicate column \"%s\" in table \"%s\"", name, t->name);
	dbs_column *col = dbs_table_add_column(p->s, t, name);
	if (!col)
		return dbs_p_oom(p);
	char context[300];
	snprintf(context, sizeof context, "for column \"%s\" of table \"%s\"", name, t->name);
	if (parse_type(p, col, context))
		return p->rc;
	return parse_column_constraints(p, t, col);
}
