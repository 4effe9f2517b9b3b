/* jitmap.h: the symbols a JIT writes for perf to /tmp/perf-PID.map (Node
 * --perf-basic-prof, Python -X perf, ...): one "START SIZE name" line per function, hex
 * numbers, the name running to the end of the line (spaces included). The file is read
 * on first use; when an address is not found it is looked at again (at most about once a
 * second) and what was appended since is read, as JITs append while they run. A file that
 * is absent is remembered as such, and looked for again on the same schedule. */
#ifndef FK_JITMAP_H
#define FK_JITMAP_H

#include "symtab.h"

/* How often a miss may look at the file again. */
#define FK_JITMAP_RECHECK_MS 1000

typedef struct fk_jitmap fk_jitmap;

/* The map of process pid, in dir (normally "/tmp"); nothing is read yet. */
fk_jitmap *fk_jitmap_new(const char *dir, int pid);
void fk_jitmap_free(fk_jitmap *j);

/* "DIR/perf-PID.map"; valid while j lives. */
const char *fk_jitmap_path(const fk_jitmap *j);
/* The symbol holding addr, or NULL. now_ms: fk_monotonic_ms(). */
const fk_sym *fk_jitmap_lookup(fk_jitmap *j, uint64_t addr, uint64_t now_ms);

#endif
