/* test_ingest.c: POST /ingest requests to profiles (src/server/ingest.c): folded and
 * lines bodies (blank lines, CRLF, bad lines and their line numbers), the query's
 * parameters and their errors, gzip bodies (several members, truncated, corrupt, past the
 * bound), and pprof bodies from the fuzz corpus (a Go CPU profile, a Node wall profile)
 * raw, gzipped and in multipart/form-data (with other parts), one item per sample type,
 * the app name's ".TYPE" stripped, and the "cpu" copy of a Node profile's samples. The
 * pprof files are read from $FK_ROOT/fuzz/corpus/pprof (FK_ROOT default "."). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zlib.h>

#include "../../src/server/ingest.h"

enum { NOW = 1700000000 };

static fk_ingest_request request(const char *name, const char *format, const char *body)
{
	fk_ingest_request r = {0};
	r.name = name;
	r.format = format;
	r.body = (const unsigned char *)body;
	r.len = body ? strlen(body) : 0;
	r.now = NOW;
	r.max_decompressed = 1 << 20;
	return r;
}

/* A profile as folded text "a;b 3\n..." (sorted), malloc'd. */
typedef struct text {
	char *s;
	size_t len;
} text;

static int put_stack(const fk_profile *p, const fk_name_id *names, size_t depth, double count,
		     void *ctx)
{
	text *t = ctx;
	char line[4096];
	size_t o = 0;
	for (size_t i = 0; i < depth; i++) {
		size_t len;
		const char *s = fk_profile_name(p, names[i], &len);
		o += (size_t)snprintf(line + o, sizeof line - o, "%s%.*s", i ? ";" : "", (int)len, s);
	}
	char num[32];
	fk_format_count(count, num);
	o += (size_t)snprintf(line + o, sizeof line - o, " %s\n", num);
	t->s = realloc(t->s, t->len + o + 1);
	memcpy(t->s + t->len, line, o + 1);
	t->len += o;
	return 0;
}

static char *folded(const fk_profile *p)
{
	text t = {fk_xstrdup(""), 0};
	fk_profile_walk_sorted(p, put_stack, &t);
	return t.s;
}

static void expect_folded(const fk_profile *p, const char *want)
{
	char *got = folded(p);
	assert_string_equal(got, want);
	free(got);
}

static char *key_text(const fk_ingest_item *it)
{
	return fk_series_key_format(&it->key);
}

static void expect_key(const fk_ingest_item *it, const char *want)
{
	char *s = key_text(it);
	assert_string_equal(s, want);
	free(s);
}

/* Parsing r must fail with code and a message containing want. */
static void expect_fail(const fk_ingest_request *r, int code, const char *want)
{
	fk_ingest in;
	fk_error err = {{0}};
	int rc = fk_ingest_parse(r, &in, &err);
	if (rc != code)
		fail_msg("want %d, got %d (%s)", code, rc, err.msg);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
	assert_int_equal(in.count, 0);
	assert_null(in.items);
}

static void parse_ok(const fk_ingest_request *r, fk_ingest *in)
{
	fk_error err = {{0}};
	int rc = fk_ingest_parse(r, in, &err);
	if (rc != FK_INGEST_OK)
		fail_msg("ingest failed (%d): %s", rc, err.msg);
}

