/* preload_file.c: reader of libflamekit-preload.so's files (preload_file.h; the format
 * is in src/preload/format.h). The whole file is parsed and checked first, into plain
 * arrays; only then are its mappings given to the fk_processes and its stacks
 * symbolized and passed on. */
#include "preload_file.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../preload/format.h"
#include "../symbol/frame_text.h"

enum { MAX_FILE = 1 << 30 }; /* 1 GiB: far beyond what the library writes */

typedef struct pl_map {
	uint64_t start, end, pgoff;
	uint32_t prot;
	const char *path; /* in the file's text, not terminated */
	size_t path_len;
} pl_map;

typedef struct pl_stack {
	size_t first, depth; /* frames[first .. first + depth) */
} pl_stack;

typedef struct pl_sample {
	size_t stack;
	uint64_t v[4]; /* alloc: bytes, objects, in-use bytes, in-use objects; lock: ns, count */
	uint64_t line;
} pl_sample;

typedef struct pl_file {
	const char *name;
	bool have_mode, have_interval, have_pid, have_comm, ended;
	bool lock;
	uint64_t mode_line;
	uint64_t interval;
	int pid;
	const char *comm;
	size_t comm_len;
	uint64_t lost;
	pl_map *maps;
	size_t nmaps, maps_cap;
	uint64_t *frames;
	size_t nframes, frames_cap;
	pl_stack *stacks;
	size_t nstacks, stacks_cap;
	pl_sample *samples;
	size_t nsamples, samples_cap;
} pl_file;

static void pl_free(pl_file *f)
{
	free(f->maps);
	free(f->frames);
	free(f->stacks);
	free(f->samples);
}

/* ---- kinds ---- */

static const struct {
	const char *name, *unit;
	bool lock;
} kinds[] = {
	[FK_PRELOAD_ALLOC_SPACE] = {"alloc_space", "bytes", false},
	[FK_PRELOAD_ALLOC_OBJECTS] = {"alloc_objects", "objects", false},
	[FK_PRELOAD_INUSE_SPACE] = {"inuse_space", "bytes", false},
	[FK_PRELOAD_INUSE_OBJECTS] = {"inuse_objects", "objects", false},
	[FK_PRELOAD_LOCK_WAIT_US] = {"lock_wait_us", "us", true},
	[FK_PRELOAD_LOCK_COUNT] = {"lock_count", "waits", true},
};

static bool kind_valid(fk_preload_profile_kind kind)
{
	return (unsigned)kind < FK_ARRAY_LEN(kinds);
}

bool fk_preload_kind_parse(const char *name, fk_preload_profile_kind *kind)
{
	for (size_t i = 0; i < FK_ARRAY_LEN(kinds); i++) {
		if (strcmp(name, kinds[i].name) == 0) {
			*kind = (fk_preload_profile_kind)i;
			return true;
		}
	}
	return false;
}

const char *fk_preload_kind_name(fk_preload_profile_kind kind)
{
	return kind_valid(kind) ? kinds[kind].name : "?";
}

const char *fk_preload_kind_unit(fk_preload_profile_kind kind)
{
	return kind_valid(kind) ? kinds[kind].unit : "?";
}

const char *fk_preload_kind_mode(fk_preload_profile_kind kind)
{
	return kind_valid(kind) && kinds[kind].lock ? "lock" : "alloc";
}

void fk_preload_add_to_parser(void *ctx, const char *comm, int pid, int tid, double value,
			      const fk_perf_stack_line *frames, size_t n)
{
	fk_perf_parser_add_sample(ctx, NULL, comm, pid, tid, value, frames, n);
}

/* ---- parsing ---- */

/* A line cut into fields at single spaces. */
typedef struct pl_line {
	const char *p, *end; /* what is left of the line */
	uint64_t no;
} pl_line;

static int bad(const pl_file *f, uint64_t line, fk_error *err, const char *what)
{
	if (line)
		return fk_error_set(err, "%s:%" PRIu64 ": %s", f->name, line, what);
	return fk_error_set(err, "%s: %s", f->name, what);
}

/* The next field (up to a space or the end), or false if there is none. */
static bool field(pl_line *l, const char **s, size_t *len)
{
	if (l->p >= l->end)
		return false;
	const char *sp = memchr(l->p, ' ', (size_t)(l->end - l->p));
	const char *e = sp ? sp : l->end;
	*s = l->p;
	*len = (size_t)(e - l->p);
	l->p = sp ? sp + 1 : l->end;
	return *len > 0;
}

