/* recorder.c: from ring-buffer records to a profile (see recorder.h). */
#include "recorder.h"

#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>

#include "../symbol/frame_text.h"
#include "../symbol/maps.h"
#include "../symbol/sym_util.h"
#include "../util/hash.h"
#include "../symbol/symbolizer.h"
#include "unwind.h"

enum { MAX_FRAMES = 1024, PY_TEXT = 1 << 17, PERF_SCRIPT_MAX_STACK = 127 };

/* off-CPU: a thread's stack when it was switched out */
struct blocked {
	int pid;
	bool waiting;  /* switched out, not yet back */
	uint64_t since; /* time switched out */
	size_t n;
	uint64_t *pcs;
	bool *pc_kernel;
};

/* A stack folded before: the same addresses in the same process state end at the same
 * profile node, so repeats skip symbolization and naming. */
struct stack_slot {
	uint64_t hash; /* 0: empty */
	uint64_t version; /* the process's maps version */
	const char *comm, *root;
	int pid, tid;
	uint32_t n;
	size_t pcs_off; /* into stack_pcs */
	fk_node_id node;
};

struct pending {
	uint64_t time, seq;
	size_t off, size;
	const uint8_t *ext; /* perf.data: the record in the file (else at off in the arena) */
	/* --native: the thread's Python frames when the sample was read: py_n of them in
	 * py_arena at py_off, each an entry flag byte and a NUL-terminated name, leaf first */
	size_t py_off;
	uint32_t py_n, py_size;
};

struct fk_recorder {
	fk_recorder_options opt;
	fk_profile *profile;
	fk_perf_parser *parser;
	fk_diag diag;
	fk_processes *processes;
	fk_symbolizer *symbolizer;
	fk_unwinder *unwinder;
	const fk_record_decoder *decoder; /* of the queued records */
	fk_recorder_stats stats;

	/* records waiting for their turn, in arrival order */
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct pending *queue;
	size_t queue_len, queue_cap;
	uint64_t seq;
	uint64_t round_max, prev_round_max;
	uint8_t *py_arena;
	size_t py_len, py_cap;
	char *py_text; /* one capture */
	uint32_t py_offsets[MAX_FRAMES];
	bool py_entry[MAX_FRAMES];
	fk_perf_stack_line merged[2 * MAX_FRAMES];

	/* processes looked up in /proc because their samples came before anything else */
	fk_u64map tried; /* pid -> (void *)1 */

	/* off-CPU: threads switched out, by tid (struct blocked) */
	fk_u64map blocked;
	uint64_t last_time; /* of any record */

	/* stacks folded before */
	struct stack_slot *stacks;
	size_t stacks_mask, stacks_count;
	uint64_t *stack_pcs;
	size_t stack_pcs_len, stack_pcs_cap;

	/* one sample being folded */
	uint64_t pcs[MAX_FRAMES];
	bool pc_kernel[MAX_FRAMES];
	size_t unwound_from; /* pcs from here on were unwound from the user stack */
	char inline_names[4096];
	fk_frame_texts frames; /* their texts, as perf script prints them */
	char *relined;         /* lines split again as perf script's text would be */
	size_t relined_cap;
	void (*symbol_hook)(fk_symbol *sym, void *ctx); /* perf.data: renames symbols */
	void *symbol_hook_ctx;
};

fk_recorder *fk_recorder_new(const fk_recorder_options *options, fk_profile *profile,
			     fk_inliner *inliner)
{
	fk_recorder *r = fk_xcalloc(1, sizeof(*r));
	r->opt = *options;
	r->profile = profile;
	fk_diag_init(&r->diag);
	r->parser = fk_perf_parser_new(&r->opt.naming, profile, &r->diag, inliner);
	r->processes = fk_processes_new();
	r->symbolizer = fk_symbolizer_new(options->demangle);
	if (options->callgraph == FK_CALLGRAPH_DWARF)
		r->unwinder = fk_unwinder_new();
	fk_frame_texts_init(&r->frames);
	if (options->python)
		r->py_text = fk_xmalloc(PY_TEXT);
	return r;
}