static void test_folded(void **state)
{
	(void)state;
	fk_ingest_request r = request("shop.cpu{env=prod, v=\"1.2\"}", "folded",
				      "main;work 3\nmain;idle 2\n\nmain;work 1\r\n\n");
	r.from = "1699990000";
	r.until = "1699990010";
	r.spy_name = "gospy";
	fk_ingest in;
	parse_ok(&r, &in);
	assert_int_equal(in.count, 1);
	fk_ingest_item *it = &in.items[0];
	expect_key(it, "shop.cpu{env=prod,v=1.2}");
	expect_folded(it->profile, "main;idle 2\nmain;work 4\n");
	assert_int_equal(it->from, 1699990000);
	assert_int_equal(it->until, 1699990010);
	assert_string_equal(it->units, "samples");
	assert_string_equal(it->aggregation, "sum");
	assert_string_equal(it->spy_name, "gospy");
	assert_int_equal(it->sample_rate, 100);
	const fk_profile_meta *m = fk_profile_get_meta(it->profile);
	assert_string_equal(m->sample_type, "cpu");
	assert_string_equal(m->unit, "count");
	assert_int_equal(m->time_ns, 1699990000LL * 1000000000);
	assert_int_equal(m->duration_ns, 10LL * 1000000000);
	assert_int_equal(m->period, 10000000);
	fk_ingest_free(&in);
	assert_int_equal(in.count, 0);

	/* no format, not multipart: folded; no dot: type cpu; the other parameters */
	r = request("shop", NULL, "a 1\n");
	r.sample_rate = "997";
	r.units = "objects";
	r.aggregation_type = "average";
	r.content_type = "text/plain";
	r.from = "now-1h";
	parse_ok(&r, &in);
	assert_int_equal(in.count, 1);
	it = &in.items[0];
	expect_key(it, "shop.cpu{}");
	assert_int_equal(it->sample_rate, 997);
	assert_string_equal(it->units, "objects");
	assert_string_equal(it->aggregation, "average");
	assert_int_equal(it->from, NOW - 3600);
	assert_int_equal(it->until, NOW);
	assert_string_equal(it->spy_name, "");
	assert_string_equal(fk_profile_get_meta(it->profile)->unit, "objects");
	fk_ingest_free(&in);

	/* an app with dots, a type of its own; fractions and a last line with no end */
	r = request("my.app.alloc_space", "folded", "x;y 1.5\nx 2");
	parse_ok(&r, &in);
	expect_key(&in.items[0], "my.app.alloc_space{}");
	expect_folded(in.items[0].profile, "x 2\nx;y 1.5\n");
	fk_ingest_free(&in);

	/* an empty body: nothing to store */
	r = request("shop.cpu", "folded", "\n\r\n");
	parse_ok(&r, &in);
	assert_int_equal(in.count, 0);
	fk_ingest_free(&in);
	r = request("shop.cpu", "folded", NULL);
	parse_ok(&r, &in);
	assert_int_equal(in.count, 0);
}

static void test_lines(void **state)
{
	(void)state;
	fk_ingest_request r = request("svc.wall", "lines", "a;b\na;b\r\n\nc\na;b;c d\n");
	fk_ingest in;
	parse_ok(&r, &in);
	assert_int_equal(in.count, 1);
	expect_key(&in.items[0], "svc.wall{}");
	expect_folded(in.items[0].profile, "a;b 2\na;b;c d 1\nc 1\n");
	fk_ingest_free(&in);
}

static void test_bad_folded(void **state)
{
	(void)state;
	fk_ingest_request r = request("a.cpu", "folded", "a;b 3\n\nno count here\n");
	expect_fail(&r, FK_INGEST_BAD, "line 3: no count at the end (want 'frame;frame;... COUNT'): 'no count here'");
	r = request("a.cpu", "folded", "a;b -3\n");
	expect_fail(&r, FK_INGEST_BAD, "line 1: no count");
	r = request("a.cpu", "folded", " 3\n");
	expect_fail(&r, FK_INGEST_BAD, "line 1: the stack is empty");
	char big[500];
	memset(big, '9', sizeof big);
	memcpy(big, "a ", 2);
	big[sizeof big - 1] = '\0';
	r = request("a.cpu", "folded", big);
	expect_fail(&r, FK_INGEST_BAD, "line 1: the count is too large");
	r = request("a.cpu", "folded", "a\x01\xff 3\nb\n");
	expect_fail(&r, FK_INGEST_BAD, "line 2: no count");
}

