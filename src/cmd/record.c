/* record.c: `flamekit record`, the sampling profiler: runs or attaches to the target,
 * samples it with perf_event_open, and writes a flame graph and/or folded stacks when it
 * ends. Options and orchestration only: src/sample/ does the sampling and folding,
 * src/output/ the writing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../input/preload_file.h"
#include "../output/flamegraph.h"
#include "../output/output_format.h"
#include "../sample/perf_event.h"
#include "../sample/pysampler.h"
#include "../sample/recorder.h"
#include "../sample/session.h"
#include "../sample/unwind.h"
#include "../sample/workload.h"
#include "../symbol/sym_util.h"
#include "cmd.h"
#include "cmd_io.h"
#include "graph_options.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_PIDS,
	OPT_SYSTEM,
	OPT_CPUS,
	OPT_CGROUP,
	OPT_FREQ,
	OPT_PERIOD,
	OPT_DURATION,
	OPT_PRESET,
	OPT_EVENT,
	OPT_G,
	OPT_CALLGRAPH,
	OPT_MMAP_PAGES,
	OPT_QUIET,
	OPT_COUNT_PERIOD,
	OPT_USER_ONLY,
	OPT_OFF_CPU,
	OPT_WALL,
	OPT_ALLOC,
	OPT_LOCK,
	OPT_ALLOC_INTERVAL,
	OPT_MIN_BLOCK,
	OPT_PYTHON,
	OPT_NATIVE,
	OPT_BLOCKING,
	OPT_FULL_FILENAMES,
	OPT_NO_LINENO,
	OPT_THREADS,
	OPT_IDLE,
	OPT_GIL,
	OPT_SUBPROCESSES,
};

static const fk_option record_options[] = {
	{"output", 'o', true, OPT_OUTPUT, "FILE", "write FILE, format by extension: .svg (flame graph), .folded or .txt (folded stacks); repeatable (default flamekit.svg)"},
	{NULL, 'p', true, OPT_PIDS, "PID[,PID...]", "sample running processes (all threads, and threads they start)"},
	{"all-cpus", 'a', false, OPT_SYSTEM, NULL, "sample the whole system"},
	{"cpu", 'C', true, OPT_CPUS, "CPUS", "only these CPUs, e.g. 0,2-3"},
	{"cgroup", 0, true, OPT_CGROUP, "PATH", "sample the tasks of a cgroup v2 directory (a container, a service)"},
	{"freq", 'F', true, OPT_FREQ, "HZ", "samples per second (default 99)"},
	{"count", 'c', true, OPT_PERIOD, "N", "one sample every N events (events that are not clocks; default 1)"},
	{"duration", 'd', true, OPT_DURATION, "SECONDS", "stop after SECONDS (default: when the command exits, or on Ctrl-C)"},
	{"preset", 0, true, OPT_PRESET, "NAME", "quick (5 s @ 99 Hz), default (10 s @ 99 Hz), detailed (20 s @ 997 Hz)"},
	{"event", 'e', true, OPT_EVENT, "EVENT", "cpu-clock (default), task-clock, page-faults, context-switches, ..., SUBSYS:TRACEPOINT"},
	{"off-cpu", 0, false, OPT_OFF_CPU, NULL, "off-CPU time: how long threads were switched out, charged to their stacks at the switch (microseconds)"},
	{"wall", 0, false, OPT_WALL, NULL, "wall-clock time: on-CPU samples and off-CPU time in one graph, in microseconds, under [running] and [blocked]"},
	{"alloc", 0, false, OPT_ALLOC, "KIND", "allocations (LD_PRELOAD, -- CMD only): space (bytes allocated, the default), objects, inuse (bytes not freed at exit), inuse-objects"},
	{"alloc-interval", 0, true, OPT_ALLOC_INTERVAL, "BYTES", "--alloc: mean bytes between samples (default 524288, as Go's heap profiler)"},
	{"lock", 0, false, OPT_LOCK, "KIND", "contended pthread mutex/rwlock waits (LD_PRELOAD, -- CMD only): wait (microseconds, the default) or count"},
	{"python", 0, false, OPT_PYTHON, NULL, "Python stacks: read each thread's Python frames from the process's memory (CPython 3.9-3.13; -p or -- CMD; no perf_event_open needed)"},
	{"native", 0, false, OPT_NATIVE, NULL, "--python: sample with perf_event_open and put the Python frames in place of the interpreter's in native (and kernel) stacks"},
	{"blocking", 0, false, OPT_BLOCKING, NULL, "--python: stop the threads while their stacks are read (exact stacks, slower)"},
	{"full-filenames", 0, false, OPT_FULL_FILENAMES, NULL, "--python: whole file paths in frame names"},
	{"no-lineno", 0, false, OPT_NO_LINENO, NULL, "--python: no line numbers in frame names"},
	{"threads", 0, false, OPT_THREADS, NULL, "--python: a \"thread NAME (TID)\" frame under the process frame"},
	{"idle", 0, false, OPT_IDLE, NULL, "--python: sample sleeping threads too (default: running ones)"},
	{"gil", 0, false, OPT_GIL, NULL, "--python: only the thread holding the GIL"},
	{"subprocesses", 0, false, OPT_SUBPROCESSES, NULL, "--python: follow child processes that run Python"},
	{"min-block", 0, true, OPT_MIN_BLOCK, "US", "--off-cpu: drop blocks shorter than US microseconds"},
	{NULL, 'g', false, OPT_G, NULL, "call graphs (the default: --call-graph fp)"},
	{"call-graph", 0, true, OPT_CALLGRAPH, "MODE", "fp (default), dwarf[,BYTES] (unwind copied user stacks; for code without frame pointers), lbr, none"},
	{"mmap-pages", 'm', true, OPT_MMAP_PAGES, "N", "ring buffer pages per CPU, a power of two (default 128; 512 with dwarf; 1024 with --off-cpu, --wall)"},
	{"user-only", 0, false, OPT_USER_ONLY, NULL, "no kernel frames"},
	{"period", 0, false, OPT_COUNT_PERIOD, NULL, "count each sample's period (as perf script | stackcollapse-perf.pl does), not 1"},
	CMD_NAMING_OPTIONS(""),
	CMD_GRAPH_OPTIONS,
	{"quiet", 'q', false, OPT_QUIET, NULL, "no progress line and no summary"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit record [options] [--] CMD [ARGS...]\n"
		     "       flamekit record [options] -p PID[,PID...] | -a | --cgroup PATH\n\n"
		     "Samples a command (and every thread and child it starts), running processes, a\n"
		     "cgroup or the whole system with perf_event_open, and writes a flame graph (and/or\n"
		     "folded stacks) when it stops: when the command exits, after -d SECONDS, or on\n"
		     "Ctrl-C / SIGTERM. Frames are named as `perf script | flamekit collapse` names them.\n"
		     "The SVG's title is the command line, the event and the rate (--title to change).\n"
		     "The exit status is the command's.\n\n");
	fk_options_print(out, record_options, FK_ARRAY_LEN(record_options));
	fprintf(out, "\nexamples:\n"
		     "  flamekit record -- ./myprogram --its-args      # writes flamekit.svg\n"
		     "  flamekit record -F 997 -p 1234 -d 30 -o cpu.svg -o cpu.folded\n"
		     "  flamekit record --call-graph dwarf -- ./built-without-frame-pointers\n"
		     "  flamekit record -a --preset quick -o system.svg\n");
}

enum { MAX_OUTPUTS = 16, MAX_CPUS = 4096 };

struct cli {
	const char *prog;
	const char *outputs[MAX_OUTPUTS];
	size_t noutputs;
	const char *pids_text, *cpus_text, *cgroup, *event, *preset;
	bool system, quiet, user_only, count_period, freq_given, duration_given, off_cpu, wall;
	unsigned long min_block_us;
	bool palette_given;
	bool python, native, blocking, full_filenames, no_lineno, threads, idle, gil, subprocesses;
	bool python_only_given; /* a --python option was given (checked against --python) */
	bool callgraph_given;
	bool preload; /* --alloc or --lock */
	fk_preload_profile_kind preload_kind;
	unsigned long alloc_interval;
	unsigned long freq, period, mmap_pages;
	double duration;
	fk_callgraph callgraph;
	uint32_t stack_bytes;
	fk_perf_options naming;
	cmd_graph_options graph;
	char **command;
	size_t ncommand;
};