void fk_recorder_free(fk_recorder *r)
{
	if (!r)
		return;
	fk_perf_parser_free(r->parser);
	fk_diag_free(&r->diag);
	fk_unwinder_free(r->unwinder);
	fk_symbolizer_free(r->symbolizer);
	fk_processes_free(r->processes);
	free(r->arena);
	free(r->queue);
	free(r->py_arena);
	free(r->py_text);
	fk_frame_texts_free(&r->frames);
	free(r->relined);
	fk_u64map_free(&r->tried);
	free(r->stacks);
	free(r->stack_pcs);
	for (size_t i = 0; r->blocked.mask && i <= r->blocked.mask; i++) {
		struct blocked *b = r->blocked.values[i];
		if (b) {
			free(b->pcs);
			free(b->pc_kernel);
			free(b);
		}
	}
	fk_u64map_free(&r->blocked);
	free(r);
}

int fk_recorder_add_process(fk_recorder *r, int pid, fk_error *err)
{
	return fk_processes_read_proc(r->processes, pid, err);
}

void fk_recorder_set_symbol_hook(fk_recorder *r, void (*fn)(fk_symbol *sym, void *ctx), void *ctx)
{
	r->symbol_hook = fn;
	r->symbol_hook_ctx = ctx;
}

void fk_recorder_kallsyms_from(fk_recorder *r, const char *path)
{
	fk_symbolizer_kallsyms_from(r->symbolizer, path);
}

void fk_recorder_read_binary_from(fk_recorder *r, const char *path, const char *file)
{
	fk_symbolizer_read_binary_from(r->symbolizer, path, file);
}

const fk_recorder_stats *fk_recorder_stats_get(const fk_recorder *r)
{
	return &r->stats;
}

/* ---- processes that were running before recording started ---- */

/* True the first time pid is seen here. */
static bool first_try(fk_recorder *r, int pid)
{
	return fk_u64map_put(&r->tried, (uint64_t)(uint32_t)pid, (void *)1) == NULL;
}

/* A process (under -a, --cgroup) whose mappings were never reported: read /proc once. */
static void learn_process(fk_recorder *r, int pid)
{
	size_t count = 0;
	if (pid <= 0)
		return;
	if (r->opt.from_file)
		return; /* a file tells its processes itself */
	fk_processes_mappings(r->processes, pid, &count);
	if (count || !first_try(r, pid))
		return;
	fk_error err;
	fk_processes_read_proc(r->processes, pid, &err); /* gone already: stays unknown */
}

/* ---- one sample ---- */

/* The addresses of the stack, leaf first, each marked kernel or user, as perf script
 * resolves them: callchain entries as they are (they are looked up and shown at the
 * return address), the kernel's context markers switching between kernel and user
 * (entries before any marker are user ones; a hypervisor marker's entries stay unknown;
 * any other marker makes the whole callchain invalid, hence empty); unwound callers at
 * their return address - 1, as perf's DWARF unwinders give them. */
static size_t sample_pcs(fk_recorder *r, const fk_record *rec)
{
	size_t n = 0;
	size_t max = r->opt.from_file ? PERF_SCRIPT_MAX_STACK : MAX_FRAMES;
	r->unwound_from = MAX_FRAMES;
	if (r->opt.callgraph == FK_CALLGRAPH_NONE || r->opt.callgraph == FK_CALLGRAPH_LBR ||
	    !rec->callchain) {
		r->pcs[n] = rec->ip;
		r->pc_kernel[n++] = rec->kernel_mode;
	} else {
		bool kernel = false;
		for (uint64_t i = 0; i < rec->callchain_len && n < max; i++) {
			uint64_t pc = rec->callchain[i];
			if (pc >= (uint64_t)PERF_CONTEXT_MAX) {
				if (pc == (uint64_t)PERF_CONTEXT_KERNEL) {
					kernel = true;
				} else if (pc == (uint64_t)PERF_CONTEXT_USER ||
					   pc == (uint64_t)PERF_CONTEXT_HV) {
					kernel = false;
				} else {
					n = 0; /* guest contexts: perf drops the callchain */
					break;
				}
				continue;
			}
			r->pcs[n] = pc;
			r->pc_kernel[n++] = kernel;
		}
	}
	if (r->opt.callgraph == FK_CALLGRAPH_DWARF && r->unwinder && rec->regs_abi && rec->regs &&
	    rec->pid > 0 && n < max) {
		/* the kernel gave the kernel part; the user part is unwound here */
		size_t got = fk_unwind(r->unwinder, r->processes, rec->pid, rec->tid, rec->regs,
				       rec->regs_mask, rec->stack, rec->stack_size, r->pcs + n,
				       max - n);
		if (got <= 1)
			r->stats.unwind_short++;
		r->unwound_from = n;
		for (size_t i = 0; i < got; i++) {
			if (i > 0)
				r->pcs[n + i]--; /* a caller: the call instruction */
			r->pc_kernel[n + i] = false;
		}
		n += got;
	} else if (r->opt.callgraph == FK_CALLGRAPH_DWARF && n == 0 && !r->opt.from_file) {
		r->pcs[n] = rec->ip;
		r->pc_kernel[n++] = rec->kernel_mode;
	}
	return n;
}

