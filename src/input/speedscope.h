/* speedscope.h: reads speedscope's JSON file format into a profile. */
#ifndef FK_SPEEDSCOPE_H
#define FK_SPEEDSCOPE_H

#include "load.h"

/* An fk_whole_reader (load.h). */
int fk_speedscope_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
       fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
