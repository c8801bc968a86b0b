/*
 * PostgreSQL identity sequence options; see pg_identity.h.
 */
#include "pg_identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "type.h"

/* An identity's sequence spans its column's integer type (bigint otherwise). */
static void type_bounds(const char *type, int64_t *lo, int64_t *hi)
{
	dbs_type t;
	uint64_t top;
	dbs_type_parse(type, &t);
	if (t.cls != DBS_TYPE_INTEGER)
		t.int_bytes = 8;
	dbs_type_int_range(&t, lo, &top);
	*hi = (int64_t)top;
}

const char *dbs_pg_identity_canon(dbs_arena *a, const char *type, const dbs_pg_seq *seq, bool *oom)
{
	int64_t lo, hi;
	type_bounds(type, &lo, &hi);
	bool up = seq->increment > 0;
	char text[256];
	size_t n = 0;
	text[0] = '\0';
#define ADD(...) n += (size_t)snprintf(text + n, sizeof text - n, __VA_ARGS__)
	if (seq->start != (up ? seq->min : seq->max))
		ADD(" START WITH %" PRId64, seq->start);
	if (seq->increment != 1)
		ADD(" INCREMENT BY %" PRId64, seq->increment);
	if (seq->min != (up ? 1 : lo))
		ADD(" MINVALUE %" PRId64, seq->min);
	if (seq->max != (up ? hi : -1))
		ADD(" MAXVALUE %" PRId64, seq->max);
	if (seq->cache != 1)
		ADD(" CACHE %" PRId64, seq->cache);
	if (seq->cycle)
		ADD(" CYCLE");
#undef ADD
	if (!n)
		return NULL;
	const char *out = dbs_arena_strdup(a, text + 1);
	if (!out)
		*oom = true;
	return out;
}

/* The options of a canonical text; `set` says which were written. */
typedef struct opts {
	int64_t start, increment, min, max, cache;
	bool has_start, has_min, has_max, cycle;
} opts;

static opts read_opts(const char *text)
{
	opts o = { .increment = 1, .cache = 1 };
	for (const char *p = text; p && *p;) {
		while (*p == ' ')
			p++;
		const char *word = p;
		p += strcspn(p, " ");
		size_t len = (size_t)(p - word);
		if (len == 5 && memcmp(word, "CYCLE", 5) == 0) {
			o.cycle = true;
			continue;
		}
		if ((len == 5 && memcmp(word, "START", 5) == 0) || (len == 9 && memcmp(word, "INCREMENT", 9) == 0)) {
			while (*p == ' ')
				p++;
			p += strcspn(p, " "); /* WITH, BY */
		}
		char *end;
		int64_t v = strtoll(p, &end, 10);
		p = end;
		if (len == 5 && memcmp(word, "START", 5) == 0) {
			o.start = v;
			o.has_start = true;
		} else if (len == 9 && memcmp(word, "INCREMENT", 9) == 0) {
			o.increment = v;
		} else if (len == 8 && memcmp(word, "MINVALUE", 8) == 0) {
			o.min = v;
			o.has_min = true;
		} else if (len == 8 && memcmp(word, "MAXVALUE", 8) == 0) {
			o.max = v;
			o.has_max = true;
		} else if (len == 5 && memcmp(word, "CACHE", 5) == 0) {
			o.cache = v;
		} else if (!len) {
			break;
		}
	}
	return o;
}

void dbs_pg_identity_sets(dbs_buf *b, const char *live, const char *want)
{
	opts l = read_opts(live), w = read_opts(want);
	bool up = w.increment > 0;
	if (l.increment != w.increment)
		dbs_buf_printf(b, " SET INCREMENT BY %" PRId64, w.increment);
	/* a default bound depends on the increment's sign: restate it when that flips */
	bool flip = (l.increment > 0) != up;
	if (w.has_min && (!l.has_min || l.min != w.min))
		dbs_buf_printf(b, " SET MINVALUE %" PRId64, w.min);
	else if (!w.has_min && (l.has_min || flip))
		dbs_buf_puts(b, " SET NO MINVALUE");
	if (w.has_max && (!l.has_max || l.max != w.max))
		dbs_buf_printf(b, " SET MAXVALUE %" PRId64, w.max);
	else if (!w.has_max && (l.has_max || flip))
		dbs_buf_puts(b, " SET NO MAXVALUE");
	/* START WITH left out means the first value in the increment's direction */
	bool start_default_moves = flip || (up ? l.has_min != w.has_min || l.min != w.min
		: l.has_max != w.has_max || l.max != w.max);
	if (w.has_start && (!l.has_start || l.start != w.start || start_default_moves)) {
		dbs_buf_printf(b, " SET START WITH %" PRId64, w.start);
	} else if (!w.has_start && (l.has_start || start_default_moves)) {
		int64_t s = up ? (w.has_min ? w.min : 1) : (w.has_max ? w.max : -1);
		dbs_buf_printf(b, " SET START WITH %" PRId64, s);
	}
	if (l.cache != w.cache)
		dbs_buf_printf(b, " SET CACHE %" PRId64, w.cache);
	if (l.cycle != w.cycle)
		dbs_buf_puts(b, w.cycle ? " SET CYCLE" : " SET NO CYCLE");
}

void dbs_pg_identity_values(const char *type, const char *options, dbs_pg_seq *out)
{
	opts o = read_opts(options);
	int64_t lo, hi;
	type_bounds(type, &lo, &hi);
	bool up = o.increment > 0;
	out->increment = o.increment;
	out->min = o.has_min ? o.min : up ? 1 : lo;
	out->max = o.has_max ? o.max : up ? hi : -1;
	out->start = o.has_start ? o.start : up ? out->min : out->max;
	out->cache = o.cache;
	out->cycle = o.cycle;
}