/* A module whose name has blanks or parentheses ("/memfd:x (deleted)") is cut elsewhere
 * by the rules that read perf script's text: such lines are printed as perf script
 * would print them and matched again, so that both paths give the same frames. */
static bool odd_module(const fk_perf_stack_line *l)
{
	for (size_t i = 0; i < l->mod_len; i++)
		if (l->mod[i] == ' ' || l->mod[i] == '(' || l->mod[i] == ')' || l->mod[i] == '\t')
			return true;
	return false;
}

static void resplit_lines(fk_recorder *r, fk_perf_stack_line *lines, size_t n)
{
	size_t need = 0;
	for (size_t i = 0; i < n; i++)
		if (odd_module(&lines[i]))
			need += lines[i].pc_len + lines[i].func_len + lines[i].mod_len + 5;
	if (!need)
		return;
	fk_grow((void **)&r->relined, 1, &r->relined_cap, need);
	char *w = r->relined;
	for (size_t i = 0; i < n; i++) {
		fk_perf_stack_line *l = &lines[i];
		if (!odd_module(l))
			continue;
		char *start = w;
		*w++ = '\t';
		memcpy(w, l->pc, l->pc_len);
		w += l->pc_len;
		*w++ = ' ';
		memcpy(w, l->func, l->func_len);
		w += l->func_len;
		*w++ = ' ';
		*w++ = '(';
		memcpy(w, l->mod, l->mod_len);
		w += l->mod_len;
		*w++ = ')';
		fk_perf_stack_line again;
		if (fk_perf_match_stack_line(start, (size_t)(w - start), &again))
			*l = again;
	}
}

/* perf script's frames for an unwound user frame whose binary has DWARF: the chain of
 * functions inlined at the address (as addr2line -i -f names them), innermost first;
 * those named otherwise than the ELF symbol are shown "(inlined)". Returns false when
 * the address has no such chain (the frame is then shown as it is). */
static bool add_inlined(fk_recorder *r, const fk_symbol *sym)
{
	if (sym->module[0] != '/')
		return false;
	char pc[24];
	int pc_len = snprintf(pc, sizeof(pc), "%" PRIx64, sym->file_addr);
	/* no symbol text: no retry through the symbol table (stackcollapse's fallback) */
	const char *names = fk_inliner_lookup(r->opt.unwind_inliner, pc, (size_t)pc_len, NULL, 0,
					      sym->module, strlen(sym->module));
	size_t len = strlen(names);
	if (!len || len >= sizeof(r->inline_names))
		return false;
	const char *innermost = strrchr(names, ';');
	innermost = innermost ? innermost + 1 : names;
	if (strcmp(innermost, "??") == 0)
		return false; /* perf: no valid first record, no inlined frames */
	memcpy(r->inline_names, names, len + 1);
	/* outermost first in names: added innermost first */
	char *end = r->inline_names + len;
	for (;;) {
		char *start = end;
		while (start > r->inline_names && start[-1] != ';')
			start--;
		*end = '\0';
		fk_symbol s = *sym;
		if (strcmp(start, sym->name) != 0) {
			s.name = start;
			s.module = "inlined";
		}
		if (strcmp(start, "??") == 0)
			s.name = NULL;
		fk_frame_texts_add(&r->frames, sym->file_addr, &s);
		if (start == r->inline_names)
			break;
		end = start - 1;
	}
	return true;
}

