/*
 * The public options structs across their versions (options.h): the defaults,
 * the dbsync_*_options_init functions, and reading a caller's struct of an
 * older version. A struct's layout at version v is its current layout cut
 * after the last field that version had; `ends[v - 1]` is that length in
 * bytes, so neither reading nor initializing ever touches memory past the
 * end of the caller's struct.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ctx.h"
#include "options.h"

/* Bytes from the start of `type` to the end of its member `field`. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

typedef struct options_kind {
	const char *name;     /* for errors: "plan options" */
	const void *defaults; /* the current layout, version included */
	size_t size;          /* sizeof the current layout */
	const size_t *ends;   /* ends[v - 1]: the length of version v's layout */
	unsigned int current;
} options_kind;

static const dbsync_plan_options plan_defaults = DBSYNC_PLAN_OPTIONS_INIT;
static const size_t plan_ends[] = {
	END_OF(dbsync_plan_options, metadata_json),      /* 1 */
	END_OF(dbsync_plan_options, count_data_loss),    /* 2: renames, orphan drops, data-loss counts */
	END_OF(dbsync_plan_options, drop_unmanaged),     /* 3 */
	END_OF(dbsync_plan_options, keep_extra_indexes), /* 4 */
};
static const options_kind plan_kind = { "plan options", &plan_defaults, sizeof plan_defaults, plan_ends,
	DBSYNC_PLAN_OPTIONS_VERSION };

static const dbsync_apply_options apply_defaults = DBSYNC_APPLY_OPTIONS_INIT;
static const size_t apply_ends[] = {
	END_OF(dbsync_apply_options, verify),          /* 1 */
	END_OF(dbsync_apply_options, progress_user),   /* 2: retries, progress */
	END_OF(dbsync_apply_options, lock_timeout_ms), /* 3 */
};
static const options_kind apply_kind = { "apply options", &apply_defaults, sizeof apply_defaults, apply_ends,
	DBSYNC_APPLY_OPTIONS_VERSION };

static const dbsync_inventory_options inventory_defaults = DBSYNC_INVENTORY_OPTIONS_INIT;
static const size_t inventory_ends[] = {
	END_OF(dbsync_inventory_options, views), /* 1 */
	END_OF(dbsync_inventory_options, rows),  /* 2: row estimates */
};
static const options_kind inventory_kind = { "inventory options", &inventory_defaults,
	sizeof inventory_defaults, inventory_ends, DBSYNC_INVENTORY_OPTIONS_VERSION };

static const dbsync_table_options table_defaults = DBSYNC_TABLE_OPTIONS_INIT;
static const size_t table_ends[] = {
	END_OF(dbsync_table_options, rows), /* 1 */
};
static const options_kind table_kind = { "table options", &table_defaults, sizeof table_defaults, table_ends,
	DBSYNC_TABLE_OPTIONS_VERSION };

static const dbsync_models_options models_defaults = DBSYNC_MODELS_OPTIONS_INIT;
static const size_t models_ends[] = {
	END_OF(dbsync_models_options, title), /* 1 */
};
static const options_kind models_kind = { "models options", &models_defaults, sizeof models_defaults,
	models_ends, DBSYNC_MODELS_OPTIONS_VERSION };

static const dbsync_backup_options backup_defaults = DBSYNC_BACKUP_OPTIONS_INIT;
static const size_t backup_ends[] = {
	END_OF(dbsync_backup_options, method), /* 1 */
};
static const options_kind backup_kind = { "backup options", &backup_defaults, sizeof backup_defaults,
	backup_ends, DBSYNC_BACKUP_OPTIONS_VERSION };

static const dbsync_fleet_options fleet_defaults = DBSYNC_FLEET_OPTIONS_INIT;
static const size_t fleet_ends[] = {
	END_OF(dbsync_fleet_options, progress_user), /* 1 */
};
static const options_kind fleet_kind = { "fleet options", &fleet_defaults, sizeof fleet_defaults,
	fleet_ends, DBSYNC_FLEET_OPTIONS_VERSION };

/* Every table above lists each version once, and the macros agree with them. */
_Static_assert(sizeof plan_ends / sizeof *plan_ends == DBSYNC_PLAN_OPTIONS_VERSION, "plan options versions");
_Static_assert(sizeof apply_ends / sizeof *apply_ends == DBSYNC_APPLY_OPTIONS_VERSION, "apply options versions");
_Static_assert(sizeof inventory_ends / sizeof *inventory_ends == DBSYNC_INVENTORY_OPTIONS_VERSION,
	"inventory options versions");
