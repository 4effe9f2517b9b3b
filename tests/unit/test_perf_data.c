/* test_perf_data.c: the perf.data reader on synthetic files built here: the header, the
 * attributes and their ids, EVENT_DESC names, the records (COMM, SAMPLE with
 * callchains, LOST, FINISHED_ROUND, unknown types skipped), time order across rounds,
 * the default event filter with two events, and errors (every truncation, sizes and
 * offsets past the end, record size 0) that name the offset and add nothing; pipe mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/perf_event.h>

#include "../../src/input/perf_data.h"
#include "../../src/output/folded.h"

/* ---- building a file ---- */

typedef struct buf {
	unsigned char *d;
	size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
	fk_grow((void **)&b->d, 1, &b->cap, b->len + n);
	memcpy(b->d + b->len, p, n);
	b->len += n;
}
static void put64(buf *b, uint64_t v) { put(b, &v, 8); }
static void put32(buf *b, uint32_t v) { put(b, &v, 4); }
static void set64(buf *b, size_t off, uint64_t v) { memcpy(b->d + off, &v, 8); }

static void header(buf *b, uint32_t type, uint16_t misc, uint16_t size)
{
	put32(b, type);
	put(b, &misc, 2);
	put(b, &size, 2);
}

/* Sample types of the synthetic events: IDENTIFIER | IP | TID | TIME | PERIOD |
 * CALLCHAIN, sample_id_all; non-sample records end with TID, TIME, IDENTIFIER. */
#define ST (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
	    PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

static void sample_id(buf *b, uint32_t pid, uint32_t tid, uint64_t time, uint64_t id)
{
	put32(b, pid);
	put32(b, tid);
	put64(b, time);
	put64(b, id);
}

static void comm(buf *b, uint32_t pid, uint32_t tid, const char *name, uint64_t time)
{
	/* the name is NUL-padded to 8 bytes, as the kernel writes it */
	char padded[16] = {0};
	snprintf(padded, sizeof(padded), "%s", name);
	size_t len = (strlen(padded) + 1 + 7) & ~(size_t)7;
	header(b, PERF_RECORD_COMM, 0, (uint16_t)(8 + 8 + len + 24));
	put32(b, pid);
	put32(b, tid);
	put(b, padded, len);
	sample_id(b, pid, tid, time, 100);
}

static void sample(buf *b, uint64_t id, uint32_t pid, uint32_t tid, uint64_t time,
		   uint64_t period, const uint64_t *chain, size_t n)
{
	header(b, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, (uint16_t)(8 + 8 * 6 + 8 * n));
	put64(b, id);
	put64(b, chain[n - 1]); /* ip: whatever */
	put32(b, pid);
	put32(b, tid);
	put64(b, time);
	put64(b, period);
	put64(b, n);
	for (size_t i = 0; i < n; i++)
		put64(b, chain[i]);
}

/* A file of nevents events (ids 100 and 200; names "ev-a", "ev-b" in EVENT_DESC) whose
 * data section is data. */
static buf make_file(const buf *data, int nevents)
{
	buf b = {0};
	const size_t attr_size = 128;
	put(&b, "PERFILE2", 8);
	put64(&b, 104);
	put64(&b, attr_size + 16);
	size_t attrs_off = 104;
	size_t ids_off = attrs_off + (size_t)nevents * (attr_size + 16);
	size_t data_off = ids_off + (size_t)nevents * 8;
	put64(&b, attrs_off);
	put64(&b, (uint64_t)nevents * (attr_size + 16));
	put64(&b, data_off);
	put64(&b, data->len);
	put64(&b, 0);
	put64(&b, 0);
	unsigned char features[32] = {0};
	features[12 / 8] |= 1 << (12 % 8); /* EVENT_DESC */
	put(&b, features, 32);
	for (int e = 0; e < nevents; e++) {
		unsigned char attr[128] = {0};
		uint32_t type = PERF_TYPE_SOFTWARE, size = 128;
		uint64_t config = e == 0 ? PERF_COUNT_SW_CPU_CLOCK : PERF_COUNT_SW_PAGE_FAULTS;
		uint64_t period = 1000, st = ST, flags = 1ull << 18; /* sample_id_all */
		memcpy(attr, &type, 4);
		memcpy(attr + 4, &size, 4);
		memcpy(attr + 8, &config, 8);
		memcpy(attr + 16, &period, 8);
		memcpy(attr + 24, &st, 8);
		memcpy(attr + 40, &flags, 8);
		put(&b, attr, sizeof(attr));
		put64(&b, ids_off + 8 * (size_t)e);
		put64(&b, 8);
	}
	for (int e = 0; e < nevents; e++)
		put64(&b, e == 0 ? 100 : 200);
	assert_int_equal(b.len, data_off);
	put(&b, data->d, data->len);
	/* the feature table, then EVENT_DESC */
	size_t table = b.len, desc = table + 16;
	put64(&b, desc);
	put64(&b, 0); /* size, set below */
	put32(&b, (uint32_t)nevents);
	put32(&b, 128);
	for (int e = 0; e < nevents; e++) {
		unsigned char attr[128] = {0};
		put(&b, attr, sizeof(attr));
		put32(&b, 1);
		put32(&b, 8);
		put(&b, e == 0 ? "ev-a\0\0\0\0" : "ev-b\0\0\0\0", 8);
		put64(&b, e == 0 ? 100 : 200);
	}
	set64(&b, table + 8, b.len - desc);
	return b;
}

