/*
 * SQLite's own grammar for the parser (dialect.h's hooks): the table options
 * WITHOUT ROWID and STRICT, and the one preamble statement a dump carries,
 * PRAGMA foreign_keys = ON|OFF|0|1. The rest of SQLite's syntax is data in
 * dialect_sqlite.c.
 */
#include "parse_sqlite.h"

int dbs_sqlite_table_options(dbs_parser *p, dbs_table *t)
{
	if (!dbs_p_at(p, 0, "WITHOUT") && !dbs_p_at(p, 0, "STRICT"))
		return p->rc; /* the caller reports what follows instead of ';' */
	for (;;) {
		if (dbs_p_accept(p, "WITHOUT")) {
			if (dbs_p_expect_kw(p, "ROWID", "after WITHOUT"))
				return p->rc;
			t->without_rowid = true;
		} else if (dbs_p_accept(p, "STRICT")) {
			t->strict = true;
		} else {
			return dbs_p_error(p, NULL, "expected WITHOUT ROWID or STRICT after table \"%s\"", t->name);
		}
		if (!dbs_p_accept_kind(p, DBS_TK_COMMA))
			return p->rc;
	}
}

bool dbs_sqlite_preamble(dbs_parser *p, const dbs_token *first)
{
	if (!dbs_tok_is(first, "PRAGMA") || !dbs_p_at(p, 1, "foreign_keys"))
		return false;
	const dbs_token *eq = dbs_p_peek(p, 2), *v = dbs_p_peek(p, 3);
	bool value = dbs_tok_is(v, "ON") || dbs_tok_is(v, "OFF") ||
		(v->kind == DBS_TK_NUMBER && v->len == 1 && (v->start[0] == '0' || v->start[0] == '1'));
	if (eq->kind != DBS_TK_OP || eq->len != 1 || eq->start[0] != '=' || !value)
		return false;
	for (int i = 0; i < 4; i++)
		dbs_p_next(p);
	return dbs_p_at_end(p, 0);
}
