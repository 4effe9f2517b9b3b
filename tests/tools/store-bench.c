/* store-bench.c: measures the profile store (src/server/store.h): the ingest rate of
 * 1,000-stack profiles pushed by parallel clients (group commit), and the time to merge
 * a day of 10-second windows (8,640) of one series back into one profile.
 *
 *   build/tools/store-bench DIR [THREADS] [PROFILES_PER_THREAD] [WINDOWS]
 *
 * DIR must exist; the bench creates DIR/ingest.db and DIR/merge.db (removed first). */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "../../src/server/store.h"

#define NSTACKS 1000

static double clock_sec(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_sec(void)
{
	return clock_sec(CLOCK_MONOTONIC);
}

/* 1,000 distinct stacks 6..15 frames deep over ~300 frame names, with counts from seed. */
static fk_profile *make_profile(unsigned seed)
{
	fk_profile *p = fk_profile_new();
	fk_interner *names = fk_profile_names(p);
	fk_name_id ids[16];
	char buf[64];
	for (unsigned s = 0; s < NSTACKS; s++) {
		unsigned depth = 6 + s % 10, x = s * 2654435761u;
		for (unsigned d = 0; d < depth; d++) {
			unsigned f = d < 3 ? d : 3 + (x >> (d * 2)) % 300;
			if (d == depth - 1)
				f = 400 + s; /* the leaf makes the stack unique */
			int n = snprintf(buf, sizeof(buf), "module::function_%u", f);
			ids[d] = fk_intern(names, buf, (size_t)n);
		}
		fk_profile_add_stack(p, ids, depth, 1 + (s * 7 + seed) % 50);
	}
	return p;
}

/* A copy of template (building profiles from text would dominate the load phase). */
static fk_ingest_item make_item(const char *name, int64_t from, const fk_profile *template)
{
	fk_ingest_item it;
	memset(&it, 0, sizeof(it));
	fk_error err;
	if (fk_series_key_parse(name, strlen(name), "cpu", &it.key, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		exit(1);
	}
	it.from = from;
	it.until = from + 10;
	it.profile = fk_profile_new();
	fk_profile_merge(it.profile, template);
	strcpy(it.units, "samples");
	strcpy(it.aggregation, "sum");
	it.sample_rate = 100;
	return it;
}

static void free_item(fk_ingest_item *it)
{
	fk_series_key_free(&it->key);
	fk_profile_free(it->profile);
}

struct client {
	fk_store *store;
	int id, count;
	fk_ingest_item *items;
	int failures;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	for (int i = 0; i < c->count; i++) {
		fk_error err;
		if (fk_store_put(c->store, &c->items[i], 1, &err)) {
			fprintf(stderr, "store-bench: %s\n", err.msg);
			c->failures++;
		}
	}
	return NULL;
}

static fk_store *open_fresh(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	unlink(path);
	char side[4200];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	fk_store *s;
	fk_error err;
	if (fk_store_open(path, NULL, &s, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: store-bench DIR [THREADS] [PROFILES_PER_THREAD] [WINDOWS]\n");
		return 2;
	}
	const char *dir = argv[1];
	int nthreads = argc > 2 ? atoi(argv[2]) : 16;
	int per_thread = argc > 3 ? atoi(argv[3]) : 25;
	int windows = argc > 4 ? atoi(argv[4]) : 8640;
	if (nthreads < 1 || nthreads > 256 || per_thread < 1 || windows < 1)
		return 2;

	fk_profile *templates[4];
	for (unsigned i = 0; i < 4; i++)
		templates[i] = make_profile(i);

	/* 1. Ingest: nthreads clients, each putting per_thread profiles one by one. */
	fk_store *s = open_fresh(dir, "ingest.db");
	struct client *clients = fk_xcalloc((size_t)nthreads, sizeof(*clients));
	for (int t = 0; t < nthreads; t++) {
		clients[t] = (struct client){s, t, per_thread, NULL, 0};
		clients[t].items = fk_xcalloc((size_t)per_thread, sizeof(fk_ingest_item));
		char name[64];
		snprintf(name, sizeof(name), "bench.cpu{client=c%d}", t);
		for (int i = 0; i < per_thread; i++)
			clients[t].items[i] = make_item(name, 1700000000 + i * 10, templates[(t + i) % 4]);
	}
	pthread_t *threads = fk_xcalloc((size_t)nthreads, sizeof(*threads));
	double t0 = now_sec();
	for (int t = 0; t < nthreads; t++)
		pthread_create(&threads[t], NULL, client_main, &clients[t]);
	int failures = 0;
	for (int t = 0; t < nthreads; t++) {
		pthread_join(threads[t], NULL);
		failures += clients[t].failures;
	}
	double t1 = now_sec();
	int total = nthreads * per_thread;
	printf("ingest: %d clients x %d profiles of %d stacks: %.3f s, %.0f profiles/s, "
	       "%d failed\n",
	       nthreads, per_thread, NSTACKS, t1 - t0, total / (t1 - t0), failures);

	for (int t = 0; t < nthreads; t++) {
		for (int i = 0; i < per_thread; i++)
			free_item(&clients[t].items[i]);
		free(clients[t].items);
	}
	free(clients);
	free(threads);
	fk_store_close(s);

	/* 2. Merge: one series, `windows` 10-second windows of the same 1,000 stacks. */
	s = open_fresh(dir, "merge.db");
	enum { BATCH = 96 };
	fk_ingest_item batch[BATCH];
	double t2 = now_sec();
	for (int w = 0; w < windows; w += BATCH) {
		int n = windows - w < BATCH ? windows - w : BATCH;
		for (int i = 0; i < n; i++)
			batch[i] = make_item("day.cpu{env=bench}", 1700000000 + (int64_t)(w + i) * 10,
					     templates[(w + i) % 4]);
		fk_error err;
		if (fk_store_put(s, batch, (size_t)n, &err)) {
			fprintf(stderr, "store-bench: %s\n", err.msg);
			return 1;
		}
		for (int i = 0; i < n; i++)
			free_item(&batch[i]);
	}
	double t3 = now_sec();
	printf("load: %d windows in %.3f s\n", windows, t3 - t2);
	fk_store_close(s);
	/* Reopen: the first merge also loads the stack cache. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/merge.db", dir);
	fk_error err;
	if (fk_store_open(path, NULL, &s, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		return 1;
	}
	fk_series_list list;
	if (fk_store_series(s, &list, &err) || list.count != 1) {
		fprintf(stderr, "store-bench: no series\n");
		return 1;
	}
	int64_t id = list.items[0].id;
	fk_series_list_free(&list);
	for (int run = 0; run < 4; run++) {
		fk_profile *p = fk_profile_new();
		double a = now_sec(), ca = clock_sec(CLOCK_THREAD_CPUTIME_ID);
		if (fk_store_merge(s, &id, 1, 0, INT64_MAX, p, &err)) {
			fprintf(stderr, "store-bench: %s\n", err.msg);
			return 1;
		}
		double b = now_sec(), cb = clock_sec(CLOCK_THREAD_CPUTIME_ID);
		printf("merge %s: %d windows -> %zu stacks, total %.0f: %.1f ms (%.1f ms CPU)\n",
		       run ? "(warm)" : "(after reopen)", windows, fk_profile_stack_count(p),
		       fk_profile_total(p), (b - a) * 1000, (cb - ca) * 1000);
		fk_profile_free(p);
	}
	double tl[144];
	double a = now_sec();
	if (fk_store_timeline(s, &id, 1, 1700000000, 1700000000 + 86400, 600, tl, 144, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		return 1;
	}
	printf("timeline: 144 buckets over %d windows: %.1f ms\n", windows, (now_sec() - a) * 1000);
	/* Compaction 8 days later: the default policy makes the day 1-hour windows. */
	fk_store_compact_stats cst;
	a = now_sec();
	if (fk_store_compact(s, 1700000000 + 8 * 86400, &cst, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		return 1;
	}
	printf("compact: %llu windows merged, %llu left: %.0f ms\n", (unsigned long long)cst.merged,
	       (unsigned long long)cst.remaining, (now_sec() - a) * 1000);
	fk_profile *p = fk_profile_new();
	a = now_sec();
	if (fk_store_merge(s, &id, 1, 0, INT64_MAX, p, &err)) {
		fprintf(stderr, "store-bench: %s\n", err.msg);
		return 1;
	}
	printf("merge after compaction: %zu stacks, total %.0f: %.1f ms\n",
	       fk_profile_stack_count(p), fk_profile_total(p), (now_sec() - a) * 1000);
	fk_profile_free(p);
	fk_store_close(s);
	for (unsigned i = 0; i < 4; i++)
		fk_profile_free(templates[i]);
	return failures ? 1 : 0;
}