/* Reads the file; returns the reader's result and the folded text in *folded. */
static int read_file(const buf *f, const char *event_filter, char **folded, fk_load_stats *stats,
		     fk_error *err)
{
	fk_whole_input in = {"synthetic.data", 0, f->d, f->len};
	fk_load_options o;
	memset(&o, 0, sizeof(o));
	o.perf.event_filter = event_filter;
	fk_profile *p = fk_profile_new();
	fk_diag diag;
	fk_diag_init(&diag);
	memset(stats, 0, sizeof(*stats));
	int rc = fk_perf_data_read(&in, &o, p, &diag, stats, err);
	size_t size = 0;
	FILE *mem = open_memstream(folded, &size);
	fk_error werr;
	assert_int_equal(fk_write_folded(p, mem, &werr), 0);
	fclose(mem);
	fk_diag_free(&diag);
	fk_profile_free(p);
	return rc;
}

static void expect_error(buf *f, const char *text);

static const uint64_t chain_a[] = {(uint64_t)PERF_CONTEXT_USER, 0x1000, 0x2000};

/* COMM, then two samples of app; one of them before the COMM in time, in a later round:
 * still named "app" as the COMM (time 5) comes first in time order. */
static buf basic_data(void)
{
	buf d = {0};
	comm(&d, 10, 10, "app", 5);
	header(&d, 68, 0, 8); /* FINISHED_ROUND */
	sample(&d, 100, 10, 10, 20, 7, chain_a, 3);
	header(&d, 999, 0, 16); /* an unknown record type: skipped */
	put64(&d, 0);
	sample(&d, 100, 10, 10, 10, 7, chain_a, 3);
	header(&d, PERF_RECORD_LOST, 0, 8 + 16 + 24);
	put64(&d, 100);
	put64(&d, 3);
	sample_id(&d, 10, 10, 30, 100);
	return d;
}

static void test_basic(void **state)
{
	(void)state;
	buf d = basic_data();
	buf f = make_file(&d, 1);
	char *folded;
	fk_load_stats stats;
	fk_error err;
	assert_int_equal(read_file(&f, NULL, &folded, &stats, &err), 0);
	assert_string_equal(folded, "app;[unknown];[unknown] 14\n");
	assert_int_equal(stats.samples, 2);
	assert_int_equal(stats.lost, 3);
	assert_string_equal(stats.event, "ev-a");
	free(folded);
	free(f.d);
	free(d.d);
}

/* A thread never named is ":TID"; pid/tid -1 (a task past its exit) is named as the
 * rules read perf script's ":-1    -1 TIME:" line. */
static void test_unnamed(void **state)
{
	(void)state;
	buf d = {0};
	sample(&d, 100, 42, 43, 1000000000, 5, chain_a, 3);
	sample(&d, 100, (uint32_t)-1, (uint32_t)-1, 2000001000, 5, chain_a, 3);
	buf f = make_file(&d, 1);
	char *folded;
	fk_load_stats stats;
	fk_error err;
	assert_int_equal(read_file(&f, NULL, &folded, &stats, &err), 0);
	assert_string_equal(folded, ":-1____-1_____2.000001:;[unknown];[unknown] 5\n"
				    ":43;[unknown];[unknown] 5\n");
	free(folded);
	free(f.d);
	free(d.d);
}

/* Two events: the first sample's event is kept, the other one's samples are filtered;
 * --event-filter chooses. */
static void test_two_events(void **state)
{
	(void)state;
	buf d = {0};
	comm(&d, 10, 10, "app", 1);
	static const uint64_t chain_b[] = {(uint64_t)PERF_CONTEXT_USER, 0x3000};
	sample(&d, 200, 10, 10, 20, 1, chain_b, 2);
	sample(&d, 100, 10, 10, 10, 2, chain_a, 3);
	sample(&d, 200, 10, 10, 30, 1, chain_b, 2);
	buf f = make_file(&d, 2);
	char *folded;
	fk_load_stats stats;
	fk_error err;
	assert_int_equal(read_file(&f, NULL, &folded, &stats, &err), 0);
	assert_string_equal(folded, "app;[unknown];[unknown] 2\n"); /* ev-a: first in time */
	assert_int_equal(stats.filtered, 2);
	assert_string_equal(stats.event, "ev-a");
	free(folded);
	assert_int_equal(read_file(&f, "ev-b", &folded, &stats, &err), 0);
	assert_string_equal(folded, "app;[unknown] 2\n");
	assert_int_equal(stats.filtered, 1);
	free(folded);
	free(f.d);
	free(d.d);
}

