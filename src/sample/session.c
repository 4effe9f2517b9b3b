/* session.c: a recording session (session.h): the target, the sampler and the folding,
 * for `flamekit record` and `flamekit agent` alike. */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../symbol/inline.h"
#include "../symbol/sym_util.h"
#include "unwind.h"
#include "workload.h"

enum { MAX_CPUS = 4096 };

struct fk_session {
	fk_session_options opt;
	fk_profile *profile;
	bool timer_python; /* python without native: pysampler ticks, no perf_event_open */

	/* the target */
	fk_workload work;
	bool work_prepared, work_started, work_exited;
	int work_status;
	int *tids;
	size_t ntids, tids_cap;
	int *cpus;

	/* perf_event_open */
	fk_sampler_config sc;
	fk_sampler *sampler;
	fk_recorder *recorder;
	fk_inliner *inliner;
	bool kernel_excluded;
	bool stopped;

	/* python */
	fk_pysampler *python;
	double py_next;
	uint64_t late;

	double start, start_wall;
};

double fk_session_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double fk_session_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

fk_session *fk_session_new(const fk_session_options *options, fk_profile *profile)
{
	fk_session *s = fk_xcalloc(1, sizeof(*s));
	s->opt = *options;
	s->profile = profile;
	s->timer_python = options->python && !options->native;
	s->work = (fk_workload){.pid = -1, .go_fd = -1, .status_fd = -1};
	return s;
}

void fk_session_free(fk_session *s)
{
	if (!s)
		return;
	if (s->work_prepared && !s->work_started)
		fk_workload_abort(&s->work);
	fk_sampler_free(s->sampler);
	fk_recorder_free(s->recorder);
	fk_pysampler_free(s->python);
	fk_inliner_free(s->inliner);
	free(s->tids);
	free(s->cpus);
	free(s);
}

