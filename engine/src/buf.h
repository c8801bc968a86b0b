/* A growable string buffer. Out of memory is sticky: check dbs_buf_ok once at the end. */
#ifndef DBS_BUF_H
#define DBS_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct dbs_buf {
	char *ptr;
	size_t len;
	size_t cap;
	bool oom;
} dbs_buf;

#define DBS_BUF_INIT { NULL, 0, 0, false }

void dbs_buf_init(dbs_buf *b);
void dbs_buf_free(dbs_buf *b);
void dbs_buf_clear(dbs_buf *b);             /* len = 0, keeps storage */
int dbs_buf_put(dbs_buf *b, const char *s, size_t n);
int dbs_buf_puts(dbs_buf *b, const char *s);
int dbs_buf_putc(dbs_buf *b, char c);
int dbs_buf_printf(dbs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dbs_buf_vprintf(dbs_buf *b, const char *fmt, va_list ap);
/* The contents as a NUL-terminated string ("" when empty); valid until the next write. */
const char *dbs_buf_cstr(dbs_buf *b);
/* Hand the malloc'd string to the caller (free with free/dbsync_free); the buffer is reset. NULL on OOM. */
char *dbs_buf_detach(dbs_buf *b);
static inline bool dbs_buf_ok(const dbs_buf *b) { return !b->oom; }

#endif
