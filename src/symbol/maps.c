/* maps.c: the processes' memory mappings and thread names of maps.h.
 *
 * Each process has a sorted array of non-overlapping mappings; a new mapping cuts the
 * parts of older ones it covers (splitting them at its edges, with the file offset of a
 * right-hand remainder moved along), as mmap(2) does. Processes are found through a hash
 * map keyed by pid, thread names through one keyed by (pid, tid). Paths and names are
 * interned: each distinct string is stored once, for as long as the fk_processes lives.
 * Versions come from one counter shared by all processes, so a version never repeats,
 * not even for a pid that is reused. */
#include "maps.h"

#include <errno.h>

#include "../stack/intern.h"
#include "proc_maps.h"
#include "sym_util.h"

typedef struct proc {
	fk_mapping *maps;
	size_t count, cap;
	uint64_t version;
	const char *comm; /* the process's name (interned), or NULL */
} proc;

struct fk_processes {
	fk_u64map procs;   /* pid → proc * */
	fk_u64map threads; /* (pid, tid) → interned thread name */
	fk_interner *strings;
	uint64_t last_version;
};

static uint64_t pid_key(int pid)
{
	return (uint64_t)(uint32_t)pid;
}

static uint64_t thread_key(int pid, int tid)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
}

static const char *intern(fk_processes *ps, const char *s)
{
	if (!s)
		s = "";
	size_t len = strlen(s);
	return fk_interner_name(ps->strings, fk_intern(ps->strings, s, len), NULL);
}

fk_processes *fk_processes_new(void)
{
	fk_processes *ps = fk_xcalloc(1, sizeof(*ps));
	ps->strings = fk_interner_new();
	return ps;
}

void fk_processes_free(fk_processes *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; ps->procs.mask && i <= ps->procs.mask; i++) {
		proc *p = ps->procs.values[i];
		if (p) {
			free(p->maps);
			free(p);
		}
	}
	fk_u64map_free(&ps->procs);
	fk_u64map_free(&ps->threads);
	fk_interner_free(ps->strings);
	free(ps);
}

static proc *find_proc(const fk_processes *ps, int pid)
{
	return fk_u64map_get(&ps->procs, pid_key(pid));
}

static void bump(fk_processes *ps, proc *p)
{
	p->version = ++ps->last_version;
}

static proc *get_proc(fk_processes *ps, int pid)
{
	proc *p = find_proc(ps, pid);
	if (!p) {
		p = fk_xcalloc(1, sizeof(*p));
		bump(ps, p);
		fk_u64map_put(&ps->procs, pid_key(pid), p);
	}
	return p;
}

