/* CREATE TABLE and ALTER TABLE: the table body, table constraints and options. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "parse_internal.h"

/* KEY/INDEX [name] (cols), or an index kind (FULLTEXT [KEY|INDEX] ...), in
 * the dialects that define indexes inside CREATE TABLE (MySQL). */
static bool at_key_definition(dbs_parser *p)
{
	return (p->dl->key_index_syntax && (dbs_p_at(p, 0, "KEY") || dbs_p_at(p, 0, "INDEX"))) ||
		dbs_word_in_list(dbs_p_peek(p, 0), p->dl->index_kind_words);
}

static bool at_table_constraint(dbs_parser *p)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	if (dbs_tok_is(t, "CONSTRAINT") || dbs_tok_is(t, "PRIMARY") || dbs_tok_is(t, "UNIQUE") ||
	    dbs_tok_is(t, "CHECK") || dbs_tok_is(t, "FOREIGN") || dbs_tok_is(t, "EXCLUDE"))
		return true;
	/* PostgreSQL 18's NOT NULL col (NOT is reserved: no column has that name) */
	if (p->dl->not_null_constraints && dbs_tok_is(t, "NOT") && dbs_p_at(p, 1, "NULL"))
		return true;
	return at_key_definition(p);
}

static int parse_table_constraint(dbs_parser *p, dbs_table *t)
{
	const char *cname = NULL;
	const dbs_token at = *dbs_p_peek(p, 0);
	if (dbs_p_accept(p, "CONSTRAINT") && dbs_p_name(p, &cname, "a constraint name after CONSTRAINT"))
		return p->rc;
	char context[300];
	if (cname)
		snprintf(context, sizeof context, "constraint \"%s\" of table \"%s\"", cname, t->name);
	else
		snprintf(context, sizeof context, "a constraint of table \"%s\"", t->name);
	char list_ctx[340];
	snprintf(list_ctx, sizeof list_ctx, "the column list of %s", context);
	if (dbs_p_accept(p, "PRIMARY")) {
		if (dbs_p_expect_kw(p, "KEY", "after PRIMARY") || dbs_p_check_one_pk(p, t, &at))
			return p->rc;
		dbs_constraint *c = dbs_p_new_constraint(p, t, DBS_CON_PRIMARY, cname);
		if (p->dl->key_index_syntax && dbs_p_accept(p, "USING"))
			dbs_p_next(p);
		bool autoinc = false;
		if (!c || dbs_p_name_list(p, &c->cols, true, p->dl->autoincrement_instead ? NULL : &autoinc, list_ctx))
			return p->rc;
		if (autoinc) {
			dbs_column *col = c->cols.n == 1 ? dbs_table_find_column(p->s, t, c->cols.items[0]) : NULL;
			if (!col || !col->type || strcmp(col->type, "integer") != 0)
				return dbs_p_error(p, &at, "AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY (table \"%s\")",
					t->name);
			c->pk_autoincrement = col->autoincrement = true;
		}
		dbs_p_conflict_clause(p);
		if (p->dl->key_options)
			p->dl->key_options(p, context, &c->comment);
		else
			dbs_p_deferrable(p, c);
	} else if (dbs_p_accept(p, "UNIQUE")) {
		if (p->dl->key_index_syntax) {
			if (!dbs_p_accept(p, "KEY"))
				dbs_p_accept(p, "INDEX");
			if (dbs_p_at_name(p) && dbs_p_name(p, &cname, "a key name"))
				return p->rc;
		}
		dbs_constraint *c = dbs_p_new_constraint(p, t, DBS_CON_UNIQUE, cname);
		if (!c)
			return p->rc;
		if (p->dl->key_index_syntax && dbs_p_accept(p, "USING"))
			dbs_p_next(p);
		if (p->dl->unique_nulls_distinct && dbs_p_accept(p, "NULLS")) {
			c->nulls_not_distinct = dbs_p_accept(p, "NOT");
			if (dbs_p_expect_kw(p, "DISTINCT", context))
				return p->rc;
		}
		if (dbs_p_name_list(p, &c->cols, true, NULL, list_ctx))
			return p->rc;
		dbs_p_conflict_clause(p);
		/* Django: UniqueConstraint(deferrable=...) */
		if (p->dl->key_options)
			p->dl->key_options(p, context, &c->comment);
		else
			dbs_p_deferrable(p, c);
	} else if (dbs_p_accept(p, "CHECK")) {
		dbs_constraint *c = dbs_p_new_constraint(p, t, DBS_CON_CHECK, cname);
		if (!c)
			return p->rc;
		c->check_expr = dbs_p_paren_expr(p, context);
		dbs_p_no_inherit(p, c);
	} else if (dbs_p_accept(p, "FOREIGN")) {
		if (dbs_p_expect_kw(p, "KEY", "after FOREIGN"))
			return p->rc;
		if (p->dl->key_index_syntax && dbs_p_at_name(p) && dbs_p_name(p, &cname, "a key name"))
			return p->rc;
		dbs_constraint *c = dbs_p_new_constraint(p, t, DBS_CON_FOREIGN, cname);
		if (!c || dbs_p_name_list(p, &c->cols, false, NULL, list_ctx) ||
		    dbs_p_expect_kw(p, "REFERENCES", context) || dbs_p_references(p, c))
			return p->rc;
	} else if (p->dl->not_null_constraints && dbs_p_at(p, 0, "NOT") && dbs_p_at(p, 1, "NULL")) {
		/* PostgreSQL 18's table constraint NOT NULL col: the column's
		 * nullability (its name and NO INHERIT are not modeled) */
		dbs_p_next(p);
		dbs_p_next(p);
		const dbs_token at_col = *dbs_p_peek(p, 0);
		const char *cn = NULL;
		if (dbs_p_name(p, &cn, "a column name after NOT NULL"))
			return p->rc;
		dbs_column *col = dbs_table_find_column(p->s, t, cn);
		if (!col)
			return dbs_p_error(p, &at_col, "%s names column \"%s\", which no column before it defines", context, cn);
		col->not_null = true;
		dbs_p_no_inherit(p, NULL);
	} else if (p->dl->table_constraint && p->dl->table_constraint(p, t, cname, context)) {
		return p->rc; /* the dialect's own (PostgreSQL's EXCLUDE) */
	} else if (!cname && at_key_definition(p)) {
		const char *method = dbs_p_index_kind(p);
		if (p->rc)
			return p->rc;
		dbs_p_next(p);
		if (method && !dbs_p_accept(p, "KEY"))
			dbs_p_accept(p, "INDEX");
		const char *iname = NULL;
		if (dbs_p_at_name(p) && dbs_p_name(p, &iname, "an index name"))
			return p->rc;
		dbs_index *ix = dbs_table_add_index(p->s, t, iname ? iname : "");
		if (!ix)
			return dbs_p_oom(p);
		ix->method = method;
		if (!method && dbs_p_accept(p, "USING"))
			dbs_p_next(p);
		if (dbs_p_index_parts(p, t, ix))
			return p->rc;
		return p->dl->key_options ? p->dl->key_options(p, context, &ix->comment) : p->rc;
	} else {
		return dbs_p_error(p, NULL, "expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY in %s", context);
	}
	if (!p->rc && p->dl->not_valid && dbs_p_at(p, 0, "NOT") && dbs_p_at(p, 1, "VALID")) {
		dbs_p_next(p);
		dbs_p_next(p);
	}
	return p->rc;
}