/* Pipe mode: the attribute and the event's name come as records (HEADER_ATTR,
 * EVENT_UPDATE); a record of an odd size before the samples leaves them misaligned. */
static void test_pipe(void **state)
{
	(void)state;
	buf f = {0};
	put(&f, "PERFILE2", 8);
	put64(&f, 16);
	unsigned char attr[128] = {0};
	uint32_t type = PERF_TYPE_SOFTWARE, size = 128;
	uint64_t period = 1000, st = ST, flags = 1ull << 18;
	memcpy(attr, &type, 4);
	memcpy(attr + 4, &size, 4);
	memcpy(attr + 16, &period, 8);
	memcpy(attr + 24, &st, 8);
	memcpy(attr + 40, &flags, 8);
	header(&f, 64, 0, 8 + 128 + 8); /* HEADER_ATTR: the attribute, then its id */
	put(&f, attr, sizeof(attr));
	put64(&f, 100);
	header(&f, 78, 0, 8 + 16 + 8); /* EVENT_UPDATE: NAME */
	put64(&f, 1);
	put64(&f, 100);
	put(&f, "cpu-x\0\0\0", 8);
	header(&f, 999, 0, 12); /* an unknown record of 12 bytes */
	put32(&f, 0);
	comm(&f, 10, 10, "app", 1);
	sample(&f, 100, 10, 10, 20, 3, chain_a, 3);
	char *folded;
	fk_load_stats stats;
	fk_error err;
	assert_int_equal(read_file(&f, NULL, &folded, &stats, &err), 0);
	assert_string_equal(folded, "app;[unknown];[unknown] 3\n");
	assert_string_equal(stats.event, "cpu-x");
	free(folded);
	/* a sample before any attribute */
	buf g = {0};
	put(&g, "PERFILE2", 8);
	put64(&g, 16);
	sample(&g, 100, 10, 10, 20, 3, chain_a, 3);
	expect_error(&g, "offset 16: record 0 (type 9) comes before any event attribute");
	free(g.d);
	free(f.d);
}

/* Every truncation is an error that names the file and an offset, and adds nothing. */
static void test_truncated(void **state)
{
	(void)state;
	buf d = basic_data();
	buf f = make_file(&d, 1);
	for (size_t len = 0; len < f.len; len++) {
		buf cut = {f.d, len, len};
		char *folded;
		fk_load_stats stats;
		fk_error err;
		int rc = read_file(&cut, NULL, &folded, &stats, &err);
		if (rc != -1 || folded[0] || !strstr(err.msg, "synthetic.data: offset "))
			fail_msg("length %zu: rc %d, output '%s', error '%s'", len, rc, folded,
				 rc ? err.msg : "");
		free(folded);
	}
	free(f.d);
	free(d.d);
}

static void expect_error(buf *f, const char *text)
{
	char *folded;
	fk_load_stats stats;
	fk_error err;
	assert_int_equal(read_file(f, NULL, &folded, &stats, &err), -1);
	if (!strstr(err.msg, text))
		fail_msg("error '%s' does not say '%s'", err.msg, text);
	assert_string_equal(folded, "");
	free(folded);
}

static void test_corrupt(void **state)
{
	(void)state;
	buf d = basic_data();
	buf f = make_file(&d, 1);
	size_t data_off = 104 + 144 + 8;
	unsigned char *copy = malloc(f.len);
	buf c = {copy, f.len, f.len};
#define RESET() memcpy(copy, f.d, f.len)
	RESET();
	memcpy(copy, "2ELIFREP", 8);
	expect_error(&c, "other byte order");
	RESET();
	copy[3] = 'X';
	expect_error(&c, "offset 0: not a perf.data file");
	RESET();
	set64(&c, 8, 1u << 30);
	expect_error(&c, "offset 8: truncated perf.data header");
	RESET();
	set64(&c, 32, UINT64_MAX - 100); /* attribute section: a huge count of attributes */
	expect_error(&c, "offset 24: attribute section");
	RESET();
	set64(&c, 24, UINT64_MAX - 8);
	expect_error(&c, "offset 24: attribute section");
	RESET();
	set64(&c, 40, UINT64_MAX - 8);
	expect_error(&c, "offset 40: data section");
	RESET();
	set64(&c, 104 + 128, f.len); /* the ids past the end */
	expect_error(&c, "offset 232: event 0's ids");
	RESET();
	uint16_t zero = 0, big = 60000;
	memcpy(copy + data_off + 6, &zero, 2);
	expect_error(&c, "offset 256: record 0 (type 3) has size 0");
	RESET();
	memcpy(copy + data_off + 6, &big, 2);
	expect_error(&c, "offset 256: record 0 (type 3, 60000 bytes) runs past the end");
	RESET();
	/* a callchain longer than its record */
	size_t second = data_off + 48 + 8; /* the first sample, after COMM and FINISHED_ROUND */
	set64(&c, second + 8 + 40, 1000);
	expect_error(&c, "record 2 (SAMPLE, 80 bytes) is malformed");
	free(copy);
	free(f.d);
	free(d.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_unnamed),
		cmocka_unit_test(test_two_events),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
