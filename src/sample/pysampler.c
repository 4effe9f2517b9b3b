/* pysampler.c: sampling Python processes from outside (see pysampler.h). */
#define _GNU_SOURCE
#include "pysampler.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../symbol/python.h"
#include "../symbol/sym_util.h"
#include "../util/arena.h"
#include "../util/diag.h"
#include "pythreads.h"

enum {
	MAX_THREADS = 4096,
	MAX_DEPTH = 1024,
	NAME_TEXT = 1 << 18, /* the names of one stack */
	CHILD_SCAN_TICKS = 10, /* --subprocesses: look for new children this often */
	TSTATE_REFRESH_MS = 200,
};

struct process {
	int pid;
	fk_python *py;    /* NULL until attached */
	bool gone;
	bool ever_python;
	char comm[32];
	fk_u64map thread_roots; /* tid -> "thread NAME (TID)" (arena) */
	fk_u64map tstates;      /* --native: tid -> PyThreadState address */
	uint64_t tstates_ms;    /* when tstates was read */
	uint64_t next_attach_ms; /* --native: when to try attaching again */
	char why_not[sizeof(((fk_error *)0)->msg)]; /* the last reason attaching failed */
};

struct fk_pysampler {
	fk_pysampler_options opt;
	fk_profile *profile;
	fk_perf_parser *parser;
	fk_diag diag;
	fk_pysampler_stats stats;
	struct process **procs;
	size_t nprocs, procs_cap;
	fk_u64map by_pid; /* pid -> struct process */
	fk_thread_states states;
	fk_thread_stopper stopper;
	fk_arena strings;
	/* one stack being folded */
	fk_py_thread *threads;
	fk_py_frame *frames;
	fk_perf_stack_line *lines;
	char *text;
};

fk_pysampler *fk_pysampler_new(const fk_pysampler_options *options, fk_profile *profile)
{
	fk_pysampler *s = fk_xcalloc(1, sizeof(*s));
	s->opt = *options;
	s->profile = profile;
	fk_diag_init(&s->diag);
	s->parser = fk_perf_parser_new(&s->opt.naming, profile, &s->diag, NULL);
	fk_thread_states_init(&s->states);
	fk_thread_stopper_init(&s->stopper);
	s->threads = fk_xcalloc(MAX_THREADS, sizeof(*s->threads));
	s->frames = fk_xcalloc(MAX_DEPTH, sizeof(*s->frames));
	s->lines = fk_xcalloc(MAX_DEPTH, sizeof(*s->lines));
	s->text = fk_xmalloc(NAME_TEXT);
	return s;
}

void fk_pysampler_free(fk_pysampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprocs; i++) {
		fk_python_free(s->procs[i]->py);
		fk_u64map_free(&s->procs[i]->thread_roots);
		fk_u64map_free(&s->procs[i]->tstates);
		free(s->procs[i]);
	}
	free(s->procs);
	fk_u64map_free(&s->by_pid);
	fk_thread_stopper_free(&s->stopper);
	fk_thread_states_free(&s->states);
	fk_perf_parser_free(s->parser);
	fk_diag_free(&s->diag);
	fk_arena_free(&s->strings);
	free(s->threads);
	free(s->frames);
	free(s->lines);
	free(s->text);
	free(s);
}

const fk_pysampler_stats *fk_pysampler_stats_get(const fk_pysampler *s)
{
	return &s->stats;
}

bool fk_pysampler_any_python(const fk_pysampler *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i]->ever_python)
			return true;
	return false;
}

const char *fk_pysampler_why_not(const fk_pysampler *s)
{
	/* an unsupported version anywhere (a child, with --subprocesses) says most */
	for (size_t i = 0; i < s->nprocs; i++)
		if (strstr(s->procs[i]->why_not, "not supported"))
			return s->procs[i]->why_not;
	return s->nprocs ? s->procs[0]->why_not : "";
}

void fk_pysampler_count_merge(fk_pysampler *s, bool mismatched)
{
	s->stats.merged++;
	s->stats.mismatched += mismatched;
}

/* ---- processes ---- */

