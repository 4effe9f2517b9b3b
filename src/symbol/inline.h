/* inline.h: expands an address in a binary into its chain of inlined functions with
 * elfutils libdw, giving what stackcollapse-perf.pl's --inline gets from
 * `addr2line -a PC -e MODULE -i -f -s -C`. Results are cached per (module, address). */
#ifndef FK_INLINE_H
#define FK_INLINE_H

#include "../util/common.h"

typedef struct fk_inliner fk_inliner;

/* with_context: append ":file:line" to every frame (--context). */
fk_inliner *fk_inliner_new(bool with_context);
void fk_inliner_free(fk_inliner *in);

/* pc: the hex address as perf script prints it (no 0x); rawfunc: the symbol as printed,
 * maybe with "+0xOFF" (used when the address is not a file address, as for shared
 * libraries); module: the path of the binary. Returns the frames, outermost first,
 * joined with ';', or "" when nothing is known. The string stays valid until the inliner
 * is freed. */
const char *fk_inliner_lookup(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
			      size_t rawfunc_len, const char *module, size_t module_len);

/* Demangles a symbol name the way `addr2line -C` does (libiberty's cplus_demangle with
 * DMGL_PARAMS | DMGL_ANSI; leading dots and an "@VERSION" suffix are kept around the
 * demangled name). Returns a newly allocated string the caller frees, or NULL when the
 * name is not a mangled name. */
char *fk_demangle(const char *name);

#endif
