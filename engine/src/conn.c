/* The public connection API: URL parsing and dispatch to the backend. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "dialect.h"
#include "dbsync/testing.h"

const char *dbs_params_get(const dbs_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->keys[i], key) == 0)
			return p->values[i];
	return NULL;
}

int dbsync_conn_open_params(dbsync_conn **out, dbsync_ctx *ctx, dbsync_dialect dialect,
	const char *const *keys, const char *const *values, size_t n)
{
	*out = NULL;
	const char *dname = dbsync_dialect_name(dialect);
	if (!dname)
		return dbs_error(ctx, DBSYNC_EINVALID, "unknown database dialect %d", (int)dialect);
	const dbs_backend *be = dbs_backend_for(dialect);
	if (!be)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED,
			"the %s backend was not compiled into libdbsync: %s", dname,
			dbs_dialect_info_for(dialect)->missing_backend_hint);
	/* "readonly" is ours, not the backend's: take it out of what the backend sees */
	bool readonly = false;
	const char **bkeys = calloc(n + 1, sizeof *bkeys), **bvalues = calloc(n + 1, sizeof *bvalues);
	size_t bn = 0;
	if (!bkeys || !bvalues) {
		free(bkeys);
		free(bvalues);
		return dbs_error_oom(ctx);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "readonly") != 0) {
			bkeys[bn] = keys[i];
			bvalues[bn++] = values[i];
			continue;
		}
		const char *v = values[i] ? values[i] : "";
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
			readonly = true;
		else if (!(strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
			   strcmp(v, "off") == 0 || *v == '\0')) {
			free(bkeys);
			free(bvalues);
			return dbs_error(ctx, DBSYNC_EINVALID, "option 'readonly' must be 1 or 0, not '%s'", v);
		}
	}
	dbsync_conn *conn = calloc(1, sizeof *conn);
	if (!conn) {
		free(bkeys);
		free(bvalues);
		return dbs_error_oom(ctx);
	}
	conn->backend = be;
	conn->dialect = dialect;
	conn->readonly = readonly;
	dbs_params params = { bkeys, bvalues, bn };
	int rc = be->open(conn, ctx, &params);
	free(bkeys);
	free(bvalues);
	if (rc) {
		free(conn->describe);
		free(conn->server_version);
		free(conn);
		return rc;
	}
	*out = conn;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; NULL on a bad escape or OOM. */
static char *pct_decode(const char *s, size_t n, int plus_is_space)
{
	char *d = malloc(n + 1), *w = d;
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(d);
				return NULL;
			}
			*w++ = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		*w++ = (plus_is_space && s[i] == '+') ? ' ' : s[i];
	}
	*w = '\0';
	return d;
}

typedef struct kv_list {
	char *keys[64];
	char *values[64];
	size_t n;
} kv_list;

static int kv_add(kv_list *kv, char *k, char *v)
{
	if (!k || !v || kv->n >= 64) {
		free(k);
		free(v);
		return -1;
	}
	kv->keys[kv->n] = k;
	kv->values[kv->n] = v;
	kv->n++;
	return 0;
}

static void kv_free(kv_list *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		free(kv->values[i]);
	}
	kv->n = 0;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* scheme://[user[:password]@][host][:port][/name][?k=v&...] */
static int parse_server_url(kv_list *kv, const char *rest)
{
	const char *end = rest + strlen(rest);
	const char *q = strchr(rest, '?');
	const char *main_end = q ? q : end;
	const char *slash = memchr(rest, '/', (size_t)(main_end - rest));
	const char *auth_end = slash ? slash : main_end;
	const char *at = NULL;
	for (const char *p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	const char *host = rest;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		const char *uend = colon ? colon : at;
		if (uend > rest && kv_add(kv, xstrndup("user", 4), pct_decode(rest, (size_t)(uend - rest), 0)))
			return -1;
		if (colon && kv_add(kv, xstrndup("password", 8), pct_decode(colon + 1, (size_t)(at - colon - 1), 0)))
			return -1;
		host = at + 1;
	}
	const char *hend = auth_end;
	const char *port = NULL;
	if (host < hend && *host == '[') {
		const char *rb = memchr(host, ']', (size_t)(hend - host));
		if (!rb)
			return -1;
		if (kv_add(kv, xstrndup("host", 4), pct_decode(host + 1, (size_t)(rb - host - 1), 0)))
			return -1;
		if (rb + 1 < hend && rb[1] == ':')
			port = rb + 2;
	} else {
		const char *colon = memchr(host, ':', (size_t)(hend - host));
		const char *he = colon ? colon : hend;
		if (he > host && kv_add(kv, xstrndup("host", 4), pct_decode(host, (size_t)(he - host), 0)))
			return -1;
		if (colon)
			port = colon + 1;
	}
	if (port && port < hend) {
		for (const char *p = port; p < hend; p++)
			if (*p < '0' || *p > '9')
				return -1;
		if (kv_add(kv, xstrndup("port", 4), xstrndup(port, (size_t)(hend - port))))
			return -1;
	}
	if (slash && slash + 1 < main_end &&
	    kv_add(kv, xstrndup("name", 4), pct_decode(slash + 1, (size_t)(main_end - slash - 1), 0)))
		return -1;
	if (q) {
		const char *p = q + 1;
		while (p < end) {
			const char *amp = strchr(p, '&');
			const char *pe = amp ? amp : end;
			const char *eq = memchr(p, '=', (size_t)(pe - p));
			if (!eq)
				return -1;
			if (kv_add(kv, pct_decode(p, (size_t)(eq - p), 1), pct_decode(eq + 1, (size_t)(pe - eq - 1), 1)))
				return -1;
			p = pe + (amp ? 1 : 0);
		}
	}
	return 0;
}

