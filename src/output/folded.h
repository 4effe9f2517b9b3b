/* folded.h: writes a profile as folded stacks, "frame;frame;...;leaf COUNT" per line,
 * sorted bytewise (the output of the stackcollapse scripts). */
#ifndef FK_OUTPUT_FOLDED_H
#define FK_OUTPUT_FOLDED_H

#include "../stack/profile.h"

/* Returns 0, or -1 with err set when writing fails. */
int fk_write_folded(const fk_profile *p, FILE *out, fk_error *err);

#endif
