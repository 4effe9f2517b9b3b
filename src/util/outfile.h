/* outfile.h: output that appears whole or not at all. Writes go to a temporary file in
 * the destination's directory, renamed over the destination on commit; on abort (or a
 * failed write) the destination is untouched. Path "-" or NULL means stdout. */
#ifndef FK_OUTFILE_H
#define FK_OUTFILE_H

#include "common.h"

typedef struct fk_outfile {
	FILE *fp;
	char *path; /* destination, NULL for stdout */
	char *tmp;
} fk_outfile;

int fk_outfile_open(fk_outfile *of, const char *path, fk_error *err);
/* Flushes, syncs and renames. Returns 0, or -1 with err set (the temp file is removed). */
int fk_outfile_commit(fk_outfile *of, fk_error *err);
void fk_outfile_abort(fk_outfile *of);

#endif
