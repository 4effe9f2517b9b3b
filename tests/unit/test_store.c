/* test_store.c: the profile store (src/server/store.h) — put/merge round trips with exact
 * counts, time ranges, several series, timelines, reopening, compaction (same-window merge,
 * downsampling, retention), concurrent group-committed puts, two stores (replicas) sharing
 * one database, passwords kept out of messages, and clean errors for bad paths and foreign
 * or corrupt files.
 *
 * The backend-independent tests run on SQLite, and again on PostgreSQL when PG_URL names a
 * server where they may create databases (t/t0084-serve-postgres.sh starts one and runs
 * this with PG_URL set; without it the PostgreSQL group is skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/server/store.h"
#include "../../src/server/store_backend.h"
#include "../../src/server/store_codec.h"

static char tmpdir[] = "/tmp/fk-test-store-XXXXXX";
static const char *pg_url; /* the PostgreSQL group runs: PG_URL */

/* A PostgreSQL URL like pg_url, naming database db instead. */
static const char *pg_db_url(const char *db)
{
	static char url[512];
	const char *q = strchr(pg_url, '?');
	size_t end = q ? (size_t)(q - pg_url) : strlen(pg_url);
	const char *slash = NULL;
	for (size_t i = 0; i < end; i++)
		if (pg_url[i] == '/')
			slash = pg_url + i;
	assert_non_null(slash);
	snprintf(url, sizeof(url), "%.*s/%s%s", (int)(slash - pg_url), pg_url, db, q ? q : "");
	return url;
}

/* Runs sql on pg_url's database (or db); fails the test on error. */
static void pg_exec(const char *db, const char *sql)
{
	PGconn *c = PQconnectdb(db ? pg_db_url(db) : pg_url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s: %s", pg_url, PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages TO warning"));
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The store named name: a file in tmpdir, or on PostgreSQL a database of its own
 * (fk_NAME, recreated empty the first time this process names it). */
static const char *db_path(const char *name)
{
	static char path[256];
	if (!pg_url) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
		return path;
	}
	static char made[64][32];
	char db[32];
	snprintf(db, sizeof(db), "fk_%s", name);
	for (char *c = db; *c; c++)
		if (*c == '.')
			*c = '_';
	size_t i;
	for (i = 0; i < 64 && made[i][0] && strcmp(made[i], db); i++)
		;
	assert_true(i < 64);
	if (!made[i][0]) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
		pg_exec(NULL, sql);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
		pg_exec(NULL, sql);
		snprintf(made[i], sizeof(made[i]), "%s", db);
	}
	snprintf(path, sizeof(path), "%s", pg_db_url(db));
	return path;
}

/* Adds "a;b;c" stacks ("" is the empty stack). */
static void add(fk_profile *p, const char *folded, double count)
{
	fk_name_id ids[64];
	size_t n = 0;
	const char *s = folded;
	while (*s) {
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		ids[n++] = fk_intern(fk_profile_names(p), s, len);
		s += len;
		if (*s)
			s++;
	}
	fk_profile_add_stack(p, ids, n, count);
}

struct dump {
	char buf[8192];
	size_t len;
};

static int dump_stack(const fk_profile *p, const fk_name_id *names, size_t depth, double count,
		      void *ctx)
{
	struct dump *d = ctx;
	for (size_t i = 0; i < depth; i++) {
		size_t len;
		const char *s = fk_profile_name(p, names[i], &len);
		d->len += (size_t)snprintf(d->buf + d->len, sizeof(d->buf) - d->len, "%s%.*s",
					   i ? ";" : "", (int)len, s);
	}
	d->len += (size_t)snprintf(d->buf + d->len, sizeof(d->buf) - d->len, " %.17g\n", count);
	return 0;
}

/* The profile as sorted folded lines with exact (%.17g) counts. */
static const char *dump(const fk_profile *p)
{
	static struct dump d;
	d.len = 0;
	d.buf[0] = 0;
	fk_profile_walk_sorted(p, dump_stack, &d);
	return d.buf;
}

static fk_ingest_item item(const char *name, int64_t from, fk_profile *p)
{
	fk_ingest_item it;
	memset(&it, 0, sizeof(it));
	fk_error err;
	assert_int_equal(fk_series_key_parse(name, strlen(name), "cpu", &it.key, &err), 0);
	it.from = from;
	it.until = from + 10;
	it.profile = p;
	strcpy(it.units, "samples");
	strcpy(it.aggregation, "sum");
	strcpy(it.spy_name, "test");
	it.sample_rate = 100;
	return it;
}

