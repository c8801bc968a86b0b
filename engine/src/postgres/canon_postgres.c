/*
 * PostgreSQL's canonical forms (dialect.h): the type names format_type()
 * prints, what a spelling means where a prefix rule cannot say it, and the
 * index kinds no model declares.
 */
#include <stdlib.h>
#include <string.h>

#include "canon_postgres.h"
#include "model.h"

/* The names format_type() prints, so a parsed table the server would read
 * back unchanged compares equal without a shadow schema. Only names whose
 * modifiers print in the same place ("varchar(20)" is "character
 * varying(20)"); the server prints modifiers inside the time names ("time(3)
 * without time zone"), so those rewrite the bare name only. */
const dbs_type_synonym dbs_pg_type_synonyms[] = {
	{ "time", "time without time zone", true },
	{ "timestamp", "timestamp without time zone", true },
	{ "varchar", "character varying", false },
	{ "char", "character", false },
	{ "dec", "numeric", false },
	{ "varbit", "bit varying", false },
	{ "national character", "character", false },
	{ "national char", "character", false },
	{ "nchar", "character", false },
	{ "int", "integer", false },
	{ "int4", "integer", false },
	{ "int8", "bigint", false },
	{ "int2", "smallint", false },
	{ "bool", "boolean", false },
	{ "float8", "double precision", false },
	{ "float4", "real", false },
	{ "decimal", "numeric", false },
	{ "timestamptz", "timestamp with time zone", true },
	{ "timetz", "time with time zone", true },
	{ NULL, NULL, false },
};

/* Spellings whose meaning a prefix rule cannot give: the length a bare char
 * or bit has (character(1), bit(1); bpchar alone is unlimited and prints as
 * bpchar), float(p) by its precision, and arrays, whose sizes and dimensions
 * the server accepts and forgets ("integer[8]", "integer[][]", "integer
 * ARRAY[4]" are all "integer[]"). Synonyms apply to the element type. */
const char *dbs_pg_type_meaning(dbs_arena *a, const dbs_dialect_info *info, const char *type)
{
	size_t n = strlen(type), base = n;
	const char *quote = strrchr(type, '"');
	const char *bracket = strchr(quote ? quote : type, '[');
	bool array = false;
	if (n > 6 && strcmp(type + n - 6, " array") == 0) {
		base = n - 6;
		array = true;
	} else if (bracket) {
		base = (size_t)(bracket - type);
		array = true;
		if (base > 6 && strncmp(type + base - 6, " array", 6) == 0)
			base -= 6;
	}
	char *elem = dbs_arena_strndup(a, type, base);
	const char *b = elem ? dbs_type_synonyms(a, info, elem) : NULL;
	if (!b)
		return NULL;
	const char *meant = b;
	if (strcmp(b, "character") == 0 || strcmp(b, "bit") == 0) {
		meant = dbs_arena_printf(a, "%s(1)", b);
	} else if (strncmp(b, "bpchar(", 7) == 0) {
		meant = dbs_arena_printf(a, "character%s", b + 6);
	} else if (strcmp(b, "float") == 0) {
		meant = "double precision";
	} else if (strncmp(b, "float(", 6) == 0) {
		/* float(1) to float(24) is real, up to 53 double precision */
		char *end = NULL;
		long bits = strtol(b + 6, &end, 10);
		if (end && strcmp(end, ")") == 0 && bits >= 1 && bits <= 53)
			meant = bits <= 24 ? "real" : "double precision";
	}
	if (!meant)
		return NULL;
	if (!array)
		return strcmp(meant, type) == 0 ? type : meant;
	return dbs_arena_printf(a, "%s[]", meant);
}

/* Index methods Django's own Index classes write (django.contrib.postgres:
 * BloomIndex, BrinIndex, BTreeIndex, GinIndex, GistIndex, HashIndex,
 * SpGistIndex); any other is "USING <method>". */
const char *dbs_pg_unmanaged_index_kind(dbs_arena *a, const dbs_index *ix)
{
	static const char *const django_methods[] = { "btree", "hash", "gin", "gist", "brin", "spgist", "bloom" };
	if (!ix->method)
		return NULL;
	for (size_t i = 0; i < sizeof django_methods / sizeof *django_methods; i++)
		if (dbs_ascii_ieq(ix->method, django_methods[i]))
			return NULL;
	return dbs_arena_printf(a, "USING %s", ix->method);
}
