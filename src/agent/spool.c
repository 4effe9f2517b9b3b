/* spool.c: the agent's disk buffer of windows (spool.h). */
#define _GNU_SOURCE
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "FKW1 "
enum {
	HEADER_MAX = 4096,  /* a header line longer than this is damage */
	SEQ_DIGITS = 20,
};
/* A window file larger than this is damage whatever the bound (one window of folded
 * stacks is far smaller). */
#define FILE_MAX ((uint64_t)1 << 30)

struct entry {
	uint64_t seq;
	uint64_t size;  /* of the file */
	double value;
};

struct fk_spool {
	char *dir;
	int lock_fd;
	uint64_t max_bytes;
	fk_log_fn log;
	void *log_ctx;
	pthread_mutex_t mu;
	struct entry *entries; /* oldest first: [head, len) */
	size_t head, len, cap;
	uint64_t next_seq;
	uint64_t in_flight; /* the window being sent, 0: none */
	fk_spool_stats stats;
};

static char *path_of(const fk_spool *s, const char *name)
{
	size_t n = strlen(s->dir) + strlen(name) + 2;
	char *p = fk_xmalloc(n);
	snprintf(p, n, "%s/%s", s->dir, name);
	return p;
}

static void window_name(uint64_t seq, char *buf, size_t cap)
{
	snprintf(buf, cap, "w-%0*" PRIu64 ".fkw", SEQ_DIGITS, seq);
}

static char *window_path(const fk_spool *s, uint64_t seq)
{
	char name[64];
	window_name(seq, name, sizeof name);
	return path_of(s, name);
}