/* Key columns must exist, as every dialect insists; saying so here names the
 * table and column instead of failing later in the database. */
static int check_key_columns(dbs_parser *p, const dbs_table *t, size_t from, const dbs_token *at)
{
	for (size_t i = from; i < t->constraints.n; i++) {
		const dbs_constraint *c = t->constraints.items[i];
		for (size_t j = 0; j < c->cols.n; j++)
			if (!dbs_table_find_column(p->s, t, c->cols.items[j]))
				return dbs_p_error(p, at, "%s of table \"%s\" names unknown column \"%s\"",
					c->name ? c->name : c->kind == DBS_CON_PRIMARY ? "PRIMARY KEY" : c->kind == DBS_CON_UNIQUE ?
					"UNIQUE" : c->kind == DBS_CON_FOREIGN ? "FOREIGN KEY" : "CHECK", t->name, c->cols.items[j]);
	}
	return p->rc;
}

int dbs_p_create_table(dbs_parser *p)
{
	dbs_p_next(p); /* TABLE */
	bool if_not_exists = false;
	if (dbs_p_accept(p, "IF")) {
		if (dbs_p_expect_kw(p, "NOT", "after IF") || dbs_p_expect_kw(p, "EXISTS", "after IF NOT"))
			return p->rc;
		if_not_exists = true;
	}
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *name;
	if (dbs_p_qualified_name(p, &name, "a table name after CREATE TABLE"))
		return p->rc;
	snprintf(p->stmt, sizeof p->stmt, "CREATE TABLE \"%s\"", name);
	/* the dialect's own tables (SQLite's sqlite_sequence, sqlite_stat1):
	 * `.schema` prints them, SQLite makes them itself and lets nobody else
	 * (the introspection skips them too) */
	const char *own = p->dl->internal_table_prefix;
	if (own && strncasecmp(name, own, strlen(own)) == 0) {
		dbs_p_skip_statement(p);
		return p->rc;
	}
	if (dbs_schema_find_table(p->s, name)) {
		if (if_not_exists) {
			dbs_p_skip_statement(p);
			return p->rc;
		}
		return dbs_p_error(p, &at, "table \"%s\" is defined twice", name);
	}
	if (dbs_p_at(p, 0, "AS"))
		return dbs_p_error(p, NULL, "CREATE TABLE \"%s\" AS SELECT is not supported: list its columns", name);
	char context[240];
	snprintf(context, sizeof context, "after CREATE TABLE \"%s\"", name);
	if (dbs_p_expect_kind(p, DBS_TK_LPAREN, context))
		return p->rc;
	dbs_table *t = dbs_schema_add_table(p->s, name);
	if (!t)
		return dbs_p_oom(p);
	if (dbs_p_touch(p, t))
		return p->rc;
	bool constraint_last = false;
	/* PostgreSQL allows a table without columns */
	bool empty = p->dl->tables_without_columns && dbs_p_accept_kind(p, DBS_TK_RPAREN);
	for (; !empty;) {
		constraint_last = at_table_constraint(p);
		if (constraint_last ? parse_table_constraint(p, t) : dbs_p_column_def(p, t))
			return p->rc;
		if (dbs_p_accept_kind(p, DBS_TK_COMMA))
			continue;
		if (dbs_p_accept_kind(p, DBS_TK_RPAREN))
			break;
		/* SQLite lets table constraints follow each other without commas */
		if (constraint_last && p->dl->constraints_without_commas && at_table_constraint(p))
			continue;
		if (constraint_last)
			return dbs_p_error(p, NULL, "expected ',' or ')' after a constraint of table \"%s\"", name);
		return dbs_p_error(p, NULL, "expected ',' or ')' after column \"%s\" of table \"%s\"",
			t->columns.items[t->columns.n - 1]->name, name);
	}
	if (t->columns.n == 0 && !empty)
		return dbs_p_error(p, &at, "table \"%s\" has no columns", name);
	if (check_key_columns(p, t, 0, &at))
		return p->rc;
	if (p->dl->table_options && p->dl->table_options(p, t))
		return p->rc;
	t->collation_implied = t->charset && !t->collation; /* model.h */
	if (t->without_rowid && !dbs_table_primary_key(t))
		return dbs_p_error(p, &at, "WITHOUT ROWID table \"%s\" has no PRIMARY KEY", name);
	return p->rc;
}

