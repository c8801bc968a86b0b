/*
 * dbsync CLI: the backups `apply --backup PATH` writes before a fleet is
 * applied. What one backup holds is the engine's answer
 * (dbsync_backup_per_member): where the dump tool's backup holds every
 * namespace (PostgreSQL: pg_dump writes every schema), PATH is that one file,
 * written with the tool; else PATH is a directory (made when missing) with a
 * file per member that has changes, named after it. Every backup is written
 * before any member is applied, and the first that fails stops the whole
 * apply, as a failing backup stops a single run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* PATH/<member><suffix>: letters, digits, '-', '_' and '.' of the name as
 * they are, every other byte as %XX, so no name can leave the directory,
 * hide a line break in the output, or land on another member's file.
 * malloc'd; NULL when out of memory. */
static char *member_file(const char *dir, const char *name, const char *suffix)
{
	size_t n = strlen(dir) + 1 + 3 * strlen(name) + strlen(suffix) + 1;
	char *path = malloc(n);
	if (!path)
		return NULL;
	size_t len = strlen(dir);
	char *p = path + snprintf(path, n, "%s%s", dir, len && dir[len - 1] == '/' ? "" : "/");
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("-_.", *c))
			*p++ = (char)*c;
		else
			p += snprintf(p, 4, "%%%02X", *c);
	}
	snprintf(p, n - (size_t)(p - path), "%s", suffix);
	return path;
}

/* The directory of the members' backups: made (mode 0700) when missing. */
static int backup_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return EXIT_OK;
	fprintf(stderr, "dbsync: backup failed, nothing was changed: cannot make the directory %s for a backup "
		"per member: %s\n", dir, errno == EEXIST ? "a file has that name" : strerror(errno));
	return EXIT_FAIL;
}

int cli_fleet_backup(dbsync_ctx *ctx, const cli_args *a, dbsync_conn *conn, const dbsync_fleet *fleet,
	const char *word)
{
	dbsync_dialect d = dbsync_conn_dialect(conn);
	dbsync_backup_options opts;
	dbsync_backup_options_init(&opts, DBSYNC_BACKUP_OPTIONS_VERSION);
	if (!dbsync_backup_per_member(d, DBSYNC_BACKUP_TOOL)) {
		/* one file for the fleet: only the tool's backup holds every member */
		opts.method = DBSYNC_BACKUP_TOOL;
		if (dbsync_conn_backup(ctx, conn, a->backup_path, &opts, NULL))
			return cli_report_error(ctx, "backup failed, nothing was changed");
		if (!a->quiet)
			printf("Backup of every %s written to %s.\n", word, a->backup_path);
		return EXIT_OK;
	}
	if (backup_dir(a->backup_path) != EXIT_OK)
		return EXIT_FAIL;
	size_t written = 0;
	for (size_t i = 0; i < dbsync_fleet_count(fleet); i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(fleet, i);
		if (!p || !dbsync_plan_pending_count(p))
			continue;
		char *path = member_file(a->backup_path, dbsync_fleet_member(fleet, i), dbsync_backup_suffix(d));
		if (!path) {
			fprintf(stderr, "dbsync: out of memory\n");
			return EXIT_FAIL;
		}
		int rc = dbsync_conn_backup_namespace(ctx, conn, dbsync_fleet_member(fleet, i), path, &opts, NULL);
		if (rc) {
			cli_report_error(ctx, "backup failed, nothing was changed");
			if (written)
				fprintf(stderr, "dbsync: the %zu backup(s) written before it stay in %s\n", written,
					a->backup_path);
		} else if (!a->quiet)
			printf("Backup written to %s.\n", path);
		free(path);
		if (rc)
			return EXIT_FAIL;
		written++;
	}
	return EXIT_OK;
}
