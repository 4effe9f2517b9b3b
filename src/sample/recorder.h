/* recorder.h: turns the records a sampler reads into a profile. Records of all CPUs are
 * put back in time order (a round's records are held until the next round has been read,
 * as perf's ordered events do), process state is tracked (maps.h), each sample's stack is
 * taken from the kernel's callchain (fp) or unwound from the copied user stack (dwarf),
 * symbolized, and folded with the same naming rules as `perf script | flamekit
 * collapse` (perf_script.h). */
#ifndef FK_RECORDER_H
#define FK_RECORDER_H

#include "../input/perf_script.h"
#include "../stack/profile.h"
#include "perf_event.h"
#include "pysampler.h"
#include "../symbol/symbolizer.h"

typedef struct fk_recorder_options {
	fk_perf_options naming; /* --pid, --tid, --kernel, --jit, --inline ... */
	fk_callgraph callgraph;
	bool count_period;      /* add each sample's period (perf script | collapse does),
				 * not 1 */
	bool demangle;
	int off_cpu_event;      /* -1, or the event (0, 1) whose samples are switch-outs
				 * (sched:sched_switch): each thread's time until it is
				 * switched in (FK_REC_SWITCH) is charged to its stack then,
				 * in microseconds */
	bool wall;              /* wall-clock profile: the other event's samples count their
				 * period in microseconds under a "[running]" frame, off-CPU
				 * time goes under "[blocked]" */
	uint64_t min_block_ns;  /* off_cpu: shorter blocks are dropped */
	fk_pysampler *python;   /* record --python --native: each sample's thread's Python
				 * stack is read when the sample is read from the ring, and
				 * its frames take the place of the interpreter's
				 * frame-evaluation frames (_PyEval_EvalFrameDefault) */
	bool python_threads;    /* --threads: a "thread NAME (TID)" frame under the process */
	/* perf.data (fk_recorder_queue): processes are known only from the records (no
	 * /proc), samples are named as perf script's default fields print them ("comm
	 * TID"; ":TID" for a thread never named), and callchains stop after 127 frames
	 * (perf script's PERF_MAX_STACK_DEPTH) */
	bool from_file;
	/* from_file, dwarf: names the inlined functions at each unwound user frame, which
	 * perf script adds to DWARF-unwound callchains (NULL: none) */
	fk_inliner *unwind_inliner;
	/* When set, each sample's count: 0 drops the sample (an event filter), else the
	 * count added (replaces count_period). */
	double (*sample_count)(const fk_record *rec, void *ctx);
	void *sample_count_ctx;
} fk_recorder_options;

typedef struct fk_recorder_stats {
	uint64_t samples;       /* samples folded into the profile */
	uint64_t lost;          /* samples the kernel dropped (LOST records) */
	uint64_t throttled;     /* times the kernel throttled the sampling rate */
	uint64_t kernel_frames; /* kernel frames seen */
	uint64_t unwind_short;  /* dwarf: samples whose unwinding stopped at the leaf */
	uint64_t blocked_ns;    /* off-CPU time charged */
	uint64_t running_ns;    /* wall: on-CPU time (sampled periods) */
	uint64_t first_time, last_time; /* of the samples, perf clock ns */
} fk_recorder_stats;

typedef struct fk_recorder fk_recorder;

/* profile receives the stacks; inliner may be NULL unless options->naming.show_inline. */
fk_recorder *fk_recorder_new(const fk_recorder_options *options, fk_profile *profile,
			     fk_inliner *inliner);
void fk_recorder_free(fk_recorder *r);

/* Learns a running process's mappings and thread names from /proc (for -p and -a, whose
 * processes started before recording). Returns 0 or -1 with err. */
int fk_recorder_add_process(fk_recorder *r, int pid, fk_error *err);

/* Reads every ring buffer of the sampler once (one "round") and folds what is known to
 * be in order; final: fold everything (after sampling ended). */
void fk_recorder_round(fk_recorder *r, fk_sampler *s, bool final);

/* perf.data: queues a record (size bytes at raw, which must stay valid until it is
 * folded: until fk_recorder_flush(..., true)) decoded with d, as read from the file. */
void fk_recorder_queue(fk_recorder *r, const fk_record_decoder *d, const void *raw, size_t size,
		       uint64_t time);
/* perf.data: a FINISHED_ROUND record (final: the end of the file): folds the queued
 * records up to the newest time of the previous round, in time order (records of equal
 * time in file order), as perf's ordered events do. */
void fk_recorder_flush(fk_recorder *r, bool final);

/* perf.data: fn may rename each user frame's symbol after it is looked up (how perf
 * 6.1 names PLT stubs); the names it sets must outlive the recorder. */
void fk_recorder_set_symbol_hook(fk_recorder *r, void (*fn)(fk_symbol *sym, void *ctx), void *ctx);

/* perf.data: the binary mapped as path is read from file (fk_symbolizer_read_binary_from). */
void fk_recorder_read_binary_from(fk_recorder *r, const char *path, const char *file);

/* perf.data: kernel symbols from a copy of /proc/kallsyms (fk_symbolizer_kallsyms_from). */
void fk_recorder_kallsyms_from(fk_recorder *r, const char *path);

const fk_recorder_stats *fk_recorder_stats_get(const fk_recorder *r);

#endif