/* The texts of the stack in r->pcs[0..n) of pid, as perf script prints them, leaf first. */
static const fk_perf_stack_line *symbolize_stack(fk_recorder *r, int pid, size_t n, size_t *nlines)
{
	fk_frame_texts_reset(&r->frames);
	for (size_t i = 0; i < n; i++) {
		bool kernel = r->pc_kernel[i];
		uint64_t at = r->pcs[i];
		fk_symbol sym;
		if (kernel) {
			fk_symbolize_kernel(r->symbolizer, at, &sym);
			r->stats.kernel_frames++;
		} else {
			fk_symbolize_user(r->symbolizer, r->processes, pid, at, &sym);
			if (r->symbol_hook)
				r->symbol_hook(&sym, r->symbol_hook_ctx);
		}
		if (i >= r->unwound_from && r->opt.unwind_inliner && sym.name &&
		    add_inlined(r, &sym))
			continue;
		uint64_t shown = kernel ? at : sym.file_addr;
		if (!kernel && r->opt.from_file) {
			/* perf script shows the offset in the mapped file (its map_ip), which
			 * differs from the ELF address in executables not linked at 0 */
			const fk_mapping *m = fk_processes_find(r->processes, pid, at);
			if (m && ((m->path[0] == '/' && strncmp(m->path, "//anon", 6) != 0) ||
				  strcmp(m->path, "[vdso]") == 0))
				shown = at - m->start + m->pgoff;
		}
		fk_frame_texts_add(&r->frames, shown, &sym);
	}
	fk_perf_stack_line *lines = (fk_perf_stack_line *)fk_frame_texts_lines(&r->frames, nlines);
	resplit_lines(r, lines, *nlines);
	return lines;
}

static void add_named(fk_recorder *r, const char *root, const char *comm, int pid, int tid,
		      double count, const fk_perf_stack_line *lines, size_t nlines)
{
	char unknown_comm[24];
	if (r->opt.from_file) {
		/* perf script's default fields: "comm TID" */
		pid = tid;
		tid = 0;
	}
	if (!comm) {
		snprintf(unknown_comm, sizeof(unknown_comm), ":%d", pid);
		comm = unknown_comm;
	}
	fk_perf_parser_add_sample(r->parser, root, comm, pid, tid, count, lines, nlines);
}

/* Names the stack in r->pcs[0..n) and adds it to the profile (see fold_stack). */
static void name_stack(fk_recorder *r, const char *root, const char *comm, int pid, int tid,
		       size_t n, double count)
{
	size_t nlines;
	const fk_perf_stack_line *lines = symbolize_stack(r, pid, n, &nlines);
	add_named(r, root, comm, pid, tid, count, lines, nlines);
}

/* ---- --native: Python frames in place of the interpreter's ---- */

static bool is_eval_frame(const fk_perf_stack_line *l)
{
	static const char eval[] = "_PyEval_EvalFrameDefault";
	size_t len = sizeof(eval) - 1;
	return !l->verbatim && l->func_len >= len && memcmp(l->func, eval, len) == 0 &&
	       (l->func_len == len || l->func[len] == '+');
}

/* Merges the native lines (leaf first) with the Python frames captured for the sample:
 * the Python frames, root first, fall into groups, each begun by an entry frame and run
 * by one _PyEval_EvalFrameDefault call; the k-th evaluation frame from the root is
 * replaced by the k-th group. Counted from the root because the stack's bottom is what
 * stays put while the thread runs on between the sample and the read: if the counts
 * differ, the extra evaluation frames (leaf side) stay as they are and extra groups
 * (Python code entered since) are dropped. No evaluation frame at all (the unwinding
 * stopped in native code): the Python frames go under the native ones. */