static bool parse_dec(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len || len > 16)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = (unsigned)(s[i] - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static bool next_dec(pl_line *l, uint64_t *v)
{
	const char *s;
	size_t len;
	return field(l, &s, &len) && parse_dec(s, len, v);
}

static bool next_hex(pl_line *l, uint64_t *v)
{
	const char *s;
	size_t len;
	return field(l, &s, &len) && parse_hex(s, len, v);
}

static bool keyword(const char *s, size_t len, const char *k)
{
	return len == strlen(k) && memcmp(s, k, len) == 0;
}

static int parse_map(pl_file *f, pl_line *l, fk_error *err)
{
	pl_map m = {0};
	const char *perms;
	size_t perms_len;
	if (!next_hex(l, &m.start) || !next_hex(l, &m.end) || !next_hex(l, &m.pgoff) ||
	    !field(l, &perms, &perms_len))
		return bad(f, l->no, err, "a map line needs START END PGOFF PERMS PATH");
	if (m.start >= m.end)
		return bad(f, l->no, err, "a mapping ends before it starts");
	if (perms_len != 4 || (perms[0] != 'r' && perms[0] != '-') ||
	    (perms[1] != 'w' && perms[1] != '-') || (perms[2] != 'x' && perms[2] != '-') ||
	    (perms[3] != 'p' && perms[3] != 's'))
		return bad(f, l->no, err, "bad permissions in a map line (want e.g. r-xp)");
	m.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		 (perms[2] == 'x' ? PROT_EXEC : 0);
	m.path = l->p; /* the rest of the line, spaces and all */
	m.path_len = (size_t)(l->end - l->p);
	fk_grow((void **)&f->maps, sizeof(*f->maps), &f->maps_cap, f->nmaps + 1);
	f->maps[f->nmaps++] = m;
	return 0;
}

static int parse_stack(pl_file *f, pl_line *l, fk_error *err)
{
	uint64_t id;
	if (!next_dec(l, &id))
		return bad(f, l->no, err, "a stack line needs an ID");
	if (id != f->nstacks)
		return bad(f, l->no, err, "stack ids must be 0, 1, 2... in order");
	pl_stack st = {f->nframes, 0};
	const char *s;
	size_t len;
	while (l->p < l->end) {
		uint64_t pc;
		if (!field(l, &s, &len) || !parse_hex(s, len, &pc))
			return bad(f, l->no, err, "a stack address is not a hex number");
		if (st.depth == FK_PRELOAD_MAX_FRAMES)
			return bad(f, l->no, err, "a stack has more frames than the format allows");
		fk_grow((void **)&f->frames, sizeof(*f->frames), &f->frames_cap, f->nframes + 1);
		f->frames[f->nframes++] = pc;
		st.depth++;
	}
	fk_grow((void **)&f->stacks, sizeof(*f->stacks), &f->stacks_cap, f->nstacks + 1);
	f->stacks[f->nstacks++] = st;
	return 0;
}

static int parse_sample(pl_file *f, pl_line *l, fk_error *err)
{
	if (!f->have_mode)
		return bad(f, l->no, err, "a sample line before the mode line");
	pl_sample s = {0};
	uint64_t id;
	if (!next_dec(l, &id))
		return bad(f, l->no, err, "a sample line needs a stack ID");
	if (id >= f->nstacks)
		return bad(f, l->no, err, "a sample names a stack id that no stack line defined before it");
	s.stack = (size_t)id;
	s.line = l->no;
	int want = f->lock ? 2 : 4;
	for (int i = 0; i < want; i++) {
		if (!next_dec(l, &s.v[i]))
			return bad(f, l->no, err, f->lock ? "a lock sample needs ID WAIT_NS COUNT"
							  : "an alloc sample needs ID BYTES OBJECTS INUSE_BYTES INUSE_OBJECTS (numbers below 2^64)");
	}
	if (l->p < l->end)
		return bad(f, l->no, err, "too many fields in a sample line");
	fk_grow((void **)&f->samples, sizeof(*f->samples), &f->samples_cap, f->nsamples + 1);
	f->samples[f->nsamples++] = s;
	return 0;
}

static int parse_line(pl_file *f, pl_line *l, fk_error *err)
{
	const char *k;
	size_t klen;
	if (!field(l, &k, &klen))
		return bad(f, l->no, err, "an empty line");
	uint64_t v;
	if (keyword(k, klen, "stack"))
		return parse_stack(f, l, err);
	if (keyword(k, klen, "sample"))
		return parse_sample(f, l, err);
	if (keyword(k, klen, "map"))
		return parse_map(f, l, err);
	if (keyword(k, klen, "mode")) {
		const char *m;
		size_t mlen;
		if (f->have_mode)
			return bad(f, l->no, err, "a second mode line");
		if (!field(l, &m, &mlen) || l->p < l->end ||
		    (!keyword(m, mlen, "alloc") && !keyword(m, mlen, "lock")))
			return bad(f, l->no, err, "the mode is not alloc or lock");
		f->have_mode = true;
		f->lock = keyword(m, mlen, "lock");
		f->mode_line = l->no;
		return 0;
	}
	if (keyword(k, klen, "interval")) {
		if (f->have_interval)
			return bad(f, l->no, err, "a second interval line");
		if (!next_dec(l, &v) || l->p < l->end)
			return bad(f, l->no, err, "the interval is not a number below 2^64");
		f->have_interval = true;
		f->interval = v;
		return 0;
	}
	if (keyword(k, klen, "pid")) {
		if (f->have_pid)
			return bad(f, l->no, err, "a second pid line");
		if (!next_dec(l, &v) || l->p < l->end || v == 0 || v > INT_MAX)
			return bad(f, l->no, err, "the pid is not a number in 1..2^31-1");
		f->have_pid = true;
		f->pid = (int)v;
		return 0;
	}
	if (keyword(k, klen, "comm")) {
		if (f->have_comm)
			return bad(f, l->no, err, "a second comm line");
		f->have_comm = true;
		f->comm = l->p;
		f->comm_len = (size_t)(l->end - l->p);
		return 0;
	}
	if (keyword(k, klen, "lost")) {
		if (!next_dec(l, &v) || l->p < l->end)
			return bad(f, l->no, err, "lost is not a number below 2^64");
		f->lost += v;
		return 0;
	}
	if (keyword(k, klen, "end")) {
		if (l->p < l->end)
			return bad(f, l->no, err, "text after end");
		f->ended = true;
		return 0;
	}
	return bad(f, l->no, err, "not a line of a flamekit-preload file");
}

static int parse_all(pl_file *f, const char *data, size_t len, fk_error *err)
{
	if (memchr(data, '\0', len))
		return bad(f, 0, err, "not a flamekit-preload file (binary data)");
	const char *p = data, *end = data + len;
	uint64_t no = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		no++;
		if (!nl)
			return bad(f, no, err, "truncated (the last line has no end)");
		pl_line l = {p, nl, no};
		p = nl + 1;
		if (no == 1) {
			if (!keyword(l.p, (size_t)(l.end - l.p), FK_PRELOAD_MAGIC))
				return bad(f, no, err, "not a flamekit-preload file (no \"" FK_PRELOAD_MAGIC "\" line)");
			continue;
		}
		if (f->ended)
			return bad(f, no, err, "text after the end line");
		if (parse_line(f, &l, err) < 0)
			return -1;
	}
	if (no == 0)
		return bad(f, 0, err, "an empty file, not a flamekit-preload file");
	if (!f->ended)
		return bad(f, no, err, "truncated (no end line)");
	if (!f->have_mode)
		return bad(f, 0, err, "no mode line");
	if (!f->have_pid)
		return bad(f, 0, err, "no pid line");
	if (!f->lock && (!f->have_interval || f->interval == 0))
		return bad(f, 0, err, "an alloc profile needs its sampling interval (interval N, N > 0)");
	return 0;
}

