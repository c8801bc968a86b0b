#include "topo.h"

#include <stdlib.h>
#include <string.h>

enum { UNSEEN = 0, ACTIVE, PLACED };

typedef struct topo_walk {
	dbsync_dialect dialect;
	const dbs_table **in;
	const dbs_table **out;
	unsigned char *state;
	size_t n, n_out;
} topo_walk;

static size_t find_in(const topo_walk *w, const char *name)
{
	/* exact spelling first, as dbs_schema_find_table does */
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->in[i]->name, name) == 0)
			return i;
	for (size_t i = 0; i < w->n; i++)
		if (dbs_name_eq(w->dialect, w->in[i]->name, name))
			return i;
	return (size_t)-1;
}

/* Depth-first with an explicit stack would be needed for very deep chains;
 * foreign key chains in real schemas are short, so plain recursion is bounded
 * by the chain length, not the table count. */
static void visit(topo_walk *w, size_t i)
{
	if (w->state[i] != UNSEEN)
		return;
	w->state[i] = ACTIVE;
	const dbs_table *t = w->in[i];
	for (size_t c = 0; c < t->constraints.n; c++) {
		const dbs_constraint *k = t->constraints.items[c];
		if (k->kind != DBS_CON_FOREIGN || !k->ref_table)
			continue;
		size_t j = find_in(w, k->ref_table);
		if (j != (size_t)-1 && j != i)
			visit(w, j);
	}
	w->state[i] = PLACED;
	w->out[w->n_out++] = t;
}

int dbs_topo_order_tables(dbsync_dialect d, const dbs_table **tables, size_t n)
{
	if (n < 2)
		return 0;
	topo_walk w = { d, NULL, tables, NULL, n, 0 };
	w.in = malloc(n * sizeof *w.in);
	w.state = calloc(n, 1);
	if (!w.in || !w.state) {
		free(w.in);
		free(w.state);
		return -1;
	}
	memcpy(w.in, tables, n * sizeof *w.in);
	for (size_t i = 0; i < n; i++)
		visit(&w, i);
	free(w.in);
	free(w.state);
	return 0;
}