bool fk_session_kernel_excluded(const fk_session *s)
{
	return s->kernel_excluded;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static fk_pysampler_options python_options(const fk_session_options *o)
{
	fk_pysampler_options po = o->py;
	po.naming = o->naming;
	return po;
}

/* The threads of the -p processes (perf_event_open follows the threads they start). */
static int add_pid_threads(fk_session *s, fk_error *err)
{
	for (size_t i = 0; i < s->opt.npids; i++)
		if (fk_proc_task_ids(s->opt.pids[i], &s->tids, &s->ntids, &s->tids_cap) <= 0)
			return fk_error_set(err, "no such process: %d", s->opt.pids[i]);
	return 0;
}

static int open_timer_python(fk_session *s, fk_error *err)
{
	fk_pysampler_options po = python_options(&s->opt);
	s->python = fk_pysampler_new(&po, s->profile);
	if (s->opt.ncommand) {
		if (fk_workload_prepare(&s->work, s->opt.command, err) < 0)
			return -1;
		s->work_prepared = true;
		return 0;
	}
	if (add_pid_threads(s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->opt.npids; i++)
		if (fk_pysampler_add(s->python, s->opt.pids[i], err) < 0)
			return -1;
	return 0;
}

int fk_session_open(fk_session *s, fk_error *err)
{
	const fk_session_options *o = &s->opt;
	if (s->timer_python)
		return open_timer_python(s, err);

	raise_fd_limit();
	fk_sampler_config *sc = &s->sc;
	const char *event = o->event ? o->event : o->off_cpu ? "sched:sched_switch" : "cpu-clock";
	if (fk_event_parse(event, &sc->event, err) < 0)
		return -1;
	if (o->cpus) {
		sc->cpus = o->cpus;
		sc->ncpus = o->ncpus;
	} else {
		s->cpus = fk_xcalloc(MAX_CPUS, sizeof(int));
		sc->cpus = s->cpus;
		sc->ncpus = fk_online_cpus(s->cpus, MAX_CPUS);
	}
	sc->frequency = o->freq;
	sc->period = o->off_cpu ? 1 : o->period;
	sc->context_switch = o->off_cpu;
	if (o->wall) {
		sc->with_second = true;
		sc->second_period = 1;
		sc->second_context_switch = true;
		if (fk_event_parse("sched:sched_switch", &sc->second, err) < 0)
			return -1;
	}
	sc->callgraph = o->callgraph;
	sc->stack_bytes = o->stack_bytes;
	sc->regs_mask = FK_UNWIND_REGS_MASK;
	sc->exclude_kernel = o->user_only;
	/* dwarf samples carry 8 KiB of stack; switch events come by the hundred thousand */
	sc->buffer_pages = o->mmap_pages ? o->mmap_pages
			   : o->off_cpu || o->wall ? 1024
			   : o->callgraph == FK_CALLGRAPH_DWARF ? 512
								 : 128;

	if (o->native) {
		fk_pysampler_options po = python_options(o);
		po.idle = po.gil_only = po.blocking = po.subprocesses = false;
		s->python = fk_pysampler_new(&po, s->profile);
		sc->wake_each_sample = true;
	}
	fk_recorder_options ro = {o->naming, o->callgraph, o->count_period, true,
				  o->off_cpu ? 0 : o->wall ? 1 : -1, o->wall,
				  o->min_block_us * 1000, s->python, o->py.threads,
				  false, NULL, NULL, NULL};
	if (o->naming.show_inline)
		s->inliner = fk_inliner_new(o->naming.show_context);
	s->recorder = fk_recorder_new(&ro, s->profile, s->inliner);

	if (o->ncommand) {
		sc->target = FK_TARGET_TASKS;
		if (fk_workload_prepare(&s->work, o->command, err) < 0)
			return -1;
		s->work_prepared = true;
		fk_grow((void **)&s->tids, sizeof(int), &s->tids_cap, 1);
		s->tids[s->ntids++] = s->work.pid;
		sc->enable_on_exec = true;
	} else if (o->npids) {
		sc->target = FK_TARGET_TASKS;
		if (add_pid_threads(s, err) < 0)
			return -1;
		for (size_t i = 0; s->python && i < o->npids; i++)
			if (fk_pysampler_add(s->python, o->pids[i], err) < 0)
				return -1;
	} else if (o->system) {
		sc->target = FK_TARGET_SYSTEM;
	} else {
		sc->target = FK_TARGET_CGROUP;
		sc->cgroup = o->cgroup;
	}
	sc->tids = s->tids;
	sc->ntids = s->ntids;

	bool eperm_kernel = false;
	if (fk_sampler_open(sc, &s->sampler, &eperm_kernel, err) < 0) {
		fk_error first = *err;
		if (!eperm_kernel || sc->exclude_kernel)
			return -1;
		/* perf_event_paranoid 2 allows user space only: go on without the kernel */
		sc->exclude_kernel = true;
		if (fk_sampler_open(sc, &s->sampler, NULL, err) < 0) {
			*err = first;
			return -1;
		}
		s->kernel_excluded = true;
	}

	/* the processes' mappings, now that their new mmaps are being recorded */
	for (size_t i = 0; i < o->npids; i++) {
		fk_error why = {{0}};
		if (fk_recorder_add_process(s->recorder, o->pids[i], &why) < 0)
			return fk_error_set(err, "process %d: %s (profiling another user's process needs "
						 "root or CAP_PERFMON and ptrace permission: "
						 "CAP_SYS_PTRACE, kernel.yama.ptrace_scope)",
					    o->pids[i], why.msg);
	}
	return 0;
}

int fk_session_start(fk_session *s, bool *command_failed, fk_error *err)
{
	*command_failed = false;
	s->start = fk_session_now();
	s->start_wall = fk_session_wall_now();
	if (s->opt.ncommand) {
		if (fk_workload_start(&s->work, s->opt.command[0], err) < 0) {
			s->work_prepared = false; /* reaped */
			*command_failed = true;
			return -1;
		}
		s->work_started = true;
		if (s->timer_python)
			fk_pysampler_watch(s->python, s->work.pid);
	} else if (!s->timer_python && fk_sampler_enable(s->sampler, err) < 0) {
		return -1;
	}
	if (s->timer_python) {
		/* ticks on a fixed schedule; a tick that comes too late is skipped, not made
		 * up. The default 50 us timer slack would delay every wake-up: 1 us. */
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
		s->py_next = s->start;
	}
	return 0;
}

static bool stop_asked(const fk_session *s)
{
	return s->opt.stop && *s->opt.stop;
}

/* The command has exited (reaped now)? */
static bool reap_command(fk_session *s)
{
	if (!s->work_started || s->work_exited)
		return false;
	int st;
	if (waitpid(s->work.pid, &st, WNOHANG) != s->work.pid)
		return false;
	s->work_exited = true;
	s->work_status = st;
	return true;
}

static fk_session_state run_python_until(fk_session *s, double until)
{
	double period = 1.0 / (double)s->opt.freq;
	while (!stop_asked(s)) {
		double now = fk_session_now();
		if (now >= s->py_next) {
			size_t live = fk_pysampler_tick(s->python);
			if (reap_command(s) && (!s->opt.py.subprocesses || live == 0))
				return FK_SESSION_COMMAND_EXITED;
			if (live == 0 && (!s->opt.ncommand || s->work_exited))
				return s->opt.ncommand ? FK_SESSION_COMMAND_EXITED : FK_SESSION_TARGETS_GONE;
			now = fk_session_now();
			s->py_next += period;
			if (s->py_next < now) {
				uint64_t skip = (uint64_t)((now - s->py_next) / period) + 1;
				s->late += skip;
				s->py_next += (double)skip * period;
			}
		}
		if (now >= until)
			break;
		double wake = s->py_next < until ? s->py_next : until;
		struct timespec ts = {(time_t)wake, (long)((wake - (double)(time_t)wake) * 1e9)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_asked(s))
			;
	}
	return FK_SESSION_RUNNING;
}

fk_session_state fk_session_run_until(fk_session *s, double until)
{
	if (s->timer_python)
		return run_python_until(s, until);
	while (!stop_asked(s)) {
		double now = fk_session_now();
		if (now >= until)
			break;
		int timeout = 250;
		if ((until - now) * 1000 < timeout)
			timeout = (int)((until - now) * 1000) + 1;
		int hung = fk_sampler_wait(s->sampler, timeout);
		fk_recorder_round(s->recorder, s->sampler, false);
		if (reap_command(s))
			return FK_SESSION_COMMAND_EXITED;
		if (hung > 0 && !s->opt.ncommand && s->opt.npids)
			return FK_SESSION_TARGETS_GONE; /* every process attached to has exited */
	}
	return FK_SESSION_RUNNING;
}

void fk_session_stop(fk_session *s, int signal)
{
	if (!s->stopped && s->sampler) {
		fk_sampler_disable(s->sampler);
		fk_recorder_round(s->recorder, s->sampler, true);
	}
	s->stopped = true;
	if (s->work_started && !s->work_exited) {
		/* sampling stopped while the command runs: end it too (as perf record does) */
		kill(s->work.pid, signal ? signal : SIGTERM);
		int st = 0;
		while (waitpid(s->work.pid, &st, 0) < 0 && errno == EINTR)
			;
		s->work_status = st;
		s->work_exited = true;
	}
}

int fk_session_command_status(const fk_session *s)
{
	return s->work_status;
}

bool fk_session_command_started(const fk_session *s)
{
	return s->work_started;
}

double fk_session_start_time(const fk_session *s)
{
	return s->start;
}

double fk_session_start_wall(const fk_session *s)
{
	return s->start_wall;
}

const fk_event_spec *fk_session_event(const fk_session *s)
{
	return &s->sc.event;
}

const fk_recorder_stats *fk_session_recorder_stats(const fk_session *s)
{
	return s->recorder ? fk_recorder_stats_get(s->recorder) : NULL;
}

fk_pysampler *fk_session_pysampler(const fk_session *s)
{
	return s->python;
}

uint64_t fk_session_late_ticks(const fk_session *s)
{
	return s->late;
}

uint64_t fk_session_samples(const fk_session *s)
{
	if (s->recorder)
		return fk_recorder_stats_get(s->recorder)->samples;
	return s->python ? fk_pysampler_stats_get(s->python)->samples : 0;
}
