/*
 * MySQL's (and MariaDB's) own grammar for the parser (dialect.h's hooks):
 * CREATE's ALGORITHM/DEFINER/SQL SECURITY clauses, column attributes
 * (AUTO_INCREMENT, COMMENT, ON UPDATE, CHARACTER SET, VISIBLE), key and
 * index options, table options, ALTER TABLE ... COMMENT, and a dump's
 * preamble: SET NAMES / CHARACTER SET, SET of user variables and of the
 * session variables listed in my_settings (plain values only: no call, no
 * subquery), mariadb-dump's DROP TABLE/VIEW/SEQUENCE IF EXISTS of what the
 * file creates next, and its DO SETVAL (listed as not handled). The rest of
 * MySQL's syntax is data in dialect_mysql.c.
 */
#include "parse_mysql.h"

#include <stdio.h>
#include <string.h>

const char *const dbs_my_index_kind_words[] = { "FULLTEXT", "SPATIAL", NULL };

const char *const dbs_my_column_attribute_words[] = {
	"CHARACTER SET", "AUTO_INCREMENT", "COMMENT", "ON", "CHARSET", "KEY", "VISIBLE", "INVISIBLE", "SRID",
	"STORAGE", "COLUMN_FORMAT", NULL,
};

/* CREATE [ALGORITHM = x] [DEFINER = user[@host]] [SQL SECURITY x] VIEW/TRIGGER/...
 * (how dumps write them): the clauses name no schema object and are skipped. */
void dbs_my_create_clauses(dbs_parser *p)
{
	for (;;) {
		if ((dbs_p_at(p, 0, "ALGORITHM") || dbs_p_at(p, 0, "DEFINER")) && dbs_p_peek(p, 1)->kind == DBS_TK_OP) {
			dbs_p_next(p);
			dbs_p_next(p);
			dbs_p_next(p);
			const dbs_token *at = dbs_p_peek(p, 0);
			if (at->kind == DBS_TK_OP && at->len == 1 && at->start[0] == '@') {
				dbs_p_next(p);
				dbs_p_next(p);
			} else if (at->kind == DBS_TK_PARAM && at->start[0] == '@') {
				dbs_p_next(p);
			}
		} else if (dbs_p_at(p, 0, "SQL") && dbs_p_at(p, 1, "SECURITY")) {
			dbs_p_next(p);
			dbs_p_next(p);
			dbs_p_next(p);
		} else {
			return;
		}
	}
}

/* A string token's value into *out (the schema's arena). Returns p->rc. */
static int string_value(dbs_parser *p, const dbs_token *s, const char **out)
{
	dbs_buf_clear(&p->scratch);
	dbs_tok_value(&p->scratch, s, p->s->dialect);
	if (!(*out = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch))))
		return dbs_p_oom(p);
	return p->rc;
}

bool dbs_my_column_attribute(dbs_parser *p, dbs_column *col, const char *context)
{
	if (dbs_p_accept(p, "AUTO_INCREMENT")) {
		col->autoincrement = true;
	} else if (dbs_p_accept(p, "COMMENT")) {
		const dbs_token *s = dbs_p_peek(p, 0);
		if (s->kind != DBS_TK_STRING)
			dbs_p_error(p, NULL, "expected a string after COMMENT %s", context);
		else if (!string_value(p, s, &col->comment))
			dbs_p_next(p);
	} else if (dbs_p_at(p, 0, "ON") && dbs_p_at(p, 1, "UPDATE")) {
		/* ON UPDATE CURRENT_TIMESTAMP[(n)], kept so the shadow's rendering has it */
		dbs_p_next(p);
		dbs_p_next(p);
		const dbs_token now = *dbs_p_peek(p, 0);
		const char *end = now.start + now.len;
		dbs_p_next(p);
		if (dbs_p_accept_kind(p, DBS_TK_LPAREN)) {
			const char *s, *e;
			if (dbs_p_balanced(p, &s, &e, context))
				return true;
			end = p->prev.start + p->prev.len;
		}
		col->on_update_expr = dbs_p_expr(p, now.start, end);
	} else if (dbs_p_at(p, 0, "CHARSET") || (dbs_p_at(p, 0, "CHARACTER") && dbs_p_at(p, 1, "SET"))) {
		/* kept: without COLLATE it decides the column's collation */
		dbs_p_accept(p, "CHARACTER");
		dbs_p_next(p); /* SET or CHARSET */
		dbs_p_name(p, &col->charset, "a character set name");
	} else if (!dbs_p_accept(p, "VISIBLE") && !dbs_p_accept(p, "INVISIBLE")) {
		return false; /* (VISIBLE and INVISIBLE are read, not modeled) */
	}
	return true;
}

