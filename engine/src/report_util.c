#include "report_util.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

json_t *dbs_json_text(const char *s)
{
	if (!s)
		s = "";
	json_t *j = json_string(s);
	if (j)
		return j;
	dbs_buf b = DBS_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (n) {
			dbs_buf_put(&b, (const char *)p, n);
			p += n;
		} else {
			dbs_buf_puts(&b, "\xEF\xBF\xBD");
			p++;
		}
	}
	j = dbs_buf_ok(&b) ? json_string(dbs_buf_cstr(&b)) : NULL;
	dbs_buf_free(&b);
	return j;
}

json_t *dbs_json_opt(const char *s)
{
	return s ? dbs_json_text(s) : json_null();
}
