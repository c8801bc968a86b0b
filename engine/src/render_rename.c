/* Rendering a table rename in each dialect's own statement. */
#include "dialect.h"
#include "plan_rename.h"

int dbs_render_rename_table(dbs_buf *out, dbsync_dialect d, const char *from, const char *to)
{
	/* MySQL's ALTER TABLE ... RENAME works too, but RENAME TABLE is the
	 * statement its manual documents for renames and what a DBA expects */
	dbs_buf_puts(out, d == DBSYNC_DIALECT_MYSQL ? "RENAME TABLE " : "ALTER TABLE ");
	dbs_quote_ident(out, d, from);
	dbs_buf_puts(out, d == DBSYNC_DIALECT_MYSQL ? " TO " : " RENAME TO ");
	dbs_quote_ident(out, d, to);
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}