static void test_bad_params(void **state)
{
	(void)state;
	fk_ingest_request r = request(NULL, "folded", "a 1\n");
	expect_fail(&r, FK_INGEST_BAD, "missing query parameter 'name'");
	r.name = "";
	expect_fail(&r, FK_INGEST_BAD, "missing query parameter 'name'");
	r.name = "app{a=1";
	expect_fail(&r, FK_INGEST_BAD, "name: at character 8: expected ',' or '}'");
	r.name = "app.0123456789012345678901234567890123456789";
	expect_fail(&r, FK_INGEST_BAD, "the profile type is longer than 31 bytes");
	r.name = "app";

	const char *rates[] = {"0", "-1", "abc", "1000000001", "99999999999999999999", "", "5x"};
	for (size_t i = 0; i < FK_ARRAY_LEN(rates); i++) {
		r.sample_rate = rates[i];
		expect_fail(&r, FK_INGEST_BAD, "sampleRate: ");
	}
	r.sample_rate = "1000000000";
	fk_ingest in;
	parse_ok(&r, &in);
	assert_int_equal(in.items[0].sample_rate, 1000000000);
	fk_ingest_free(&in);
	r.sample_rate = NULL;

	r.units = "Bytes";
	expect_fail(&r, FK_INGEST_BAD, "units: 'Bytes' is not a word");
	r.units = "a_very_long_unit_name";
	expect_fail(&r, FK_INGEST_BAD, "units: ");
	r.units = "";
	expect_fail(&r, FK_INGEST_BAD, "units: ");
	r.units = NULL;
	r.aggregation_type = "max";
	expect_fail(&r, FK_INGEST_BAD, "aggregationType: 'max' is neither sum nor average");
	r.aggregation_type = NULL;
	r.spy_name = "0123456789012345678901234567890123";
	expect_fail(&r, FK_INGEST_BAD, "spyName: at most 31 printable");
	r.spy_name = "bad\nspy";
	expect_fail(&r, FK_INGEST_BAD, "spyName: ");
	r.spy_name = NULL;
	r.from = "yesterday";
	expect_fail(&r, FK_INGEST_BAD, "from: bad time 'yesterday'");
	r.from = NULL;
	r.until = "now-1x";
	expect_fail(&r, FK_INGEST_BAD, "until: bad time");
	r.from = "now";
	r.until = "now-1h";
	expect_fail(&r, FK_INGEST_BAD, "is before from");
	r.from = r.until = NULL;

	r.format = "jfr";
	expect_fail(&r, FK_INGEST_UNSUPPORTED, "format: jfr is not supported");
	r.format = "trie";
	expect_fail(&r, FK_INGEST_UNSUPPORTED, "format: trie is not supported");
	r.format = "tree";
	expect_fail(&r, FK_INGEST_UNSUPPORTED, "not supported");
	r.format = "xml\x01";
	expect_fail(&r, FK_INGEST_BAD, "format: unknown format 'xml\\x01' (want folded, lines or pprof)");
}