static size_t merge_python(fk_recorder *r, const fk_perf_stack_line *native, size_t n,
			   const char **names, const bool *entry, size_t m, bool *mismatch)
{
	/* group starts, root first: group g is py root-first indexes [start[g], start[g+1]) */
	size_t start[MAX_FRAMES + 1], groups = 0;
	for (size_t k = 0; k < m; k++) { /* k: root-first index; leaf-first is m-1-k */
		if (k == 0 || entry[m - 1 - k])
			start[groups++] = k;
	}
	start[groups] = m;
	size_t evals = 0;
	for (size_t i = 0; i < n; i++)
		evals += is_eval_frame(&native[i]);
	*mismatch = evals != groups;
	fk_perf_stack_line *out = r->merged;
	size_t cap = FK_ARRAY_LEN(r->merged) - 1, o = 0; /* one left for --threads */
	size_t seen = 0; /* evaluation frames passed, leaf first */
	for (size_t i = 0; i < n && o < cap; i++) {
		if (!is_eval_frame(&native[i])) {
			out[o++] = native[i];
			continue;
		}
		size_t g = evals - 1 - seen++; /* from the root */
		if (g >= groups) {
			out[o++] = native[i];
			continue;
		}
		for (size_t k = start[g + 1]; k > start[g] && o < cap; k--) {
			const char *name = names[m - k];
			out[o++] = (fk_perf_stack_line){"", name, "", 0, strlen(name), 0, true};
		}
	}
	if (evals == 0)
		for (size_t k = m; k > 0 && o < cap; k--) {
			const char *name = names[m - k];
			out[o++] = (fk_perf_stack_line){"", name, "", 0, strlen(name), 0, true};
		}
	return o;
}

static void fold_python(fk_recorder *r, int pid, int tid, size_t n, double count,
			const struct pending *p)
{
	const char *comm = pid == 0 ? "swapper" : fk_processes_comm_of(r->processes, pid, tid);
	size_t nlines;
	const fk_perf_stack_line *lines = symbolize_stack(r, pid, n, &nlines);
	const char *names[MAX_FRAMES];
	bool entry[MAX_FRAMES];
	const uint8_t *q = r->py_arena + p->py_off;
	size_t m = 0;
	for (uint32_t k = 0; k < p->py_n && m < MAX_FRAMES; k++) {
		entry[m] = q[0] != 0;
		names[m++] = (const char *)q + 1;
		q += 1 + strlen((const char *)q + 1) + 1;
	}
	size_t merged;
	if (m) {
		bool mismatch;
		merged = merge_python(r, lines, nlines, names, entry, m, &mismatch);
		fk_pysampler_count_merge(r->opt.python, mismatch);
	} else {
		merged = nlines < MAX_FRAMES ? nlines : MAX_FRAMES;
		memcpy(r->merged, lines, merged * sizeof(*lines));
	}
	if (r->opt.python_threads && tid > 0) {
		/* --threads: the outermost frame, right above the process's */
		const char *t = fk_pysampler_thread_name(r->opt.python, pid, tid);
		r->merged[merged++] = (fk_perf_stack_line){"", t, "", 0, strlen(t), 0, true};
	}
	add_named(r, NULL, comm, pid, tid, count, r->merged, merged);
}

/* Reads the Python stack of the sample's thread now, as the sample is read from the ring
 * (the sampler wakes up for each sample in this mode: the sample is microseconds old). */
static void capture_python(fk_recorder *r, const fk_record *rec, struct pending *p)
{
	p->py_off = r->py_len;
	p->py_n = 0;
	p->py_size = 0;
	if (rec->pid <= 0 || rec->tid <= 0)
		return;
	size_t n = fk_pysampler_thread_stack(r->opt.python, rec->pid, rec->tid, r->py_text, PY_TEXT,
					     r->py_offsets, r->py_entry, MAX_FRAMES);
	size_t size = 0;
	for (size_t i = 0; i < n; i++)
		size += 1 + strlen(r->py_text + r->py_offsets[i]) + 1;
	fk_grow((void **)&r->py_arena, 1, &r->py_cap, r->py_len + size);
	uint8_t *w = r->py_arena + r->py_len;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(r->py_text + r->py_offsets[i]) + 1;
		*w++ = r->py_entry[i];
		memcpy(w, r->py_text + r->py_offsets[i], len);
		w += len;
	}
	r->py_len += size;
	p->py_n = (uint32_t)n;
	p->py_size = (uint32_t)size;
}

static uint64_t stack_hash(const fk_recorder *r, const char *root, const char *comm, int pid,
			   int tid, uint64_t version, size_t n)
{
	uint64_t h = fk_hash_bytes(r->pcs, n * sizeof(uint64_t));
	h = fk_hash_mix(h ^ ((uint64_t)(uint32_t)pid << 32 | (uint32_t)tid));
	h = fk_hash_mix(h ^ version ^ (uint64_t)(uintptr_t)comm ^ ((uint64_t)(uintptr_t)root << 1));
	return h ? h : 1;
}

