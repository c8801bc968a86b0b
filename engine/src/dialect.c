#include "dialect.h"

#include <string.h>

#include "backend.h"

int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	char q = info ? info->ident_quote : '"';
	dbs_buf_putc(out, q);
	for (const char *p = name; *p; p++) {
		if (*p == q)
			dbs_buf_putc(out, q);
		dbs_buf_putc(out, *p);
	}
	return dbs_buf_putc(out, q);
}

int dbs_quote_literal(dbs_buf *out, dbsync_dialect d, const char *s)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	bool backslash = info && info->literal_doubles_backslash;
	dbs_buf_putc(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			dbs_buf_putc(out, '\'');
		else if (*p == '\\' && backslash)
			dbs_buf_putc(out, '\\');
		dbs_buf_putc(out, *p);
	}
	return dbs_buf_putc(out, '\'');
}

const char *dbsync_dialect_name(dbsync_dialect dialect)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	return info ? info->name : NULL;
}

size_t dbsync_dialect_count(void)
{
	size_t n = 0;
	while (dbs_dialect_at(n))
		n++;
	return n;
}

dbsync_dialect dbsync_dialect_at(size_t i)
{
	const dbs_dialect_info *info = dbs_dialect_at(i);
	return info ? info->dialect : (dbsync_dialect)0;
}

int dbsync_dialect_from_name(dbsync_dialect *out, const char *name)
{
	const dbs_dialect_info *info;
	for (size_t i = 0; name && (info = dbs_dialect_at(i)); i++) {
		bool match = strcmp(name, info->name) == 0;
		for (const char *const *a = info->aliases; !match && a && *a; a++)
			match = strcmp(name, *a) == 0;
		if (match) {
			*out = info->dialect;
			return 0;
		}
	}
	return DBSYNC_EINVALID;
}

const char *dbsync_version(void)
{
	return DBSYNC_VERSION;
}

int dbsync_backend_available(dbsync_dialect dialect)
{
	return dbs_backend_for(dialect) != NULL;
}