/* gzip of data (one member), malloc'd. */
static unsigned char *gzip(const void *data, size_t len, size_t *out_len)
{
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static void test_gzip(void **state)
{
	(void)state;
	const char *body = "a;b 2\na;c 3\n";
	size_t glen;
	unsigned char *g = gzip(body, strlen(body), &glen);
	fk_ingest_request r = request("g.cpu", "folded", NULL);
	r.body = g;
	r.len = glen;
	fk_ingest in;
	parse_ok(&r, &in);
	expect_folded(in.items[0].profile, "a;b 2\na;c 3\n");
	fk_ingest_free(&in);

	/* two members, as `cat a.gz b.gz`, and trailing zeros */
	unsigned char *two = malloc(glen * 2 + 4);
	memcpy(two, g, glen);
	memcpy(two + glen, g, glen);
	memset(two + glen * 2, 0, 4);
	r.body = two;
	r.len = glen * 2 + 4;
	parse_ok(&r, &in);
	expect_folded(in.items[0].profile, "a;b 4\na;c 6\n");
	fk_ingest_free(&in);

	/* past the bound: 12 bytes inflated, 11 allowed */
	r.body = g;
	r.len = glen;
	r.max_decompressed = 11;
	expect_fail(&r, FK_INGEST_TOO_LARGE, "body: inflates past 11 bytes");
	r.max_decompressed = 12;
	parse_ok(&r, &in);
	fk_ingest_free(&in);

	/* a bomb: 64 MiB of zeros against 1 MiB */
	size_t zlen = 64 << 20;
	unsigned char *zeros = calloc(1, zlen);
	size_t blen;
	unsigned char *bomb = gzip(zeros, zlen, &blen);
	free(zeros);
	r.body = bomb;
	r.len = blen;
	r.max_decompressed = 1 << 20;
	expect_fail(&r, FK_INGEST_TOO_LARGE, "inflates past 1048576 bytes");
	free(bomb);

	r.body = g;
	r.len = glen - 5;
	expect_fail(&r, FK_INGEST_BAD, "body: truncated gzip data");
	r.len = 2;
	expect_fail(&r, FK_INGEST_BAD, "body: truncated gzip data");
	g[12] ^= 0x55;
	g[13] ^= 0xff;
	r.len = glen;
	expect_fail(&r, FK_INGEST_BAD, "body: ");
	free(g);
	free(two);
}

static unsigned char *read_corpus(const char *name, size_t *len)
{
	const char *root = getenv("FK_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/fuzz/corpus/pprof/%s", root && *root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository's top directory or set FK_ROOT)", path);
	unsigned char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static double total(const fk_ingest_item *it)
{
	return fk_profile_total(it->profile);
}

/* go-cpu.pb: samples/count (171) and cpu/nanoseconds (1.71e9), period 10 ms. */
static void check_go_cpu(const fk_ingest *in)
{
	assert_int_equal(in->count, 2);
	expect_key(&in->items[0], "goapp.samples{v=1}");
	expect_key(&in->items[1], "goapp.cpu{v=1}");
	assert_true(total(&in->items[0]) == 171);
	assert_true(total(&in->items[1]) == 1710000000);
	assert_string_equal(in->items[0].units, "samples");
	assert_string_equal(in->items[1].units, "nanoseconds");
	assert_int_equal(in->items[0].sample_rate, 100);
	const fk_profile_meta *m = fk_profile_get_meta(in->items[1].profile);
	assert_string_equal(m->sample_type, "cpu");
	assert_string_equal(m->unit, "nanoseconds");
	assert_int_equal(m->time_ns, (int64_t)NOW * 1000000000);
	expect_folded(in->items[0].profile,
		      "runtime.main;main.main;main.burnAlpha;main.spin 29\n"
		      "runtime.main;main.main;main.burnBeta;main.spin 53\n"
		      "runtime.main;main.main;main.burnGamma;main.spin 89\n");
}

static void test_pprof_raw(void **state)
{
	(void)state;
	size_t len;
	unsigned char *pb = read_corpus("go-cpu.pb", &len);
	fk_ingest_request r = request("goapp.cpu{v=1}", "pprof", NULL);
	r.body = pb;
	r.len = len;
	r.content_type = "application/octet-stream";
	fk_ingest in;
	parse_ok(&r, &in);
	check_go_cpu(&in);
	fk_ingest_free(&in);

	/* gzipped, the name without a type */
	size_t glen;
	unsigned char *g = gzip(pb, len, &glen);
	r.body = g;
	r.len = glen;
	r.name = "goapp{v=1}";
	parse_ok(&r, &in);
	check_go_cpu(&in);
	fk_ingest_free(&in);
	/* a suffix that is no sample type stays in the app */
	r.name = "goapp.v2";
	parse_ok(&r, &in);
	expect_key(&in.items[0], "goapp.v2.samples{}");
	fk_ingest_free(&in);
	r.name = ".cpu";
	expect_fail(&r, FK_INGEST_BAD, "name: the app name is empty");

	/* a sampleRate given wins over the period */
	r.name = "goapp";
	r.sample_rate = "250";
	parse_ok(&r, &in);
	assert_int_equal(in.items[1].sample_rate, 250);
	fk_ingest_free(&in);
	free(g);

	/* broken pprof: truncated, not pprof at all, empty */
	r.body = pb;
	r.len = len / 2;
	expect_fail(&r, FK_INGEST_BAD, "pprof: ");
	r.body = (const unsigned char *)"hello world";
	r.len = 11;
	expect_fail(&r, FK_INGEST_BAD, "pprof: ");
	r.len = 0;
	expect_fail(&r, FK_INGEST_BAD, "body: empty (want a pprof profile)");
	free(pb);
}

/* @pyroscope/nodejs: a raw wall profile ("sample"/count, "wall"/nanoseconds). */
static void test_pprof_node(void **state)
{
	(void)state;
	size_t len;
	unsigned char *pb = read_corpus("node-time.pb", &len);
	fk_ingest_request r = request("nodeapp.wall{host=h1}", "pprof", NULL);
	r.body = pb;
	r.len = len;
	r.content_type = "application/octet-stream";
	r.spy_name = "nodespy";
	fk_ingest in;
	parse_ok(&r, &in);
	assert_int_equal(in.count, 3);
	expect_key(&in.items[0], "nodeapp.samples{host=h1}");
	expect_key(&in.items[1], "nodeapp.cpu{host=h1}");
	expect_key(&in.items[2], "nodeapp.wall{host=h1}");
	assert_true(total(&in.items[0]) == 4605);
	assert_true(total(&in.items[1]) == 4605);
	assert_true(total(&in.items[2]) == 5558235000.0);
	assert_string_equal(fk_profile_get_meta(in.items[0].profile)->sample_type, "samples");
	assert_string_equal(fk_profile_get_meta(in.items[1].profile)->sample_type, "cpu");
	assert_string_equal(in.items[1].units, "samples");
	assert_string_equal(in.items[2].units, "nanoseconds");
	assert_string_equal(in.items[1].spy_name, "nodespy");
	char *a = folded(in.items[0].profile), *b = folded(in.items[1].profile);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_ptr_not_equal(in.items[0].profile, in.items[1].profile);
	fk_ingest_free(&in);
	free(pb);
}

/* A multipart/form-data body of parts (name, data, len). */
static unsigned char *multipart(const char *boundary, const char *const *names,
				const unsigned char *const *data, const size_t *lens, size_t n,
				size_t *out_len)
{
	size_t cap = 4096;
	for (size_t i = 0; i < n; i++)
		cap += lens[i];
	unsigned char *out = malloc(cap);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf((char *)out + o, cap - o,
				      "--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
				      "filename=\"%s\"\r\nContent-Type: application/octet-stream"
				      "\r\n\r\n", boundary, names[i], names[i]);
		memcpy(out + o, data[i], lens[i]);
		o += lens[i];
		o += (size_t)snprintf((char *)out + o, cap - o, "\r\n");
	}
	o += (size_t)snprintf((char *)out + o, cap - o, "--%s--\r\n", boundary);
	*out_len = o;
	return out;
}

static void test_pprof_multipart(void **state)
{
	(void)state;
	size_t len, glen, blen;
	unsigned char *pb = read_corpus("go-cpu.pb", &len);
	unsigned char *g = gzip(pb, len, &glen);
	/* the Go client: prev_profile first, then profile, then sample_type_config */
	const char *names[] = {"prev_profile", "profile", "sample_type_config"};
	const unsigned char *data[] = {(const unsigned char *)"junk", g,
				       (const unsigned char *)"{\"cpu\":{}}"};
	size_t lens[] = {4, glen, 10};
	unsigned char *body = multipart("b0undary-x", names, data, lens, 3, &blen);
	fk_ingest_request r = request("goapp.cpu{v=1}", NULL, NULL);
	r.body = body;
	r.len = blen;
	r.content_type = "multipart/form-data; boundary=b0undary-x";
	fk_ingest in;
	parse_ok(&r, &in);
	check_go_cpu(&in);
	fk_ingest_free(&in);
	/* format=pprof, a quoted boundary, another case */
	r.format = "pprof";
	r.content_type = "Multipart/Form-Data; charset=x; BOUNDARY=\"b0undary-x\"";
	parse_ok(&r, &in);
	check_go_cpu(&in);
	fk_ingest_free(&in);
	free(body);

	/* uncompressed, alone, with no CR */
	const char *one[] = {"profile"};
	const unsigned char *raw[] = {pb};
	body = multipart("zz", one, raw, &len, 1, &blen);
	const char *head = "--zz\nContent-Disposition: form-data; name=profile\n\n";
	const char *tail = "\n--zz--";
	size_t n = strlen(head) + len + strlen(tail);
	unsigned char *lf = malloc(n);
	memcpy(lf, head, strlen(head));
	memcpy(lf + strlen(head), pb, len);
	memcpy(lf + strlen(head) + len, tail, strlen(tail));
	r.body = lf;
	r.len = n;
	r.content_type = "multipart/form-data; boundary=zz";
	parse_ok(&r, &in);
	check_go_cpu(&in);
	fk_ingest_free(&in);
	free(lf);

	/* errors */
	r.body = body;
	r.len = blen;
	r.content_type = "multipart/form-data";
	expect_fail(&r, FK_INGEST_BAD, "multipart/form-data without a boundary");
	r.content_type = "multipart/form-data; boundary=\"zz";
	expect_fail(&r, FK_INGEST_BAD, "unterminated boundary");
	r.content_type = "multipart/form-data; boundary=other";
	expect_fail(&r, FK_INGEST_BAD, "multipart body: no boundary line '--other'");
	r.content_type = "multipart/form-data; boundary=zz";
	r.len = blen - 8;
	expect_fail(&r, FK_INGEST_BAD, "does not end with a boundary line");
	free(body);
	const char *other[] = {"prev_profile"};
	body = multipart("zz", other, raw, &len, 1, &blen);
	r.body = body;
	r.len = blen;
	expect_fail(&r, FK_INGEST_BAD, "multipart body: no part named \"profile\"");
	free(body);
	r.body = (const unsigned char *)"--zz\r\nContent-Disposition: form-data; name=profile\r\n";
	r.len = strlen((const char *)r.body);
	expect_fail(&r, FK_INGEST_BAD, "its headers do not end");
	r.body = (const unsigned char *)"--zz\r\n\r\nhello\r\n--zz--";
	r.len = strlen((const char *)r.body);
	expect_fail(&r, FK_INGEST_BAD, "no part named");
	r.body = (const unsigned char *)"--zz\r\nContent-Disposition: form-data; name=profile\r\n\r\nhello\r\n--zz--";
	r.len = strlen((const char *)r.body);
	expect_fail(&r, FK_INGEST_BAD, "pprof: ");
	r.body = (const unsigned char *)"--zz\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\n\r\n--zz--";
	r.len = strlen((const char *)r.body);
	expect_fail(&r, FK_INGEST_BAD, "part \"profile\": empty");
	free(g);
	free(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bad_folded),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_pprof_raw),
		cmocka_unit_test(test_pprof_node),
		cmocka_unit_test(test_pprof_multipart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
