/* symtab.h: a sorted table of function symbols searched by binary search, shared by the
 * ELF, vDSO, kallsyms and JIT-map loaders. Symbols are added in any order, then
 * fk_symtab_finish sorts them, gives symbols without a size the extent up to the next
 * symbol (perf's symbols__fixup_end) and then keeps one symbol per start address (perf's
 * symbols__fixup_duplicate and choose_best_symbol rules, in that order, so that the same
 * alias wins as in perf; for JIT maps simply the last one added). Names live in the
 * table's arena and never move; C++ names are demangled on first lookup. */
#ifndef FK_SYMTAB_H
#define FK_SYMTAB_H

#include "sym_util.h"

typedef struct fk_sym {
	uint64_t start, end;  /* [start, end); end == start: no size known */
	const char *name;     /* in the table's arena */
	const char *module;   /* kallsyms: "[mod]" or NULL for the kernel itself */
	uint32_t order;       /* insertion order */
	uint8_t binding;      /* STB_LOCAL, STB_GLOBAL, STB_WEAK */
	uint8_t type;         /* STT_FUNC, STT_GNU_IFUNC, STT_NOTYPE */
	uint8_t demangled;    /* name is final (demangling tried) */
	uint8_t ifunc;        /* an STT_GNU_IFUNC symbol, or kept over one at its address */
} fk_sym;

typedef enum {
	FK_SYMTAB_ELF,      /* duplicates: perf's rules; last sizeless symbol: next page */
	FK_SYMTAB_KALLSYMS, /* same, and a symbol before another module's ends at a page */
	FK_SYMTAB_LATEST,   /* duplicates: the last added wins; no size fixing (JIT maps) */
} fk_symtab_mode;

typedef struct fk_symtab {
	fk_sym *syms;
	size_t count, cap;
	size_t sorted; /* syms[0..sorted) are finished */
	uint32_t next_order;
	fk_arena arena;
	fk_symtab_mode mode;
} fk_symtab;

void fk_symtab_init(fk_symtab *t, fk_symtab_mode mode);
void fk_symtab_free(fk_symtab *t);

/* Adds a symbol; name[0..name_len) is copied. size 0: unknown. */
void fk_symtab_add(fk_symtab *t, uint64_t start, uint64_t size, const char *name, size_t name_len,
		   uint8_t binding, uint8_t type, const char *module);
/* Sorts, removes duplicates, fixes sizes. May be called again after more fk_symtab_add. */
void fk_symtab_finish(fk_symtab *t);

/* The symbol containing addr, or NULL. With demangle, its name is demangled (once). */
fk_sym *fk_symtab_lookup(fk_symtab *t, uint64_t addr, bool demangle);

#endif
