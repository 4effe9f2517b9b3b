/* flamebearer.h: writes a profile as Pyroscope's flamebearer JSON (what its /render and
 * /render-diff return and its UI draws): the frame names, the tree as levels of
 * [x offset delta, total, self, name index] bars ("single"), or of [left offset delta,
 * left total, left self, right offset delta, right total, right self, name index] for a
 * two-valued profile ("double"), numTicks, maxSelf, metadata and the timeline. */
#ifndef FK_FLAMEBEARER_H
#define FK_FLAMEBEARER_H

#include <stdio.h>

#include "../stack/profile.h"

typedef struct fk_flamebearer_timeline {
	int64_t start;         /* Unix seconds of the first bucket */
	int64_t step;          /* seconds per bucket ("durationDelta") */
	const double *samples; /* count per bucket */
	size_t count;
} fk_flamebearer_timeline;

typedef struct fk_flamebearer_group {
	const char *value;               /* the label value of the group */
	fk_flamebearer_timeline timeline;
} fk_flamebearer_group;

typedef struct fk_flamebearer_options {
	size_t max_nodes;       /* 0: every node; else at most about this many bars: smaller
				 * subtrees fold into one "other" bar under their parent */
	const char *name;       /* metadata.name (the query) */
	const char *app_name;   /* metadata.appName, or NULL */
	const char *spy_name;   /* metadata.spyName ("unknown" when NULL) */
	const char *units;      /* metadata.units ("samples" when NULL) */
	int64_t sample_rate;    /* metadata.sampleRate */
	int64_t start_time, end_time; /* metadata.startTime / endTime (0: left out) */
	const fk_flamebearer_timeline *timeline; /* or NULL: no "timeline" */
	const fk_flamebearer_timeline *left_timeline, *right_timeline; /* diffs, or NULL */
	const fk_flamebearer_group *groups; /* groupBy: "groups" {value: {timeline}}, or NULL */
	size_t ngroups;
} fk_flamebearer_options;

/* Writes the whole JSON object {version, flamebearer, metadata, timeline, ...} for p
 * ("double" when fk_profile_has_before(p)). p's totals are computed by the writer (p is
 * otherwise unchanged). Returns 0, or -1 with err when writing fails. */
int fk_flamebearer_write(fk_profile *p, const fk_flamebearer_options *o, FILE *out,
			 fk_error *err);

#endif
