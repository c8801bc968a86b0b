#include "dialect.h"

#include <string.h>

#include "backend.h"

int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name)
{
	char q = d == DBSYNC_DIALECT_MYSQL ? '`' : '"';
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
	dbs_buf_putc(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			dbs_buf_putc(out, '\'');
		else if (*p == '\\' && d == DBSYNC_DIALECT_MYSQL)
			dbs_buf_putc(out, '\\');
		dbs_buf_putc(out, *p);
	}
	return dbs_buf_putc(out, '\'');
}

const char *dbsync_dialect_name(dbsync_dialect dialect)
{
	switch (dialect) {
	case DBSYNC_DIALECT_SQLITE: return "sqlite";
	case DBSYNC_DIALECT_POSTGRES: return "postgresql";
	case DBSYNC_DIALECT_MYSQL: return "mysql";
	}
	return NULL;
}

int dbsync_dialect_from_name(dbsync_dialect *out, const char *name)
{
	static const struct { const char *name; dbsync_dialect d; } names[] = {
		{ "sqlite", DBSYNC_DIALECT_SQLITE }, { "sqlite3", DBSYNC_DIALECT_SQLITE },
		{ "postgresql", DBSYNC_DIALECT_POSTGRES }, { "postgres", DBSYNC_DIALECT_POSTGRES },
		{ "mysql", DBSYNC_DIALECT_MYSQL }, { "mariadb", DBSYNC_DIALECT_MYSQL },
	};
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].d;
			return 0;
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
