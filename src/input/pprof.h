/* pprof.h: reads pprof profiles (profile.proto, gzipped or not) into a profile. */
#ifndef FK_PPROF_H
#define FK_PPROF_H

#include "load.h"

/* An fk_whole_reader (load.h). */
int fk_pprof_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
       fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
