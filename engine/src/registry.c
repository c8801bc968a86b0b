/*
 * The registry: the one file outside engine/src/<dialect>/ that names the
 * dialects. Each line pairs a dialect's data table (always compiled: the
 * parser and planners need it with or without a server) with its backend
 * (compiled in when its client library was found, see <dialect>/meson.build).
 * Adding a dialect is its folder plus one line here (and its number in
 * dbsync/common.h's public enum); docs/adding-a-dialect.md has the
 * checklist, and scripts/check-seam.sh checks it.
 */
#include "backend.h"
#include "dialect.h"

extern const dbs_dialect_info dbs_dialect_sqlite, dbs_dialect_postgres, dbs_dialect_mysql;

/* Each backend's table (<dialect>/backend_<dialect>.c), declared only here:
 * nothing else may reach a backend but through dbs_backend_for. */
#ifdef DBSYNC_HAVE_SQLITE
extern const dbs_backend dbs_backend_sqlite;
#define SQLITE_BACKEND (&dbs_backend_sqlite)
#else
#define SQLITE_BACKEND NULL
#endif
#ifdef DBSYNC_HAVE_POSTGRES
extern const dbs_backend dbs_backend_postgres;
#define POSTGRES_BACKEND (&dbs_backend_postgres)
#else
#define POSTGRES_BACKEND NULL
#endif
#ifdef DBSYNC_HAVE_MYSQL
extern const dbs_backend dbs_backend_mysql;
#define MYSQL_BACKEND (&dbs_backend_mysql)
#else
#define MYSQL_BACKEND NULL
#endif

static const struct {
	const dbs_dialect_info *info;
	const dbs_backend *backend;
} registry[] = {
	{ &dbs_dialect_sqlite, SQLITE_BACKEND },
	{ &dbs_dialect_postgres, POSTGRES_BACKEND },
	{ &dbs_dialect_mysql, MYSQL_BACKEND },
};
#define N_REGISTERED (sizeof registry / sizeof registry[0])

const dbs_dialect_info *dbs_dialect_info_for(dbsync_dialect d)
{
	for (size_t i = 0; i < N_REGISTERED; i++)
		if (registry[i].info->dialect == d)
			return registry[i].info;
	return NULL;
}

const dbs_dialect_info *dbs_dialect_at(size_t i)
{
	return i < N_REGISTERED ? registry[i].info : NULL;
}

const dbs_backend *dbs_backend_for(dbsync_dialect d)
{
	for (size_t i = 0; i < N_REGISTERED; i++)
		if (registry[i].info->dialect == d)
			return registry[i].backend;
	return NULL;
}
