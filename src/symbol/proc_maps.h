/* proc_maps.h: parsing one line of /proc/PID/maps ("start-end perms offset maj:min inode
 * path"), tolerant of paths with spaces and of the " (deleted)" suffix. Split out of
 * maps.c so that the tests can feed it odd lines directly. */
#ifndef FK_PROC_MAPS_H
#define FK_PROC_MAPS_H

#include "maps.h"

/* Parses line[0..len) (no newline). On success fills m (m->path = NULL) and sets
 * *path and *path_len to the path within line: possibly empty (anonymous memory), without a
 * trailing " (deleted)". Returns false for a line that is not of that form. */
bool fk_proc_maps_parse_line(const char *line, size_t len, fk_mapping *m, const char **path,
			     size_t *path_len);

#endif