/* ---- passing the stacks on ---- */

static double value_of(const pl_file *f, const pl_sample *s, fk_preload_profile_kind kind)
{
	switch (kind) {
	case FK_PRELOAD_ALLOC_SPACE:
		return (double)s->v[0];
	case FK_PRELOAD_ALLOC_OBJECTS:
		return (double)s->v[1];
	case FK_PRELOAD_INUSE_SPACE:
		return (double)s->v[2];
	case FK_PRELOAD_INUSE_OBJECTS:
		return (double)s->v[3];
	case FK_PRELOAD_LOCK_WAIT_US:
		return (double)s->v[0] / 1000.0;
	case FK_PRELOAD_LOCK_COUNT:
		return (double)s->v[1];
	}
	(void)f;
	return 0;
}

static void emit(const pl_file *f, fk_preload_profile_kind kind, fk_processes *ps,
		 fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx, fk_preload_info *info)
{
	char *comm = fk_xstrndup(f->comm ? f->comm : "", f->comm ? f->comm_len : 0);
	char unknown_comm[24];
	const char *name = comm;
	if (!*comm) {
		snprintf(unknown_comm, sizeof(unknown_comm), ":%d", f->pid);
		name = unknown_comm;
	}
	/* a new process for ps: what it knew of a process with this pid is dropped */
	fk_processes_comm(ps, f->pid, f->pid, name, true);
	for (size_t i = 0; i < f->nmaps; i++) {
		const pl_map *m = &f->maps[i];
		char *path = fk_xstrndup(m->path, m->path_len);
		fk_mapping mm = {m->start, m->end, m->pgoff, m->prot, 0, 0, 0, path};
		fk_processes_mmap(ps, f->pid, &mm);
		free(path);
	}
	fk_frame_texts ft;
	fk_frame_texts_init(&ft);
	size_t given = 0;
	double total = 0;
	for (size_t i = 0; i < f->nsamples; i++) {
		const pl_sample *s = &f->samples[i];
		double value = value_of(f, s, kind);
		if (!(value > 0))
			continue;
		const pl_stack *st = &f->stacks[s->stack];
		fk_frame_texts_reset(&ft);
		for (size_t j = 0; j < st->depth; j++) {
			/* return addresses: name the call instruction, as perf does */
			uint64_t pc = f->frames[st->first + j];
			uint64_t at = pc ? pc - 1 : 0;
			fk_symbol symbol;
			fk_symbolize_user(sym, ps, f->pid, at, &symbol);
			fk_frame_texts_add(&ft, symbol.file_addr, &symbol);
		}
		size_t n;
		const fk_perf_stack_line *lines = fk_frame_texts_lines(&ft, &n);
		fn(ctx, name, f->pid, f->pid, value, lines, n);
		given++;
		total += value;
	}
	fk_frame_texts_free(&ft);
	free(comm);
	if (info) {
		info->files++;
		info->lock = f->lock;
		info->interval = f->interval;
		info->pid = f->pid;
		info->stacks += f->nstacks;
		info->samples += given;
		info->total += total;
		info->lost += f->lost;
	}
}