/* To the ',' or ';' that ends one ALTER TABLE action. */
static void skip_column_def(dbs_parser *p)
{
	int depth = 0;
	for (;;) {
		const dbs_token *t = dbs_p_peek(p, 0);
		if (t->kind == DBS_TK_EOF || (depth <= 0 && (t->kind == DBS_TK_SEMI || t->kind == DBS_TK_COMMA)))
			return;
		if (t->kind == DBS_TK_LPAREN)
			depth++;
		else if (t->kind == DBS_TK_RPAREN)
			depth--;
		dbs_p_next(p);
	}
}

/* ALTER [COLUMN] c SET DEFAULT e | DROP DEFAULT | SET NOT NULL | DROP NOT NULL
 * | ADD GENERATED ... AS IDENTITY (what pg_dump writes). */
static int parse_alter_column(dbs_parser *p, dbs_table *t)
{
	dbs_p_accept(p, "COLUMN");
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *cname;
	if (dbs_p_name(p, &cname, "a column name after ALTER COLUMN"))
		return p->rc;
	dbs_column *col = dbs_table_find_column(p->s, t, cname);
	if (!col)
		return dbs_p_error(p, &at, "ALTER COLUMN of unknown column \"%s\" in table \"%s\"", cname, t->name);
	char context[300];
	snprintf(context, sizeof context, "for column \"%s\" of table \"%s\"", col->name, t->name);
	if (dbs_p_accept(p, "SET")) {
		if (dbs_p_accept(p, "DEFAULT"))
			return dbs_p_default(p, col, context);
		if (dbs_p_accept(p, "NOT") && !dbs_p_expect_kw(p, "NULL", context)) {
			col->not_null = true;
			return p->rc;
		}
	} else if (dbs_p_accept(p, "DROP")) {
		if (dbs_p_accept(p, "DEFAULT")) {
			col->default_expr = NULL;
			return p->rc;
		}
		if (dbs_p_accept(p, "NOT") && !dbs_p_expect_kw(p, "NULL", context)) {
			col->not_null = false;
			return p->rc;
		}
	} else if (dbs_p_accept(p, "ADD") && !dbs_p_expect_kw(p, "GENERATED", context)) {
		return dbs_p_generated(p, col, context);
	}
	return dbs_p_error(p, NULL, "unsupported ALTER COLUMN action %s", context);
}

