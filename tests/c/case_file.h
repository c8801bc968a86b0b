/*
 * Reading one engine case file (format: tests/cases/README.md). Header-only
 * test code. A section starts at a line "-- <name>:" for the names below;
 * any other line, "-- skipped: ..." included, is content of the section.
 */
#ifndef TEST_CASE_FILE_H
#define TEST_CASE_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbsync/plan.h"

typedef struct case_file {
	char *name;          /* "-- case:" or the file name */
	char *current;       /* SQL run on the fresh database, or NULL */
	char *desired;       /* DDL of the desired schema */
	char *expect;        /* expected lines, blank lines removed, each ending in '\n' */
	char *expect_older;  /* what a server older than older_than (a major) plans instead, or NULL */
	int older_than;
	int needs_major;     /* the case's DDL needs this server major: an older one must refuse it */
	char *metadata;      /* one line of JSON, or NULL */
	char *filled;        /* "table.column ..." whose NULLs may become a fill value */
	char *replaced;      /* "table.column ..." whose values a data-loss change may replace */
	char *rows_query;    /* rows-after: the query ... */
	char *rows_expect;   /* ... and its expected lines */
	bool reverse;
	dbsync_plan_options opts;
	char **drop_tables;  /* drop_table=NAME options, as opts.drop_tables */
	char *text;          /* the whole file */
} case_file;

static inline void case_file_free(case_file *cf)
{
	free(cf->name);
	free(cf->current);
	free(cf->desired);
	free(cf->expect);
	free(cf->expect_older);
	free(cf->metadata);
	free(cf->filled);
	free(cf->replaced);
	free(cf->rows_query);
	free(cf->rows_expect);
	for (size_t i = 0; i < cf->opts.n_drop_tables; i++)
		free(cf->drop_tables[i]);
	free(cf->drop_tables);
	free(cf->text);
	memset(cf, 0, sizeof *cf);
}

static inline char *case_trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

static inline int case_set_option(case_file *cf, const char *word, char *err, size_t errn)
{
	static const char *const keys[] = { "create_tables", "add_columns", "drop_columns", "alter_columns",
		"sync_indexes", "drop_unmanaged", "keep_extra_indexes" };
	int *fields[] = { &cf->opts.create_tables, &cf->opts.add_columns, &cf->opts.drop_columns,
		&cf->opts.alter_columns, &cf->opts.sync_indexes, &cf->opts.drop_unmanaged, &cf->opts.keep_extra_indexes };
	const char *eq = strchr(word, '=');
	if (eq && (size_t)(eq - word) == strlen("drop_table") && strncmp(word, "drop_table", 10) == 0) {
		char **v = realloc(cf->drop_tables, (cf->opts.n_drop_tables + 1) * sizeof *v);
		if (!v)
			return -1;
		cf->drop_tables = v;
		if (!(v[cf->opts.n_drop_tables] = strdup(eq + 1)))
			return -1;
		cf->opts.n_drop_tables++;
		cf->opts.drop_tables = (const char *const *)cf->drop_tables;
		return 0;
	}
	for (size_t i = 0; eq && i < sizeof keys / sizeof *keys; i++)
		if (strlen(keys[i]) == (size_t)(eq - word) && strncmp(word, keys[i], (size_t)(eq - word)) == 0) {
			*fields[i] = atoi(eq + 1);
			return 0;
		}
	snprintf(err, errn, "unknown option \"%s\"", word);
	return -1;
}

/* Appends a content line to a section's text. */
static inline void case_append(char **dst, const char *line, size_t n, bool skip_blank)
{
	if (skip_blank) {
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n)
			return;
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
			n--;
	}
	size_t old = *dst ? strlen(*dst) : 0;
	*dst = realloc(*dst, old + n + 2);
	memcpy(*dst + old, line, n);
	(*dst)[old + n] = '\n';
	(*dst)[old + n + 1] = '\0';
}

static inline int case_file_load(case_file *cf, const char *path, char *err, size_t errn)
{
	dbsync_plan_options defaults = DBSYNC_PLAN_OPTIONS_INIT;
	memset(cf, 0, sizeof *cf);
	cf->opts = defaults;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errn, "cannot open");
		return -1;
	}
	size_t cap = 0, len = 0;
	for (int c; (c = fgetc(f)) != EOF;) {
		if (len + 2 > cap)
			cf->text = realloc(cf->text, cap = cap ? cap * 2 : 4096);
		cf->text[len++] = (char)c;
	}
	fclose(f);
	if (!cf->text)
		cf->text = calloc(1, 1);
	cf->text[len] = '\0';

	char **section = NULL;
	bool rows = false, blank_skip = false;
	for (char *line = cf->text; *line;) {
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		static const struct { const char *tag; int id; } tags[] = {
			{ "-- case:", 0 }, { "-- options:", 1 }, { "-- metadata:", 2 }, { "-- filled:", 3 },
			{ "-- reverse:", 4 }, { "-- current:", 5 }, { "-- desired:", 6 }, { "-- expect:", 7 },
			{ "-- rows-after:", 8 }, { "-- replaced:", 9 }, { "-- expect-before-major:", 10 },
			{ "-- needs-major:", 11 },
		};
		int id = -1;
		size_t tl = 0;
		for (size_t i = 0; i < sizeof tags / sizeof *tags && id < 0; i++) {
			tl = strlen(tags[i].tag);
			if (n >= tl && strncmp(line, tags[i].tag, tl) == 0)
				id = tags[i].id;
		}
		if (id >= 0) {
			char *value = case_trim_dup(line + tl, n - tl);
			section = NULL;
			rows = false;
			blank_skip = false;
			switch (id) {
			case 0: free(cf->name); cf->name = value; value = NULL; break;
			case 1:
				for (char *w = strtok(value, " \t"); w; w = strtok(NULL, " \t"))
					if (case_set_option(cf, w, err, errn)) {
						free(value);
						return -1;
					}
				break;
			case 2: cf->metadata = value; value = NULL; cf->opts.metadata_json = cf->metadata; break;
			case 3: cf->filled = value; value = NULL; break;
			case 4: cf->reverse = strcmp(value, "yes") == 0; break;
			case 5: section = &cf->current; break;
			case 6: section = &cf->desired; break;
			case 7: section = &cf->expect; blank_skip = true; break;
			case 8: rows = true; break;
			case 9: cf->replaced = value; value = NULL; break;
			case 11: cf->needs_major = atoi(value); break;
			case 10:
				cf->older_than = atoi(value);
				section = &cf->expect_older;
				blank_skip = true;
				break;
			}
			free(value);
		} else if (rows) {
			if (!cf->rows_query) {
				char *q = case_trim_dup(line, n);
				if (*q)
					cf->rows_query = q;
				else
					free(q);
			} else {
				case_append(&cf->rows_expect, line, n, true);
			}
		} else if (section) {
			case_append(section, line, n, blank_skip);
		}
		line += n + (end ? 1 : 0);
	}
	if (!cf->name) {
		const char *slash = strrchr(path, '/');
		cf->name = strdup(slash ? slash + 1 : path);
	}
	if (!cf->desired) {
		snprintf(err, errn, "no -- desired: section");
		return -1;
	}
	if (!cf->expect)
		cf->expect = calloc(1, 1);
	if (cf->rows_query && !cf->rows_expect)
		cf->rows_expect = calloc(1, 1);
	return 0;
}

#endif