static int parse_callgraph(struct cli *c, const char *a)
{
	if (strcmp(a, "fp") == 0) {
		c->callgraph = FK_CALLGRAPH_FP;
	} else if (strcmp(a, "lbr") == 0) {
		c->callgraph = FK_CALLGRAPH_LBR;
	} else if (strcmp(a, "none") == 0 || strcmp(a, "no") == 0) {
		c->callgraph = FK_CALLGRAPH_NONE;
	} else if (strncmp(a, "dwarf", 5) == 0 && (a[5] == '\0' || a[5] == ',')) {
		c->callgraph = FK_CALLGRAPH_DWARF;
		if (a[5] == ',') {
			unsigned long n;
			/* the kernel takes up to 65528 bytes, a multiple of 8 */
			if (fk_parse_uint(a + 6, 8, 65528, &n) < 0)
				return cmd_bad_value(c->prog, "--call-graph dwarf,SIZE", a + 6,
						 "a stack size in bytes from 8 to 65528");
			c->stack_bytes = (uint32_t)(n & ~7ul);
		}
	} else {
		return cmd_bad_value(c->prog, "--call-graph", a, "fp, dwarf[,SIZE], lbr or none");
	}
	return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, record_options, FK_ARRAY_LEN(record_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		const char *a = op.arg;
		char *end;
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", c->prog, err.msg);
			usage(stderr);
			return 2;
		case FK_OPT_OPERAND:
			/* the command: this operand and everything after it */
			c->command = argv + op.index - 1;
			c->ncommand = (size_t)(argc - (op.index - 1));
			goto done;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_OUTPUT:
			if (c->noutputs == MAX_OUTPUTS)
				return cmd_bad_value(c->prog, "-o", a, "at most 16 outputs");
			c->outputs[c->noutputs++] = a;
			break;
		case OPT_PIDS:
			c->pids_text = a;
			break;
		case OPT_SYSTEM:
			c->system = true;
			break;
		case OPT_CPUS:
			c->cpus_text = a;
			break;
		case OPT_CGROUP:
			c->cgroup = a;
			break;
		case OPT_FREQ:
			if (fk_parse_uint(a, 1, 100000, &c->freq) < 0)
				return cmd_bad_value(c->prog, "-F", a, "a rate in Hz from 1 to 100000");
			c->freq_given = true;
			break;
		case OPT_PERIOD:
			if (fk_parse_uint(a, 1, (unsigned long)-1 / 2, &c->period) < 0)
				return cmd_bad_value(c->prog, "-c", a, "a number of events");
			break;
		case OPT_DURATION:
			errno = 0;
			c->duration = strtod(a, &end);
			if (errno || end == a || *end || !(c->duration > 0) || c->duration > 1e7)
				return cmd_bad_value(c->prog, "-d", a, "a number of seconds");
			c->duration_given = true;
			break;
		case OPT_PRESET:
			c->preset = a;
			break;
		case OPT_EVENT:
			c->event = a;
			break;
		case OPT_G:
			c->callgraph = FK_CALLGRAPH_FP;
			c->callgraph_given = true;
			break;
		case OPT_CALLGRAPH:
			if (parse_callgraph(c, a))
				return 2;
			c->callgraph_given = true;
			break;
		case OPT_MMAP_PAGES:
			if (fk_parse_uint(a, 1, 1ul << 20, &c->mmap_pages) < 0 ||
			    (c->mmap_pages & (c->mmap_pages - 1)))
				return cmd_bad_value(c->prog, "-m", a, "a power of two");
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_USER_ONLY:
			c->user_only = true;
			break;
		case OPT_COUNT_PERIOD:
			c->count_period = true;
			break;
		case OPT_OFF_CPU:
			c->off_cpu = true;
			break;
		case OPT_WALL:
			c->wall = true;
			break;
		case OPT_ALLOC:
		case OPT_LOCK: {
			static const struct {
				int opt;
				const char *name;
				fk_preload_profile_kind kind;
			} kinds[] = {
				{OPT_ALLOC, NULL, FK_PRELOAD_ALLOC_SPACE},
				{OPT_ALLOC, "space", FK_PRELOAD_ALLOC_SPACE},
				{OPT_ALLOC, "objects", FK_PRELOAD_ALLOC_OBJECTS},
				{OPT_ALLOC, "inuse", FK_PRELOAD_INUSE_SPACE},
				{OPT_ALLOC, "inuse-space", FK_PRELOAD_INUSE_SPACE},
				{OPT_ALLOC, "inuse-objects", FK_PRELOAD_INUSE_OBJECTS},
				{OPT_LOCK, NULL, FK_PRELOAD_LOCK_WAIT_US},
				{OPT_LOCK, "wait", FK_PRELOAD_LOCK_WAIT_US},
				{OPT_LOCK, "count", FK_PRELOAD_LOCK_COUNT},
			};
			size_t k;
			for (k = 0; k < FK_ARRAY_LEN(kinds); k++)
				if (kinds[k].opt == id && (a ? kinds[k].name && strcmp(a, kinds[k].name) == 0
							     : !kinds[k].name))
					break;
			if (k == FK_ARRAY_LEN(kinds)) {
				fk_preload_profile_kind kind;
				/* pprof's names too: alloc_space, inuse_objects, lock_wait_us... */
				if (!a || !fk_preload_kind_parse(a, &kind) ||
				    (strcmp(fk_preload_kind_mode(kind), "lock") == 0) != (id == OPT_LOCK))
					return cmd_bad_value(c->prog, id == OPT_ALLOC ? "--alloc" : "--lock", a ? a : "",
							 id == OPT_ALLOC ? "space, objects, inuse or inuse-objects"
									 : "wait or count");
				c->preload_kind = kind;
			} else {
				c->preload_kind = kinds[k].kind;
			}
			if (c->preload) {
				fprintf(stderr, "%s: choose one of --alloc and --lock\n", c->prog);
				return 2;
			}
			c->preload = true;
			break;
		}
		case OPT_ALLOC_INTERVAL:
			if (fk_parse_uint(a, 1, 1ul << 40, &c->alloc_interval) < 0)
				return cmd_bad_value(c->prog, "--alloc-interval", a, "a number of bytes");
			break;
		case OPT_PYTHON:
			c->python = true;
			break;
		case OPT_NATIVE:
		case OPT_BLOCKING:
		case OPT_FULL_FILENAMES:
		case OPT_NO_LINENO:
		case OPT_THREADS:
		case OPT_IDLE:
		case OPT_GIL:
		case OPT_SUBPROCESSES:
			c->python_only_given = true;
			c->native |= id == OPT_NATIVE;
			c->blocking |= id == OPT_BLOCKING;
			c->full_filenames |= id == OPT_FULL_FILENAMES;
			c->no_lineno |= id == OPT_NO_LINENO;
			c->threads |= id == OPT_THREADS;
			c->idle |= id == OPT_IDLE;
			c->gil |= id == OPT_GIL;
			c->subprocesses |= id == OPT_SUBPROCESSES;
			break;
		case OPT_MIN_BLOCK:
			if (fk_parse_uint(a, 0, 1ul << 40, &c->min_block_us) < 0)
				return cmd_bad_value(c->prog, "--min-block", a, "a number of microseconds");
			break;
		default:
			if (cmd_graph_option_id(id)) {
				c->palette_given |= id == CMD_GRAPH_COLORS;
				int rc = cmd_graph_option(c->prog, &c->graph, id, a);
				if (rc)
					return rc;
			} else {
				cmd_naming_option(id, &c->naming);
			}
			break;
		}
	}
