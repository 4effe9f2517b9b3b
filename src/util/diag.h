/* diag.h: warnings about input (unrecognized lines and the like), each tied to a file
 * and line. Only the first few are kept for printing; all are counted. One fk_diag per
 * parsing thread; they are merged and printed in input order at the end. */
#ifndef FK_DIAG_H
#define FK_DIAG_H

#include "common.h"

typedef struct fk_diag_entry {
	uint32_t file;
	uint64_t line;
	char *text;
} fk_diag_entry;

typedef struct fk_diag {
	fk_diag_entry *entries;
	size_t count, cap;
	size_t total; /* all warnings, shown or not */
	size_t keep;  /* how many entries to keep (default 5) */
} fk_diag;

void fk_diag_init(fk_diag *d);
void fk_diag_free(fk_diag *d);
void fk_diag_add(fk_diag *d, uint32_t file, uint64_t line, const char *fmt, ...) FK_PRINTF(4, 5);
/* Appends a printable, bounded copy of bytes (escapes control and non-ASCII bytes). */
size_t fk_diag_quote(char *out, size_t cap, const char *bytes, size_t len);
/* Moves src's entries into dst. */
void fk_diag_merge(fk_diag *dst, fk_diag *src);
/* Prints the kept entries in (file, line) order as "prog: FILE:LINE: text", then a count
 * of the ones not shown. file_names maps file indexes to names. */
void fk_diag_print(fk_diag *d, FILE *out, const char *prog, const char *const *file_names);

#endif