static void item_free(fk_ingest_item *it)
{
	fk_series_key_free(&it->key);
	fk_profile_free(it->profile);
}

static fk_store *open_store(const char *name, const fk_store_policy *policy)
{
	fk_store *s = NULL;
	fk_error err = {{0}};
	int rc = fk_store_open(db_path(name), policy, &s, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	return s;
}

static void put1(fk_store *s, const char *name, int64_t from, fk_profile *p)
{
	fk_ingest_item it = item(name, from, p);
	fk_error err = {{0}};
	if (fk_store_put(s, &it, 1, &err))
		fail_msg("put: %s", err.msg);
	item_free(&it);
}

static int64_t series_id(fk_store *s, const char *canonical)
{
	fk_series_list list;
	fk_error err;
	assert_int_equal(fk_store_series(s, &list, &err), 0);
	int64_t id = -1;
	for (size_t i = 0; i < list.count; i++) {
		char *name = fk_series_key_format(&list.items[i].key);
		if (!strcmp(name, canonical))
			id = list.items[i].id;
		free(name);
	}
	fk_series_list_free(&list);
	if (id < 0)
		fail_msg("no series %s", canonical);
	return id;
}

static const char *merged(fk_store *s, int64_t id, int64_t from, int64_t until)
{
	fk_profile *p = fk_profile_new();
	fk_error err = {{0}};
	if (fk_store_merge(s, &id, 1, from, until, p, &err))
		fail_msg("merge: %s", err.msg);
	const char *out = dump(p);
	fk_profile_free(p);
	return out;
}

static void test_round_trip(void **state)
{
	(void)state;
	fk_store *s = open_store("rt.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "main;work;leaf", 3);
	add(p, "main;work", 2.5);
	add(p, "main;idle", 1e20);
	add(p, "other", 0.1);
	add(p, "neg", -4);
	add(p, "zero", 0);
	add(p, "", 7);
	add(p, "main;big", 9007199254740993.0); /* 2^53 + 1 rounds to 2^53 */
	add(p, "main;huge", 123456789012.0);
	char want[8192];
	snprintf(want, sizeof(want), "%s", dump(p));
	fk_profile *expect = fk_profile_new();
	fk_profile_merge(expect, p);
	put1(s, "app.cpu{env=prod}", 1000, p); /* frees p */
	int64_t id = series_id(s, "app.cpu{env=prod}");
	assert_string_equal(merged(s, id, 0, 2000), want);
	/* Summing the fractions gives what adding them in one profile gives. */
	fk_profile *q = fk_profile_new();
	add(q, "other", 0.2);
	add(q, "main;work", 1.25);
	fk_profile_merge(expect, q);
	put1(s, "app.cpu{env=prod}", 1005, q);
	snprintf(want, sizeof(want), "%s", dump(expect));
	assert_non_null(strstr(want, "other 0.30000000000000004\n"));
	assert_string_equal(merged(s, id, 0, 2000), want);
	fk_profile_free(expect);
	fk_store_close(s);
}

static void test_ranges(void **state)
{
	(void)state;
	fk_store *s = open_store("range.db", NULL);
	int64_t times[] = {105, 119, 120, 129, 130, -5};
	const char *names[] = {"a", "b", "c", "d", "e", "neg"};
	for (size_t i = 0; i < FK_ARRAY_LEN(times); i++) {
		fk_profile *p = fk_profile_new();
		add(p, names[i], 1);
		put1(s, "r{}", times[i], p);
	}
	int64_t id = series_id(s, "r.cpu{}");
	assert_string_equal(merged(s, id, 100, 140), "a 1\nb 1\nc 1\nd 1\ne 1\n");
	assert_string_equal(merged(s, id, 110, 120), "b 1\n");
	assert_string_equal(merged(s, id, 111, 130), "c 1\nd 1\n");
	assert_string_equal(merged(s, id, 120, 121), "c 1\nd 1\n");
	assert_string_equal(merged(s, id, 140, 200), "");
	assert_string_equal(merged(s, id, -10, -9), "neg 1\n"); /* window -10 */
	assert_string_equal(merged(s, id, 130, 100), "");
	fk_store_close(s);
}

static void test_series(void **state)
{
	(void)state;
	fk_store *s = open_store("series.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "x", 1);
	fk_profile *p2 = fk_profile_new();
	add(p2, "y", 2);
	fk_profile *p3 = fk_profile_new();
	add(p3, "x", 4);
	fk_ingest_item items[3] = {
		item("web.cpu{version=v2,env=prod}", 50, p),
		item("web.cpu{version=v1,env=prod}", 50, p2),
		item("api.alloc_space", 50, p3),
	};
	strcpy(items[2].units, "bytes");
	fk_error err = {{0}};
	assert_int_equal(fk_store_put(s, items, 3, &err), 0);
	fk_series_list list;
	assert_int_equal(fk_store_series(s, &list, &err), 0);
	assert_int_equal(list.count, 3);
	char *n0 = fk_series_key_format(&list.items[0].key);
	char *n1 = fk_series_key_format(&list.items[1].key);
	char *n2 = fk_series_key_format(&list.items[2].key);
	assert_string_equal(n0, "api.alloc_space{}");
	assert_string_equal(n1, "web.cpu{env=prod,version=v1}");
	assert_string_equal(n2, "web.cpu{env=prod,version=v2}");
	free(n0);
	free(n1);
	free(n2);
	assert_string_equal(list.items[0].units, "bytes");
	assert_string_equal(list.items[1].units, "samples");
	assert_string_equal(list.items[1].key.app, "web");
	assert_string_equal(list.items[1].key.type, "cpu");
	assert_int_equal(list.items[1].key.nlabels, 2);
	assert_string_equal(list.items[1].key.labels[1].name, "version");
	assert_string_equal(list.items[1].key.labels[1].value, "v1");
	assert_string_equal(list.items[1].spy_name, "test");
	assert_int_equal(list.items[1].sample_rate, 100);
	int64_t ids[2] = {list.items[1].id, list.items[2].id};
	fk_profile *m = fk_profile_new();
	assert_int_equal(fk_store_merge(s, ids, 2, 0, 100, m, &err), 0);
	assert_string_equal(dump(m), "x 1\ny 2\n");
	fk_profile_free(m);
	assert_string_equal(merged(s, list.items[0].id, 0, 100), "x 4\n");
	assert_string_equal(merged(s, 12345, 0, 100), ""); /* unknown id */
	fk_series_list_free(&list);
	for (int i = 0; i < 3; i++)
		item_free(&items[i]);
	fk_store_close(s);
}

static void test_timeline(void **state)
{
	(void)state;
	fk_store *s = open_store("timeline.db", NULL);
	for (int64_t t = 1000; t < 1100; t += 10) {
		fk_profile *p = fk_profile_new();
		add(p, "a", (double)(t - 1000) / 10 + 1); /* 1..10 */
		add(p, "b;c", 0.5);
		put1(s, "tl", t, p);
	}
	int64_t id = series_id(s, "tl.cpu{}");
	double samples[5];
	fk_error err;
	assert_int_equal(fk_store_timeline(s, &id, 1, 1000, 1100, 20, samples, 5, &err), 0);
	double want[5] = {1 + 2 + 1, 3 + 4 + 1, 5 + 6 + 1, 7 + 8 + 1, 9 + 10 + 1};
	for (int i = 0; i < 5; i++)
		assert_true(samples[i] == want[i]);
	/* A range narrower than the buckets, and buckets past the range stay 0. */
	double s2[4] = {9, 9, 9, 9};
	assert_int_equal(fk_store_timeline(s, &id, 1, 1010, 1030, 10, s2, 4, &err), 0);
	assert_true(s2[0] == 2.5 && s2[1] == 3.5 && s2[2] == 0 && s2[3] == 0);
	assert_int_not_equal(fk_store_timeline(s, &id, 1, 1010, 1030, 0, s2, 4, &err), 0);
	fk_store_close(s);
}

static void test_reopen(void **state)
{
	(void)state;
	fk_store *s = open_store("reopen.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "main;a", 1.5);
	add(p, "main;b", 2);
	put1(s, "re{k=v}", 500, p);
	fk_store_close(s);
	s = open_store("reopen.db", NULL);
	int64_t id = series_id(s, "re.cpu{k=v}");
	assert_string_equal(merged(s, id, 0, 1000), "main;a 1.5\nmain;b 2\n");
	/* New stacks after reopening continue the ids: old and new merge right. */
	p = fk_profile_new();
	add(p, "main;b", 1);
	add(p, "main;c", 1);
	put1(s, "re{k=v}", 510, p);
	assert_string_equal(merged(s, id, 0, 1000), "main;a 1.5\nmain;b 3\nmain;c 1\n");
	fk_store_close(s);
	s = open_store("reopen.db", NULL);
	assert_string_equal(merged(s, id, 0, 1000), "main;a 1.5\nmain;b 3\nmain;c 1\n");
	fk_store_close(s);
	if (pg_url)
		return;
	/* The sqlite: scheme names the same kind of store. */
	char dsn[300];
	snprintf(dsn, sizeof(dsn), "sqlite:%s", db_path("reopen.db"));
	fk_error err;
	assert_int_equal(fk_store_open(dsn, NULL, &s, &err), 0);
	assert_string_equal(merged(s, id, 0, 1000), "main;a 1.5\nmain;b 3\nmain;c 1\n");
	fk_store_close(s);
}

static int64_t count_rows(const char *name)
{
	if (pg_url) {
		PGconn *c = PQconnectdb(db_path(name));
		PGresult *r = PQexec(c, "SELECT count(*) FROM profiles");
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return n;
	}
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(db_path(name), &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM profiles", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_compact_same_window(void **state)
{
	(void)state;
	fk_store *s = open_store("cw.db", NULL);
	for (int i = 0; i < 3; i++) {
		fk_profile *p = fk_profile_new();
		add(p, "a;b", 1);
		add(p, i == 1 ? "a;c" : "a;b;d", 0.25);
		put1(s, "cw", 1001 + i, p);
	}
	fk_profile *p = fk_profile_new();
	add(p, "z", 1);
	put1(s, "cw", 1010, p);
	int64_t id = series_id(s, "cw.cpu{}");
	const char *want = "a;b 3\na;b;d 0.5\na;c 0.25\nz 1\n";
	assert_string_equal(merged(s, id, 1000, 1020), want);
	assert_int_equal(count_rows("cw.db"), 4);
	fk_store_compact_stats st;
	fk_error err;
	assert_int_equal(fk_store_compact(s, 2000, &st, &err), 0);
	assert_int_equal(st.merged, 2);
	assert_int_equal(st.expired, 0);
	assert_int_equal(st.remaining, 2);
	assert_int_equal(count_rows("cw.db"), 2);
	assert_string_equal(merged(s, id, 1000, 1020), want);
	assert_string_equal(merged(s, id, 1000, 1010), "a;b 3\na;b;d 0.5\na;c 0.25\n");
	double tl[2];
	assert_int_equal(fk_store_timeline(s, &id, 1, 1000, 1020, 10, tl, 2, &err), 0);
	assert_true(tl[0] == 3.75 && tl[1] == 1);
	/* Idempotent. */
	assert_int_equal(fk_store_compact(s, 2000, &st, &err), 0);
	assert_int_equal(st.merged, 0);
	assert_int_equal(st.remaining, 2);
	fk_store_close(s);
}

static void test_compact_downsample_retention(void **state)
{
	(void)state;
	fk_store_policy pol;
	fk_store_policy_init(&pol);
	pol.retention_sec = 10000;
	pol.levels[0].age_sec = 1000;
	pol.levels[0].size_sec = 60;
	pol.levels[1].age_sec = 5000;
	pol.levels[1].size_sec = 600;
	pol.nlevels = 2;
	fk_store *s = open_store("ds.db", &pol);
	/* One profile per 10 s from 0 to 20000. */
	for (int64_t t = 0; t < 20000; t += 10) {
		fk_profile *p = fk_profile_new();
		add(p, t % 20 ? "odd" : "even", 1);
		add(p, "all;x", 0.5);
		put1(s, "ds", t, p);
	}
	int64_t id = series_id(s, "ds.cpu{}");
	fk_store_compact_stats st;
	fk_error err;
	int64_t now = 20000;
	assert_int_equal(fk_store_compact(s, now, &st, &err), 0);
	/* Retention: windows ending at or before 10000 go (1000 of them). */
	assert_int_equal(st.expired, 1000);
	/* [10000, 15000): 600-s windows, the last one [14400,15000) complete;
	 * [15000, 18990): windows ending by 19000 are 60 s; [19000, 20000) stay at 10 s. */
	assert_string_equal(merged(s, id, 0, 9600), ""); /* 9600: holds 10000 .. 10199 */
	assert_string_equal(merged(s, id, 0, 20000), "all;x 500\neven 500\nodd 500\n");
	assert_string_equal(merged(s, id, 10200, 10800), "all;x 30\neven 30\nodd 30\n");
	/* Rows left: [10000, 15000) in 9 windows of 600 s (9600 .. 14400; 9600 only has
	 * its part after 10000), [15000, 18990] in 67 windows of 60 s (the last, 18960, only
	 * up to 18990 so far), [19000, 20000) in 100 windows of 10 s. */
	assert_int_equal(st.remaining, 9 + 67 + 100);
	assert_int_equal(st.merged, (500 - 9) + (400 - 67));
	int64_t remaining = (int64_t)st.remaining;
	assert_int_equal(remaining, count_rows("ds.db"));
	/* Totals per hour-long timeline buckets are kept. */
	double tl[10];
	assert_int_equal(fk_store_timeline(s, &id, 1, 10200, 16200, 600, tl, 10, &err), 0);
	for (int i = 0; i < 10; i++)
		if (tl[i] != 90) /* 60 profiles of 1.5 */
			fail_msg("bucket %d: %g", i, tl[i]);
	/* Compacting again changes nothing. */
	fk_store_compact_stats st2;
	assert_int_equal(fk_store_compact(s, now, &st2, &err), 0);
	assert_int_equal(st2.merged, 0);
	assert_int_equal(st2.expired, 0);
	assert_int_equal(st2.remaining, st.remaining);
	assert_int_equal(st.merged + st.remaining + st.expired, 2000);
	fk_store_close(s);
}

struct thread_arg {
	fk_store *s;
	int thread;
	int failures;
};

static void *put_thread(void *arg)
{
	struct thread_arg *a = arg;
	char name[64];
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "conc{thread=t%d}", a->thread);
		fk_profile *p = fk_profile_new();
		char stack[64];
		snprintf(stack, sizeof(stack), "root;t%d;i%d", a->thread, i);
		add(p, stack, 1);
		add(p, "root;shared", 1);
		fk_ingest_item it = item(name, 1000 + i * 10, p);
		fk_error err;
		if (fk_store_put(a->s, &it, 1, &err))
			a->failures++;
		item_free(&it);
	}
	return NULL;
}

static void test_concurrent_puts(void **state)
{
	(void)state;
	fk_store *s = open_store("conc.db", NULL);
	pthread_t threads[8];
	struct thread_arg args[8];
	for (int t = 0; t < 8; t++) {
		args[t] = (struct thread_arg){s, t, 0};
		assert_int_equal(pthread_create(&threads[t], NULL, put_thread, &args[t]), 0);
	}
	/* Reads while writing. */
	for (int i = 0; i < 20; i++) {
		fk_series_list list;
		fk_error err;
		assert_int_equal(fk_store_series(s, &list, &err), 0);
		int64_t ids[8];
		for (size_t k = 0; k < list.count && k < 8; k++)
			ids[k] = list.items[k].id;
		fk_profile *p = fk_profile_new();
		assert_int_equal(fk_store_merge(s, ids, list.count < 8 ? list.count : 8, 0, 5000, p,
						&err),
				 0);
		fk_profile_free(p);
		fk_series_list_free(&list);
	}
	for (int t = 0; t < 8; t++) {
		pthread_join(threads[t], NULL);
		assert_int_equal(args[t].failures, 0);
	}
	fk_series_list list;
	fk_error err;
	assert_int_equal(fk_store_series(s, &list, &err), 0);
	assert_int_equal(list.count, 8);
	int64_t ids[8];
	for (int k = 0; k < 8; k++)
		ids[k] = list.items[k].id;
	fk_profile *p = fk_profile_new();
	assert_int_equal(fk_store_merge(s, ids, 8, 0, 5000, p, &err), 0);
	assert_int_equal(fk_profile_stack_count(p), 8 * 50 + 1);
	assert_true(fk_profile_total(p) == 800);
	fk_profile_free(p);
	fk_series_list_free(&list);
	fk_store_close(s);
	assert_int_equal(count_rows("conc.db"), 400);
}

struct fail_arg {
	fk_store *s;
	int thread, ok, failed, wrong;
};

static void *fail_thread(void *arg)
{
	struct fail_arg *a = arg;
	for (int i = 0; i < 20; i++) {
		fk_profile *p = fk_profile_new();
		char stack[64];
		snprintf(stack, sizeof(stack), "f;t%d;i%d", a->thread, i);
		add(p, stack, 1);
		bool bad = i % 5 == 0;
		fk_ingest_item it = item("fail", bad ? 666660 : 1000 + 10 * i, p);
		fk_error err;
		if (fk_store_put(a->s, &it, 1, &err) == 0) {
			a->ok++;
			a->wrong += bad;
		} else {
			a->failed++;
			a->wrong += !bad || !strstr(err.msg, "boom");
		}
		item_free(&it);
	}
	return NULL;
}

/* A put the database refuses fails alone: the others sharing its commit succeed, and the
 * names and stacks it interned are forgotten. */
static void test_put_failures(void **state)
{
	(void)state;
	fk_store *s = open_store("fail.db", NULL);
	fk_store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(db_path("fail.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER boom BEFORE INSERT ON profiles "
				      "WHEN NEW.start = 666660 BEGIN SELECT RAISE(ABORT, 'boom'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = open_store("fail.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "new;stack", 1);
	fk_ingest_item it = item("fail", 666665, p);
	fk_error err;
	assert_int_not_equal(fk_store_put(s, &it, 1, &err), 0);
	assert_non_null(strstr(err.msg, "boom"));
	assert_non_null(strstr(err.msg, "fail.db"));
	item_free(&it);
	p = fk_profile_new();
	add(p, "new;stack", 2);
	put1(s, "fail", 100, p);
	int64_t id = series_id(s, "fail.cpu{}");
	assert_string_equal(merged(s, id, 0, 1000000), "new;stack 2\n");
	pthread_t threads[4];
	struct fail_arg args[4];
	for (int t = 0; t < 4; t++) {
		args[t] = (struct fail_arg){s, t, 0, 0, 0};
		assert_int_equal(pthread_create(&threads[t], NULL, fail_thread, &args[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(threads[t], NULL);
		assert_int_equal(args[t].ok, 16);
		assert_int_equal(args[t].failed, 4);
		assert_int_equal(args[t].wrong, 0);
	}
	fk_profile *m = fk_profile_new();
	assert_int_equal(fk_store_merge(s, &id, 1, 0, 1000000, m, &err), 0);
	assert_int_equal(fk_profile_stack_count(m), 1 + 4 * 16);
	fk_profile_free(m);
	fk_store_close(s);
}

static void test_bad_files(void **state)
{
	(void)state;
	fk_store *s = NULL;
	fk_error err = {{0}};
	assert_int_not_equal(fk_store_open("/nonexistent-dir/x.db", NULL, &s, &err), 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.db"));
	/* A directory. */
	assert_int_not_equal(fk_store_open(tmpdir, NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, tmpdir));
	/* Not a database. */
	FILE *f = fopen(db_path("garbage.db"), "w");
	for (int i = 0; i < 500; i++)
		fputs("this is not an SQLite file\n", f);
	fclose(f);
	assert_int_not_equal(fk_store_open(db_path("garbage.db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "garbage.db"));
	/* Another program's database. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(db_path("foreign.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_not_equal(fk_store_open(db_path("foreign.db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "foreign.db"));
	assert_non_null(strstr(err.msg, "not a flamekit store"));
	/* A newer schema. */
	s = open_store("newer.db", NULL);
	fk_store_close(s);
	assert_int_equal(sqlite3_open(db_path("newer.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_not_equal(fk_store_open(db_path("newer.db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "newer"));
	/* An empty path is an error. */
	assert_int_not_equal(fk_store_open("sqlite:", NULL, &s, &err), 0);
	/* Bad policies. */
	fk_store_policy pol;
	fk_store_policy_init(&pol);
	pol.levels[1].size_sec = 90; /* not a multiple of 60 */
	assert_int_not_equal(fk_store_open(db_path("pol.db"), &pol, &s, &err), 0);
	fk_store_policy_init(&pol);
	pol.window_sec = 0;
	assert_int_not_equal(fk_store_open(db_path("pol.db"), &pol, &s, &err), 0);
}

static void test_corrupt_blob(void **state)
{
	(void)state;
	fk_store *s = open_store("corrupt.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "a", 1);
	put1(s, "c", 100, p);
	int64_t id = series_id(s, "c.cpu{}");
	if (pg_url) {
		pg_exec("fk_corrupt_db", "UPDATE profiles SET stacks = '\\x01059999'");
	} else {
		sqlite3 *db;
		assert_int_equal(sqlite3_open(db_path("corrupt.db"), &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE profiles SET stacks = x'01059999'", NULL,
					      NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	fk_profile *m = fk_profile_new();
	fk_error err = {{0}};
	assert_int_not_equal(fk_store_merge(s, &id, 1, 0, 1000, m, &err), 0);
	assert_non_null(strstr(err.msg, "corrupt"));
	fk_profile_free(m);
	fk_store_compact_stats st;
	assert_int_equal(fk_store_compact(s, 1000, &st, &err), 0); /* one row: untouched */
	fk_store_close(s);
}

/* The codec alone: blob decoding rejects every truncation. */
static void test_codec_truncated(void **state)
{
	(void)state;
	fk_codec_dict *d = fk_codec_dict_new();
	fk_profile *p = fk_profile_new();
	add(p, "a;b", 1);
	add(p, "a;c", 0.5);
	add(p, "a;c;d", 300);
	fk_codec_buf blob = {0};
	double total;
	size_t n;
	fk_error err;
	assert_int_equal(fk_codec_encode(d, p, &blob, &total, &n, &err), 0);
	assert_true(total == 301.5);
	assert_int_equal(n, 3);
	fk_codec_sum sum = {0};
	assert_int_equal(fk_codec_sum_add(&sum, blob.data, blob.len, 100, &err), 0);
	for (size_t len = 0; len < blob.len; len++) {
		fk_codec_sum_reset(&sum);
		assert_int_not_equal(fk_codec_sum_add(&sum, blob.data, len, 100, &err), 0);
	}
	fk_codec_sum_reset(&sum);
	assert_int_not_equal(fk_codec_sum_add(&sum, blob.data, blob.len, 3, &err), 0);
	fk_codec_sum_free(&sum);
	fk_codec_buf_free(&blob);
	fk_profile_free(p);
	fk_codec_dict_free(d);
}

/* Two stores on one database (two servers sharing it): each hands out string and stack ids
 * for the names and stacks the other committed meanwhile without clashing, and each reads
 * what the other wrote, exactly; concurrently too, compaction included. */
static void test_replicas(void **state)
{
	(void)state;
	fk_store *a = open_store("replicas.db", NULL);
	fk_store *b = open_store("replicas.db", NULL);
	fk_profile *p = fk_profile_new();
	add(p, "main;x;y", 1);
	put1(a, "rep", 100, p);
	p = fk_profile_new(); /* b's dict knows nothing of a's ids */
	add(p, "main;x;z", 2);
	add(p, "main;x;y", 3);
	add(p, "other", 0.5);
	put1(b, "rep", 110, p);
	p = fk_profile_new();
	add(p, "main;w", 4);
	add(p, "other;q", 1);
	put1(a, "rep", 120, p);
	const char *want = "main;w 4\nmain;x;y 4\nmain;x;z 2\nother 0.5\nother;q 1\n";
	assert_string_equal(merged(a, series_id(a, "rep.cpu{}"), 0, 1000), want);
	assert_string_equal(merged(b, series_id(b, "rep.cpu{}"), 0, 1000), want);
	assert_int_equal(series_id(a, "rep.cpu{}"), series_id(b, "rep.cpu{}"));

	/* 4 threads on each, sharing "root;shared". */
	pthread_t threads[8];
	struct thread_arg args[8];
	for (int t = 0; t < 8; t++) {
		args[t] = (struct thread_arg){t < 4 ? a : b, t, 0};
		assert_int_equal(pthread_create(&threads[t], NULL, put_thread, &args[t]), 0);
	}
	for (int t = 0; t < 8; t++) {
		pthread_join(threads[t], NULL);
		assert_int_equal(args[t].failures, 0);
	}
	char first[8192];
	for (int k = 0; k < 2; k++) {
		fk_store *s = k ? b : a;
		fk_series_list list;
		fk_error err;
		assert_int_equal(fk_store_series(s, &list, &err), 0);
		assert_int_equal(list.count, 9);
		int64_t ids[9];
		for (int i = 0; i < 9; i++)
			ids[i] = list.items[i].id;
		fk_profile *m = fk_profile_new();
		assert_int_equal(fk_store_merge(s, ids, 9, 0, 5000, m, &err), 0);
		assert_int_equal(fk_profile_stack_count(m), 8 * 50 + 1 + 5);
		assert_true(fk_profile_total(m) == 800 + 11.5);
		if (k == 0)
			snprintf(first, sizeof(first), "%s", dump(m));
		else
			assert_string_equal(dump(m), first);
		fk_profile_free(m);
		fk_series_list_free(&list);
	}
	/* Both compact, one after the other: two more puts in window 100 make three
	 * profiles there, merged by the first; the second finds nothing to do. */
	p = fk_profile_new();
	add(p, "main;x;y", 1);
	put1(b, "rep", 105, p);
	p = fk_profile_new();
	add(p, "late;frame", 1);
	put1(a, "rep", 101, p);
	fk_store_compact_stats sa, sb;
	fk_error err;
	assert_int_equal(fk_store_compact(a, 2000, &sa, &err), 0);
	assert_int_equal(fk_store_compact(b, 2000, &sb, &err), 0);
	assert_int_equal(sa.merged, 2);
	assert_int_equal(sa.remaining, 3 + 8 * 50);
	assert_int_equal(sb.merged, 0);
	assert_int_equal(sb.remaining, sa.remaining);
	want = "late;frame 1\nmain;w 4\nmain;x;y 5\nmain;x;z 2\nother 0.5\nother;q 1\n";
	assert_string_equal(merged(a, series_id(a, "rep.cpu{}"), 0, 1000), want);
	assert_string_equal(merged(b, series_id(b, "rep.cpu{}"), 0, 1000), want);
	fk_store_close(a);
	fk_store_close(b);
	/* Reopened, the names and stacks of both are there. */
	a = open_store("replicas.db", NULL);
	assert_string_equal(merged(a, series_id(a, "rep.cpu{}"), 0, 1000), want);
	fk_store_close(a);
}

/* Passwords never show in messages: the display form of dsns, and scrubbing libraries'
 * messages. */
static void test_dsn_password(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"postgresql://u:pw@h:5/db", "postgresql://u:***@h:5/db"},
		{"postgres://u:p%40w@h/db?sslmode=require&password=zz&x=1",
		 "postgres://u:***@h/db?sslmode=require&password=***&x=1"},
		{"postgresql://u@h/db?password=", "postgresql://u@h/db?password=***"},
		{"postgresql://h/db", "postgresql://h/db"},
		{"postgresql://u:@h/db", "postgresql://u:***@h/db"},
		{"postgresql://h/db/with@sign", "postgresql://h/db/with@sign"},
		{"/var/lib/x:y@z.db", "/var/lib/x:y@z.db"},
		{"sqlite:a.db", "sqlite:a.db"},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(cases); i++) {
		char *d = fk_store_dsn_display(cases[i][0]);
		assert_string_equal(d, cases[i][1]);
		free(d);
	}
	char msg[64];
	snprintf(msg, sizeof(msg), "bad token \"p%%40w\"; p@w again");
	fk_store_scrub_password("postgres://u:p%40w@h/db", msg, sizeof(msg));
	assert_string_equal(msg, "bad token \"***\"; *** again");
	/* A password shorter than "***" in a full buffer: cut, never overflowed. */
	char small[8] = "a-a-a-a";
	fk_store_scrub_password("postgresql://u:a@h/db", small, sizeof(small));
	assert_null(strchr(small, 'a'));
	assert_true(strlen(small) < sizeof(small));
	/* Opening: an unreachable server; the message names it, without the password. */
	fk_store *s = NULL;
	fk_error err = {{0}};
	assert_int_not_equal(
		fk_store_open("postgresql://who:s3cr%65tpw@127.0.0.1:1/x", NULL, &s, &err), 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, "postgresql://who:***@127.0.0.1:1/x"));
	assert_null(strstr(err.msg, "s3cr"));
	/* libpq's own complaint about the URI quotes the password: scrubbed. */
	assert_int_not_equal(fk_store_open("postgresql://who:s3cr%zzpw@127.0.0.1:1/x", NULL, &s,
					   &err),
			     0);
	assert_null(strstr(err.msg, "s3cr"));
}

/* PostgreSQL's own errors: a database that does not exist, a newer schema, a table meta
 * of another program. */
static void test_pg_errors(void **state)
{
	(void)state;
	fk_store *s = NULL;
	fk_error err = {{0}};
	assert_int_not_equal(fk_store_open(pg_db_url("fk_no_such_db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "fk_no_such_db"));
	s = open_store("newer.db", NULL);
	fk_store_close(s);
	pg_exec("fk_newer_db", "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	assert_int_not_equal(fk_store_open(db_path("newer.db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "schema version 99 is newer"));
	db_path("foreign.db");
	pg_exec("fk_foreign_db", "CREATE TABLE meta(x int)");
	assert_int_not_equal(fk_store_open(db_path("foreign.db"), NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "not a flamekit store"));
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_compact_same_window),
		cmocka_unit_test(test_compact_downsample_retention),
		cmocka_unit_test(test_concurrent_puts),
		cmocka_unit_test(test_replicas),
		cmocka_unit_test(test_put_failures),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_corrupt_blob),
		cmocka_unit_test(test_codec_truncated),
		cmocka_unit_test(test_dsn_password),
	};
	int failed = cmocka_run_group_tests_name("store on SQLite", tests, setup, teardown);
	const char *url = getenv("PG_URL");
	if (!url || !*url) {
		printf("store on PostgreSQL: skipped (PG_URL is not set; "
		       "t/t0084-serve-postgres.sh sets it)\n");
		return failed;
	}
	pg_url = url;
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_compact_same_window),
		cmocka_unit_test(test_compact_downsample_retention),
		cmocka_unit_test(test_concurrent_puts),
		cmocka_unit_test(test_replicas),
		cmocka_unit_test(test_corrupt_blob),
		cmocka_unit_test(test_pg_errors),
	};
	failed += cmocka_run_group_tests_name("store on PostgreSQL", pg_tests, NULL, NULL);
	return failed;
}