/* "w-" 20 digits ".fkw": true with *seq. */
static bool parse_window_name(const char *name, uint64_t *seq)
{
	if (strncmp(name, "w-", 2) != 0 || strlen(name) != 2 + SEQ_DIGITS + 4 ||
	    strcmp(name + 2 + SEQ_DIGITS, ".fkw") != 0)
		return false;
	uint64_t v = 0;
	for (int i = 0; i < SEQ_DIGITS; i++) {
		char c = name[2 + i];
		if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*seq = v;
	return v > 0;
}

/* mkdir -p, the directories made with mode 0700. */
static int make_dirs(const char *dir, fk_error *err)
{
	char *p = fk_xstrdup(dir);
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			fk_error_set(err, "cannot create %s: %s", p, strerror(e));
			free(p);
			return -1;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return fk_error_set(err, "%s is not a directory", dir);
	return 0;
}

size_t fk_spool_parse_header(const char *buf, size_t n, uint64_t file_size, uint64_t *body_len,
			     double *value, const char **meta, size_t *meta_len, const char **why)
{
	const char *nl = memchr(buf, '\n', n);
	if (n < sizeof MAGIC - 1 || memcmp(buf, MAGIC, sizeof MAGIC - 1) != 0) {
		*why = "not a window file (no FKW1 header)";
		return 0;
	}
	if (!nl) {
		*why = "header line not terminated";
		return 0;
	}
	const char *p = buf + sizeof MAGIC - 1;
	uint64_t len = 0;
	int digits = 0;
	while (p < nl && *p >= '0' && *p <= '9' && digits < 19) {
		len = len * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (!digits || p >= nl || *p != ' ') {
		*why = "bad body length in the header";
		return 0;
	}
	p++;
	char num[64];
	size_t k = 0;
	while (p < nl && *p != ' ' && k < sizeof num - 1)
		num[k++] = *p++;
	num[k] = '\0';
	char *end;
	double v = strtod(num, &end);
	if (!k || *end || !isfinite(v) || v < 0 || p >= nl || *p != ' ') {
		*why = "bad value in the header";
		return 0;
	}
	p++;
	size_t header = (size_t)(nl - buf) + 1;
	if ((uint64_t)header + len != file_size) {
		*why = "truncated or too long (its size does not match its header)";
		return 0;
	}
	*body_len = len;
	*value = v;
	*meta = p;
	*meta_len = (size_t)(nl - p);
	return header;
}

/* Moves a damaged window file aside (NAME.bad), so that it is not read again. */
static void set_aside(fk_spool *s, const char *name, const char *why)
{
	char *from = path_of(s, name);
	size_t n = strlen(from) + 5;
	char *to = fk_xmalloc(n);
	snprintf(to, n, "%s.bad", from);
	if (rename(from, to) < 0)
		unlink(from);
	fk_logf(s->log, s->log_ctx, "%s: %s; set aside as %s.bad", from, why, name);
	free(from);
	free(to);
}

static int by_seq(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads the header of a window file left in the directory. */
static bool scan_window(fk_spool *s, const char *name, uint64_t seq)
{
	char *path = path_of(s, name);
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char buf[HEADER_MAX];
	ssize_t n = -1;
	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if ((uint64_t)st.st_size > FILE_MAX)
		why = "too large";
	else if ((n = pread(fd, buf, sizeof buf, 0)) < 0)
		why = strerror(errno);
	if (fd >= 0)
		close(fd);
	free(path);
	uint64_t body_len;
	double value;
	const char *meta;
	size_t meta_len;
	if (!why)
		fk_spool_parse_header(buf, (size_t)n, (uint64_t)st.st_size, &body_len, &value, &meta,
				      &meta_len, &why);
	if (why) {
		set_aside(s, name, why);
		s->stats.damaged++;
		return false;
	}
	fk_grow((void **)&s->entries, sizeof(*s->entries), &s->cap, s->len + 1);
	s->entries[s->len++] = (struct entry){seq, (uint64_t)st.st_size, value};
	s->stats.bytes += (uint64_t)st.st_size;
	return true;
}

static size_t queued(const fk_spool *s)
{
	return s->len - s->head;
}

/* Deletes the entry at index i (not the one in flight), counting it as dropped. */
static void drop_at(fk_spool *s, size_t i)
{
	struct entry e = s->entries[i];
	char *path = window_path(s, e.seq);
	unlink(path);
	free(path);
	/* the entries before i (at most the one in flight) move up one */
	memmove(&s->entries[s->head + 1], &s->entries[s->head], (i - s->head) * sizeof(*s->entries));
	s->head++;
	s->stats.bytes -= e.size;
	s->stats.dropped++;
	s->stats.dropped_value += e.value;
	uint64_t d = s->stats.dropped;
	if ((d & (d - 1)) == 0) /* 1, 2, 4, 8...: not a line per window */
		fk_logf(s->log, s->log_ctx,
			"buffer %s over its bound (%" PRIu64 " bytes): dropped the oldest window; %" PRIu64
			" windows (%.0f) dropped so far",
			s->dir, s->max_bytes, d, s->stats.dropped_value);
}

/* Keeps the directory within the bound: deletes the oldest windows, never the one in
 * flight nor the newest. */
static void enforce_bound(fk_spool *s)
{
	while (s->stats.bytes > s->max_bytes) {
		size_t i = s->head;
		if (i < s->len && s->entries[i].seq == s->in_flight)
			i++;
		if (i + 1 >= s->len)
			break; /* only the newest (and the one in flight) are left */
		drop_at(s, i);
	}
}

int fk_spool_open(const char *dir, uint64_t max_bytes, fk_log_fn log, void *log_ctx,
		  fk_spool **out, fk_error *err)
{
	*out = NULL;
	if (make_dirs(dir, err) < 0)
		return -1;
	fk_spool *s = fk_xcalloc(1, sizeof(*s));
	s->dir = fk_xstrdup(dir);
	s->max_bytes = max_bytes;
	s->log = log;
	s->log_ctx = log_ctx;
	s->lock_fd = -1;
	pthread_mutex_init(&s->mu, NULL);

	char *lock = path_of(s, "lock");
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		fk_error_set(err, "cannot open %s: %s", lock, strerror(errno));
		free(lock);
		fk_spool_close(s);
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		fk_error_set(err, "%s is in use by another flamekit agent (%s is locked)", dir, lock);
		free(lock);
		fk_spool_close(s);
		return -1;
	}
	free(lock);

	DIR *d = opendir(dir);
	if (!d) {
		fk_error_set(err, "cannot read %s: %s", dir, strerror(errno));
		fk_spool_close(s);
		return -1;
	}
	struct dirent *e;
	uint64_t max_seq = 0;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		size_t n = strlen(name);
		uint64_t seq;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "lock") == 0 ||
		    (n > 4 && strcmp(name + n - 4, ".bad") == 0))
			continue;
		if (strncmp(name, ".tmp-", 5) == 0) {
			/* a window an agent was writing when it died: never complete */
			char *path = path_of(s, name);
			unlink(path);
			free(path);
			continue;
		}
		if (!parse_window_name(name, &seq)) {
			fk_logf(s->log, s->log_ctx,
				"%s/%s: not a window file of flamekit agent; ignored", dir, name);
			continue;
		}
		if (seq > max_seq)
			max_seq = seq;
		scan_window(s, name, seq);
	}
	closedir(d);
	if (s->len)
		qsort(s->entries, s->len, sizeof(*s->entries), by_seq);
	s->next_seq = max_seq + 1;
	s->stats.found_at_open = s->len;
	enforce_bound(s);
	*out = s;
	return 0;
}

