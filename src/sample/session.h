/* session.h: one recording session, the machinery `flamekit record` and `flamekit agent`
 * share: opens the target (a command started under sampling, running processes, a
 * cgroup or the whole system), samples it (perf_event_open through the recorder, or
 * Python stacks read on a timer by the pysampler), folds the samples into a profile the
 * caller owns, and tells when the target is gone. The caller decides when to look at
 * the profile: record at the end, the agent once per window (fk_profile_clear_counts
 * between windows: node ids the recorder caches stay valid). */
#ifndef FK_SESSION_H
#define FK_SESSION_H

#include <signal.h>

#include "../input/perf_script.h"
#include "../stack/profile.h"
#include "perf_event.h"
#include "pysampler.h"
#include "recorder.h"

typedef struct fk_session_options {
	/* the target: exactly one of a command, pids, system, cgroup */
	char **command;         /* argv, NULL-terminated; ncommand > 0 */
	size_t ncommand;
	const int *pids;        /* running processes (all their threads) */
	size_t npids;
	bool system;            /* every task (on cpus) */
	const char *cgroup;     /* a cgroup v2 directory */
	const int *cpus;        /* NULL: every online CPU */
	size_t ncpus;

	/* perf_event_open sampling */
	const char *event;      /* NULL: cpu-clock (sched:sched_switch with off_cpu) */
	unsigned long freq;     /* -F, time-based events */
	unsigned long period;   /* -c, other events (0: 1) */
	unsigned long mmap_pages; /* 0: the default for the mode */
	bool off_cpu, wall, user_only, count_period;
	fk_callgraph callgraph;
	uint32_t stack_bytes;
	uint64_t min_block_us;
	fk_perf_options naming;

	/* Python: python alone samples Python stacks on a timer at freq (no perf_event_open);
	 * python + native merges them into perf_event_open samples */
	bool python, native;
	fk_pysampler_options py; /* naming is taken from naming above */

	/* set by the caller's signal handler: waits return early when it is non-zero */
	volatile sig_atomic_t *stop;
} fk_session_options;

typedef enum {
	FK_SESSION_RUNNING,        /* the time asked for has passed (or *stop was set) */
	FK_SESSION_COMMAND_EXITED, /* the command exited (fk_session_command_status) */
	FK_SESSION_TARGETS_GONE,   /* every process sampled (-p) has exited */
} fk_session_state;

typedef struct fk_session fk_session;

/* The options are copied (the arrays and strings they point to must outlive the
 * session); profile receives the stacks. */
fk_session *fk_session_new(const fk_session_options *options, fk_profile *profile);
/* Kills a command that was prepared but not started, frees everything. */
void fk_session_free(fk_session *s);

/* Prepares the target and opens the sampling (the command is forked and held). Returns
 * 0, or -1 with err. When the kernel refused kernel frames (perf_event_paranoid), it
 * goes on with user frames only: fk_session_kernel_excluded says so. */
int fk_session_open(fk_session *s, fk_error *err);
bool fk_session_kernel_excluded(const fk_session *s);

/* Starts sampling: releases the command (or enables the events). Returns 0, or -1 with
 * err; *command_failed is then set when the command could not be run (exit status 127
 * for a shell). */
int fk_session_start(fk_session *s, bool *command_failed, fk_error *err);

/* Samples and folds until the monotonic time until (seconds, fk_session_now), *stop, the
 * command's exit or every process's exit. */
fk_session_state fk_session_run_until(fk_session *s, double until);

/* Stops sampling and folds everything read. A command still running is ended with
 * signal (SIGTERM if 0) and waited for. */
void fk_session_stop(fk_session *s, int signal);

/* The command's wait status (after COMMAND_EXITED or fk_session_stop). */
int fk_session_command_status(const fk_session *s);
bool fk_session_command_started(const fk_session *s);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in seconds. */
double fk_session_now(void);
double fk_session_wall_now(void);
/* When sampling started (fk_session_start), monotonic and wall clock. */
double fk_session_start_time(const fk_session *s);
double fk_session_start_wall(const fk_session *s);

/* The perf_event_open event sampled (not with python alone). */
const fk_event_spec *fk_session_event(const fk_session *s);
/* The recorder's counts (NULL with python alone). */
const fk_recorder_stats *fk_session_recorder_stats(const fk_session *s);
/* The Python sampler (python; NULL otherwise), and its ticks skipped for being late. */
fk_pysampler *fk_session_pysampler(const fk_session *s);
uint64_t fk_session_late_ticks(const fk_session *s);
/* Samples (stacks) folded so far, whichever the mode. */
uint64_t fk_session_samples(const fk_session *s);

#endif
