/* Writing rows into the engine's own dump (backup_dump.c), shared with each
 * backend's row reader (dbs_backup_ops.dump_rows in backup_<dialect>.c). */
#ifndef DBS_BACKUP_ROWS_H
#define DBS_BACKUP_ROWS_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"
#include "model.h"

/* Rows per INSERT statement: big enough to load fast, small enough that no
 * statement nears a server's packet limit with ordinary rows. */
#define DBS_DUMP_BATCH_ROWS 100

typedef struct dbs_dump_batch {
	dbs_buf b;
	dbsync_dialect dialect;
	size_t rows;   /* rows in the INSERT being written */
} dbs_dump_batch;

/* "SELECT <stored columns> FROM <table>": generated columns are left out,
 * the server computes them again. */
int dbs_dump_select(dbs_buf *b, dbsync_dialect d, const dbs_table *t);
size_t dbs_dump_column_count(const dbs_table *t);
int dbs_dump_insert_head(dbs_buf *b, dbsync_dialect d, const dbs_table *t);
/* Before a row's "(values)": the INSERT head or the separator. */
void dbs_dump_batch_row(dbs_dump_batch *bt, const dbs_table *t);
/* After a row: close the statement when the batch is full or `last`, and
 * write what is buffered. */
int dbs_dump_batch_end_row(dbsync_ctx *ctx, dbs_dump_batch *bt, FILE *out, bool last);
int dbs_dump_flush(dbsync_ctx *ctx, dbs_buf *b, FILE *out);

#endif
