/* preload_file.h: reads the files that libflamekit-preload.so (src/preload/, the
 * LD_PRELOAD half of `flamekit record --alloc` / `--lock`) writes when a profiled
 * process exits (format: src/preload/format.h), and hands each stack to a callback
 * as perf script frames, so that it folds through fk_perf_parser_add_sample exactly
 * like a sampled stack. The file's executable mappings are loaded into an
 * fk_processes under the file's pid, so its addresses symbolize after the process is
 * gone. A file is checked whole before anything is added: a bad one (truncated,
 * garbage, numbers out of range, unknown stack ids) adds nothing and is an error that
 * names the file and line. */
#ifndef FK_PRELOAD_FILE_H
#define FK_PRELOAD_FILE_H

#include "../symbol/maps.h"
#include "../symbol/symbolizer.h"
#include "perf_script.h"

/* Which of a file's values become the counts. */
typedef enum {
	FK_PRELOAD_ALLOC_SPACE,   /* bytes allocated (estimated from the samples) */
	FK_PRELOAD_ALLOC_OBJECTS, /* allocations */
	FK_PRELOAD_INUSE_SPACE,   /* bytes allocated and not freed at exit */
	FK_PRELOAD_INUSE_OBJECTS, /* allocations not freed at exit */
	FK_PRELOAD_LOCK_WAIT_US,  /* microseconds spent waiting for contended locks */
	FK_PRELOAD_LOCK_COUNT,    /* contended lock waits */
} fk_preload_profile_kind;

/* "alloc_space", "alloc_objects", "inuse_space", "inuse_objects", "lock_wait_us",
 * "lock_count" (the names of pprof's sample types, where there is one). */
bool fk_preload_kind_parse(const char *name, fk_preload_profile_kind *kind);
const char *fk_preload_kind_name(fk_preload_profile_kind kind);
/* What a count is, for a flame graph's --countname: "bytes", "objects", "us", "waits". */
const char *fk_preload_kind_unit(fk_preload_profile_kind kind);
/* The FLAMEKIT_PRELOAD_MODE that records a kind: "alloc" or "lock". */
const char *fk_preload_kind_mode(fk_preload_profile_kind kind);

/* Receives one stack: the process name and pid (the file's; tid is the pid: the library
 * does not keep threads apart), the stack's value (> 0) and its frames, leaf first, as
 * perf script prints them (valid during the call). */
typedef void (*fk_preload_sample_fn)(void *ctx, const char *comm, int pid, int tid,
				     double value, const fk_perf_stack_line *frames, size_t n);

/* An fk_preload_sample_fn for ctx = an fk_perf_parser: fk_perf_parser_add_sample (no
 * extra root frame). */
void fk_preload_add_to_parser(void *ctx, const char *comm, int pid, int tid, double value,
			      const fk_perf_stack_line *frames, size_t n);

/* What was read (summed over the files for fk_preload_read_prefix). */
typedef struct fk_preload_info {
	size_t files;
	bool lock;         /* the (last) file was recorded in lock mode */
	uint64_t interval; /* its sampling interval in bytes (alloc mode) */
	int pid;           /* its pid */
	size_t stacks;     /* stack lines */
	size_t samples;    /* stacks given to the callback (value > 0) */
	double total;      /* the sum of their values */
	uint64_t lost;     /* samples the library could not record */
} fk_preload_info;

/* Reads one file. The mappings go into ps under the file's pid (whatever ps knew of
 * that pid before is dropped, as for an exec), names come from sym, and fn(ctx, ...)
 * gets every stack whose value of the given kind is above 0. info may be NULL; else it
 * is added to (zero it first). Returns 0, or -1 with err naming the file (and the line)
 * when the file cannot be read, is not such a file, is damaged, or was recorded in the
 * other mode than kind needs; nothing is added then. */
int fk_preload_read(const char *path, fk_preload_profile_kind kind, fk_processes *ps,
		    fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx, fk_preload_info *info,
		    fk_error *err);

/* The same for a file's contents already in memory; name is used in messages. */
int fk_preload_parse(const char *name, const char *data, size_t len, fk_preload_profile_kind kind,
		     fk_processes *ps, fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx,
		     fk_preload_info *info, fk_error *err);

/* Every file PREFIX.PID (PID in decimal digits: what FLAMEKIT_PRELOAD_OUT=PREFIX makes
 * each process write), in increasing pid order, through fk_preload_read. Returns the
 * number of files read (0: none exist), or -1 at the first file that cannot be read
 * (those before it have been added) or when PREFIX's directory cannot be listed. */
int fk_preload_read_prefix(const char *prefix, fk_preload_profile_kind kind, fk_processes *ps,
			   fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx,
			   fk_preload_info *info, fk_error *err);

#endif
