/* perf_script.h: parser for the text of `perf script`, folding samples into a profile the
 * way stackcollapse-perf.pl does (same frame names, options and quirks). */
#ifndef FK_PERF_SCRIPT_H
#define FK_PERF_SCRIPT_H

#include "../stack/profile.h"
#include "../symbol/inline.h"
#include "../util/diag.h"
#include "chunk.h"

typedef struct fk_perf_options {
	bool include_pid;     /* --pid: root frame "comm-PID" */
	bool include_tid;     /* --tid: root frame "comm-PID/TID" */
	bool annotate_kernel; /* --kernel: "_[k]" on kernel frames */
	bool annotate_jit;    /* --jit: "_[j]" on frames from /tmp/perf-PID.map */
	bool include_addrs;   /* --addrs: "[mod <addr>]" for unknown symbols */
	bool show_inline;     /* --inline: expand inlined frames with libdw */
	bool show_context;    /* --context: source file:line on inlined frames */
	bool srcline;         /* --srcline: input has `perf script -F+srcline` lines */
	const char *event_filter; /* NULL: the first event type seen */
} fk_perf_options;

typedef struct fk_perf_parser fk_perf_parser;

/* inliner may be NULL unless options->show_inline. */
fk_perf_parser *fk_perf_parser_new(const fk_perf_options *options, fk_profile *profile,
				   fk_diag *diag, fk_inliner *inliner);
void fk_perf_parser_free(fk_perf_parser *pp);

/* Parses whole lines. At the end of a file (c->file_end) a sample without a blank line
 * after it is kept; after a cut chunk a partial sample is dropped. */
void fk_perf_parse_chunk(fk_perf_parser *pp, const fk_chunk *c);

/* Sets the event filter when none was given, as if this event had been seen first. */
void fk_perf_parser_set_default_event(fk_perf_parser *pp, const char *event, size_t len);

/* Finds the first event name in text (lines of perf script), as the parser would pick it
 * for the default filter. Returns false if none is there. */
bool fk_perf_first_event(const char *text, size_t len, const char **event, size_t *event_len);

/* Samples skipped because their event differed from the (defaulted) filter. */
uint64_t fk_perf_parser_filtered(const fk_perf_parser *pp);
/* Lines that matched no rule. */
uint64_t fk_perf_parser_unrecognized(const fk_perf_parser *pp);
/* Stacks added to the profile. */
uint64_t fk_perf_parser_samples(const fk_perf_parser *pp);
/* The event the filter selects ("" if none seen yet), and whether it was defaulted. */
const char *fk_perf_parser_event(const fk_perf_parser *pp, bool *defaulted);

/* Line classifiers, exposed for tests: they follow the Perl script's regexes exactly. */
typedef struct fk_perf_event_line {
	size_t comm_len;
	const char *pid;
	size_t pid_len;
	const char *tid; /* NULL when the line has no "PID/TID" */
	size_t tid_len;
} fk_perf_event_line;
bool fk_perf_match_event_line(const char *line, size_t len, fk_perf_event_line *ev);
/* The period and event of ":\s*(\d+)*\s+(\S+):\s*$"; period NULL when absent. */
bool fk_perf_match_period(const char *line, size_t len, const char **period, size_t *period_len,
			  const char **event, size_t *event_len);
typedef struct fk_perf_stack_line {
	const char *pc, *func, *mod;
	size_t pc_len, func_len, mod_len;
	bool verbatim; /* func is the frame's final name (a Python frame): no rule applies */
} fk_perf_stack_line;
bool fk_perf_match_stack_line(const char *line, size_t len, fk_perf_stack_line *sl);

/* Adds one sample given as fields rather than text (flamekit record, perf.data), through
 * the same rules: comm/pid/tid make the root frame (tid 0 as in perf script's "comm
 * PID"), frames are leaf first as perf script prints them, each with the address, the
 * symbol as perf script shows it ("name+0xOFF" or "[unknown]") and the module. No event
 * filtering: the caller chooses the samples. root: a frame put under the process's
 * frame (as "[running]" / "[blocked]" in wall-clock profiles), or NULL. */
void fk_perf_parser_add_sample(fk_perf_parser *pp, const char *root, const char *comm, int pid,
			       int tid, double period, const fk_perf_stack_line *frames, size_t n);
/* The profile node the last sample (added either way) ended at: a caller that sees the
 * same sample again may add to it directly (fk_profile_add_at). */
fk_node_id fk_perf_parser_last_node(const fk_perf_parser *pp);
#endif