/* Index options after a key's column list, in the forms SHOW CREATE
 * TABLE and people write: USING BTREE|HASH|RTREE, COMMENT 'text',
 * KEY_BLOCK_SIZE [=] n, WITH PARSER name, VISIBLE, INVISIBLE, IGNORED and
 * NOT IGNORED. None changes what the key holds. The COMMENT of an index, a
 * PRIMARY KEY or a UNIQUE key is kept in `*comment` (compared,
 * docs/mysql.md); the rest are read and not modeled. */
int dbs_my_key_options(dbs_parser *p, const char *context, const char **comment)
{
	while (!p->rc) {
		bool is_comment = dbs_p_at(p, 0, "COMMENT");
		if (dbs_p_accept(p, "USING") || dbs_p_accept(p, "COMMENT")) {
			const dbs_token *v = dbs_p_peek(p, 0);
			if (v->kind != DBS_TK_WORD && v->kind != DBS_TK_STRING)
				return dbs_p_error(p, NULL, "expected an index type or a string in %s", context);
			if (is_comment && comment && v->kind == DBS_TK_STRING) {
				dbs_buf_clear(&p->scratch);
				dbs_tok_value(&p->scratch, v, p->s->dialect);
				if (!(*comment = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch))))
					return dbs_p_oom(p);
				if (!**comment)
					*comment = NULL; /* COMMENT '' is no comment, as the catalog has it */
			}
			dbs_p_next(p);
		} else if (dbs_p_accept(p, "KEY_BLOCK_SIZE")) {
			const dbs_token *eq = dbs_p_peek(p, 0);
			if (eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '=')
				dbs_p_next(p);
			if (dbs_p_expect_kind(p, DBS_TK_NUMBER, context))
				return p->rc;
		} else if (dbs_p_at(p, 0, "WITH") && dbs_p_at(p, 1, "PARSER")) {
			dbs_p_next(p);
			dbs_p_next(p);
			const char *parser;
			if (dbs_p_name(p, &parser, "a parser name after WITH PARSER"))
				return p->rc;
		} else if (dbs_p_at(p, 0, "NOT") && dbs_p_at(p, 1, "IGNORED")) {
			dbs_p_next(p);
			dbs_p_next(p);
		} else if (!dbs_p_accept(p, "VISIBLE") && !dbs_p_accept(p, "INVISIBLE") && !dbs_p_accept(p, "IGNORED")) {
			break;
		}
	}
	return p->rc;
}

/* [=] value after a table option's name. */
static int mysql_option_value(dbs_parser *p, const dbs_table *t, const dbs_token **value)
{
	const dbs_token *eq = dbs_p_peek(p, 0);
	if (eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '=')
		dbs_p_next(p);
	*value = dbs_p_peek(p, 0);
	if ((*value)->kind != DBS_TK_WORD && (*value)->kind != DBS_TK_STRING && (*value)->kind != DBS_TK_NUMBER &&
	    (*value)->kind != DBS_TK_QUOTED)
		return dbs_p_error(p, NULL, "expected a value for a table option of table \"%s\"", t->name);
	return p->rc;
}

/* Table options: COMMENT and the default character set and collation
 * are modeled; ENGINE, AUTO_INCREMENT, ROW_FORMAT and the other storage
 * options are read and not compared (docs/parser.md); PARTITION BY is an error. */
int dbs_my_table_options(dbs_parser *p, dbs_table *t)
{
	while (!p->rc) {
		dbs_p_accept_kind(p, DBS_TK_COMMA);
		const dbs_token *w = dbs_p_peek(p, 0);
		if (w->kind != DBS_TK_WORD)
			return p->rc;
		if (dbs_tok_is(w, "PARTITION"))
			return dbs_p_error(p, NULL, "table \"%s\" uses PARTITION BY: partitioned tables are not managed",
				t->name);
		const dbs_token *value;
		if (dbs_tok_is(w, "COMMENT")) {
			dbs_p_next(p);
			if (mysql_option_value(p, t, &value))
				return p->rc;
			if (value->kind != DBS_TK_STRING)
				return dbs_p_error(p, NULL, "expected a string after COMMENT of table \"%s\"", t->name);
			dbs_buf_clear(&p->scratch);
			dbs_tok_value(&p->scratch, value, p->s->dialect);
			if (!(t->comment = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch))))
				return dbs_p_oom(p);
			dbs_p_next(p);
			continue;
		}
		/* DEFAULT CHARSET=x, CHARACTER SET x, DEFAULT COLLATE=x, ENGINE=x ... */
		dbs_p_accept(p, "DEFAULT");
		const char **into = NULL;
		if (dbs_p_accept(p, "CHARACTER")) {
			dbs_p_expect_kw(p, "SET", "after CHARACTER");
			into = &t->charset;
		} else {
			w = dbs_p_peek(p, 0);
			if (dbs_tok_is(w, "CHARSET"))
				into = &t->charset;
			else if (dbs_tok_is(w, "COLLATE"))
				into = &t->collation;
			dbs_p_next(p);
		}
		if (p->rc || mysql_option_value(p, t, &value))
			return p->rc;
		if (into) {
			/* names are case-insensitive: kept lower case, as the catalog has them */
			dbs_buf_clear(&p->scratch);
			dbs_tok_value(&p->scratch, value, p->s->dialect);
			char *v = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch));
			if (!v)
				return dbs_p_oom(p);
			for (char *c = v; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			*into = v;
		}
		dbs_p_next(p);
	}
	return p->rc;
}

