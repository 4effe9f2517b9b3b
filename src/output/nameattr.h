/* nameattr.h: flamegraph.pl's --nameattr file: per frame name, extra attributes for the
 * frame's SVG element. One line per name: NAME<TAB>key=value<TAB>key=value... Keys used:
 * title (replaces the tooltip), id, class, g_extra (raw attribute text for the <g>), and
 * href, target, a_extra (the frame becomes a link <a>). Values are the user's own markup
 * and are written as given, like flamegraph.pl does. */
#ifndef FK_NAMEATTR_H
#define FK_NAMEATTR_H

#include "../util/common.h"

typedef struct fk_name_attrs {
	char *title, *id, *class_name, *g_extra, *href, *target, *a_extra; /* NULL: absent */
} fk_name_attrs;

typedef struct fk_nameattr fk_nameattr;

/* Reads the file. Returns NULL with err set if it cannot be read or a line has no tab. */
fk_nameattr *fk_nameattr_read(const char *path, fk_error *err);
void fk_nameattr_free(fk_nameattr *na);
/* The attributes for a frame name, or NULL. */
const fk_name_attrs *fk_nameattr_find(fk_nameattr *na, const char *name, size_t len);

#endif