_Static_assert(sizeof fleet_ends / sizeof *fleet_ends == DBSYNC_FLEET_OPTIONS_VERSION, "fleet options versions");
_Static_assert(sizeof table_ends / sizeof *table_ends == DBSYNC_TABLE_OPTIONS_VERSION, "table options versions");
_Static_assert(sizeof models_ends / sizeof *models_ends == DBSYNC_MODELS_OPTIONS_VERSION,
	"models options versions");
_Static_assert(sizeof backup_ends / sizeof *backup_ends == DBSYNC_BACKUP_OPTIONS_VERSION,
	"backup options versions");

static bool known(const options_kind *k, unsigned int version)
{
	return version >= 1 && version <= k->current;
}

static int unknown(const options_kind *k, dbsync_ctx *ctx, unsigned int version)
{
	return dbs_error(ctx, DBSYNC_EINVALID, "%s version %u is not supported (1 to %u)", k->name, version,
		k->current);
}

/* The version is the first member of every options struct. */
static unsigned int version_of(const void *opts)
{
	unsigned int v;
	memcpy(&v, opts, sizeof v);
	return v;
}

static int read_options(const options_kind *k, void *out, dbsync_ctx *ctx, const void *in)
{
	memcpy(out, k->defaults, k->size);
	if (!in)
		return 0;
	unsigned int v = version_of(in);
	if (!known(k, v))
		return unknown(k, ctx, v);
	memcpy(out, in, k->ends[v - 1]);
	memcpy(out, &k->current, sizeof k->current);
	return 0;
}

/* A caller's struct of `version`: only that version's layout is written. */
static int init_options(const options_kind *k, void *opts, unsigned int version)
{
	if (!opts || !known(k, version))
		return DBSYNC_EINVALID;
	memcpy(opts, k->defaults, k->ends[version - 1]);
	memcpy(opts, &version, sizeof version);
	return 0;
}

int dbs_plan_options_read(dbsync_plan_options *out, dbsync_ctx *ctx, const dbsync_plan_options *in)
{
	return read_options(&plan_kind, out, ctx, in);
}

int dbs_apply_options_read(dbsync_apply_options *out, dbsync_ctx *ctx, const dbsync_apply_options *in)
{
	return read_options(&apply_kind, out, ctx, in);
}

int dbs_inventory_options_read(dbsync_inventory_options *out, dbsync_ctx *ctx,
	const dbsync_inventory_options *in)
{
	return read_options(&inventory_kind, out, ctx, in);
}

int dbs_table_options_read(dbsync_table_options *out, dbsync_ctx *ctx, const dbsync_table_options *in)
{
	return read_options(&table_kind, out, ctx, in);
}

int dbs_models_options_read(dbsync_models_options *out, dbsync_ctx *ctx, const dbsync_models_options *in)
{
	return read_options(&models_kind, out, ctx, in);
}

int dbs_backup_options_read(dbsync_backup_options *out, dbsync_ctx *ctx, const dbsync_backup_options *in)
{
	return read_options(&backup_kind, out, ctx, in);
}

int dbs_fleet_options_read(dbsync_fleet_options *out, dbsync_ctx *ctx, const dbsync_fleet_options *in)
{
	return read_options(&fleet_kind, out, ctx, in);
}

int dbsync_fleet_options_init(dbsync_fleet_options *opts, unsigned int version)
{
	return init_options(&fleet_kind, opts, version);
}

int dbsync_plan_options_init(dbsync_plan_options *opts, unsigned int version)
{
	return init_options(&plan_kind, opts, version);
}

int dbsync_apply_options_init(dbsync_apply_options *opts, unsigned int version)
{
	return init_options(&apply_kind, opts, version);
}

int dbsync_inventory_options_init(dbsync_inventory_options *opts, unsigned int version)
{
	return init_options(&inventory_kind, opts, version);
}

int dbsync_table_options_init(dbsync_table_options *opts, unsigned int version)
{
	return init_options(&table_kind, opts, version);
}

int dbsync_models_options_init(dbsync_models_options *opts, unsigned int version)
{
	return init_options(&models_kind, opts, version);
}

int dbsync_backup_options_init(dbsync_backup_options *opts, unsigned int version)
{
	return init_options(&backup_kind, opts, version);
}
