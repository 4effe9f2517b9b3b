/* store.c: the storage interface (store.h), independent of the backend: picks the backend
 * from the dsn, validates the policy, and runs the one writer thread. Callers of
 * fk_store_put (and fk_store_compact) queue a job and wait; the writer takes every job
 * queued so far, begins a write transaction under the store-wide write lock (which also
 * brings the dict up to what other processes sharing the store committed), encodes their
 * profiles (store_codec.h) and commits them in that transaction (group commit), then
 * wakes them all. When such a shared transaction fails, each job is retried in a
 * transaction of its own, so every caller gets its own result. Reads go straight to the
 * backend, which serves them on its own connections. Also here, shared by the backends:
 * compaction's plan, and keeping passwords out of messages. */
#include "store.h"

#include <pthread.h>

#include "store_backend.h"

enum job_kind { JOB_PUT, JOB_COMPACT };

struct job {
	enum job_kind kind;
	const fk_ingest_item *items;
	char **names;    /* canonical series names of items */
	size_t n;
	int64_t now;     /* JOB_COMPACT */
	fk_store_compact_stats stats;
	int rc;
	fk_error err;
	bool done;
	struct job *next;
};

struct fk_store {
	const fk_store_backend_ops *ops;
	fk_store_backend *backend;
	fk_store_policy policy;
	fk_codec_dict *dict;   /* the writer thread's */
	fk_codec_cache cache;  /* the readers' */
	char *dsn;             /* for messages: without its password */
	pthread_mutex_t lock;
	pthread_cond_t work;   /* jobs queued or stopping */
	pthread_cond_t done;   /* some job done */
	struct job *queue;     /* newest first */
	bool stop;
	pthread_t writer;
	/* writer scratch */
	fk_codec_buf *blobs;
	size_t blobs_cap;
	fk_store_row *rows;
	size_t rows_cap;
};

void fk_store_policy_init(fk_store_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->window_sec = 10;
	policy->retention_sec = 0;
	policy->levels[0].age_sec = 86400;
	policy->levels[0].size_sec = 60;
	policy->levels[1].age_sec = 7 * 86400;
	policy->levels[1].size_sec = 3600;
	policy->nlevels = 2;
}

static int policy_check(const fk_store_policy *p, fk_error *err)
{
	if (p->window_sec <= 0 || p->window_sec > 86400 * 366)
		return fk_error_set(err, "window size must be between 1 s and a year");
	if (p->retention_sec < 0)
		return fk_error_set(err, "negative retention");
	if (p->nlevels > FK_ARRAY_LEN(p->levels))
		return fk_error_set(err, "at most %zu downsampling levels", FK_ARRAY_LEN(p->levels));
	int64_t age = 0, size = p->window_sec;
	for (size_t i = 0; i < p->nlevels; i++) {
		if (p->levels[i].age_sec <= age || p->levels[i].size_sec <= size ||
		    p->levels[i].size_sec % size || p->levels[i].size_sec > 86400 * 366)
			return fk_error_set(err,
					    "downsampling level %zu: ages must grow and sizes grow "
					    "as multiples of the previous size",
					    i + 1);
		age = p->levels[i].age_sec;
		size = p->levels[i].size_sec;
	}
	return 0;
}

static int64_t floor_to(int64_t t, int64_t step)
{
	int64_t q = t / step;
	if (t % step && t < 0)
		q--;
	return q * step;
}

void fk_store_policy_target(const fk_store_policy *policy, int64_t now, int64_t w, int64_t size,
			    int64_t *target_start, int64_t *target_size)
{
	int64_t tsize = size;
	for (size_t i = 0; i < policy->nlevels; i++)
		if (w <= now - policy->levels[i].age_sec - size &&
		    policy->levels[i].size_sec > tsize)
			tsize = policy->levels[i].size_sec;
	*target_size = tsize;
	*target_start = tsize == size ? w : floor_to(w, tsize);
}

/* ---- compaction's plan ---- */

