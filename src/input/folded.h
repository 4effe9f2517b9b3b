/* folded.h: parser for folded stacks, "frame;frame;...;leaf COUNT" per line (the format
 * of stackcollapse*.pl and the input of flamegraph.pl), and "stack BEFORE AFTER" lines
 * (difffolded.pl), which make a two-valued profile. */
#ifndef FK_FOLDED_H
#define FK_FOLDED_H

#include "../stack/profile.h"
#include "../util/diag.h"
#include "chunk.h"

typedef struct fk_folded_parser fk_folded_parser;

fk_folded_parser *fk_folded_parser_new(fk_profile *profile, fk_diag *diag);
void fk_folded_parser_free(fk_folded_parser *fp);
void fk_folded_parse_chunk(fk_folded_parser *fp, const fk_chunk *c);
uint64_t fk_folded_parser_invalid(const fk_folded_parser *fp);
/* Empty lines (skipped; flamegraph.pl counts them among its invalid lines). */
uint64_t fk_folded_parser_blank(const fk_folded_parser *fp);
/* flamegraph.pl splits stacks with Perl's split, which drops empty trailing frames
 * ("a;b;" is a;b); collapse keeps them so that a stack reads back as written. */
void fk_folded_parser_drop_trailing_empty(fk_folded_parser *fp, bool drop);

/* flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/ on one line: the stack, and the count
 * after the last white space. Returns false if the line has no count. */
bool fk_folded_split_count(const char *line, size_t len, size_t *stack_len, double *count);

#endif
