/* elf_symbols.h: one binary's function symbols and load segments, read once with libelf.
 * Symbols come from .symtab; a file without one is completed by its separate debug info
 * (/usr/lib/debug/.build-id/xx/yyyy.debug from the NT_GNU_BUILD_ID note, else the
 * .gnu_debuglink name next to the file, in its .debug/ directory or under
 * /usr/lib/debug), else by .dynsym. The load segments turn a file offset (what a memory
 * mapping gives) into an address of the binary's own ELF address space, which is what
 * the symbols use. Anything unreadable or malformed gives an empty table. */
#ifndef FK_ELF_SYMBOLS_H
#define FK_ELF_SYMBOLS_H

#include "symtab.h"

typedef struct fk_elf_segment {
	uint64_t offset, filesz, memsz, vaddr;
	bool exec;
} fk_elf_segment;

typedef struct fk_binary {
	fk_symtab symtab;
	fk_elf_segment *segments; /* the PT_LOAD program headers */
	size_t segment_count;
	bool is_elf; /* the file could be read as ELF */
} fk_binary;

/* Reads path (never NULL: a file that cannot be read gives an empty binary). */
fk_binary *fk_binary_open(const char *path);
/* Reads an ELF image in memory (copied first); no separate debug info. */
fk_binary *fk_binary_from_memory(const void *image, size_t size);
/* This process's vDSO (getauxval(AT_SYSINFO_EHDR)); an empty binary if there is none. */
fk_binary *fk_binary_self_vdso(void);
void fk_binary_free(fk_binary *b);

/* The ELF address of file offset off, through the PT_LOAD segment that holds it (an
 * executable one first when exec). False if no segment holds it. */
bool fk_binary_file_addr(const fk_binary *b, uint64_t off, bool exec, uint64_t *file_addr);

#endif
