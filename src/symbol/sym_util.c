/* sym_util.c: the u64 hash map and bounded line reader of sym_util.h. */
#include "sym_util.h"

#include <dirent.h>
#include <time.h>

#include "../util/hash.h"

/* ---- u64 → pointer hash map ---------------------------------------------------------- */

void *fk_u64map_get(const fk_u64map *m, uint64_t key)
{
	if (!m->mask)
		return NULL;
	size_t i = fk_hash_mix(key) & m->mask;
	while (m->values[i]) {
		if (m->keys[i] == key)
			return m->values[i];
		i = (i + 1) & m->mask;
	}
	return NULL;
}

static void u64map_place(uint64_t *keys, void **values, size_t mask, uint64_t key, void *value)
{
	size_t i = fk_hash_mix(key) & mask;
	while (values[i])
		i = (i + 1) & mask;
	keys[i] = key;
	values[i] = value;
}

static void u64map_grow(fk_u64map *m)
{
	size_t cap = m->mask ? (m->mask + 1) * 2 : 64;
	uint64_t *keys = fk_xcalloc(cap, sizeof(*keys));
	void **values = fk_xcalloc(cap, sizeof(*values));
	if (m->mask) {
		for (size_t i = 0; i <= m->mask; i++)
			if (m->values[i])
				u64map_place(keys, values, cap - 1, m->keys[i], m->values[i]);
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->mask = cap - 1;
}

void *fk_u64map_put(fk_u64map *m, uint64_t key, void *value)
{
	if (!m->mask || (m->count + 1) * 2 > m->mask + 1)
		u64map_grow(m);
	size_t i = fk_hash_mix(key) & m->mask;
	while (m->values[i]) {
		if (m->keys[i] == key) {
			void *old = m->values[i];
			m->values[i] = value;
			return old;
		}
		i = (i + 1) & m->mask;
	}
	m->keys[i] = key;
	m->values[i] = value;
	m->count++;
	return NULL;
}

void fk_u64map_free(fk_u64map *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}


/* ---- bounded line reader ------------------------------------------------------------ */

void fk_line_reader_init(fk_line_reader *r, FILE *file, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->file = file;
	r->cap = max_line < 64 ? 64 : max_line;
	r->buf = fk_xmalloc(r->cap);
}

bool fk_line_reader_next(fk_line_reader *r)
{
	for (;;) {
		size_t len = 0;
		bool too_long = false, any = false;
		int c;
		while ((c = getc_unlocked(r->file)) != EOF) {
			any = true;
			r->consumed++;
			if (c == '\n') {
				r->complete_bytes = r->consumed;
				break;
			}
			if (len + 1 < r->cap)
				r->buf[len++] = (char)c;
			else
				too_long = true;
		}
		if (!any)
			return false;
		r->complete = c == '\n';
		if (too_long) {
			r->skipped++;
			if (!r->complete)
				return false;
			continue;
		}
		r->buf[len] = '\0';
		r->len = len;
		return true;
	}
}

void fk_line_reader_free(fk_line_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* ---- small parsing helpers --------------------------------------------------------- */

bool fk_parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int significant = 0;
	bool any = false;
	while (s < end) {
		int d;
		char c = *s;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		any = true;
		if (v || d)
			significant++;
		if (significant > 16)
			return false;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (!any)
		return false;
	*p = s;
	*out = v;
	return true;
}

uint64_t fk_monotonic_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

long fk_proc_tasks(int pid, void (*visit)(int tid, void *ctx), void *ctx)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		if (*end || tid <= 0 || tid > INT32_MAX)
			continue;
		visit((int)tid, ctx);
		n++;
	}
	closedir(d);
	return n;
}

struct task_array {
	int **tids;
	size_t *len, *cap;
};

static void append_task(int tid, void *ctx)
{
	struct task_array *a = ctx;
	fk_grow((void **)a->tids, sizeof(int), a->cap, *a->len + 1);
	(*a->tids)[(*a->len)++] = tid;
}

long fk_proc_task_ids(int pid, int **tids, size_t *len, size_t *cap)
{
	struct task_array a = {tids, len, cap};
	return fk_proc_tasks(pid, append_task, &a);
}