/* ALTER TABLE t COMMENT [=] 'text': the table comment, as Django sets db_table_comment. */
bool dbs_my_alter_table_action(dbs_parser *p, dbs_table *t)
{
	if (!dbs_p_accept(p, "COMMENT"))
		return false;
	const dbs_token *eq = dbs_p_peek(p, 0);
	if (eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '=')
		dbs_p_next(p);
	const dbs_token *s = dbs_p_peek(p, 0);
	if (s->kind != DBS_TK_STRING)
		dbs_p_error(p, NULL, "expected a string after COMMENT of table \"%s\"", t->name);
	else if (!string_value(p, s, &t->comment))
		dbs_p_next(p);
	return true;
}

/* One SET target; true when it is a user variable or an allowed
 * session variable (consumed). */
static bool my_target(dbs_parser *p)
{
	static const char *const my_settings[] = { "character_set_client", "character_set_results",
		"character_set_connection", "collation_connection", "time_zone", "unique_checks",
		"foreign_key_checks", "sql_mode", "sql_notes", "note_verbosity", "names" };
	const dbs_token *t = dbs_p_peek(p, 0);
	if (t->kind == DBS_TK_PARAM && t->start[0] == '@') {
		dbs_p_next(p); /* @user_variable: the session's own */
		return true;
	}
	if (t->kind == DBS_TK_OP && t->len == 1 && t->start[0] == '@') {
		/* @@name or @@session.name */
		const dbs_token *v = dbs_p_peek(p, 1);
		if (v->kind != DBS_TK_PARAM)
			return false;
		if (dbs_p_peek(p, 2)->kind == DBS_TK_DOT) {
			if (!dbs_span_eq_ci(v->start, v->len, "@session") && !dbs_span_eq_ci(v->start, v->len, "@local"))
				return false;
			const dbs_token *name = dbs_p_peek(p, 3);
			if (!DBS_WORD_IN(name, my_settings))
				return false;
			for (int i = 0; i < 4; i++)
				dbs_p_next(p);
			return true;
		}
		for (size_t i = 0; i < sizeof my_settings / sizeof my_settings[0]; i++) {
			char at_name[64];
			snprintf(at_name, sizeof at_name, "@%s", my_settings[i]);
			if (dbs_span_eq_ci(v->start, v->len, at_name)) {
				dbs_p_next(p);
				dbs_p_next(p);
				return true;
			}
		}
		return false;
	}
	if (dbs_tok_is(t, "SESSION") || dbs_tok_is(t, "LOCAL")) {
		if (!DBS_WORD_IN(dbs_p_peek(p, 1), my_settings))
			return false;
		dbs_p_next(p);
		dbs_p_next(p);
		return true;
	}
	if (t->kind == DBS_TK_WORD && DBS_WORD_IN(t, my_settings)) {
		dbs_p_next(p);
		return true;
	}
	return false;
}

/* SET NAMES x [COLLATE y] | SET CHARACTER SET x | SET target = value, ... */
static int my_set(dbs_parser *p, const dbs_token *first)
{
	dbs_p_next(p); /* SET */
	for (;;) {
		bool names = dbs_p_at(p, 0, "NAMES") || dbs_p_at(p, 0, "CHARSET");
		if (!names && dbs_p_at(p, 0, "CHARACTER") && dbs_p_at(p, 1, "SET")) {
			dbs_p_next(p);
			names = true;
		}
		if (names) {
			dbs_p_next(p);
		} else {
			if (!my_target(p))
				return dbs_p_refuse_statement(p, first);
			const dbs_token *eq = dbs_p_peek(p, 0);
			if (eq->kind != DBS_TK_OP || !((eq->len == 1 && eq->start[0] == '=') ||
			    (eq->len == 2 && memcmp(eq->start, ":=", 2) == 0)))
				return dbs_p_refuse_statement(p, first);
			dbs_p_next(p);
		}
		/* the value: plain tokens up to ',' or the end */
		while (!p->rc && !dbs_p_at_end(p, 0) && dbs_p_peek(p, 0)->kind != DBS_TK_COMMA) {
			dbs_tok_kind k = dbs_p_peek(p, 0)->kind;
			if (k == DBS_TK_LPAREN || k == DBS_TK_RPAREN)
				return dbs_p_refuse(p, first, "only plain values are read in a SET");
			dbs_p_next(p);
		}
		if (p->rc || dbs_p_at_end(p, 0))
			return p->rc;
		dbs_p_next(p); /* ',' */
	}
}