/* Index of the first mapping that ends after addr (count if none). */
static size_t first_ending_after(const proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inserts m (its path already interned), cutting what it overlaps. */
static void insert_mapping(fk_processes *ps, proc *p, const fk_mapping *m)
{
	if (m->end <= m->start)
		return;
	size_t lo = p->count && p->maps[p->count - 1].end <= m->start ? p->count
								  : first_ending_after(p, m->start);
	size_t hi = lo;
	while (hi < p->count && p->maps[hi].start < m->end)
		hi++;
	fk_mapping pieces[3];
	size_t n = 0;
	if (lo < hi && p->maps[lo].start < m->start) {
		pieces[n] = p->maps[lo];
		pieces[n++].end = m->start;
	}
	pieces[n++] = *m;
	if (lo < hi && p->maps[hi - 1].end > m->end) {
		fk_mapping right = p->maps[hi - 1];
		right.pgoff += m->end - right.start;
		right.start = m->end;
		pieces[n++] = right;
	}
	size_t removed = hi - lo;
	if (n > removed)
		fk_grow((void **)&p->maps, sizeof(*p->maps), &p->cap, p->count + (n - removed));
	if (n != removed && hi < p->count)
		memmove(&p->maps[lo + n], &p->maps[hi], (p->count - hi) * sizeof(*p->maps));
	memcpy(&p->maps[lo], pieces, n * sizeof(*pieces));
	p->count = p->count + n - removed;
	bump(ps, p);
}

void fk_processes_mmap(fk_processes *ps, int pid, const fk_mapping *m)
{
	proc *p = get_proc(ps, pid);
	fk_mapping copy = *m;
	copy.path = intern(ps, m->path);
	insert_mapping(ps, p, &copy);
}

static void set_thread_comm(fk_processes *ps, int pid, int tid, const char *comm)
{
	fk_u64map_put(&ps->threads, thread_key(pid, tid), (void *)(uintptr_t)comm);
}

void fk_processes_comm(fk_processes *ps, int pid, int tid, const char *comm, bool exec)
{
	proc *p = get_proc(ps, pid);
	const char *name = intern(ps, comm);
	if (exec) {
		p->count = 0;
		bump(ps, p);
	}
	set_thread_comm(ps, pid, tid, name);
	if (exec || tid == pid || !p->comm)
		p->comm = name;
}

void fk_processes_fork(fk_processes *ps, int ppid, int ptid, int pid, int tid)
{
	const char *parent_comm = fk_processes_comm_of(ps, ppid, ptid);
	if (pid == ppid) {
		proc *p = get_proc(ps, pid);
		if (parent_comm)
			set_thread_comm(ps, pid, tid, parent_comm);
		if (!p->comm)
			p->comm = parent_comm;
		return;
	}
	proc *parent = find_proc(ps, ppid);
	proc *child = get_proc(ps, pid);
	/* A new process (or a reused pid): exactly the parent's mappings. */
	child->count = 0;
	if (parent && parent->count) {
		fk_grow((void **)&child->maps, sizeof(*child->maps), &child->cap, parent->count);
		memcpy(child->maps, parent->maps, parent->count * sizeof(*parent->maps));
		child->count = parent->count;
	}
	bump(ps, child);
	child->comm = parent_comm;
	if (parent_comm)
		set_thread_comm(ps, pid, tid, parent_comm);
}

void fk_processes_exit(fk_processes *ps, int pid, int tid)
{
	/* Nothing to drop: samples recorded before the exit still need the data. */
	(void)ps;
	(void)pid;
	(void)tid;
}

const fk_mapping *fk_processes_find(const fk_processes *ps, int pid, uint64_t addr)
{
	const proc *p = find_proc(ps, pid);
	if (!p || !p->count)
		return NULL;
	size_t i = first_ending_after(p, addr);
	if (i < p->count && p->maps[i].start <= addr)
		return &p->maps[i];
	return NULL;
}

const fk_mapping *fk_processes_mappings(const fk_processes *ps, int pid, size_t *count)
{
	const proc *p = find_proc(ps, pid);
	*count = p ? p->count : 0;
	return p ? p->maps : NULL;
}

uint64_t fk_processes_maps_version(const fk_processes *ps, int pid)
{
	const proc *p = find_proc(ps, pid);
	return p ? p->version : 0;
}

const char *fk_processes_comm_of(const fk_processes *ps, int pid, int tid)
{
	const char *name = fk_u64map_get(&ps->threads, thread_key(pid, tid));
	if (name)
		return name;
	const proc *p = find_proc(ps, pid);
	return p ? p->comm : NULL;
}

bool fk_processes_known(const fk_processes *ps, int pid)
{
	return find_proc(ps, pid) != NULL;
}

/* ---- /proc ------------------------------------------------------------------------- */

/* The first line of a small file such as /proc/PID/comm, without its newline. */
static bool read_first_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

struct thread_names {
	fk_processes *ps;
	int pid;
};

static void read_thread_name(int tid, void *ctx)
{
	struct thread_names *t = ctx;
	char path[96], name[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", t->pid, tid);
	if (read_first_line(path, name, sizeof(name)))
		set_thread_comm(t->ps, t->pid, tid, intern(t->ps, name));
}

int fk_processes_read_proc(fk_processes *ps, int pid, fk_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = pid > 0 ? fopen(path, "re") : NULL;
	if (!f) {
		int e = pid > 0 ? errno : ESRCH;
		if (e == ENOENT)
			e = ESRCH;
		return fk_error_set(err, "cannot read the mappings of process %d: %s", pid, strerror(e));
	}
	proc *p = get_proc(ps, pid);
	p->count = 0;
	fk_line_reader r;
	fk_line_reader_init(&r, f, 64 * 1024);
	while (fk_line_reader_next(&r)) {
		fk_mapping m;
		const char *mpath;
		size_t mpath_len;
		if (!fk_proc_maps_parse_line(r.buf, r.len, &m, &mpath, &mpath_len))
			continue;
		m.path = fk_interner_name(ps->strings, fk_intern(ps->strings, mpath, mpath_len), NULL);
		insert_mapping(ps, p, &m);
	}
	bool failed = ferror(f) != 0;
	int read_errno = errno;
	fk_line_reader_free(&r);
	fclose(f);
	bump(ps, p);
	if (failed)
		return fk_error_set(err, "cannot read the mappings of process %d: %s", pid,
				    strerror(read_errno));

	char name[256];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_first_line(path, name, sizeof(name)))
		p->comm = intern(ps, name);
	struct thread_names names = {ps, pid};
	fk_proc_tasks(pid, read_thread_name, &names);
	return 0;
}