void fk_spool_close(fk_spool *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_mutex_destroy(&s->mu);
	free(s->entries);
	free(s->dir);
	free(s);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fk_spool_add(fk_spool *s, const char *meta, double value, const void *body, size_t len,
		 fk_error *err)
{
	if (strchr(meta, '\n') || strlen(meta) > HEADER_MAX - 64)
		return fk_error_set(err, "window metadata too long or not one line");
	pthread_mutex_lock(&s->mu);
	uint64_t seq = s->next_seq++;
	pthread_mutex_unlock(&s->mu);

	char header[HEADER_MAX];
	int hl = snprintf(header, sizeof header, MAGIC "%zu %.17g %s\n", len, value, meta);
	char tmp_name[64];
	snprintf(tmp_name, sizeof tmp_name, ".tmp-%" PRIu64, seq);
	char *tmp = path_of(s, tmp_name), *final = window_path(s, seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = 0;
	/* synced before the rename: a window in the buffer survives a machine crash too */
	if (fd < 0 || write_all(fd, header, (size_t)hl) < 0 || write_all(fd, body, len) < 0 ||
	    fdatasync(fd) < 0) {
		rc = fk_error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, final) < 0) {
		rc = fk_error_set(err, "cannot write %s: %s", final, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(final);
	if (rc < 0)
		return rc;

	pthread_mutex_lock(&s->mu);
	fk_grow((void **)&s->entries, sizeof(*s->entries), &s->cap, s->len + 1);
	s->entries[s->len++] = (struct entry){seq, (uint64_t)hl + len, value};
	s->stats.bytes += (uint64_t)hl + len;
	s->stats.added++;
	enforce_bound(s);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Removes the entry at head (the one in flight) from the queue. */
static void pop_head(fk_spool *s)
{
	s->stats.bytes -= s->entries[s->head].size;
	s->head++;
	s->in_flight = 0;
	if (s->head == s->len) {
		s->head = s->len = 0;
	} else if (s->head > 1024 && s->head > s->len / 2) {
		memmove(s->entries, s->entries + s->head, queued(s) * sizeof(*s->entries));
		s->len -= s->head;
		s->head = 0;
	}
}

/* Reads the window file of seq; false (why) when it is damaged or gone. */
static bool read_window(fk_spool *s, uint64_t seq, fk_spool_window *w, const char **why)
{
	char *path = window_path(s, seq);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > FILE_MAX) {
		*why = fd < 0 ? strerror(errno) : "not a regular file, or too large";
		if (fd >= 0)
			close(fd);
		return false;
	}
	size_t size = (size_t)st.st_size;
	char *data = fk_xmalloc(size + 1);
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, data + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	uint64_t body_len;
	const char *meta;
	size_t meta_len;
	size_t header = got == size ? fk_spool_parse_header(data, size, size, &body_len, &w->value,
							    &meta, &meta_len, why)
				    : 0;
	if (got != size)
		*why = "short read";
	if (!header) {
		free(data);
		return false;
	}
	w->seq = seq;
	w->meta = fk_xstrndup(meta, meta_len);
	w->len = (size_t)body_len;
	w->body = fk_xmalloc(w->len + 1);
	memcpy(w->body, data + header, w->len);
	w->body[w->len] = '\0';
	free(data);
	return true;
}

bool fk_spool_take_oldest(fk_spool *s, fk_spool_window *w)
{
	memset(w, 0, sizeof *w);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		if (!queued(s)) {
			pthread_mutex_unlock(&s->mu);
			return false;
		}
		uint64_t seq = s->entries[s->head].seq;
		s->in_flight = seq;
		pthread_mutex_unlock(&s->mu);

		const char *why = NULL;
		if (read_window(s, seq, w, &why))
			return true;
		char name[64];
		window_name(seq, name, sizeof name);
		pthread_mutex_lock(&s->mu);
		set_aside(s, name, why);
		s->stats.damaged++;
		pop_head(s);
		pthread_mutex_unlock(&s->mu);
	}
}

void fk_spool_window_free(fk_spool_window *w)
{
	free(w->meta);
	free(w->body);
	memset(w, 0, sizeof *w);
}

void fk_spool_done(fk_spool *s, uint64_t seq)
{
	pthread_mutex_lock(&s->mu);
	if (queued(s) && s->entries[s->head].seq == seq && s->in_flight == seq) {
		char *path = window_path(s, seq);
		unlink(path);
		free(path);
		pop_head(s);
	}
	pthread_mutex_unlock(&s->mu);
}

void fk_spool_keep(fk_spool *s, uint64_t seq)
{
	pthread_mutex_lock(&s->mu);
	if (s->in_flight == seq)
		s->in_flight = 0;
	pthread_mutex_unlock(&s->mu);
}

fk_spool_stats fk_spool_stats_get(fk_spool *s)
{
	pthread_mutex_lock(&s->mu);
	fk_spool_stats st = s->stats;
	st.windows = queued(s);
	pthread_mutex_unlock(&s->mu);
	return st;
}

const char *fk_spool_dir(const fk_spool *s)
{
	return s->dir;
}