static int window_cmp(const void *a, const void *b)
{
	const fk_store_window *x = a, *y = b;
	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	if (x->target_start != y->target_start)
		return x->target_start < y->target_start ? -1 : 1;
	if (x->target_size != y->target_size)
		return x->target_size < y->target_size ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int fk_store_compact_plan(const fk_store_policy *policy, int64_t now, fk_store_window *windows,
			  size_t n, fk_store_rewrite_fn rewrite, void *ctx,
			  fk_store_compact_stats *stats, fk_error *err)
{
	for (size_t i = 0; i < n; i++) {
		fk_store_window *w = &windows[i];
		if (w->size <= 0)
			return fk_error_set(err, "corrupt store: profile %lld has size %lld",
					    (long long)w->id, (long long)w->size);
		fk_store_policy_target(policy, now, w->start, w->size, &w->target_start,
				       &w->target_size);
	}
	if (n > 1)
		qsort(windows, n, sizeof(*windows), window_cmp);
	uint64_t remaining = 0, merged = 0;
	for (size_t i = 0, j; i < n; i = j) {
		const fk_store_window *w = &windows[i];
		for (j = i + 1; j < n && windows[j].series == w->series &&
				windows[j].target_start == w->target_start &&
				windows[j].target_size == w->target_size;
		     j++)
			;
		remaining++;
		if (j - i == 1 && w->start == w->target_start && w->size == w->target_size)
			continue;
		if (rewrite(ctx, w, j - i, err))
			return -1;
		merged += j - i - 1;
	}
	stats->merged = merged;
	stats->remaining = remaining;
	return 0;
}

/* ---- passwords in dsns ---- */

/* Where a URI dsn's passwords are: ranges[k] = {start, end} offsets into dsn, for the
 * user info (scheme://user:PASSWORD@host, as libpq reads it: up to the first '@' before any
 * '/') and for password= query parameters. Returns how many (at most max). */
static size_t dsn_passwords(const char *dsn, size_t ranges[][2], size_t max)
{
	size_t n = 0;
	const char *p = strstr(dsn, "://");
	if (!p)
		return 0;
	const char *auth = p + 3, *q = auth;
	while (*q && *q != '@' && *q != '/')
		q++;
	if (*q == '@') {
		const char *colon = memchr(auth, ':', (size_t)(q - auth));
		if (colon && n < max) {
			ranges[n][0] = (size_t)(colon + 1 - dsn);
			ranges[n][1] = (size_t)(q - dsn);
			n++;
		}
	}
	const char *query = strchr(auth, '?');
	while (query && n < max) {
		query++;
		size_t len = strcspn(query, "&");
		if (len >= 9 && !strncmp(query, "password=", 9)) {
			ranges[n][0] = (size_t)(query + 9 - dsn);
			ranges[n][1] = (size_t)(query + len - dsn);
			n++;
		}
		query = query[len] ? query + len : NULL;
	}
	return n;
}

char *fk_store_dsn_display(const char *dsn)
{
	size_t ranges[8][2];
	size_t n = dsn_passwords(dsn, ranges, FK_ARRAY_LEN(ranges));
	size_t len = strlen(dsn);
	char *out = fk_xmalloc(len + 3 * n + 1), *o = out;
	size_t at = 0;
	for (size_t k = 0; k < n; k++) {
		memcpy(o, dsn + at, ranges[k][0] - at);
		o += ranges[k][0] - at;
		memcpy(o, "***", 3);
		o += 3;
		at = ranges[k][1];
	}
	memcpy(o, dsn + at, len - at + 1);
	return out;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Replaces every occurrence of secret (not empty) in msg by "***"; when a longer message
 * would not fit in size bytes, it ends there. */
static void scrub(char *msg, size_t size, const char *secret)
{
	size_t len = strlen(secret);
	if (!len)
		return;
	char *at = msg;
	while ((at = strstr(at, secret))) {
		size_t pos = (size_t)(at - msg), rest = strlen(at + len);
		if (pos + 3 >= size) {
			*at = 0;
			return;
		}
		if (pos + 3 + rest >= size)
			rest = size - 1 - pos - 3;
		memmove(at + 3, at + len, rest);
		at[3 + rest] = 0;
		memcpy(at, "***", 3);
		at += 3;
	}
}

void fk_store_scrub_password(const char *dsn, char *msg, size_t size)
{
	size_t ranges[8][2];
	size_t n = dsn_passwords(dsn, ranges, FK_ARRAY_LEN(ranges));
	for (size_t k = 0; k < n; k++) {
		const char *s = dsn + ranges[k][0];
		size_t len = ranges[k][1] - ranges[k][0];
		char *raw = fk_xstrndup(s, len), *decoded = fk_xmalloc(len + 1);
		size_t dlen = 0;
		for (size_t i = 0; i < len; i++) {
			int hi, lo;
			if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
			    (lo = hex_digit(s[i + 2])) >= 0) {
				decoded[dlen++] = (char)(hi << 4 | lo);
				i += 2;
			} else {
				decoded[dlen++] = s[i];
			}
		}
		decoded[dlen] = 0;
		scrub(msg, size, raw);
		scrub(msg, size, decoded);
		free(raw);
		free(decoded);
	}
}

/* ---- the writer thread ---- */

static void free_job_names(struct job *j)
{
	if (!j->names)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->names[i]);
	free(j->names);
	j->names = NULL;
}

