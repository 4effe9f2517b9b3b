/* compare.h: builds a two-valued profile from two profiles (difffolded.pl): every stack
 * of either, with its count before and after (0 where missing). */
#ifndef FK_COMPARE_H
#define FK_COMPARE_H

#include "profile.h"

typedef struct fk_compare_options {
	bool normalize;  /* scale "before" to the total of "after": int(before * t2 / t1) */
	bool strip_hex;  /* replace hex numbers (0x...) in frame names with "0x..." */
} fk_compare_options;

/* Returns a new two-valued profile; before and after are not changed. */
fk_profile *fk_profile_compare(const fk_profile *before, const fk_profile *after,
			       const fk_compare_options *options);

#endif