static void stacks_grow(fk_recorder *r)
{
	size_t old_cap = r->stacks ? r->stacks_mask + 1 : 0;
	struct stack_slot *old = r->stacks;
	size_t cap = old_cap ? old_cap * 2 : 1024;
	r->stacks = fk_xcalloc(cap, sizeof(*r->stacks));
	r->stacks_mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].hash)
			continue;
		size_t j = old[i].hash & r->stacks_mask;
		while (r->stacks[j].hash)
			j = (j + 1) & r->stacks_mask;
		r->stacks[j] = old[i];
	}
	free(old);
}

/* Folds the stack in r->pcs[0..n) (kernel addresses are told apart by their value) of
 * thread tid of pid with count; root: a frame under the process's, or NULL. */
static void fold_stack(fk_recorder *r, const char *root, int pid, int tid, size_t n, double count)
{
	/* the comm's pointer stands for the name: fk_processes keeps names interned */
	const char *comm = pid == 0 ? "swapper" : fk_processes_comm_of(r->processes, pid, tid);
	uint64_t version = fk_processes_maps_version(r->processes, pid);
	uint64_t h = stack_hash(r, root, comm, pid, tid, version, n);
	if (r->stacks) {
		for (size_t j = h & r->stacks_mask; r->stacks[j].hash; j = (j + 1) & r->stacks_mask) {
			const struct stack_slot *e = &r->stacks[j];
			if (e->hash == h && e->pid == pid && e->tid == tid && e->version == version &&
			    e->comm == comm && e->root == root && e->n == n &&
			    memcmp(r->stack_pcs + e->pcs_off, r->pcs, n * sizeof(uint64_t)) == 0) {
				fk_profile_add_at(r->profile, e->node, count);
				return;
			}
		}
	}
	name_stack(r, root, comm, pid, tid, n, count);
	if (!comm)
		return; /* named after the pid for now: not cached */
	if ((r->stacks_count + 1) * 2 > (r->stacks ? r->stacks_mask + 1 : 0))
		stacks_grow(r);
	fk_grow((void **)&r->stack_pcs, sizeof(uint64_t), &r->stack_pcs_cap, r->stack_pcs_len + n);
	memcpy(r->stack_pcs + r->stack_pcs_len, r->pcs, n * sizeof(uint64_t));
	size_t j = h & r->stacks_mask;
	while (r->stacks[j].hash)
		j = (j + 1) & r->stacks_mask;
	r->stacks[j] = (struct stack_slot){h, version, comm, root, pid, tid, (uint32_t)n,
					   r->stack_pcs_len, fk_perf_parser_last_node(r->parser)};
	r->stack_pcs_len += n;
	r->stacks_count++;
}

/* ---- off-CPU time: a thread's stack when switched out, charged when switched in ---- */

static void switched_out(fk_recorder *r, const fk_record *rec, size_t n)
{
	struct blocked *b = fk_u64map_get(&r->blocked, (uint64_t)(uint32_t)rec->tid);
	if (!b) {
		b = fk_xcalloc(1, sizeof(*b));
		b->pcs = fk_xmalloc(MAX_FRAMES * sizeof(uint64_t));
		b->pc_kernel = fk_xmalloc(MAX_FRAMES * sizeof(bool));
		fk_u64map_put(&r->blocked, (uint64_t)(uint32_t)rec->tid, b);
	}
	b->pid = rec->pid;
	b->waiting = true;
	b->since = rec->time;
	b->n = n;
	memcpy(b->pcs, r->pcs, n * sizeof(uint64_t));
	memcpy(b->pc_kernel, r->pc_kernel, n * sizeof(bool));
}