/* Encodes and commits jobs[0..k) in one transaction; on failure retries each alone. */
static void run_puts(fk_store *s, struct job **jobs, size_t k)
{
	size_t nrows = 0;
	for (size_t j = 0; j < k; j++)
		nrows += jobs[j]->n;
	if (nrows > s->blobs_cap) {
		size_t old = s->blobs_cap;
		fk_grow((void **)&s->blobs, sizeof(*s->blobs), &s->blobs_cap, nrows);
		memset(s->blobs + old, 0, (s->blobs_cap - old) * sizeof(*s->blobs));
	}
	fk_grow((void **)&s->rows, sizeof(*s->rows), &s->rows_cap, nrows ? nrows : 1);
	fk_error err = {{0}};
	int rc = s->ops->begin_write(s->backend, s->dict, &err);
	bool began = rc == 0;
	size_t r = 0;
	for (size_t j = 0; j < k && rc == 0; j++) {
		for (size_t i = 0; i < jobs[j]->n && rc == 0; i++, r++) {
			const fk_ingest_item *it = &jobs[j]->items[i];
			fk_store_row *row = &s->rows[r];
			size_t nstacks;
			rc = fk_codec_encode(s->dict, it->profile, &s->blobs[r], &row->total, &nstacks,
					     &err);
			row->item = it;
			row->series_name = jobs[j]->names[i];
			row->window = floor_to(it->from, s->policy.window_sec);
			row->size = s->policy.window_sec;
			row->blob = s->blobs[r].data;
			row->blob_len = s->blobs[r].len;
		}
	}
	if (rc == 0)
		rc = s->ops->put_batch(s->backend, s->dict, s->rows, nrows, &err);
	else if (began)
		s->ops->abort_write(s->backend); /* encoding failed */
	if (rc == 0) {
		fk_codec_dict_commit(s->dict);
		for (size_t j = 0; j < k; j++)
			jobs[j]->rc = 0;
		return;
	}
	fk_codec_dict_rollback(s->dict);
	if (k > 1) {
		for (size_t j = 0; j < k; j++)
			run_puts(s, &jobs[j], 1);
		return;
	}
	jobs[0]->rc = -1;
	jobs[0]->err = err;
}

static void *writer_main(void *arg)
{
	fk_store *s = arg;
	struct job **batch = NULL;
	size_t batch_cap = 0;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->queue && !s->stop)
			pthread_cond_wait(&s->work, &s->lock);
		if (!s->queue)
			break;
		struct job *list = s->queue;
		s->queue = NULL;
		pthread_mutex_unlock(&s->lock);

		size_t k = 0;
		for (struct job *j = list; j; j = j->next) {
			fk_grow((void **)&batch, sizeof(*batch), &batch_cap, k + 1);
			batch[k++] = j;
		}
		for (size_t a = 0, b = k - 1; a < b; a++, b--) { /* oldest first */
			struct job *t = batch[a];
			batch[a] = batch[b];
			batch[b] = t;
		}
		size_t start = 0;
		for (size_t i = 0; i <= k; i++) {
			if (i < k && batch[i]->kind == JOB_PUT)
				continue;
			if (i > start)
				run_puts(s, batch + start, i - start);
			if (i < k) {
				struct job *c = batch[i];
				c->rc = s->ops->begin_write(s->backend, s->dict, &c->err);
				if (c->rc == 0)
					c->rc = s->ops->compact(s->backend, s->dict, &s->policy,
								c->now, &c->stats, &c->err);
			}
			start = i + 1;
		}

		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < k; i++)
			batch[i]->done = true;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	free(batch);
	return NULL;
}

/* The error of a failed job, naming the store once. */
static int job_error(const fk_store *s, const struct job *j, fk_error *err)
{
	if (!strncmp(j->err.msg, s->dsn, strlen(s->dsn)))
		return fk_error_set(err, "%s", j->err.msg);
	return fk_error_set(err, "%s: %s", s->dsn, j->err.msg);
}

