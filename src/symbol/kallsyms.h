/* kallsyms.h: the kernel's function symbols from /proc/kallsyms (the kernel's own and
 * those of loaded modules, whose lines end in "\t[module]"), read once and searched by
 * binary search. With kptr_restrict every address reads as 0: the table is then marked
 * unavailable and names nothing. */
#ifndef FK_KALLSYMS_H
#define FK_KALLSYMS_H

#include "symtab.h"

typedef struct fk_kallsyms fk_kallsyms;

/* Reads path (normally "/proc/kallsyms"); never NULL (an unreadable file gives an empty,
 * unavailable table). */
fk_kallsyms *fk_kallsyms_load(const char *path);
void fk_kallsyms_free(fk_kallsyms *k);

/* True when the file gave real (non-zero) addresses. */
bool fk_kallsyms_available(const fk_kallsyms *k);
/* The symbol containing addr, or NULL; its module is "[mod]" or NULL for the kernel. */
const fk_sym *fk_kallsyms_lookup(fk_kallsyms *k, uint64_t addr);

#endif