done:
	if (cmd_graph_options_finish(c->prog, &c->graph))
		return 2;
	if (c->preset) {
		double d;
		unsigned long f;
		if (strcmp(c->preset, "quick") == 0)
			d = 5, f = 99;
		else if (strcmp(c->preset, "default") == 0)
			d = 10, f = 99;
		else if (strcmp(c->preset, "detailed") == 0)
			d = 20, f = 997;
		else
			return cmd_bad_value(c->prog, "--preset", c->preset, "quick, default or detailed");
		if (!c->duration_given)
			c->duration = d;
		if (!c->freq_given)
			c->freq = f;
	}
	int targets = (c->ncommand > 0) + (c->pids_text != NULL) + c->system + (c->cgroup != NULL);
	if (targets == 0) {
		fprintf(stderr, "%s: nothing to sample: give a command (-- CMD ARGS), -p PID, -a or --cgroup PATH\n",
			c->prog);
		usage(stderr);
		return 2;
	}
	if (targets > 1) {
		fprintf(stderr, "%s: choose one target: a command, -p, -a or --cgroup\n", c->prog);
		return 2;
	}
	if ((c->off_cpu || c->wall) && c->event) {
		fprintf(stderr, "%s: --%s records sched:sched_switch; it does not go with -e\n", c->prog,
			c->off_cpu ? "off-cpu" : "wall");
		return 2;
	}
	if (c->preload && (c->off_cpu || c->wall || c->event || c->ncommand == 0)) {
		fprintf(stderr, "%s: --alloc and --lock preload a library into a command: use them with "
				"-- CMD, and without --off-cpu, --wall or -e\n",
			c->prog);
		return 2;
	}
	if (c->python_only_given && !c->python) {
		fprintf(stderr, "%s: --native, --blocking, --threads, --idle, --gil, --subprocesses, "
				"--full-filenames and --no-lineno go with --python\n",
			c->prog);
		return 2;
	}
	if (c->python && (c->system || c->cgroup || c->preload || c->off_cpu || c->wall)) {
		fprintf(stderr, "%s: --python samples a command or -p PIDs, without -a, --cgroup, "
				"--off-cpu, --wall, --alloc or --lock\n",
			c->prog);
		return 2;
	}
	if (c->python && !c->native && (c->event || c->cpus_text || c->user_only)) {
		fprintf(stderr, "%s: -e, -C and --user-only are for perf_event_open sampling: with "
				"--python, add --native\n",
			c->prog);
		return 2;
	}
	if (c->native && (c->blocking || c->idle || c->gil || c->subprocesses)) {
		fprintf(stderr, "%s: --native samples threads as they run on a CPU: --blocking, --idle, "
				"--gil and --subprocesses are for --python alone\n",
			c->prog);
		return 2;
	}
	/* libpython is built without frame pointers: unwind with DWARF unless told */
	if (c->native && !c->callgraph_given)
		c->callgraph = FK_CALLGRAPH_DWARF;
	if (c->off_cpu && c->wall) {
		fprintf(stderr, "%s: choose --off-cpu or --wall (which has the off-CPU time too)\n", c->prog);
		return 2;
	}
	if (c->naming.show_context && !c->naming.show_inline) {
		fprintf(stderr, "%s: --context needs --inline\n", c->prog);
		return 2;
	}
	if (c->noutputs == 0)
		c->outputs[c->noutputs++] = "flamekit.svg";
	for (size_t i = 0; i < c->noutputs; i++) {
		const char *o = c->outputs[i];
		size_t n = strlen(o);
		bool ok = (n > 4 && (strcmp(o + n - 4, ".svg") == 0 || strcmp(o + n - 4, ".txt") == 0)) ||
			  (n > 7 && strcmp(o + n - 7, ".folded") == 0) || strcmp(o, "-") == 0 ||
			  fk_output_format_from_path(o) != FK_OUT_FOLDED;
		if (!ok) {
			fprintf(stderr, "%s: -o %s: unknown output format (want FILE.svg, FILE.folded or FILE.txt)\n",
				c->prog, o);
			return 2;
		}
		/* fail now, not after a long recording */
		char *dir = fk_xstrdup(o);
		char *slash = strrchr(dir, '/');
		const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
		struct stat st;
		if (strcmp(o, "-") != 0 && (stat(d, &st) != 0 || !S_ISDIR(st.st_mode) || access(d, W_OK) != 0)) {
			fprintf(stderr, "%s: cannot write %s: directory %s: %s\n", c->prog, o, d,
				errno ? strerror(errno) : "not writable");
			free(dir);
			return 1;
		}
		free(dir);
	}
	return -1;
}