/*
 * mariadb-dump writes "DROP TABLE IF EXISTS t" (and VIEW, SEQUENCE) before
 * creating each object: in a schema file that is how the object is replaced,
 * never removed. Such a DROP of plain names is read as that when the file
 * creates every name afterwards (checked at the end, dbs_p_check_drops); a
 * view the file defined before is forgotten, as the server would, so the
 * dump's placeholder view gives way to the real one. Returns false, having
 * consumed nothing, for any other DROP (refused as before).
 */
static bool my_dump_drop(dbs_parser *p)
{
	const dbs_token first = *dbs_p_peek(p, 0);
	const dbs_token *kind = dbs_p_peek(p, 1);
	if (!(dbs_tok_is(kind, "TABLE") || dbs_tok_is(kind, "VIEW") || dbs_tok_is(kind, "SEQUENCE")) ||
	    !dbs_p_at(p, 2, "IF") || !dbs_p_at(p, 3, "EXISTS"))
		return false;
	bool view = dbs_tok_is(kind, "VIEW");
	for (size_t i = 0; i < 4; i++)
		dbs_p_next(p);
	while (!p->rc) {
		struct dbs_p_drop d = { .at = first };
		dbs_tok_kind nk = dbs_p_peek(p, 0)->kind, after = dbs_p_peek(p, 1)->kind;
		/* a plain name; anything qualified or more (CASCADE) is no dump's */
		if ((nk != DBS_TK_WORD && nk != DBS_TK_QUOTED) || (after != DBS_TK_COMMA && !dbs_p_at_end(p, 1))) {
			dbs_p_refuse_statement(p, &first);
			return true;
		}
		if (dbs_p_name(p, &d.name, "a name"))
			return true;
		/* a table the file made before would be removed, not replaced */
		if (!view && dbs_schema_find_table(p->s, d.name)) {
			dbs_p_refuse_statement(p, &first);
			return true;
		}
		if (DBS_VEC_PUSH(&p->s->arena, &p->drops, d)) {
			dbs_p_oom(p);
			return true;
		}
		for (size_t i = 0; view && i < p->s->views.n; i++)
			if (dbs_name_eq(p->s->dialect, p->s->views.items[i]->name, d.name)) {
				/* the others keep their order */
				memmove(&p->s->views.items[i], &p->s->views.items[i + 1],
					(p->s->views.n - i - 1) * sizeof *p->s->views.items);
				p->s->views.n--;
				break;
			}
		if (!dbs_p_accept_kind(p, DBS_TK_COMMA))
			break;
	}
	return true;
}

/* mariadb-dump's "DO SETVAL(seq, n, 0)" after a CREATE SEQUENCE: the
 * sequence's position, listed as not handled like the sequence. */
static bool my_dump_setval(dbs_parser *p, const dbs_token *first)
{
	if (!dbs_p_at(p, 1, "SETVAL") || dbs_p_peek(p, 2)->kind != DBS_TK_LPAREN)
		return false;
	const dbs_token *n = dbs_p_peek(p, 3);
	if (n->kind != DBS_TK_WORD && n->kind != DBS_TK_QUOTED)
		return false;
	dbs_p_next(p);
	dbs_p_next(p);
	dbs_p_next(p);
	const char *name;
	if (dbs_p_name(p, &name, "a sequence name"))
		return true;
	dbsync_unhandled u = { .kind = "DO SETVAL", .name = name, .line = first->line };
	if (DBS_VEC_PUSH(&p->s->arena, &p->s->unhandled, u)) {
		dbs_p_oom(p);
		return true;
	}
	dbs_p_skip_statement(p);
	return true;
}

bool dbs_my_preamble(dbs_parser *p, const dbs_token *first)
{
	if (dbs_tok_is(first, "SET")) {
		my_set(p, first);
		return true;
	}
	return (dbs_tok_is(first, "DROP") && my_dump_drop(p)) || (dbs_tok_is(first, "DO") && my_dump_setval(p, first));
}
