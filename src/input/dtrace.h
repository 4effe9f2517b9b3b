/* dtrace.h: parser for DTrace ustack()/stack() aggregation output, folded the way
 * stackcollapse.pl does. */
#ifndef FK_DTRACE_H
#define FK_DTRACE_H

#include "../stack/profile.h"
#include "../util/diag.h"
#include "chunk.h"

typedef struct fk_dtrace_parser fk_dtrace_parser;

fk_dtrace_parser *fk_dtrace_parser_new(fk_profile *profile, fk_diag *diag);
void fk_dtrace_parser_free(fk_dtrace_parser *dp);
/* Chunks must come in order; state carries across them. Each file starts with 3 header
 * lines that are skipped. */
void fk_dtrace_parse_chunk(fk_dtrace_parser *dp, const fk_chunk *c);

#endif