/* ---- targets ---- */

/* ---- targets ---- */

/* -p PID[,PID...] into pids (npids of them). Returns 0 or an exit status. */
/* ---- the run ---- */

static void command_line(const struct cli *c, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->ncommand && len + 1 < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", c->command[i]);
	if (len >= cap && cap > 4)
		strcpy(buf + cap - 4, "...");
}

/* What is sampled, for titles: the command line, "PID ...", the system or a cgroup. */
static void target_text(const struct cli *c, char *buf, size_t cap)
{
	if (c->ncommand)
		command_line(c, buf, cap);
	else if (c->pids_text)
		snprintf(buf, cap, "PID %s", c->pids_text);
	else if (c->system)
		snprintf(buf, cap, "whole system%s%s", c->cpus_text ? ", CPUs " : "",
			 c->cpus_text ? c->cpus_text : "");
	else
		snprintf(buf, cap, "cgroup %s", c->cgroup);
}

/* The drawing options with this recording's title and subtitle where none was given. */
static fk_flamegraph_options graph_with_titles(const struct cli *c, const char *title,
					       const char *subtitle)
{
	fk_flamegraph_options fg = c->graph.fg;
	if (!fg.title || !*fg.title)
		fg.title = title;
	if (!fg.subtitle || !*fg.subtitle)
		fg.subtitle = subtitle;
	return fg;
}

