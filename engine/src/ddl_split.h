/* The desired DDL as statements, each with the table it belongs to (ddl_split.c). */
#ifndef DBS_DDL_SPLIT_H
#define DBS_DDL_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "dbsync/common.h"
#include "model.h"

typedef struct dbs_ddl_stmt {
	const char *text;            /* in desired->source_ddl */
	size_t len;
	int line;
	const char *skip;            /* a token left out (PostgreSQL's CONCURRENTLY), or NULL */
	size_t skip_len;
	const char *owner;           /* the table it creates or changes, or NULL */
	bool creates;                /* CREATE TABLE owner */
	bool independent;            /* no owner, and needs no table: runs in every script */
	dbs_str_vec refs;            /* the tables named after REFERENCES */
	int chunk;                   /* PostgreSQL: the script it runs in, its owner's */
} dbs_ddl_stmt;

typedef DBS_VEC(dbs_ddl_stmt) dbs_ddl_stmts;

/* desired->source_ddl (in desired's dialect) as statements, leaving out what
 * would end a shadow's transaction (BEGIN, COMMIT, ...) and SET search_path /
 * SET SCHEMA, which would send the tables elsewhere (the parser ignores both
 * too). */
int dbs_split_ddl(dbs_ddl_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired);

#endif
