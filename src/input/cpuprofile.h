/* cpuprofile.h: reads Chrome / Node .cpuprofile files (node --cpu-prof) into a profile. */
#ifndef FK_CPUPROFILE_H
#define FK_CPUPROFILE_H

#include "load.h"

/* An fk_whole_reader (load.h). */
int fk_cpuprofile_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
       fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