/* Writes every -o file in the format its name says (svg, pprof, speedscope, else
 * folded), each whole or not at all. False if one failed (said why). */
static bool write_outputs(const struct cli *c, const fk_profile *profile,
			  const fk_flamegraph_options *fg)
{
	bool ok = true;
	for (size_t i = 0; i < c->noutputs; i++) {
		fk_output_options o = {.format = fk_output_format_from_path(c->outputs[i]),
				       .flamegraph = fg,
				       .name = fg->title};
		ok &= cmd_write_profile(c->prog, c->outputs[i], profile, &o) == 0;
	}
	return ok;
}

/* What the counts of a recording measure (pprof's sample type and unit), with the
 * sampling period and the wall-clock start and length of the recording. */
static void set_meta(fk_profile *profile, const char *type, const char *unit,
		     const char *period_type, const char *period_unit, int64_t period,
		     double start_wall, double elapsed)
{
	fk_profile_meta m = {0};
	snprintf(m.sample_type, sizeof(m.sample_type), "%s", type);
	snprintf(m.unit, sizeof(m.unit), "%s", unit);
	snprintf(m.period_type, sizeof(m.period_type), "%s", period_type ? period_type : "");
	snprintf(m.period_unit, sizeof(m.period_unit), "%s", period_unit ? period_unit : "");
	m.period = period;
	m.time_ns = (int64_t)(start_wall * 1e9);
	m.duration_ns = (int64_t)(elapsed * 1e9);
	fk_profile_set_meta(profile, &m);
}

/* The progress line on a terminal: time, samples and (perf_event_open) samples lost. */
static void progress(const struct cli *c, const fk_session *session, double start)
{
	if (!isatty(2) || c->quiet)
		return;
	const fk_recorder_stats *st = fk_session_recorder_stats(session);
	fprintf(stderr, "\r%s: %.1f s, %llu samples", c->prog, fk_session_now() - start,
		(unsigned long long)fk_session_samples(session));
	if (st)
		fprintf(stderr, ", %llu lost", (unsigned long long)st->lost);
	fputs(" ", stderr);
	fflush(stderr);
}

/* Samples until -d's time, a stop signal, the command's exit or every -p process's exit
 * (*all_gone), showing progress; stops the session. Returns the seconds sampled. */
static double sample_until_done(const struct cli *c, fk_session *session, bool *all_gone)
{
	double start = fk_session_start_time(session);
	double deadline = c->duration > 0 ? start + c->duration : 0;
	*all_gone = false;
	while (!cmd_stop_signal) {
		double until = fk_session_now() + 0.5;
		if (deadline && until > deadline)
			until = deadline;
		fk_session_state state = fk_session_run_until(session, until);
		if (state != FK_SESSION_RUNNING) {
			*all_gone = state == FK_SESSION_TARGETS_GONE;
			break;
		}
		if (deadline && fk_session_now() >= deadline)
			break;
		progress(c, session, start);
	}
	double elapsed = fk_session_now() - start;
	fk_session_stop(session, cmd_stop_signal);
	if (isatty(2) && !c->quiet)
		fprintf(stderr, "\r\033[K");
	return elapsed;
}

/* The session's options for this command line; cpus/pids are the parsed -C and -p. */
static fk_session_options session_options(const struct cli *c, const int *cpus, size_t ncpus,
					  const int *pids, size_t npids)
{
	fk_session_options so = {
		.command = c->command, .ncommand = c->ncommand, .pids = pids, .npids = npids,
		.system = c->system, .cgroup = c->cgroup, .cpus = cpus, .ncpus = ncpus,
		.event = c->event, .freq = c->freq, .period = c->period, .mmap_pages = c->mmap_pages,
		.off_cpu = c->off_cpu, .wall = c->wall, .user_only = c->user_only,
		.count_period = c->count_period, .callgraph = c->callgraph,
		.stack_bytes = c->stack_bytes, .min_block_us = c->min_block_us, .naming = c->naming,
		.python = c->python, .native = c->native,
		.py = {c->naming, c->idle, c->gil, c->blocking, c->subprocesses, c->threads,
		       c->full_filenames, !c->no_lineno},
		.stop = &cmd_stop_signal,
	};
	return so;
}

