#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

static size_t folded_hash(const char *s)
{
	size_t h = 1469598103934665603ull & (size_t)-1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (size_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ull;
	}
	return h;
}

static void put(dbs_name_slot *slots, size_t cap, dbs_name_slot s)
{
	size_t j = s.hash & (cap - 1);
	while (slots[j].name)
		j = (j + 1) & (cap - 1);
	slots[j] = s;
}

int dbs_name_index_add(dbs_name_index *ix, const char *name, size_t at)
{
	if ((ix->n + 1) * 2 > ix->cap) {
		/* doubling keeps adding n names linear overall */
		size_t cap = ix->cap ? ix->cap * 2 : 16;
		dbs_name_slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return -1;
		for (size_t i = 0; i < ix->cap; i++)
			if (ix->slots[i].name)
				put(slots, cap, ix->slots[i]);
		free(ix->slots);
		ix->slots = slots;
		ix->cap = cap;
	}
	put(ix->slots, ix->cap, (dbs_name_slot){ name, at, folded_hash(name) });
	ix->n++;
	return 0;
}

size_t dbs_name_index_find(const dbs_name_index *ix, dbsync_dialect d, const char *name)
{
	if (!ix->cap || !name)
		return DBS_NAME_NONE;
	size_t exact = DBS_NAME_NONE, loose = DBS_NAME_NONE, h = folded_hash(name);
	for (size_t j = h & (ix->cap - 1); ix->slots[j].name; j = (j + 1) & (ix->cap - 1)) {
		const dbs_name_slot *s = &ix->slots[j];
		if (s->hash != h)
			continue;
		if (s->at < exact && strcmp(s->name, name) == 0)
			exact = s->at;
		else if (s->at < loose && dbs_name_eq(d, s->name, name))
			loose = s->at;
	}
	return exact != DBS_NAME_NONE ? exact : loose;
}

void dbs_name_index_clear(dbs_name_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}
