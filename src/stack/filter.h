/* filter.h: keeping or dropping whole samples by the frames on their stacks, as pprof's
 * -focus and -ignore do, and cutting stacks at a base frame (flamegraph --base): a new
 * profile from an existing one, with its metadata. Used by `flamekit top`, `convert` and
 * `flamegraph`. */
#ifndef FK_STACK_FILTER_H
#define FK_STACK_FILTER_H

#include <regex.h>

#include "profile.h"

typedef struct fk_sample_filter {
	bool has_focus, has_ignore;
	regex_t focus;  /* keep only samples with a frame matching */
	regex_t ignore; /* then drop samples with a frame matching */
	const char *const *bases; /* if any: keep only stacks with a frame of one of these
				   * names, from the first such frame (root side) up; focus
				   * and ignore then look at those frames only */
	size_t nbases;
} fk_sample_filter;

/* Compiles the regexes (POSIX extended; NULL: not given). On a bad regex returns -1 with
 * err naming it ("--focus 'a(': ..."), and f holds nothing to free. */
int fk_sample_filter_init(fk_sample_filter *f, const char *focus, const char *ignore,
			  fk_error *err);
void fk_sample_filter_free(fk_sample_filter *f);
/* True when the filter may drop anything. */
bool fk_sample_filter_active(const fk_sample_filter *f);

/* The samples of src that pass f: a stack is kept when some frame of it matches focus
 * (or there is no focus) and no frame matches ignore (with bases: only the frames from
 * the base up count, and they become the stack). The new profile has src's
 * metadata, its "before" counts (diffs) and, if src kept its input order, that order.
 * Takes time in proportion to src's nodes and names (each name is matched once). */
fk_profile *fk_sample_filter_apply(const fk_profile *src, const fk_sample_filter *f);

/* The total count of the samples of src that pass f (what fk_sample_filter_apply would
 * keep), without building a profile. */
double fk_sample_filter_kept_total(const fk_profile *src, const fk_sample_filter *f);

#endif
