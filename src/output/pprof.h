/* pprof.h: writes a profile as a pprof profile (profile.proto), gzipped or not. */
#ifndef FK_OUTPUT_PPROF_H
#define FK_OUTPUT_PPROF_H

#include "../stack/profile.h"

/* Returns 0 or -1 with err. */
int fk_write_pprof(const fk_profile *p, bool gzip, FILE *out, fk_error *err);

#endif
