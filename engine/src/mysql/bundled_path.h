/*
 * Files a binary wheel ships beside the engine (MariaDB Connector/C's auth
 * plugins), found relative to the file that holds the engine's code: the
 * Python extension module or the dbsync executable. Compiled only into builds
 * that bundle such files (meson option bundle_mariadb_plugins).
 */
#ifndef DBS_BUNDLED_PATH_H
#define DBS_BUNDLED_PATH_H

/*
 * "<directory of the file holding this code>/<rel>" as a malloc'ed string when
 * that directory exists, else NULL (also when the holder cannot be told).
 */
char *dbs_bundled_path(const char *rel);

#endif
