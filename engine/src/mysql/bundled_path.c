/*
 * Where the files a binary wheel ships beside the engine are. The wheel's
 * layout fixes them relative to the engine's own file, wherever pip installs
 * it, so the path is asked of the dynamic linker at run time. glibc only, as
 * manylinux wheels are.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundled_path.h"

char *dbs_bundled_path(const char *rel)
{
	Dl_info info;
	struct link_map *map = NULL;
	if (!dladdr1((void *)dbs_bundled_path, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
		return NULL;
	/* The executable's own map has an empty name (dladdr would answer argv[0],
	 * which a launcher script sets to itself): the kernel knows the file. */
	const char *file = map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe";
	char holder[PATH_MAX];
	if (!realpath(file, holder))
		return NULL;
	char *slash = strrchr(holder, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	size_t n = strlen(holder) + 1 + strlen(rel) + 1;
	char *path = malloc(n);
	if (!path)
		return NULL;
	snprintf(path, n, "%s/%s", holder, rel);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(path);
		return NULL;
	}
	return path;
}