/* Opens and starts the session; returns 0 or an exit status (said why). */
static int open_session(const struct cli *c, fk_session *session)
{
	fk_error err = {{0}};
	if (fk_session_open(session, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		return 1;
	}
	if (fk_session_kernel_excluded(session) && !c->quiet)
		fprintf(stderr, "%s: kernel frames are not recorded: kernel.perf_event_paranoid "
				"is %d (kernel sampling needs <= 1, CAP_PERFMON or root)\n",
			c->prog, fk_perf_paranoid());
	cmd_catch_stop_signals(!(c->python && !c->native), false);
	bool command_failed = false;
	if (fk_session_start(session, &command_failed, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		return command_failed ? 127 : 1;
	}
	return 0;
}

static int run(struct cli *c)
{
	int status = 0;
	int *pids = NULL;
	size_t npids = 0;
	fk_profile *profile = fk_profile_new();
	int *cpus = NULL;
	size_t ncpus = 0;
	fk_session *session = NULL;

	if (c->cpus_text) {
		fk_error err = {{0}};
		cpus = fk_xcalloc(MAX_CPUS, sizeof(int));
		int n = fk_parse_cpu_list(c->cpus_text, cpus, MAX_CPUS, &err);
		if (n < 0) {
			fprintf(stderr, "%s: -C: %s\n", c->prog, err.msg);
			status = 2;
			goto out;
		}
		ncpus = (size_t)n;
	}
	if (c->pids_text && (status = cmd_parse_pids(c->prog, c->pids_text, &pids, &npids)) != 0)
		goto out;
	fk_session_options so = session_options(c, cpus, ncpus, pids, npids);
	session = fk_session_new(&so, profile);
	if ((status = open_session(c, session)) != 0)
		goto out;

	double start_wall = fk_session_start_wall(session);
	bool all_gone;
	double elapsed = sample_until_done(c, session, &all_gone);

	/* outputs */
	const fk_recorder_stats *st = fk_session_recorder_stats(session);
	const fk_event_spec *event = fk_session_event(session);
	fk_pysampler *python = fk_session_pysampler(session);
	char cmdline[256], title[512], subtitle[256];
	target_text(c, cmdline, sizeof(cmdline));
	if (c->off_cpu)
		snprintf(title, sizeof(title), "Off-CPU Time: %s", cmdline);
	else if (c->wall)
		snprintf(title, sizeof(title), "Wall-Clock Time: %s (%lu Hz on CPU)", cmdline, c->freq);
	else if (event->time_based)
		snprintf(title, sizeof(title), "%s (%s @ %lu Hz)", cmdline, event->name, c->freq);
	else
		snprintf(title, sizeof(title), "%s (%s)", cmdline, event->name);
	if (c->off_cpu)
		snprintf(subtitle, sizeof(subtitle), "%.1f s recorded, %.3f s blocked in %llu switches, %llu lost",
			 elapsed, (double)st->blocked_ns / 1e9, (unsigned long long)st->samples,
			 (unsigned long long)st->lost);
	else if (c->wall)
		snprintf(subtitle, sizeof(subtitle), "%.1f s recorded, %.3f s running (sampled), %.3f s blocked, %llu lost",
			 elapsed, (double)st->running_ns / 1e9, (double)st->blocked_ns / 1e9,
			 (unsigned long long)st->lost);
	else
		snprintf(subtitle, sizeof(subtitle), "%.1f s, %llu samples, %llu lost", elapsed,
			 (unsigned long long)st->samples, (unsigned long long)st->lost);
	fk_flamegraph_options fg = graph_with_titles(c, title, subtitle);
	if (!event->time_based && strcmp(fg.count_name, "samples") == 0 && c->count_period)
		fg.count_name = "events";
	if ((c->off_cpu || c->wall) && strcmp(fg.count_name, "samples") == 0)
		fg.count_name = "us";
	if (c->off_cpu) {
		if (strcmp(fg.count_name, "samples") == 0)
			fg.count_name = "us";
		if (fg.palette == FK_PALETTE_HOT && !c->palette_given)
			fg.palette = FK_PALETTE_IO;
	}

	if (c->off_cpu || c->wall)
		set_meta(profile, c->off_cpu ? "offcpu" : "wall", "microseconds", NULL, NULL, 0,
			 start_wall, elapsed);
	else if (event->time_based)
		set_meta(profile, "samples", "count", "cpu", "nanoseconds",
			 (int64_t)(1e9 / (double)c->freq), start_wall, elapsed);
	else
		set_meta(profile, "samples", "count", event->name, "count",
			 (int64_t)(c->period ? c->period : 1), start_wall, elapsed);
	bool wrote_all = write_outputs(c, profile, &fg);

	if (!c->quiet) {
		char outs[512];
		size_t len = 0;
		outs[0] = '\0';
		for (size_t i = 0; i < c->noutputs && len < sizeof(outs); i++)
			len += (size_t)snprintf(outs + len, sizeof(outs) - len, "%s%s", i ? ", " : "",
						c->outputs[i]);
		fprintf(stderr, "%s: %.2f s, %llu samples, %llu lost, %.1f samples/s%s; wrote %s\n",
			c->prog, elapsed, (unsigned long long)st->samples,
			(unsigned long long)st->lost, elapsed > 0 ? (double)st->samples / elapsed : 0.0,
			all_gone ? " (the processes exited)" : "", wrote_all ? outs : "(failed)");
		if (st->lost)
			fprintf(stderr, "%s: the kernel dropped %llu samples (ring buffer full): try a "
					"larger -m or a lower -F\n",
				c->prog, (unsigned long long)st->lost);
		if (c->off_cpu)
			fprintf(stderr, "%s: off-CPU: %.3f s blocked in %llu switches\n", c->prog,
				(double)st->blocked_ns / 1e9, (unsigned long long)st->samples);
		if (c->wall)
			fprintf(stderr, "%s: wall clock: %.3f s running (sampled), %.3f s blocked\n", c->prog,
				(double)st->running_ns / 1e9, (double)st->blocked_ns / 1e9);
		if (st->samples == 0)
			fprintf(stderr, "%s: no samples: the target used no CPU while sampled%s\n", c->prog,
				c->ncommand ? " (or exited at once)" : "");
		if (python) {
			const fk_pysampler_stats *ps = fk_pysampler_stats_get(python);
			if (!fk_pysampler_any_python(python))
				fprintf(stderr, "%s: no Python (CPython 3.9-3.13) found in the target: native "
						"stacks only\n",
					c->prog);
			else
				fprintf(stderr, "%s: Python frames merged into %llu samples (%llu where the "
						"thread had moved on between the sample and the read)\n",
					c->prog, (unsigned long long)ps->merged,
					(unsigned long long)ps->mismatched);
		}
	}
	if (!wrote_all)
		status = 1;
	else if (fk_session_command_started(session))
		status = fk_wait_status_code(fk_session_command_status(session));

out:
	fk_session_free(session);
	fk_profile_free(profile);
	free(pids);
	free(cpus);
	return status;
}

/* ---- --python: Python stacks read from the processes' memory on a timer ---- */

static int run_python(struct cli *c)
{
	int status = 0;
	int *pids = NULL;
	size_t npids = 0;
	fk_profile *profile = fk_profile_new();
	fk_session *session = NULL;

	if (c->pids_text && (status = cmd_parse_pids(c->prog, c->pids_text, &pids, &npids)) != 0)
		goto out;
	fk_session_options so = session_options(c, NULL, 0, pids, npids);
	session = fk_session_new(&so, profile);
	if ((status = open_session(c, session)) != 0)
		goto out;
	fk_pysampler *ps = fk_session_pysampler(session);

	double start_wall = fk_session_start_wall(session);
	bool all_gone;
	double elapsed = sample_until_done(c, session, &all_gone);

	const fk_pysampler_stats *st = fk_pysampler_stats_get(ps);
	if (!fk_pysampler_any_python(ps)) {
		const char *why = fk_pysampler_why_not(ps);
		if (strstr(why, "not supported"))
			fprintf(stderr, "%s: %s\n", c->prog, why);
		else
			fprintf(stderr, "%s: %s is not a Python process (CPython 3.9-3.13)%s\n", c->prog,
				c->ncommand ? c->command[0] : "the target",
				c->subprocesses ? " and started none"
						: "; --subprocesses follows the ones it starts");
		status = 1;
		goto out;
	}
	char cmdline[256], title[512], subtitle[256];
	target_text(c, cmdline, sizeof(cmdline));
	double rate = elapsed > 0 ? (double)st->ticks / elapsed : 0;
	snprintf(title, sizeof(title), "%s (Python @ %lu Hz)", cmdline, c->freq);
	snprintf(subtitle, sizeof(subtitle), "%.1f s, %llu samples, %.0f Hz achieved%s", elapsed,
		 (unsigned long long)st->samples, rate, c->idle ? ", idle threads included" : "");
	fk_flamegraph_options fg = graph_with_titles(c, title, subtitle);
	set_meta(profile, "samples", "count", c->idle ? "wall" : "cpu", "nanoseconds",
		 (int64_t)(1e9 / (double)c->freq), start_wall, elapsed);
	bool wrote_all = write_outputs(c, profile, &fg);
	if (!c->quiet) {
		fprintf(stderr, "%s: %.2f s, %llu samples, %llu ticks (%.1f/s of %lu asked; %llu late ticks "
				"skipped), %llu idle threads skipped%s; wrote %s%s\n",
			c->prog, elapsed, (unsigned long long)st->samples, (unsigned long long)st->ticks,
			rate, c->freq, (unsigned long long)fk_session_late_ticks(session),
			(unsigned long long)st->idle, all_gone ? " (the processes exited)" : "",
			wrote_all ? c->outputs[0] : "(failed)",
			wrote_all && c->noutputs > 1 ? ", ..." : "");
		if (st->errors)
			fprintf(stderr, "%s: %llu times the threads could not be stopped (--blocking): "
					"those samples are missing\n",
				c->prog, (unsigned long long)st->errors);
	}
	if (!wrote_all)
		status = 1;
	else if (fk_session_command_started(session))
		status = fk_wait_status_code(fk_session_command_status(session));
out:
	fk_session_free(session);
	fk_profile_free(profile);
	free(pids);
	return status;
}

/* ---- --alloc, --lock: the command runs with libflamekit-preload.so ---- */

/* The preload library: beside the binary (the build tree), or in ../lib/flamekit/ (make
 * install). Returns 0 with path filled, or -1. */
static int find_preload_library(char *path, size_t cap)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	const char *const tries[] = {"%s/libflamekit-preload.so", "%s/../lib/flamekit/libflamekit-preload.so"};
	for (size_t i = 0; i < FK_ARRAY_LEN(tries); i++) {
		snprintf(path, cap, tries[i], exe);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return -1;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int run_preload(struct cli *c)
{
	fk_error err = {{0}};
	char lib[4200];
	if (find_preload_library(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "%s: libflamekit-preload.so not found beside the flamekit binary or in "
				"../lib/flamekit/ (build it with make)\n",
			c->prog);
		return 1;
	}
	char dir[] = "/tmp/flamekit-preload.XXXXXX";
	if (!mkdtemp(dir)) {
		fprintf(stderr, "%s: cannot make a temporary directory: %s\n", c->prog, strerror(errno));
		return 1;
	}
	char prefix[64], interval[32], preload[8400];
	snprintf(prefix, sizeof(prefix), "%s/profile", dir);
	const char *old = getenv("LD_PRELOAD");
	snprintf(preload, sizeof(preload), "%s%s%s", lib, old && *old ? " " : "", old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv("FLAMEKIT_PRELOAD_OUT", prefix, 1);
	setenv("FLAMEKIT_PRELOAD_MODE", fk_preload_kind_mode(c->preload_kind), 1);
	snprintf(interval, sizeof(interval), "%lu", c->alloc_interval ? c->alloc_interval : 524288ul);
	setenv("FLAMEKIT_PRELOAD_INTERVAL", interval, 1);

	int status = 0;
	fk_workload work;
	fk_profile *profile = fk_profile_new();
	fk_processes *ps = fk_processes_new();
	fk_symbolizer *sym = fk_symbolizer_new(true);
	fk_inliner *inliner = c->naming.show_inline ? fk_inliner_new(c->naming.show_context) : NULL;
	fk_diag diag;
	fk_diag_init(&diag);
	fk_perf_parser *parser = fk_perf_parser_new(&c->naming, profile, &diag, inliner);

	double start = fk_session_now(), start_wall = fk_session_wall_now();
	if (fk_workload_prepare(&work, c->command, &err) < 0 ||
	    fk_workload_start(&work, c->command[0], &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = 127;
		goto out;
	}
	/* the library and its variables are for the command only */
	unsetenv("FLAMEKIT_PRELOAD_OUT");
	if (old)
		setenv("LD_PRELOAD", old, 1);
	else
		unsetenv("LD_PRELOAD");
	cmd_catch_stop_signals(false, false);
	double deadline = c->duration > 0 ? start + c->duration : 0;
	int wstatus = 0;
	bool signalled = false;
	for (;;) {
		pid_t w = waitpid(work.pid, &wstatus, deadline ? WNOHANG : 0);
		if (w == work.pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %s\n", c->prog, strerror(errno));
			break;
		}
		if ((cmd_stop_signal || (deadline && fk_session_now() >= deadline)) && !signalled) {
			/* the library writes its file at exit: ask for a clean exit */
			kill(work.pid, cmd_stop_signal ? cmd_stop_signal : SIGTERM);
			signalled = true;
			deadline = 0;
		}
		if (deadline)
			usleep(20000);
	}
	double elapsed = fk_session_now() - start;
	status = fk_wait_status_code(wstatus);

	fk_preload_info info = {0};
	int files = fk_preload_read_prefix(prefix, c->preload_kind, ps, sym, fk_preload_add_to_parser,
					   parser, &info, &err);
	if (files < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = 1;
		goto out;
	}
	if (files == 0 && !c->quiet)
		fprintf(stderr, "%s: the command wrote no %s profile (statically linked, setuid, killed "
				"by a signal, or it replaced LD_PRELOAD?)\n",
			c->prog, fk_preload_kind_mode(c->preload_kind));

	char cmdline[256], title[512], subtitle[256];
	command_line(c, cmdline, sizeof(cmdline));
	bool lock = strcmp(fk_preload_kind_mode(c->preload_kind), "lock") == 0;
	snprintf(title, sizeof(title), "%s: %s (%s)", lock ? "Lock Waits" : "Allocations", cmdline,
		 fk_preload_kind_name(c->preload_kind));
	if (lock)
		snprintf(subtitle, sizeof(subtitle), "%.1f s, %zu processes", elapsed, info.files);
	else
		snprintf(subtitle, sizeof(subtitle), "%.1f s, %zu processes, one sample per %s bytes on average",
			 elapsed, info.files, interval);
	fk_flamegraph_options fg = graph_with_titles(c, title, subtitle);
	if (strcmp(fg.count_name, "samples") == 0)
		fg.count_name = fk_preload_kind_unit(c->preload_kind);
	if (!c->palette_given && fg.palette == FK_PALETTE_HOT)
		fg.palette = lock ? FK_PALETTE_IO : FK_PALETTE_MEM;
	static const char *const preload_units[] = {
		[FK_PRELOAD_ALLOC_SPACE] = "bytes",      [FK_PRELOAD_ALLOC_OBJECTS] = "count",
		[FK_PRELOAD_INUSE_SPACE] = "bytes",      [FK_PRELOAD_INUSE_OBJECTS] = "count",
		[FK_PRELOAD_LOCK_WAIT_US] = "microseconds", [FK_PRELOAD_LOCK_COUNT] = "count",
	};
	set_meta(profile, fk_preload_kind_name(c->preload_kind), preload_units[c->preload_kind],
		 lock ? NULL : "space", lock ? NULL : "bytes", lock ? 0 : (int64_t)c->alloc_interval,
		 start_wall, elapsed);
	bool wrote_all = write_outputs(c, profile, &fg);
	if (!c->quiet)
		fprintf(stderr, "%s: %.2f s, %zu processes, %zu stacks, %.0f %s in all%s; wrote %s%s\n",
			c->prog, elapsed, info.files, info.samples, info.total,
			fk_preload_kind_unit(c->preload_kind),
			info.lost ? " (some samples lost: tables full)" : "", c->outputs[0],
			c->noutputs > 1 ? ", ..." : "");
	if (!wrote_all)
		status = 1;
out:
	unsetenv("FLAMEKIT_PRELOAD_OUT");
	remove_tree(dir);
	fk_perf_parser_free(parser);
	fk_diag_free(&diag);
	fk_inliner_free(inliner);
	fk_symbolizer_free(sym);
	fk_processes_free(ps);
	fk_profile_free(profile);
	return status;
}

int cmd_record(int argc, char **argv)
{
	struct cli c = {.prog = "flamekit record", .freq = 99, .stack_bytes = 8192,
			.callgraph = FK_CALLGRAPH_FP};
	cmd_graph_options_init(&c.graph, argc);
	int status = parse_args(&c, argc, argv);
	if (status < 0)
		status = c.preload ? run_preload(&c) : c.python && !c.native ? run_python(&c) : run(&c);
	cmd_graph_options_free(&c.graph);
	return status;
}
