/* Rendering a table rename with the dialect's own statement (its
 * rename_table_sql, dialect.h). */
#include <string.h>

#include "dialect.h"
#include "plan_rename.h"

int dbs_render_rename_table(dbs_buf *out, dbsync_dialect d, const char *from, const char *to)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	const char *names[2] = { from, to };
	size_t k = 0;
	if (!info || !info->rename_table_sql)
		return DBSYNC_EUNSUPPORTED;
	/* the template is data, not a format for printf: each "%s" takes the
	 * next name, quoted */
	for (const char *p = info->rename_table_sql; *p;) {
		const char *hole = strstr(p, "%s");
		if (!hole || k == 2) {
			dbs_buf_puts(out, p);
			break;
		}
		dbs_buf_put(out, p, (size_t)(hole - p));
		dbs_quote_ident(out, d, names[k++]);
		p = hole + 2;
	}
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}
