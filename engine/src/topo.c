#include "topo.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"

enum { UNSEEN = 0, ACTIVE, PLACED };

/* A table being placed, and the next of its constraints to look at. */
typedef struct topo_frame {
	size_t table;
	size_t next;
} topo_frame;

typedef struct topo_walk {
	dbsync_dialect dialect;
	const dbs_table **in;
	const dbs_table **out;
	unsigned char *state;
	topo_frame *stack;
	dbs_name_index names;        /* name -> position in `in`, so each foreign key costs one lookup */
	size_t n, n_out;
} topo_walk;

/* The next table `f`'s foreign keys reference that is not placed or being
 * placed yet, or DBS_NAME_NONE once its references are done. */
static size_t next_reference(topo_walk *w, topo_frame *f)
{
	const dbs_table *t = w->in[f->table];
	while (f->next < t->constraints.n) {
		const dbs_constraint *k = t->constraints.items[f->next++];
		if (k->kind != DBS_CON_FOREIGN || !k->ref_table)
			continue;
		/* exact spelling first, as dbs_schema_find_table does */
		size_t j = dbs_name_index_find(&w->names, w->dialect, k->ref_table);
		if (j != DBS_NAME_NONE && j != f->table && w->state[j] == UNSEEN)
			return j;
	}
	return DBS_NAME_NONE;
}

/* Depth-first, the references of a table placed before it. An explicit stack
 * rather than recursion: a chain of foreign keys as long as the schema (each
 * table referencing the next) must not exhaust the C stack. */
static void visit(topo_walk *w, size_t root)
{
	if (w->state[root] != UNSEEN)
		return;
	size_t top = 0;
	w->state[root] = ACTIVE;
	w->stack[top++] = (topo_frame){ root, 0 };
	while (top) {
		topo_frame *f = &w->stack[top - 1];
		size_t j = next_reference(w, f);
		if (j != DBS_NAME_NONE) {
			w->state[j] = ACTIVE;
			w->stack[top++] = (topo_frame){ j, 0 };
			continue;
		}
		w->state[f->table] = PLACED;
		w->out[w->n_out++] = w->in[f->table];
		top--;
	}
}

int dbs_topo_order_tables(dbsync_dialect d, const dbs_table **tables, size_t n)
{
	if (n < 2)
		return 0;
	topo_walk w = { .dialect = d, .out = tables, .n = n };
	int rc = -1;
	w.in = malloc(n * sizeof *w.in);
	w.state = calloc(n, 1);
	w.stack = malloc(n * sizeof *w.stack);
	if (!w.in || !w.state || !w.stack)
		goto cleanup;
	memcpy(w.in, tables, n * sizeof *w.in);
	for (size_t i = 0; i < n; i++)
		if (dbs_name_index_add(&w.names, w.in[i]->name, i))
			goto cleanup;
	for (size_t i = 0; i < n; i++)
		visit(&w, i);
	rc = 0;
cleanup:
	dbs_name_index_clear(&w.names);
	free(w.in);
	free(w.state);
	free(w.stack);
	return rc;
}
