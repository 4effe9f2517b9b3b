/* top.h: the text report of `flamekit top`, like `go tool pprof -top` and `perf report
 * --stdio`: one row per function (frame name) with its flat count (samples where it is
 * the leaf) and cumulative count (samples whose stack contains it, once per sample even
 * when it recurses), with percentages of the profile's total. */
#ifndef FK_OUTPUT_TOP_H
#define FK_OUTPUT_TOP_H

#include "../stack/profile.h"

typedef enum {
	FK_TOP_SORT_FLAT, /* flat descending, then cum descending, then name bytewise */
	FK_TOP_SORT_CUM,  /* cum descending, then flat descending, then name bytewise */
} fk_top_sort;

typedef struct fk_top_row {
	fk_name_id name;
	const char *text; /* the name's bytes (the profile's; NUL-terminated), len of them */
	size_t len;
	double flat, cum;
} fk_top_row;

typedef struct fk_top {
	fk_top_row *rows; /* every name with a non-zero flat or cum count, sorted */
	size_t count;
	double total; /* the profile's total (samples with no frame included) */
} fk_top;

/* Counts every function of p (its "after" counts for a two-valued profile) and sorts the
 * rows. Time in proportion to p's nodes, plus the sort of the rows. */
void fk_top_compute(const fk_profile *p, fk_top_sort sort, fk_top *top);
/* Sorts the rows again. */
void fk_top_sort_rows(fk_top *top, fk_top_sort sort);
void fk_top_free(fk_top *top);

typedef struct fk_top_options {
	size_t max_rows;       /* 0: every row */
	const char *filter;    /* the filter applied before counting ("--focus 'x'"), or NULL */
	double before_filter;  /* with filter: the total before it */
} fk_top_options;

/* Writes the report: the total and its unit (from p's metadata), how many rows are
 * shown, then the rows. Returns 0, or -1 with err set when writing fails. */
int fk_top_write(FILE *out, const fk_profile *p, const fk_top *top, const fk_top_options *o,
		 fk_error *err);

#endif