/* The URL has no scheme: say which ones there are, as the registry lists
 * them ("sqlite:, postgresql:// or mysql://"). */
static int no_scheme(dbsync_ctx *ctx)
{
	dbs_buf b = DBS_BUF_INIT;
	size_t n = 0;
	while (dbs_dialect_at(n))
		n++;
	for (size_t i = 0; i < n; i++) {
		const dbs_dialect_info *info = dbs_dialect_at(i);
		if (i)
			dbs_buf_puts(&b, i + 1 == n ? " or " : ", ");
		dbs_buf_printf(&b, "%s:%s", info->name, info->url_is_file_path ? "" : "//");
	}
	int rc = dbs_buf_ok(&b)
		? dbs_error(ctx, DBSYNC_EINVALID, "database URL must start with %s", dbs_buf_cstr(&b))
		: dbs_error_oom(ctx);
	dbs_buf_free(&b);
	return rc;
}

int dbsync_conn_open_url(dbsync_conn **out, dbsync_ctx *ctx, const char *url)
{
	*out = NULL;
	if (!url)
		return dbs_error(ctx, DBSYNC_EINVALID, "no database URL given");
	kv_list kv = { .n = 0 };
	dbsync_dialect d;
	int rc;
	const char *colon = strchr(url, ':');
	char scheme[32];
	size_t slen = colon ? (size_t)(colon - url) : 0;
	if (!colon || slen == 0 || slen >= sizeof scheme)
		return no_scheme(ctx);
	memcpy(scheme, url, slen);
	scheme[slen] = '\0';
	for (char *p = scheme; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	char *plus = strchr(scheme, '+'); /* postgresql+psycopg:// style */
	if (plus)
		*plus = '\0';
	if (dbsync_dialect_from_name(&d, scheme))
		return dbs_error(ctx, DBSYNC_EINVALID, "unknown database URL scheme '%s'", scheme);
	const char *rest = colon + 1;
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	if (info->url_is_file_path) {
		const char *path;
		if (strncmp(rest, "///", 3) == 0)
			path = rest + 3;
		else if (strncmp(rest, "//", 2) == 0)
			path = rest + 2;
		else
			path = rest;
		const char *q = strchr(path, '?');
		size_t plen = q ? (size_t)(q - path) : strlen(path);
		if (plen == 0)
			return dbs_error(ctx, DBSYNC_EINVALID, "%s URL has no file path: use %s:///file.db",
				info->name, info->name);
		if (kv_add(&kv, xstrndup("name", 4), pct_decode(path, plen, 0)))
			goto bad;
		if (q) {
			char *tmp = malloc(strlen(q) + 2);
			if (!tmp)
				goto bad;
			tmp[0] = '\0';
			strcat(tmp, q); /* "?k=v" handled by the server parser with an empty authority */
			int prc = parse_server_url(&kv, tmp);
			free(tmp);
			if (prc)
				goto bad;
		}
	} else {
		if (strncmp(rest, "//", 2) != 0)
			goto bad;
		if (parse_server_url(&kv, rest + 2))
			goto bad;
	}
	rc = dbsync_conn_open_params(out, ctx, d, (const char *const *)kv.keys,
		(const char *const *)kv.values, kv.n);
	kv_free(&kv);
	return rc;
bad:
	kv_free(&kv);
	/* never echo the URL: it may hold a password */
	return dbs_error(ctx, DBSYNC_EINVALID, "malformed %s database URL", dbsync_dialect_name(d));
}

void dbsync_conn_close(dbsync_conn *conn)
{
	if (!conn)
		return;
	if (conn->impl)
		conn->backend->close(conn);
	free(conn->describe);
	free(conn->server_version);
	free(conn);
}

dbs_name_case dbs_conn_name_case(const dbsync_conn *conn)
{
	if (conn->backend->table_name_case)
		return conn->backend->table_name_case(conn);
	return dbs_dialect_info_for(conn->dialect)->table_name_case;
}

dbsync_dialect dbsync_conn_dialect(const dbsync_conn *conn)
{
	return conn->dialect;
}

const char *dbsync_conn_describe(const dbsync_conn *conn)
{
	return conn->describe ? conn->describe : "";
}

const char *dbsync_conn_server_version(const dbsync_conn *conn)
{
	return conn->server_version ? conn->server_version : "";
}

uint64_t dbsync_conn_catalog_queries(const dbsync_conn *conn)
{
	return conn->catalog_queries;
}

void dbsync_conn_reset_counters(dbsync_conn *conn)
{
	conn->catalog_queries = 0;
}

int dbsync_conn_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	*out = NULL;
	return conn->backend->introspect(out, ctx, conn);
}

int dbsync_conn_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	return conn->backend->exec(ctx, conn, sql);
}

int dbsync_conn_count_rows(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *table)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, "SELECT COUNT(*) FROM ");
	dbs_quote_ident(&b, conn->dialect, table);
	if (!dbs_buf_ok(&b))
		return dbs_error_oom(ctx);
	int rc = conn->backend->query_int64(out, ctx, conn, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
	return rc;
}
