/* pprof.h: reads pprof profiles (profile.proto, gzipped or not) into a profile. */
#ifndef FK_PPROF_H
#define FK_PPROF_H

#include "load.h"

/* An fk_whole_reader (load.h). */
int fk_pprof_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
       fk_diag *diag, fk_load_stats *stats, fk_error *err);

/* One sample type of a pprof profile (names longer than the fields are cut). */
typedef struct fk_pprof_sample_type {
	char type[64]; /* "samples", "cpu", "alloc_space", ... */
	char unit[32]; /* "count", "nanoseconds", "bytes", ... */
} fk_pprof_sample_type;

/* Lists the sample types of in (a pprof profile, gunzipped): fills types[0..min(n, max))
 * and returns n, how many the profile has; or -1 with err if in is no valid pprof (its
 * memory capped as fk_pprof_read's is). */
int fk_pprof_sample_types(const fk_whole_input *in, fk_pprof_sample_type *types, size_t max,
			  fk_error *err);

#endif