int fk_preload_parse(const char *name, const char *data, size_t len, fk_preload_profile_kind kind,
		     fk_processes *ps, fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx,
		     fk_preload_info *info, fk_error *err)
{
	pl_file f = {0};
	f.name = name;
	if (!kind_valid(kind))
		return bad(&f, 0, err, "unknown kind of profile");
	int rc = parse_all(&f, data, len, err);
	if (rc == 0 && f.lock != kinds[kind].lock) {
		char what[160];
		snprintf(what, sizeof(what), "recorded in %s mode, which has no %s values",
			 f.lock ? "lock" : "alloc", kinds[kind].name);
		rc = bad(&f, f.mode_line, err, what);
	}
	if (rc == 0)
		emit(&f, kind, ps, sym, fn, ctx, info);
	pl_free(&f);
	return rc;
}

int fk_preload_read(const char *path, fk_preload_profile_kind kind, fk_processes *ps,
		    fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx, fk_preload_info *info,
		    fk_error *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return fk_error_set(err, "%s: %s", path, strerror(errno));
	char *data = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE) {
				rc = fk_error_set(err, "%s: over 1 GiB, not a flamekit-preload file", path);
				break;
			}
			fk_grow((void **)&data, 1, &cap, len + 65536);
		}
		size_t got = fread(data + len, 1, cap - len, fp);
		len += got;
		if (got == 0) {
			if (ferror(fp))
				rc = fk_error_set(err, "%s: %s", path, strerror(errno ? errno : EIO));
			break;
		}
	}
	fclose(fp);
	if (rc == 0)
		rc = fk_preload_parse(path, data ? data : "", len, kind, ps, sym, fn, ctx, info, err);
	free(data);
	return rc;
}

typedef struct pl_found {
	uint64_t pid;
	char *path;
} pl_found;

static int by_pid(const void *a, const void *b)
{
	const pl_found *x = a, *y = b;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int fk_preload_read_prefix(const char *prefix, fk_preload_profile_kind kind, fk_processes *ps,
			   fk_symbolizer *sym, fk_preload_sample_fn fn, void *ctx,
			   fk_preload_info *info, fk_error *err)
{
	const char *slash = strrchr(prefix, '/');
	char *dir = slash ? fk_xstrndup(prefix, (size_t)(slash - prefix) + (slash == prefix))
			  : fk_xstrdup(".");
	const char *base = slash ? slash + 1 : prefix;
	size_t base_len = strlen(base);
	DIR *d = opendir(dir);
	if (!d) {
		int rc = fk_error_set(err, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	pl_found *found = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		uint64_t pid;
		if (strncmp(name, base, base_len) != 0 || name[base_len] != '.' ||
		    !parse_dec(name + base_len + 1, strlen(name + base_len + 1), &pid))
			continue;
		size_t plen = strlen(prefix) + strlen(name + base_len) + 1;
		char *path = fk_xmalloc(plen);
		snprintf(path, plen, "%s%s", prefix, name + base_len);
		fk_grow((void **)&found, sizeof(*found), &cap, n + 1);
		found[n++] = (pl_found){pid, path};
	}
	closedir(d);
	free(dir);
	if (n)
		qsort(found, n, sizeof(*found), by_pid);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && fk_preload_read(found[i].path, kind, ps, sym, fn, ctx, info, err) < 0)
			rc = -1;
		free(found[i].path);
	}
	free(found);
	return rc < 0 ? -1 : (int)n;
}