static void run_job(fk_store *s, struct job *j)
{
	pthread_mutex_lock(&s->lock);
	j->next = s->queue;
	s->queue = j;
	pthread_cond_signal(&s->work);
	while (!j->done)
		pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the interface ---- */

int fk_store_open(const char *dsn, const fk_store_policy *policy, fk_store **out, fk_error *err)
{
	*out = NULL;
	fk_store_policy defaults;
	if (!policy) {
		fk_store_policy_init(&defaults);
		policy = &defaults;
	}
	if (policy_check(policy, err))
		return -1;
	const fk_store_backend_ops *ops = &fk_store_sqlite_ops;
	const char *target = dsn;
	if (!strncmp(dsn, "sqlite:", 7))
		target = dsn + 7;
	else if (!strncmp(dsn, "postgresql://", 13) || !strncmp(dsn, "postgres://", 11))
		ops = &fk_store_pg_ops; /* libpq reads the URI as it is */
	if (!*target)
		return fk_error_set(err, "empty store path");
	fk_store *s = fk_xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->policy = *policy;
	s->dsn = fk_store_dsn_display(dsn);
	s->dict = fk_codec_dict_new();
	fk_codec_cache_init(&s->cache);
	if (ops->open(target, s->dsn, policy, s->dict, &s->cache, &s->backend, err)) {
		fk_codec_cache_destroy(&s->cache);
		fk_codec_dict_free(s->dict);
		free(s->dsn);
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	if (pthread_create(&s->writer, NULL, writer_main, s)) {
		ops->close(s->backend);
		fk_codec_cache_destroy(&s->cache);
		fk_codec_dict_free(s->dict);
		free(s->dsn);
		free(s);
		return fk_error_set(err, "%s: cannot start the writer thread", dsn);
	}
	*out = s;
	return 0;
}

const char *fk_store_display_name(const fk_store *s)
{
	return s->dsn;
}

void fk_store_close(fk_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->writer, NULL);
	s->ops->close(s->backend);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->done);
	for (size_t i = 0; i < s->blobs_cap; i++)
		fk_codec_buf_free(&s->blobs[i]);
	free(s->blobs);
	free(s->rows);
	fk_codec_cache_destroy(&s->cache);
	fk_codec_dict_free(s->dict);
	free(s->dsn);
	free(s);
}

int fk_store_put(fk_store *s, const fk_ingest_item *items, size_t n, fk_error *err)
{
	if (n == 0)
		return 0;
	struct job j = {.kind = JOB_PUT, .items = items, .n = n};
	j.names = fk_xcalloc(n, sizeof(*j.names));
	for (size_t i = 0; i < n; i++) {
		const fk_ingest_item *it = &items[i];
		if (!it->profile || !it->key.app || !it->key.type || !it->key.app[0]) {
			free_job_names(&j);
			return fk_error_set(err, "profile %zu: no series name or profile", i + 1);
		}
		if (it->from < -(INT64_C(1) << 40) || it->from > (INT64_C(1) << 40)) {
			free_job_names(&j);
			return fk_error_set(err, "profile %zu: time %lld out of range", i + 1,
					    (long long)it->from);
		}
		j.names[i] = fk_series_key_format(&it->key);
	}
	run_job(s, &j);
	free_job_names(&j);
	if (j.rc)
		return job_error(s, &j, err);
	return 0;
}

int fk_store_series(fk_store *s, fk_series_list *out, fk_error *err)
{
	memset(out, 0, sizeof(*out));
	return s->ops->series(s->backend, out, err);
}

void fk_series_list_free(fk_series_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		fk_series_key_free(&list->items[i].key);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int fk_store_merge(fk_store *s, const int64_t *ids, size_t n, int64_t from, int64_t until,
		   fk_profile *into, fk_error *err)
{
	if (n == 0 || from >= until)
		return 0;
	return s->ops->merge(s->backend, ids, n, from, until, into, err);
}

int fk_store_timeline(fk_store *s, const int64_t *ids, size_t n, int64_t from, int64_t until,
		      int64_t step, double *samples, size_t nsamples, fk_error *err)
{
	if (nsamples)
		memset(samples, 0, nsamples * sizeof(*samples));
	if (step <= 0)
		return fk_error_set(err, "timeline step must be positive");
	if (n == 0 || from >= until || nsamples == 0)
		return 0;
	return s->ops->timeline(s->backend, ids, n, from, until, step, samples, nsamples, err);
}

int fk_store_compact(fk_store *s, int64_t now, fk_store_compact_stats *stats, fk_error *err)
{
	struct job j = {.kind = JOB_COMPACT, .now = now};
	run_job(s, &j);
	*stats = j.stats;
	if (j.rc)
		return job_error(s, &j, err);
	return 0;
}

int fk_store_try_lead(fk_store *s, const char *role, bool *leading, fk_error *err)
{
	*leading = true;
	if (!s->ops->try_lead)
		return 0;
	/* the role's lock key: FNV-1a of its name */
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)role; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	*leading = false;
	return s->ops->try_lead(s->backend, (int64_t)(h >> 1), leading, err);
}
