/* speedscope.h: writes a profile in speedscope's file format (a sampled profile). */
#ifndef FK_OUTPUT_SPEEDSCOPE_H
#define FK_OUTPUT_SPEEDSCOPE_H

#include "../stack/profile.h"

/* name: the profile's name as speedscope shows it. Returns 0 or -1 with err. */
int fk_write_speedscope(const fk_profile *p, const char *name, FILE *out, fk_error *err);

#endif