static void read_comm(int pid, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)cap, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Running still (a zombie, exited but not yet reaped, is not). */
static bool alive(int pid)
{
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static struct process *process_of(fk_pysampler *s, int pid)
{
	struct process *p = fk_u64map_get(&s->by_pid, (uint64_t)(uint32_t)pid);
	if (p)
		return p;
	p = fk_xcalloc(1, sizeof(*p));
	p->pid = pid;
	fk_grow((void **)&s->procs, sizeof(*s->procs), &s->procs_cap, s->nprocs + 1);
	s->procs[s->nprocs++] = p;
	fk_u64map_put(&s->by_pid, (uint64_t)(uint32_t)pid, p);
	return p;
}

static int attach(fk_pysampler *s, struct process *p, fk_error *err)
{
	fk_python *py = fk_python_attach(p->pid, err);
	if (!py) {
		/* the first reason it is not Python (not "no such process" once it has gone) */
		if (!p->why_not[0] || (strstr(err->msg, "not supported") && !strstr(p->why_not, "not supported")))
			snprintf(p->why_not, sizeof(p->why_not), "%s", err->msg);
		return -1;
	}
	fk_python_free(p->py);
	p->py = py;
	read_comm(p->pid, p->comm, sizeof(p->comm));
	if (!p->ever_python)
		s->stats.processes++;
	p->ever_python = true;
	return 0;
}

int fk_pysampler_add(fk_pysampler *s, int pid, fk_error *err)
{
	struct process *p = process_of(s, pid);
	return attach(s, p, err);
}

void fk_pysampler_watch(fk_pysampler *s, int pid)
{
	process_of(s, pid);
}

/* --subprocesses: the children of p's threads (/proc/PID/task/TID/children). */
static void watch_children(fk_pysampler *s, const struct process *p)
{
	int *tids = NULL;
	size_t ntids = 0, cap = 0;
	fk_proc_task_ids(p->pid, &tids, &ntids, &cap);
	for (size_t i = 0; i < ntids; i++) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", p->pid, tids[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		long child;
		while (fscanf(f, "%ld", &child) == 1)
			if (child > 0 && !fk_u64map_get(&s->by_pid, (uint64_t)child))
				process_of(s, (int)child);
		fclose(f);
	}
	free(tids);
}

/* ---- names ---- */

/* "thread NAME (TID)": Python's main thread is MainThread; others go by the name the
 * kernel has for them. */
