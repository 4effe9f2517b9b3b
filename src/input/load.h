/* load.h: reads input files (or stdin) of any text format into one profile: opens each,
 * detects gzip and the format, streams it in chunks through the right parser, on one or
 * several threads. Every subcommand that reads stacks goes through here. */
#ifndef FK_LOAD_H
#define FK_LOAD_H

#include "../stack/profile.h"
#include "../util/diag.h"
#include "format.h"
#include "perf_script.h"

typedef struct fk_load_options {
	fk_format format;      /* FK_FORMAT_AUTO: detect per file */
	fk_perf_options perf;  /* for perf script input */
	unsigned threads;      /* parsing threads (1 = parse on the calling thread) */
	size_t chunk_size;     /* bytes per chunk (0 = 1 MiB) */
	bool keep_order;       /* remember stacks in input order (flame charts); one thread */
	bool folded_drop_trailing_empty; /* folded: "a;b;" is a;b, as flamegraph.pl reads it */
} fk_load_options;

typedef struct fk_load_stats {
	uint64_t bytes;        /* input bytes after decompression */
	uint64_t samples;      /* perf samples folded */
	uint64_t filtered;     /* perf samples skipped by the event filter */
	uint64_t invalid;      /* lines no rule matched */
	uint64_t blank;        /* folded: empty lines (skipped, not counted in invalid) */
	char event[128];       /* the perf event kept ("" if none) */
	bool event_defaulted;  /* the event was the first one seen, not --event-filter */
	fk_format formats[4];  /* the formats met, FK_FORMAT_AUTO-terminated */
} fk_load_stats;

/* Adds the stacks of every path ("-" = stdin) to profile. Warnings go to diag (file
 * indexes are positions in paths). Returns 0, or -1 with err naming the file when one
 * cannot be read, is corrupt (truncated gzip...), or is in no known format. */
int fk_load_files(const char *const *paths, size_t npaths, const fk_load_options *options,
		  fk_profile *profile, fk_diag *diag, fk_load_stats *stats, fk_error *err);

#endif
