/* load.h: reads input files (or stdin) of any format into one profile: opens each,
 * detects gzip and the format, streams text in chunks through the right parser (on one or
 * several threads), and hands binary and JSON formats whole to their reader. Every
 * subcommand that reads stacks goes through here. */
#ifndef FK_LOAD_H
#define FK_LOAD_H

#include "../stack/profile.h"
#include "../util/diag.h"
#include "format.h"
#include "perf_script.h"

typedef struct fk_load_options {
	fk_format format;      /* FK_FORMAT_AUTO: detect per file */
	bool text_is_folded;   /* FK_FORMAT_AUTO: any text input is folded stacks (as
				* flamegraph.pl reads it); only binary and JSON formats are
				* told by content */
	fk_perf_options perf;  /* for perf script input */
	unsigned threads;      /* parsing threads (1 = parse on the calling thread) */
	size_t chunk_size;     /* bytes per chunk (0 = 1 MiB) */
	bool keep_order;       /* remember stacks in input order (flame charts); one thread */
	bool folded_drop_trailing_empty; /* folded: "a;b;" is a;b, as flamegraph.pl reads it */
	const char *sample_type; /* pprof: the sample type (value) to read; NULL: the
				  * default_sample_type, else the first */
	bool no_demangle;        /* perf.data: C++ names as in the binary (perf script
				  * --no-demangle); by default demangled as perf script shows them */
} fk_load_options;

typedef struct fk_load_stats {
	uint64_t bytes;        /* input bytes after decompression */
	uint64_t samples;      /* perf samples folded */
	uint64_t filtered;     /* perf samples skipped by the event filter */
	uint64_t invalid;      /* lines no rule matched */
	uint64_t blank;        /* folded: empty lines (skipped, not counted in invalid) */
	uint64_t lost;         /* perf.data: samples the kernel dropped (LOST records) */
	char event[128];       /* the perf event kept ("" if none) */
	bool event_defaulted;  /* the event was the first one seen, not --event-filter */
	fk_format formats[8];  /* the formats met, FK_FORMAT_AUTO-terminated */
} fk_load_stats;

/* One input of a format read whole (binary or JSON). */
typedef struct fk_whole_input {
	const char *name;          /* the file's name for messages ("<stdin>" for stdin) */
	uint32_t file;             /* its index among the inputs (for diag) */
	const unsigned char *data; /* every byte of it, gunzipped */
	size_t len;
} fk_whole_input;

/* A reader of such a format: adds the input's stacks to profile (and sets its metadata),
 * warnings to diag, counts to stats. Returns 0, or -1 with err naming the file and where
 * in it the problem is; a corrupt input adds nothing to profile. */
typedef int (*fk_whole_reader)(const fk_whole_input *in, const fk_load_options *options,
			       fk_profile *profile, fk_diag *diag, fk_load_stats *stats,
			       fk_error *err);

/* Adds the stacks of every path ("-" = stdin) to profile. Warnings go to diag (file
 * indexes are positions in paths). Returns 0, or -1 with err naming the file when one
 * cannot be read, is corrupt (truncated gzip...), or is in no known format. */
int fk_load_files(const char *const *paths, size_t npaths, const fk_load_options *options,
		  fk_profile *profile, fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
