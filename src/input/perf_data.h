/* perf_data.h: reads perf record's file (perf.data) into a profile, as `perf script | flamekit collapse` would fold it. */
#ifndef FK_PERF_DATA_H
#define FK_PERF_DATA_H

#include "load.h"

/* An fk_whole_reader (load.h). */
int fk_perf_data_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
       fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