/* Charges the time since tid was switched out, in microseconds, to its stack then. */
static void charge_blocked(fk_recorder *r, int tid, uint64_t now)
{
	struct blocked *b = fk_u64map_get(&r->blocked, (uint64_t)(uint32_t)tid);
	if (!b || !b->waiting)
		return;
	b->waiting = false;
	if (now < b->since)
		return;
	uint64_t ns = now - b->since;
	if (ns < r->opt.min_block_ns)
		return;
	memcpy(r->pcs, b->pcs, b->n * sizeof(uint64_t));
	memcpy(r->pc_kernel, b->pc_kernel, b->n * sizeof(bool));
	fold_stack(r, r->opt.wall ? "[blocked]" : NULL, b->pid, tid, b->n, (double)((ns + 500) / 1000));
	r->stats.blocked_ns += ns;
}

static void fold_sample(fk_recorder *r, const fk_record *rec, const struct pending *p)
{
	double weight = 0;
	if (r->opt.sample_count) {
		weight = r->opt.sample_count(rec, r->opt.sample_count_ctx);
		if (weight == 0)
			return;
	}
	learn_process(r, rec->pid);
	size_t n = sample_pcs(r, rec);
	if (r->opt.from_file && rec->tid < 0 && rec->period <= INT_MAX) {
		/* a task past its exit: perf script prints ":-1    -1 [CPU] TIME:  PERIOD
		 * EVENT:", which the rules read as a process named up to the time, of pid
		 * PERIOD */
		char comm[96];
		int m = snprintf(comm, sizeof(comm), ":%d %5d ", rec->tid, rec->tid);
		if (rec->cpu >= 0)
			m += snprintf(comm + m, sizeof(comm) - (size_t)m, "[%03d] ", rec->cpu);
		snprintf(comm + m, sizeof(comm) - (size_t)m, "%5" PRIu64 ".%06" PRIu64 ":",
			 rec->time / 1000000000, rec->time % 1000000000 / 1000);
		name_stack(r, NULL, comm, 0, (int)rec->period, n, weight ? weight : 1.0);
	} else if (r->opt.sample_count) {
		fold_stack(r, NULL, rec->pid, rec->tid, n, weight);
	} else if (r->opt.python) {
		double count = r->opt.count_period && rec->period ? (double)rec->period : 1.0;
		fold_python(r, rec->pid, rec->tid, n, count, p);
	} else if (rec->event == r->opt.off_cpu_event) {
		switched_out(r, rec, n);
	} else if (r->opt.wall) {
		/* cpu-clock periods are nanoseconds: the same unit as the blocked time */
		double us = (double)((rec->period + 500) / 1000);
		fold_stack(r, "[running]", rec->pid, rec->tid, n, us);
		r->stats.running_ns += rec->period;
	} else {
		double count = r->opt.count_period && rec->period ? (double)rec->period : 1.0;
		fold_stack(r, NULL, rec->pid, rec->tid, n, count);
	}
	r->stats.samples++;
	if (!r->stats.first_time || rec->time < r->stats.first_time)
		r->stats.first_time = rec->time;
	if (rec->time > r->stats.last_time)
		r->stats.last_time = rec->time;
}

static void apply(fk_recorder *r, const fk_record *rec, const struct pending *p)
{
	switch (rec->type) {
	case FK_REC_SAMPLE:
		fold_sample(r, rec, p);
		break;
	case FK_REC_MMAP: {
		if (rec->pid <= 0)
			break; /* the kernel's own maps */
		fk_mapping m = {rec->addr, rec->addr + rec->len, rec->pgoff, rec->prot, rec->maj,
				rec->min, rec->ino, rec->filename};
		fk_processes_mmap(r->processes, rec->pid, &m);
		break;
	}
	case FK_REC_COMM:
		/* perf keeps a process's mappings across exec until new ones overlap them */
		fk_processes_comm(r->processes, rec->pid, rec->tid, rec->comm,
				  rec->exec && !r->opt.from_file);
		break;
	case FK_REC_FORK:
		fk_processes_fork(r->processes, rec->ppid, rec->ptid, rec->pid, rec->tid);
		break;
	case FK_REC_EXIT:
		fk_processes_exit(r->processes, rec->pid, rec->tid);
		break;
	case FK_REC_LOST:
		r->stats.lost += rec->lost;
		break;
	case FK_REC_THROTTLE:
		r->stats.throttled++;
		break;
	case FK_REC_SWITCH:
		if (r->opt.off_cpu_event >= 0 && !rec->switch_out && rec->tid > 0)
			charge_blocked(r, rec->tid, rec->time);
		if (rec->time > r->last_time)
			r->last_time = rec->time;
		break;
	}
}

