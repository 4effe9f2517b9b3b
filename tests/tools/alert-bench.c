/* alert-bench.c: measures one round of alert evaluation (src/server/alert.h) over a
 * store of many series, as `flamekit serve --alert-every` runs it: SERIES series
 * app.cpu{svc="sN"}, each with a profile of STACKS distinct stacks in every STEP-second
 * window of the last 70 minutes (the hour of baseline and the latest 10 minutes; STEP 10
 * is an agent's pace), and one rule per series
 *   alert=sN name=app.cpu{svc="sN"} fn=queryDB grow>20% window=10m baseline=1h
 * queryDB holds about 30% of the samples; in every tenth series its stacks count 1.5x
 * in the latest window, so SERIES/10 alerts fire. Loads the store (SQLite, DIR/alerts.db,
 * removed first), reopens it, and times ROUNDS rounds: the first (caches cold), then the
 * median and the fastest of the others. Checks the number firing.
 *
 *   build/tools/alert-bench DIR [SERIES] [STACKS] [STEP] [ROUNDS]
 */
#include <time.h>
#include <unistd.h>

#include "../../src/server/alert.h"

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* STACKS distinct stacks 6..15 frames deep over ~300 frame names; about 30% of the
 * samples are under queryDB (scaled by query_scale), at depth 3. */
static fk_profile *make_profile(unsigned nstacks, unsigned seed, double query_scale)
{
	fk_profile *p = fk_profile_new();
	fk_interner *names = fk_profile_names(p);
	fk_name_id ids[16];
	char buf[64];
	for (unsigned s = 0; s < nstacks; s++) {
		unsigned depth = 6 + s % 10, x = s * 2654435761u;
		bool query = s % 10 < 3;
		for (unsigned d = 0; d < depth; d++) {
			int n;
			if (d == 3 && query)
				n = snprintf(buf, sizeof buf, "queryDB");
			else if (d == depth - 1)
				n = snprintf(buf, sizeof buf, "module::leaf_%u", s); /* unique stack */
			else
				n = snprintf(buf, sizeof buf, "module::function_%u",
					     d < 3 ? d : 3 + (x >> (d * 2)) % 300);
			ids[d] = fk_intern(names, buf, (size_t)n);
		}
		double count = 1 + (s * 7 + seed) % 50;
		fk_profile_add_stack(p, ids, depth, query ? count * query_scale : count);
	}
	return p;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: alert-bench DIR [SERIES] [STACKS] [STEP] [ROUNDS]\n");
		return 2;
	}
	const char *dir = argv[1];
	int nseries = argc > 2 ? atoi(argv[2]) : 1000;
	int nstacks = argc > 3 ? atoi(argv[3]) : 300;
	int step = argc > 4 ? atoi(argv[4]) : 10;
	int rounds = argc > 5 ? atoi(argv[5]) : 5;
	if (nseries < 1 || nstacks < 10 || nstacks > 100000 || step < 10 || step % 10 ||
	    rounds < 2)
		return 2;
	const int64_t now = 1700000000;
	char path[4096], side[4200];
	snprintf(path, sizeof path, "%s/alerts.db", dir);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	fk_store *s;
	fk_error err;
	if (fk_store_open(path, NULL, &s, &err)) {
		fprintf(stderr, "alert-bench: %s\n", err.msg);
		return 1;
	}

	/* a few templates (building profiles would dominate the load); items point at them */
	fk_profile *normal[4], *regressed[4];
	for (unsigned i = 0; i < 4; i++) {
		normal[i] = make_profile((unsigned)nstacks, i, 1.0);
		regressed[i] = make_profile((unsigned)nstacks, i, 1.5);
	}
	int64_t first = now - 4200;
	size_t nwin = (size_t)(4200 / step);
	fk_ingest_item *items = fk_xcalloc(nwin, sizeof *items);
	double t0 = now_sec();
	for (int k = 0; k < nseries; k++) {
		char name[64];
		snprintf(name, sizeof name, "app.cpu{svc=s%d}", k);
		for (size_t w = 0; w < nwin; w++) {
			fk_ingest_item *it = &items[w];
			memset(it, 0, sizeof *it);
			if (fk_series_key_parse(name, strlen(name), "cpu", &it->key, &err)) {
				fprintf(stderr, "alert-bench: %s\n", err.msg);
				return 1;
			}
			it->from = first + (int64_t)w * step;
			it->until = it->from + 10;
			bool latest = it->from >= now - 600;
			it->profile = (latest && k % 10 == 0 ? regressed : normal)[(w + (size_t)k) % 4];
			strcpy(it->units, "samples");
			strcpy(it->aggregation, "sum");
			it->sample_rate = 100;
		}
		if (fk_store_put(s, items, nwin, &err)) {
			fprintf(stderr, "alert-bench: %s\n", err.msg);
			return 1;
		}
		for (size_t w = 0; w < nwin; w++)
			fk_series_key_free(&items[w].key);
	}
	double t1 = now_sec();
	fprintf(stderr, "alert-bench: loaded %d series x %zu windows of %d stacks in %.1f s\n",
		nseries, nwin, nstacks, t1 - t0);
	free(items);
	for (unsigned i = 0; i < 4; i++) {
		fk_profile_free(normal[i]);
		fk_profile_free(regressed[i]);
	}
	fk_store_close(s);
	if (fk_store_open(path, NULL, &s, &err)) {
		fprintf(stderr, "alert-bench: %s\n", err.msg);
		return 1;
	}

	fk_alert_rules rules = {0};
	for (int k = 0; k < nseries; k++) {
		char rule[256];
		snprintf(rule, sizeof rule,
			 "alert=s%d name=app.cpu{svc=\"s%d\"} fn=queryDB grow>20%% window=10m baseline=1h",
			 k, k);
		if (fk_alert_rules_add(&rules, rule, strlen(rule), "bench", &err)) {
			fprintf(stderr, "alert-bench: %s\n", err.msg);
			return 1;
		}
	}
	fk_alert_engine *e = fk_alert_engine_new(&rules, NULL, NULL);
	double *times = fk_xcalloc((size_t)rounds, sizeof *times);
	size_t want_firing = (size_t)(nseries + 9) / 10;
	for (int r = 0; r < rounds; r++) {
		fk_alert_round_stats rs;
		if (fk_alert_engine_evaluate(e, s, now, &rs, &err)) {
			fprintf(stderr, "alert-bench: %s\n", err.msg);
			return 1;
		}
		if (rs.firing != want_firing || rs.no_data || rs.errors) {
			fprintf(stderr, "alert-bench: %zu firing (want %zu), %zu no data, %zu errors\n",
				rs.firing, want_firing, rs.no_data, rs.errors);
			return 1;
		}
		times[r] = rs.seconds;
	}
	double cold = times[0], *warm = times + 1;
	size_t m = (size_t)rounds - 1;
	qsort(warm, m, sizeof *warm, compare_doubles);
	double median = m % 2 ? warm[m / 2] : (warm[m / 2 - 1] + warm[m / 2]) / 2;
	printf("rules=%d windows_per_series=%zu stacks=%d firing=%zu cold=%.3f median=%.3f best=%.3f\n",
	       nseries, nwin, nstacks, want_firing, cold, median, warm[0]);
	free(times);
	fk_alert_engine_free(e);
	fk_store_close(s);
	return 0;
}
