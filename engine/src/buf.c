#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dbs_buf_init(dbs_buf *b)
{
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void dbs_buf_free(dbs_buf *b)
{
	free(b->ptr);
	dbs_buf_init(b);
}

void dbs_buf_clear(dbs_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static int reserve(dbs_buf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + extra + 1) {
		if (ncap > ((size_t)-1) / 2) {
			b->oom = true;
			return -1;
		}
		ncap *= 2;
	}
	char *p = realloc(b->ptr, ncap);
	if (!p) {
		b->oom = true;
		return -1;
	}
	b->ptr = p;
	b->cap = ncap;
	return 0;
}

int dbs_buf_put(dbs_buf *b, const char *s, size_t n)
{
	if (reserve(b, n))
		return -1;
	if (n)
		memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int dbs_buf_puts(dbs_buf *b, const char *s)
{
	return dbs_buf_put(b, s, strlen(s));
}

int dbs_buf_putc(dbs_buf *b, char c)
{
	return dbs_buf_put(b, &c, 1);
}

int dbs_buf_vprintf(dbs_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->oom = true;
		return -1;
	}
	if (reserve(b, (size_t)n))
		return -1;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int dbs_buf_printf(dbs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dbs_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *dbs_buf_cstr(dbs_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *dbs_buf_detach(dbs_buf *b)
{
	if (b->oom) {
		dbs_buf_free(b);
		return NULL;
	}
	char *p = b->ptr;
	if (!p) {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	dbs_buf_init(b);
	return p;
}
