/* pysampler.h: samples Python processes from outside (py-spy's way): on each tick, the
 * Python stack of every running thread of every process is read with the CPython frame
 * reader (src/symbol/python.h) and folded into the profile through the same naming as
 * every other flamekit stack (the process frame at the root, "--pid"/"--tid" names),
 * with Python frames named "function (file:line)". No perf_event_open: this needs only
 * permission to read the processes' memory. The same reader also gives the recorder a
 * thread's Python stack of the moment, to merge into a native stack (record --native). */
#ifndef FK_PYSAMPLER_H
#define FK_PYSAMPLER_H

#include "../input/perf_script.h"
#include "../stack/profile.h"

typedef struct fk_pysampler_options {
	fk_perf_options naming; /* --pid, --tid: the process frame's name */
	bool idle;           /* sample sleeping threads too (default: running ones) */
	bool gil_only;       /* only the thread holding the GIL */
	bool blocking;       /* stop each process's threads while reading them */
	bool subprocesses;   /* follow child processes that run Python */
	bool threads;        /* a "thread NAME (TID)" frame under the process frame */
	bool full_filenames; /* whole paths in frame names */
	bool lineno;         /* ":LINE" in frame names */
} fk_pysampler_options;

typedef struct fk_pysampler_stats {
	uint64_t ticks;      /* sampling rounds */
	uint64_t samples;    /* stacks added */
	uint64_t idle;       /* threads skipped as not running (or not holding the GIL) */
	uint64_t empty;      /* running threads with no Python frame */
	uint64_t errors;     /* --blocking: times a process's threads could not be stopped */
	uint64_t processes;  /* Python processes sampled */
	uint64_t merged;     /* --native: samples whose Python frames were merged */
	uint64_t mismatched; /* --native: of those, stacks whose evaluation frames did not
			      * match the Python frames one for one (the thread moved on
			      * between the sample and the read) */
} fk_pysampler_stats;

typedef struct fk_pysampler fk_pysampler;

fk_pysampler *fk_pysampler_new(const fk_pysampler_options *options, fk_profile *profile);
void fk_pysampler_free(fk_pysampler *s);

/* Samples process pid from now on. Returns 0, or -1 with err: not a Python process (of a
 * supported version), no permission. */
int fk_pysampler_add(fk_pysampler *s, int pid, fk_error *err);

/* Watches pid, which may become a Python process (a command being started; a child
 * with --subprocesses): each tick tries to attach until it does or pid exits. */
void fk_pysampler_watch(fk_pysampler *s, int pid);

/* One round of samples. Returns the number of watched processes still alive. */
size_t fk_pysampler_tick(fk_pysampler *s);

/* Whether any process turned out to be Python; if none did, why the first one was not
 * (empty if it never got as far). */
bool fk_pysampler_any_python(const fk_pysampler *s);
const char *fk_pysampler_why_not(const fk_pysampler *s);

const fk_pysampler_stats *fk_pysampler_stats_get(const fk_pysampler *s);

/* --native: thread tid of pid's Python stack now, as frame names leaf first, each
 * with the flag that it began a frame evaluation (an entry frame), into the caller's
 * buffers: names point into text (cap_text bytes). Returns the frame count (0: not a
 * Python thread, or no Python code running). Attaches to pid on first use (and again
 * after an exec). */
size_t fk_pysampler_thread_stack(fk_pysampler *s, int pid, int tid, char *text, size_t cap_text,
				 uint32_t *name_offsets, bool *entry, size_t cap_frames);

/* "thread NAME (TID)": MainThread for the main thread, else the kernel's name for it
 * (kept by the sampler). */
const char *fk_pysampler_thread_name(fk_pysampler *s, int pid, int tid);

/* --native: counts a merge (mismatched: the counts of evaluation frames and entry
 * frames differed). */
void fk_pysampler_count_merge(fk_pysampler *s, bool mismatched);

#endif
