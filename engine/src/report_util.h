/* What the report writers share: JSON strings from engine text. */
#ifndef DBS_REPORT_UTIL_H
#define DBS_REPORT_UTIL_H

#include <jansson.h>

/*
 * A JSON string of `s` ("" for NULL). Names read from a database may hold
 * bytes that are not UTF-8 (SQLite stores what it is given): each such byte
 * becomes U+FFFD rather than failing the whole report.
 */
json_t *dbs_json_text(const char *s);
/* As dbs_json_text, but JSON null for NULL. */
json_t *dbs_json_opt(const char *s);

#endif