static const char *thread_root(fk_pysampler *s, struct process *p, int tid)
{
	const char *r = fk_u64map_get(&p->thread_roots, (uint64_t)(uint32_t)tid);
	if (r)
		return r;
	char name[32], root[96];
	if (tid == p->pid) {
		snprintf(name, sizeof(name), "MainThread");
	} else {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", p->pid, tid);
		FILE *f = fopen(path, "r");
		name[0] = '\0';
		if (f) {
			if (fgets(name, sizeof(name), f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
		for (char *c = name; *c; c++)
			if (*c == ';')
				*c = ':';
	}
	int n = snprintf(root, sizeof(root), "thread %s (%d)", name[0] ? name : "?", tid);
	r = fk_arena_strndup(&s->strings, root, (size_t)n);
	fk_u64map_put(&p->thread_roots, (uint64_t)(uint32_t)tid, (void *)r);
	return r;
}

/* The frames' names, leaf first, into s->text (offsets[i]); the count. */
static size_t name_frames(fk_pysampler *s, fk_python *py, size_t n, char *text, size_t cap,
			  uint32_t *offsets)
{
	size_t used = 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		if (cap - used < 64)
			break;
		fk_python_frame_name(py, &s->frames[i], s->opt.full_filenames, s->opt.lineno,
				     text + used, cap - used);
		offsets[k++] = (uint32_t)used;
		used += strlen(text + used) + 1;
	}
	return k;
}

static void fold(fk_pysampler *s, struct process *p, const fk_py_thread *t, size_t depth)
{
	uint32_t offsets[MAX_DEPTH];
	size_t n = name_frames(s, p->py, depth, s->text, NAME_TEXT, offsets);
	for (size_t i = 0; i < n; i++) {
		const char *name = s->text + offsets[i];
		s->lines[i] = (fk_perf_stack_line){"", name, "", 0, strlen(name), 0, true};
	}
	if (s->opt.threads && n < MAX_DEPTH) {
		/* the outermost frame: right above the process's */
		const char *root = thread_root(s, p, t->tid > 0 ? t->tid : p->pid);
		s->lines[n++] = (fk_perf_stack_line){"", root, "", 0, strlen(root), 0, true};
	}
	fk_perf_parser_add_sample(s->parser, NULL, p->comm[0] ? p->comm : "python", p->pid,
				  t->tid > 0 ? t->tid : p->pid, 1.0, s->lines, n);
	s->stats.samples++;
}

static void sample_process(fk_pysampler *s, struct process *p)
{
	fk_error err;
	int n = fk_python_threads(p->py, s->threads, MAX_THREADS, &err);
	if (n < 0) {
		/* exiting (its memory goes before it is a zombie), or exec'd into something
		 * else, maybe another Python: the next tick attaches again or finds it gone */
		fk_python_free(p->py);
		p->py = NULL;
		p->gone = !alive(p->pid);
		return;
	}
	/* the threads to sample (their states read before any is stopped) */
	int chosen = 0;
	for (int i = 0; i < n; i++) {
		const fk_py_thread *t = &s->threads[i];
		if ((s->opt.gil_only && !t->holds_gil) ||
		    (!s->opt.idle && t->tid > 0 &&
		     fk_thread_states_get(&s->states, p->pid, t->tid) == FK_THREAD_IDLE)) {
			s->stats.idle++;
			continue;
		}
		s->threads[chosen++] = *t;
	}
	if (chosen == 0)
		return;
	if (s->opt.blocking && fk_thread_stopper_stop(&s->stopper, p->pid, &err) < 0) {
		s->stats.errors++;
		return;
	}
	for (int i = 0; i < chosen; i++) {
		const fk_py_thread *t = &s->threads[i];
		size_t depth = fk_python_stack(p->py, t->tstate, s->frames, MAX_DEPTH);
		if (depth == 0) {
			s->stats.empty++;
			continue;
		}
		fold(s, p, t, depth);
	}
	fk_thread_stopper_resume(&s->stopper);
}

size_t fk_pysampler_tick(fk_pysampler *s)
{
	s->stats.ticks++;
	size_t live = 0;
	bool scan = s->opt.subprocesses && s->stats.ticks % CHILD_SCAN_TICKS == 1;
	/* procs may grow while scanning: index, not pointer */
	for (size_t i = 0; i < s->nprocs; i++) {
		struct process *p = s->procs[i];
		if (p->gone)
			continue;
		if (!p->py) {
			fk_error err;
			if (attach(s, p, &err) < 0 && !alive(p->pid)) {
				p->gone = true;
				continue;
			}
		}
		if (p->py)
			sample_process(s, p);
		if (p->gone)
			continue;
		live++;
		if (scan)
			watch_children(s, p);
	}
	return live;
}

/* ---- --native ---- */

const char *fk_pysampler_thread_name(fk_pysampler *s, int pid, int tid)
{
	return thread_root(s, process_of(s, pid), tid);
}

size_t fk_pysampler_thread_stack(fk_pysampler *s, int pid, int tid, char *text, size_t cap_text,
				 uint32_t *name_offsets, bool *entry, size_t cap_frames)
{
	struct process *p = process_of(s, pid);
	uint64_t now = fk_monotonic_ms();
	if (p->gone)
		return 0;
	if (!p->py) {
		fk_error err;
		if (now < p->next_attach_ms)
			return 0;
		if (attach(s, p, &err) < 0) {
			p->next_attach_ms = now + TSTATE_REFRESH_MS;
			return 0;
		}
	}
	uint64_t ts = (uint64_t)(uintptr_t)fk_u64map_get(&p->tstates, (uint64_t)(uint32_t)tid);
	if (!ts && now >= p->tstates_ms + TSTATE_REFRESH_MS) {
		/* a thread not seen before: read the thread list again (at most this often) */
		fk_error err;
		p->tstates_ms = now;
		int n = fk_python_threads(p->py, s->threads, MAX_THREADS, &err);
		if (n < 0) {
			fk_python_free(p->py); /* exec'd or exiting: attach again later */
			p->py = NULL;
			p->next_attach_ms = now + TSTATE_REFRESH_MS;
			return 0;
		}
		fk_u64map_free(&p->tstates);
		for (int i = 0; i < n; i++)
			if (s->threads[i].tid > 0)
				fk_u64map_put(&p->tstates, (uint64_t)(uint32_t)s->threads[i].tid,
					      (void *)(uintptr_t)s->threads[i].tstate);
		ts = (uint64_t)(uintptr_t)fk_u64map_get(&p->tstates, (uint64_t)(uint32_t)tid);
	}
	if (!ts)
		return 0;
	if (cap_frames > MAX_DEPTH)
		cap_frames = MAX_DEPTH;
	size_t depth = fk_python_stack(p->py, ts, s->frames, cap_frames);
	size_t n = name_frames(s, p->py, depth, text, cap_text, name_offsets);
	for (size_t i = 0; i < n; i++)
		entry[i] = s->frames[i].entry;
	return n;
}
