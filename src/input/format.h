/* format.h: the text formats flamekit reads, and detection of a format from the first
 * bytes of an input. */
#ifndef FK_FORMAT_H
#define FK_FORMAT_H

#include "../util/common.h"

typedef enum {
	FK_FORMAT_AUTO = 0,
	FK_FORMAT_PERF,   /* perf script text */
	FK_FORMAT_DTRACE, /* DTrace aggregation output (stackcollapse.pl) */
	FK_FORMAT_FOLDED, /* folded stacks */
	FK_FORMAT_UNKNOWN,
} fk_format;

/* "auto", "perf", "dtrace", "folded" -> format; FK_FORMAT_UNKNOWN for anything else. */
fk_format fk_format_from_name(const char *name);
const char *fk_format_name(fk_format f);

/* Guesses the format of text (the start of an input, whole lines). Empty or blank text is
 * FK_FORMAT_FOLDED (it folds to nothing); text no parser recognizes, FK_FORMAT_UNKNOWN. */
fk_format fk_detect_format(const char *text, size_t len);

#endif
