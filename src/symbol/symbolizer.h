/* symbolizer.h: names for the addresses in samples, as `perf script` prints them.
 * User addresses go through the process's mappings (maps.h) to the binary's ELF symbol
 * tables (.symtab, else .dynsym; separate debuginfo found by build-id under
 * /usr/lib/debug/.build-id or by .gnu_debuglink), the vDSO's symbols, or a JIT map
 * /tmp/perf-PID.map (Node --perf-basic-prof, Python -X perf) for anonymous executable
 * memory. Kernel addresses go through /proc/kallsyms (modules included). C++ names are
 * demangled. Each table is loaded once per binary and searched by binary search. */
#ifndef FK_SYMBOLIZER_H
#define FK_SYMBOLIZER_H

#include "maps.h"

typedef enum {
	FK_FRAME_USER,   /* a user address in a binary (or unknown) */
	FK_FRAME_KERNEL, /* a kernel address */
	FK_FRAME_JIT,    /* a user address named by /tmp/perf-PID.map */
} fk_frame_kind;

typedef struct fk_symbol {
	const char *name;   /* the function (demangled), or NULL when unknown; valid while the
			     * symbolizer lives */
	uint64_t offset;    /* address - start of the function (0 when unknown) */
	const char *module; /* the module as perf script names it: the binary's path,
			     * "[kernel.kallsyms]" or "[MODNAME]" for a kernel module,
			     * "/tmp/perf-PID.map", "[vdso]", or "[unknown]" when no mapping
			     * holds the address; valid while the symbolizer and the
			     * fk_processes live */
	uint64_t file_addr; /* the address in the binary's own ELF address space (what
			     * addr2line or libdw want), or the address when not from a file */
	fk_frame_kind kind;
} fk_symbol;

typedef struct fk_symbolizer fk_symbolizer;

/* demangle: C++ names demangled (with parameters, as perf script shows them). */
fk_symbolizer *fk_symbolizer_new(bool demangle);
void fk_symbolizer_free(fk_symbolizer *s);

/* The binary mapped as path is read from file instead ("" or an unreadable file: no
 * symbols), as perf reads a rebuilt binary's copy from its build-id cache. Before the
 * first lookup in path. */
void fk_symbolizer_read_binary_from(fk_symbolizer *s, const char *path, const char *file);

/* Kernel symbols are read from path (a copy of /proc/kallsyms, as perf's build-id cache
 * keeps one per kernel) instead of /proc/kallsyms. Before the first kernel lookup. */
void fk_symbolizer_kallsyms_from(fk_symbolizer *s, const char *path);

/* Names a user address of process pid. Never fails: unknown parts are NULL/"[unknown]". */
void fk_symbolize_user(fk_symbolizer *s, const fk_processes *ps, int pid, uint64_t addr,
		       fk_symbol *out);
/* Names a kernel address (kallsyms is read on first use); one in the user half of the
 * address space is no kernel frame: "[unknown]" module, FK_FRAME_USER, as perf script
 * names it. */
void fk_symbolize_kernel(fk_symbolizer *s, uint64_t addr, fk_symbol *out);
/* True when /proc/kallsyms gives real addresses (not zeros: kptr_restrict). */
bool fk_symbolizer_kernel_available(fk_symbolizer *s);

#endif
