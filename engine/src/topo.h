/* Ordering tables so that referenced tables come before the tables referencing them. */
#ifndef DBS_TOPO_H
#define DBS_TOPO_H

#include "model.h"

/* Reorder `tables[0..n)` in place: a table follows every table in the list it
 * references through a foreign key. Cycles (and self references) are tolerated:
 * a table met again while its own references are being placed is left where the
 * walk reaches it, the way pg_dump breaks a dependency loop. Ties keep the input
 * order. Time is linear in tables and foreign keys. Returns 0, or -1 when out
 * of memory (the list is then unchanged). */
int dbs_topo_order_tables(dbsync_dialect d, const dbs_table **tables, size_t n);

#endif