/* ---- time order ---- */

static void enqueue(const fk_record *rec, const void *raw, size_t size, void *ctx)
{
	fk_recorder *r = ctx;
	fk_grow((void **)&r->arena, 1, &r->arena_cap, r->arena_len + size);
	memcpy(r->arena + r->arena_len, raw, size);
	fk_grow((void **)&r->queue, sizeof(*r->queue), &r->queue_cap, r->queue_len + 1);
	struct pending *p = &r->queue[r->queue_len++];
	*p = (struct pending){rec->time, r->seq++, r->arena_len, size, NULL, 0, 0, 0};
	r->arena_len += size;
	if (r->opt.python && rec->type == FK_REC_SAMPLE)
		capture_python(r, rec, p);
	if (rec->time > r->round_max)
		r->round_max = rec->time;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void fold_queued(fk_recorder *r, bool final);

void fk_recorder_round(fk_recorder *r, fk_sampler *s, bool final)
{
	r->decoder = fk_sampler_decoder(s);
	fk_sampler_read(s, enqueue, r);
	fold_queued(r, final);
}

void fk_recorder_queue(fk_recorder *r, const fk_record_decoder *d, const void *raw, size_t size,
		       uint64_t time)
{
	r->decoder = d;
	fk_grow((void **)&r->queue, sizeof(*r->queue), &r->queue_cap, r->queue_len + 1);
	r->queue[r->queue_len++] = (struct pending){time, r->seq++, 0, size, raw, 0, 0, 0};
	if (time > r->round_max)
		r->round_max = time;
}

void fk_recorder_flush(fk_recorder *r, bool final)
{
	fold_queued(r, final);
}

/* Folds the queued records that are safe to fold, in time order. */
static void fold_queued(fk_recorder *r, bool final)
{
	if (!r->queue_len) {
		r->prev_round_max = r->round_max;
		return;
	}
	qsort(r->queue, r->queue_len, sizeof(*r->queue), pending_cmp);
	/* Records up to the previous round's newest are safe to fold: anything written after
	 * that round was read carries a later time. */
	uint64_t limit = final ? UINT64_MAX : r->prev_round_max;
	size_t done = 0;
	while (done < r->queue_len && r->queue[done].time <= limit) {
		fk_record rec;
		const struct pending *p = &r->queue[done];
		const uint8_t *raw = p->ext ? p->ext : r->arena + p->off;
		if (fk_record_decode(r->decoder, raw, p->size, &rec))
			apply(r, &rec, p);
		done++;
	}
	r->prev_round_max = r->round_max;
	if (final && r->opt.off_cpu_event >= 0) {
		/* threads still blocked when sampling stopped: blocked until then */
		uint64_t end = r->last_time > r->round_max ? r->last_time : r->round_max;
		for (size_t i = 0; r->blocked.mask && i <= r->blocked.mask; i++)
			if (r->blocked.values[i])
				charge_blocked(r, (int)r->blocked.keys[i], end);
	}
	if (done == 0)
		return;
	/* keep the rest, packed at the front */
	size_t keep = r->queue_len - done, arena_len = 0, py_len = 0;
	uint8_t *arena = keep && r->arena_len ? fk_xmalloc(r->arena_len) : NULL;
	uint8_t *py_arena = keep && r->py_len ? fk_xmalloc(r->py_len) : NULL;
	for (size_t i = 0; i < keep; i++) {
		struct pending p = r->queue[done + i];
		if (!p.ext) {
			memcpy(arena + arena_len, r->arena + p.off, p.size);
			p.off = arena_len;
			arena_len += p.size;
		}
		if (p.py_size) {
			memcpy(py_arena + py_len, r->py_arena + p.py_off, p.py_size);
			p.py_off = py_len;
			py_len += p.py_size;
		}
		r->queue[i] = p;
	}
	free(r->py_arena);
	r->py_arena = py_arena;
	r->py_cap = py_arena ? r->py_len : 0;
	r->py_len = py_len;
	free(r->arena);
	r->arena = arena;
	r->arena_cap = arena ? r->arena_len : 0;
	r->arena_len = arena_len;
	r->queue_len = keep;
}
