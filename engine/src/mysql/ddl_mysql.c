/*
 * MySQL/MariaDB DDL the dialect-neutral core asks for through the dialect
 * table (dialect.h): a shadow's statements (shadow_ddl.h) and which strings
 * a session in an odd sql_mode would read otherwise.
 */
#include "canon_mysql.h"
#include "dialect.h"
#include "lexer.h"
#include "render.h"

#define MY DBSYNC_DIALECT_MYSQL

/* The table with its keys and comments (foreign key checks are off in the
 * shadow, so order does not matter), then its indexes. */
int dbs_my_shadow_table(dbs_shadow_renderer *r, const dbs_table *t)
{
	int rc;
	dbs_render_create_table(&r->b, MY, t);
	if ((rc = dbs_shadow_push(r, t, true, NULL)))
		return rc;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_render_create_index(&r->b, MY, t, t->indexes.items[i]);
		if ((rc = dbs_shadow_push(r, t, false, NULL)))
			return rc;
	}
	return 0;
}

/* A string ends at the same quote whether or not the server reads backslash
 * escapes (sql_mode NO_BACKSLASH_ESCAPES) or takes "..." for a name
 * (ANSI_QUOTES). Asked only of a session in such a mode: elsewhere the server
 * reads strings as the engine's lexer does. */
bool dbs_my_string_unambiguous(const dbs_token *t)
{
	size_t i = 0;
	while (i < t->len && t->start[i] != '\'' && t->start[i] != '"')
		i++; /* a prefix: N'..', _utf8mb4'..' */
	if (i >= t->len)
		return false;
	char q = t->start[i];
	for (i++; i < t->len; i++) {
		if (t->start[i] != q)
			continue;
		if (i + 1 < t->len && t->start[i + 1] == q) {
			i++;
			continue;
		}
		break;
	}
	return i == t->len - 1;
}
