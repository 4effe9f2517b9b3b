/* query.h: the read side of the server: the series a query selects, their profiles
 * merged over a time range (with the units they were ingested in), timelines and
 * groupings by a label. /render, /render-diff and the label endpoints go through here. */
#ifndef FK_QUERY_H
#define FK_QUERY_H

#include "store.h"

typedef struct fk_query_selection {
	fk_series_list all;   /* every series of the store */
	int64_t *ids;         /* the selected ones' ids */
	size_t count;
	const fk_series_info *first; /* the first selected (units, spy name, rate), or NULL */
} fk_query_selection;

/* Selects the series q matches. Returns 0 or -1 with err. */
int fk_query_select(fk_store *s, const fk_series_query *q, fk_query_selection *sel,
		    fk_error *err);
void fk_query_selection_free(fk_query_selection *sel);

/* A new profile holding the selected series' stacks of windows starting in [from, until),
 * summed, its metadata saying what the counts are (type and unit). Returns 0 or -1. */
int fk_query_profile(fk_store *s, const fk_query_selection *sel, int64_t from, int64_t until,
		     fk_profile **out, fk_error *err);

/* The step of a timeline over [from, until): a multiple of window_sec giving at most
 * max_points buckets. */
int64_t fk_query_timeline_step(int64_t from, int64_t until, int64_t window_sec, size_t max_points);

/* Groups the selected series by the value of label ("" when missing): *values (sorted,
 * malloc'd strings) and, for each, the ids of its series. */
typedef struct fk_query_group {
	char *value;
	int64_t *ids;
	size_t count;
} fk_query_group;
void fk_query_group_by(const fk_query_selection *sel, const char *label, fk_query_group **groups,
		       size_t *ngroups);
void fk_query_groups_free(fk_query_group *groups, size_t ngroups);

#endif