static int parse_alter_action(dbs_parser *p, dbs_table *t)
{
	if (dbs_p_accept(p, "ADD")) {
		if (dbs_p_accept(p, "COLUMN")) {
			if (dbs_p_at(p, 0, "IF") && dbs_p_at(p, 1, "NOT")) {
				dbs_p_next(p);
				dbs_p_next(p);
				if (dbs_p_expect_kw(p, "EXISTS", "after IF NOT"))
					return p->rc;
				const dbs_token *n = dbs_p_peek(p, 0);
				dbs_buf_clear(&p->scratch);
				if (dbs_p_at_name(p) && dbs_tok_value(&p->scratch, n, p->s->dialect) == 0 &&
				    dbs_table_find_column(p->s, t, dbs_buf_cstr(&p->scratch))) {
					skip_column_def(p); /* it exists: nothing to add */
					return p->rc;
				}
			}
			return dbs_p_column_def(p, t);
		}
		return at_table_constraint(p) ? parse_table_constraint(p, t) : dbs_p_column_def(p, t);
	}
	if (dbs_p_accept(p, "ALTER"))
		return parse_alter_column(p, t);
	if (p->dl->alter_table_action && p->dl->alter_table_action(p, t))
		return p->rc; /* the dialect's own (MySQL's COMMENT = 'text') */
	if (dbs_p_at(p, 0, "OWNER") || dbs_p_at(p, 0, "REPLICA") || dbs_p_at(p, 0, "CLUSTER")) {
		/* ownership and replication settings are outside the model */
		while (!p->rc && dbs_p_peek(p, 0)->kind != DBS_TK_COMMA && dbs_p_peek(p, 0)->kind != DBS_TK_SEMI &&
		       dbs_p_peek(p, 0)->kind != DBS_TK_EOF)
			dbs_p_next(p);
		return p->rc;
	}
	return dbs_p_error(p, NULL, "unsupported ALTER TABLE action on table \"%s\"", t->name);
}

int dbs_p_alter_table(dbs_parser *p)
{
	dbs_p_next(p); /* ALTER */
	dbs_p_next(p); /* TABLE */
	if (dbs_p_at(p, 0, "IF") && dbs_p_at(p, 1, "EXISTS")) {
		dbs_p_next(p);
		dbs_p_next(p);
	}
	dbs_p_accept(p, "ONLY");
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *name;
	if (dbs_p_qualified_name(p, &name, "a table name after ALTER TABLE"))
		return p->rc;
	snprintf(p->stmt, sizeof p->stmt, "ALTER TABLE \"%s\"", name);
	dbs_table *t = dbs_schema_find_table(p->s, name);
	if (!t && dbs_p_at(p, 0, "OWNER") && dbs_p_at(p, 1, "TO")) {
		dbs_p_skip_statement(p); /* pg_dump: ALTER TABLE <sequence> OWNER TO: ownership is not modeled */
		return p->rc;
	}
	if (!t)
		return dbs_p_error(p, &at, "ALTER TABLE of unknown table \"%s\"", name);
	if (dbs_p_touch(p, t))
		return p->rc;
	size_t had = t->constraints.n;
	do {
		if (parse_alter_action(p, t))
			return p->rc;
	} while (dbs_p_accept_kind(p, DBS_TK_COMMA));
	return check_key_columns(p, t, had, &at);
}
