/* test_flamebearer.c: Pyroscope's flamebearer JSON. Every output is parsed with jansson
 * (it must be valid JSON) and its levels decoded the way Pyroscope's UI decodes them
 * (offset += row[i]; x = offset; offset += total), each bar finding its parent by
 * position; the tests then compare the tree, names, numTicks and maxSelf with the
 * profile: single and double ("diff") formats, maxNodes (at most that many bars, the
 * biggest nodes kept, totals exact through "other" bars), escaping of odd names, counts
 * as integers, metadata, timelines and groups. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/output/flamebearer.h"

/* Adds a "a;b;c" stack (before < 0: a one-valued count). */
static fk_node_id add2(fk_profile *p, const char *folded, double before, double count)
{
	fk_node_id node = FK_ROOT;
	const char *s = folded;
	while (*s) {
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		node = fk_profile_child(p, node, fk_intern(fk_profile_names(p), s, len));
		if (!semi)
			break;
		s = semi + 1;
	}
	if (before < 0)
		fk_profile_add_at(p, node, count);
	else
		fk_profile_add_pair(p, node, before, count);
	return node;
}

static void add(fk_profile *p, const char *folded, double count)
{
	add2(p, folded, -1, count);
}

static char *write_json(fk_profile *p, const fk_flamebearer_options *o)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fk_error err;
	assert_int_equal(fk_flamebearer_write(p, o, f, &err), 0);
	fclose(f);
	return buf;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	if (!j)
		fail_msg("not JSON: %s at %d:%d in\n%s", jerr.text, jerr.line, jerr.column, text);
	return j;
}

/* One decoded bar. */
struct dbar {
	int level;
	double x, total, self;          /* right (single: the only) values */
	double xl, totall, selfl;       /* left values (double) */
	const char *name;
	int parent; /* index of the parent bar, -1 for the root */
	char path[512];
};

struct decoded {
	struct dbar bars[4096];
	int count;
	bool two_valued;
};

static bool inside(double x, double t, double px, double pt)
{
	return x >= px && x + t <= px + pt;
}

/* Decodes flamebearer.levels as Pyroscope does, and links each bar to its parent: the
 * bar of the level above whose range holds its range (both ranges for double). */
static void decode(json_t *root, struct decoded *d)
{
	json_t *fb = json_object_get(root, "flamebearer");
	json_t *names = json_object_get(fb, "names");
	json_t *levels = json_object_get(fb, "levels");
	assert_non_null(names);
	assert_non_null(levels);
	const char *format = json_string_value(json_object_get(json_object_get(root, "metadata"), "format"));
	assert_non_null(format);
	d->two_valued = strcmp(format, "double") == 0;
	int step = d->two_valued ? 7 : 4;
	d->count = 0;
	for (size_t lv = 0; lv < json_array_size(levels); lv++) {
		json_t *row = json_array_get(levels, lv);
		size_t n = json_array_size(row);
		assert_int_equal(n % (size_t)step, 0);
		double off = 0, offl = 0;
		for (size_t i = 0; i < n; i += (size_t)step) {
			assert_true(d->count < 4096);
			struct dbar *b = &d->bars[d->count++];
			memset(b, 0, sizeof(*b));
			b->level = (int)lv;
			size_t k = i;
			if (d->two_valued) {
				offl += json_number_value(json_array_get(row, k));
				b->xl = offl;
				b->totall = json_number_value(json_array_get(row, k + 1));
				b->selfl = json_number_value(json_array_get(row, k + 2));
				offl += b->totall;
				k += 3;
			}
			off += json_number_value(json_array_get(row, k));
			b->x = off;
			b->total = json_number_value(json_array_get(row, k + 1));
			b->self = json_number_value(json_array_get(row, k + 2));
			off += b->total;
			json_t *ni = json_array_get(row, k + 3);
			assert_true(json_is_integer(ni));
			b->name = json_string_value(json_array_get(names, (size_t)json_integer_value(ni)));
			assert_non_null(b->name);
			b->parent = -1;
			if (lv == 0) {
				snprintf(b->path, sizeof(b->path), "%s", b->name);
				continue;
			}
			for (int c = 0; c < d->count - 1; c++) {
				struct dbar *pb = &d->bars[c];
				if (pb->level != (int)lv - 1 || !inside(b->x, b->total, pb->x, pb->total))
					continue;
				if (d->two_valued && !inside(b->xl, b->totall, pb->xl, pb->totall))
					continue;
				b->parent = c;
				break;
			}
			if (b->parent < 0)
				fail_msg("bar %s at level %zu has no parent", b->name, lv);
			const char *parent_path = d->bars[b->parent].path;
			size_t plen = strlen(parent_path), nlen = strlen(b->name);
			assert_true(plen + 1 + nlen < sizeof(b->path));
			memcpy(b->path, parent_path, plen);
			b->path[plen] = ';';
			memcpy(b->path + plen + 1, b->name, nlen + 1);
		}
	}
}

/* The decoded bars as lines "level x total self path" (single) or "level xl tl sl xr tr
 * sr path" (double). */
static char *bars_text(const struct decoded *d)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	for (int i = 0; i < d->count; i++) {
		const struct dbar *b = &d->bars[i];
		if (d->two_valued)
			fprintf(f, "%d %g %g %g %g %g %g %s\n", b->level, b->xl, b->totall, b->selfl, b->x,
				b->total, b->self, b->path);
		else
			fprintf(f, "%d %g %g %g %s\n", b->level, b->x, b->total, b->self, b->path);
	}
	fclose(f);
	return buf;
}

static double fb_number(json_t *root, const char *key)
{
	json_t *v = json_object_get(json_object_get(root, "flamebearer"), key);
	assert_non_null(v);
	return json_number_value(v);
}

static void test_single(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "z", 4);
	add(p, "a;b;c", 3);
	add(p, "a;d", 1);
	add(p, "a;b", 2);
	add(p, "b;x", 1);
	fk_flamebearer_options o = {.name = "app.cpu{}", .sample_rate = 100};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	char *bars = bars_text(&d);
	assert_string_equal(bars, "0 0 11 0 total\n"
				  "1 0 6 0 total;a\n"
				  "1 6 1 0 total;b\n"
				  "1 7 4 4 total;z\n"
				  "2 0 5 2 total;a;b\n"
				  "2 5 1 1 total;a;d\n"
				  "2 6 1 1 total;b;x\n"
				  "3 0 3 3 total;a;b;c\n");
	/* names once each, in order of first use; the levels exactly */
	assert_non_null(strstr(text, "\"names\":[\"total\",\"a\",\"b\",\"z\",\"d\",\"x\",\"c\"]"));
	assert_non_null(strstr(text, "\"levels\":[[0,11,0,0],\n[0,6,0,1,0,1,0,2,0,4,4,3],\n"
				     "[0,5,2,2,0,1,1,4,0,1,1,5],\n[0,3,3,6]]"));
	assert_true(fb_number(root, "numTicks") == 11);
	assert_true(fb_number(root, "maxSelf") == 4);
	json_t *meta = json_object_get(root, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "format")), "single");
	assert_string_equal(json_string_value(json_object_get(meta, "spyName")), "unknown");
	assert_string_equal(json_string_value(json_object_get(meta, "units")), "samples");
	assert_string_equal(json_string_value(json_object_get(meta, "name")), "app.cpu{}");
	assert_int_equal(json_integer_value(json_object_get(meta, "sampleRate")), 100);
	assert_null(json_object_get(meta, "appName"));
	assert_null(json_object_get(meta, "startTime"));
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
	assert_null(json_object_get(root, "timeline"));
	assert_null(json_object_get(root, "groups"));
	assert_null(json_object_get(root, "leftTicks"));
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);
}

static void test_empty(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_flamebearer_options o = {0};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	assert_non_null(strstr(text, "\"names\":[\"total\"],\n\"levels\":[[0,0,0,0]],\n"
				     "\"numTicks\":0,\"maxSelf\":0}"));
	json_decref(root);
	free(text);
	fk_profile_free(p);
}

/* Fractions print as they are, integers without a decimal point; a frame called "total"
 * or "other" shares the name index. */
static void test_counts_and_shared_names(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "total;other", 2.5);
	add(p, "x", 1e15);
	fk_flamebearer_options o = {0};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	assert_non_null(strstr(text, "\"names\":[\"total\",\"x\",\"other\"]"));
	assert_non_null(strstr(text, "[[0,1000000000000002.5,0,0],\n[0,2.5,0,0,0,1000000000000000,"
				     "1000000000000000,1],\n[0,2.5,2.5,2]]"));
	assert_true(fb_number(root, "maxSelf") == 1e15);
	json_decref(root);
	free(text);
	fk_profile_free(p);
}

static void test_escaping(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "q\"uote;back\\slash", 1);
	add(p, "ctl\x01\n\t;euro\xe2\x82\xac", 1);
	add(p, "bad\xff;cut\xe2\x82;surrogate\xed\xa0\x80", 1);
	fk_flamebearer_options o = {.name = "a\"b", .spy_name = "\x02", .units = "\\"};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	char *bars = bars_text(&d);
	assert_string_equal(bars, "0 0 3 0 total\n"
				  "1 0 1 0 total;bad\xef\xbf\xbd\n"
				  "1 1 1 0 total;ctl\x01\n\t\n"
				  "1 2 1 0 total;q\"uote\n"
				  "2 0 1 0 total;bad\xef\xbf\xbd;cut\xef\xbf\xbd\xef\xbf\xbd\n"
				  "2 1 1 1 total;ctl\x01\n\t;euro\xe2\x82\xac\n"
				  "2 2 1 1 total;q\"uote;back\\slash\n"
				  "3 0 1 1 total;bad\xef\xbf\xbd;cut\xef\xbf\xbd\xef\xbf\xbd;"
				  "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n");
	assert_non_null(strstr(text, "\"ctl\\u0001\\n\\t\""));
	assert_non_null(strstr(text, "\"q\\\"uote\""));
	assert_non_null(strstr(text, "\"back\\\\slash\""));
	json_t *meta = json_object_get(root, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "name")), "a\"b");
	assert_string_equal(json_string_value(json_object_get(meta, "spyName")), "\x02");
	assert_string_equal(json_string_value(json_object_get(meta, "units")), "\\");
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);
}

static void test_double(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add2(p, "a;b", 2, 3);
	add2(p, "a;c", 1, 0);
	add2(p, "d", 0, 4);
	add2(p, "e", 5, 5);
	fk_flamebearer_timeline lt = {.start = 100, .step = 10, .samples = (double[]){8}, .count = 1};
	fk_flamebearer_timeline rt = {.start = 200, .step = 10, .samples = (double[]){12}, .count = 1};
	fk_flamebearer_options o = {.left_timeline = &lt, .right_timeline = &rt};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	char *bars = bars_text(&d);
	assert_string_equal(bars, "0 0 8 0 0 12 0 total\n"
				  "1 0 3 0 0 3 0 total;a\n"
				  "1 3 0 0 3 4 4 total;d\n"
				  "1 3 5 5 7 5 5 total;e\n"
				  "2 0 2 2 0 3 3 total;a;b\n"
				  "2 2 1 1 3 0 0 total;a;c\n");
	assert_non_null(strstr(text, "[[0,8,0,0,12,0,0],\n[0,3,0,0,3,0,1,0,0,0,0,4,4,2,0,5,5,0,5,5,3],"));
	assert_true(fb_number(root, "numTicks") == 20);
	assert_true(fb_number(root, "maxSelf") == 5);
	assert_true(fb_number(root, "leftTicks") == 8);
	assert_true(fb_number(root, "rightTicks") == 12);
	assert_int_equal(json_integer_value(json_object_get(root, "leftTicks")), 8);
	assert_int_equal(json_integer_value(json_object_get(root, "rightTicks")), 12);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "metadata"), "format")),
			    "double");
	assert_non_null(strstr(text, "\"leftTimeline\":{\"startTime\":100,\"samples\":[8],\"durationDelta\":10}"));
	assert_non_null(strstr(text, "\"rightTimeline\":{\"startTime\":200,\"samples\":[12],\"durationDelta\":10}"));
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);
}

static void test_metadata_timeline_groups(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a", 3);
	fk_flamebearer_timeline t = {.start = 1700000000, .step = 10,
				     .samples = (double[]){1, 2.5, 0}, .count = 3};
	fk_flamebearer_group g[2] = {
		{.value = "v\"1", .timeline = {.start = 5, .step = 60, .samples = (double[]){7}, .count = 1}},
		{.value = "v2", .timeline = {.start = 5, .step = 60, .samples = NULL, .count = 0}},
	};
	fk_flamebearer_options o = {.name = "app.cpu{env=\"prod\"}", .app_name = "app.cpu",
				    .spy_name = "ebpfspy", .units = "objects", .sample_rate = 99,
				    .start_time = 1700000000, .end_time = 1700000030,
				    .timeline = &t, .groups = g, .ngroups = 2};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	assert_non_null(strstr(text, "\"timeline\":{\"startTime\":1700000000,\"samples\":[1,2.5,0],"
				     "\"durationDelta\":10}"));
	assert_non_null(strstr(text, "\"groups\":{\"v\\\"1\":{\"startTime\":5,\"samples\":[7],"
				     "\"durationDelta\":60},\"v2\":{\"startTime\":5,\"samples\":[],"
				     "\"durationDelta\":60}}"));
	json_t *meta = json_object_get(root, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "name")), "app.cpu{env=\"prod\"}");
	assert_string_equal(json_string_value(json_object_get(meta, "appName")), "app.cpu");
	assert_string_equal(json_string_value(json_object_get(meta, "spyName")), "ebpfspy");
	assert_string_equal(json_string_value(json_object_get(meta, "units")), "objects");
	assert_int_equal(json_integer_value(json_object_get(meta, "sampleRate")), 99);
	assert_int_equal(json_integer_value(json_object_get(meta, "startTime")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(meta, "endTime")), 1700000030);
	json_t *groups = json_object_get(root, "groups");
	assert_int_equal(json_object_size(groups), 2);
	json_t *g1 = json_object_get(groups, "v\"1");
	assert_non_null(g1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(g1, "samples"), 0)), 7);
	json_decref(root);
	free(text);
	fk_profile_free(p);
}

/* A profile of many stacks of varied weights; returns its node count. */
static size_t build_varied(fk_profile *p, bool two_valued)
{
	char stack[128];
	unsigned seed = 12345;
	for (int i = 0; i < 400; i++) {
		seed = seed * 1103515245u + 12345u;
		int depth = 1 + (int)((seed >> 16) % 5);
		size_t o = 0;
		for (int k = 0; k < depth; k++) {
			seed = seed * 1103515245u + 12345u;
			o += (size_t)snprintf(stack + o, sizeof(stack) - o, "%sf%u", k ? ";" : "",
					      (seed >> 16) % (unsigned)(3 + k * 2));
		}
		seed = seed * 1103515245u + 12345u;
		double count = 1 + (seed >> 16) % 50;
		if (two_valued)
			add2(p, stack, (seed >> 8) % 7, count);
		else
			add(p, stack, count);
	}
	return fk_profile_node_count(p);
}

/* The node of p at a decoded bar's path ("total;a;b"), or NO node. */
static bool find_path(fk_profile *p, const char *path, fk_node_id *out)
{
	assert_int_equal(strncmp(path, "total", 5), 0);
	const char *s = path + 5;
	fk_node_id node = FK_ROOT;
	while (*s == ';') {
		s++;
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		fk_node_id c = fk_profile_node(p, node)->first_child;
		for (; c; c = fk_profile_node(p, c)->next_sibling) {
			size_t nlen;
			const char *name = fk_profile_name(p, fk_profile_node(p, c)->name, &nlen);
			if (nlen == len && memcmp(name, s, len) == 0)
				break;
		}
		if (!c)
			return false;
		node = c;
		s += len;
	}
	*out = node;
	return true;
}

static void check_max_nodes(bool two_valued, size_t max_nodes)
{
	fk_profile *p = fk_profile_new();
	size_t nnodes = build_varied(p, two_valued);
	assert_true(nnodes > 60);
	fk_flamebearer_options o = {.max_nodes = max_nodes};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	assert_int_equal(d.two_valued, two_valued);
	/* at most max_nodes bars (when the limit bites at all) */
	assert_true((size_t)d.count <= (max_nodes < nnodes ? max_nodes : nnodes));
	if (max_nodes >= nnodes)
		assert_int_equal(d.count, (int)nnodes);
	fk_profile_compute_totals(p);
	const fk_node *r = fk_profile_node(p, FK_ROOT);
	assert_true(fb_number(root, "numTicks") == r->total + (two_valued ? r->total_before : 0));
	bool *kept = calloc(nnodes, sizeof(bool));
	double min_kept = 1e300;
	for (int i = 0; i < d.count; i++) {
		struct dbar *b = &d.bars[i];
		/* totals exact: a bar's total is its self plus its children's totals */
		double sum = b->self, suml = b->selfl;
		int others = 0;
		for (int c = i + 1; c < d.count; c++) {
			if (d.bars[c].parent != i)
				continue;
			sum += d.bars[c].total;
			suml += d.bars[c].totall;
			others += strcmp(d.bars[c].name, "other") == 0;
		}
		assert_true(sum == b->total);
		assert_true(suml == b->totall);
		assert_true(others <= 1);
		if (strcmp(b->name, "other") == 0) {
			assert_true(b->self == b->total);
			continue;
		}
		fk_node_id node = FK_ROOT;
		assert_true(find_path(p, b->path, &node));
		const fk_node *n = fk_profile_node(p, node);
		assert_true(n->total == b->total && n->self == b->self);
		if (two_valued)
			assert_true(n->total_before == b->totall && n->self_before == b->selfl);
		kept[node] = true;
		if (node != FK_ROOT && n->total + n->total_before < min_kept)
			min_kept = n->total + n->total_before;
	}
	/* the biggest nodes are the ones kept: none left out under a kept parent is
	 * bigger than the smallest kept one */
	for (size_t i = 1; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (!kept[i] && kept[n->parent])
			assert_true(n->total + n->total_before <= min_kept);
	}
	free(kept);
	json_decref(root);
	free(text);
	fk_profile_free(p);
}

static void test_max_nodes(void **state)
{
	(void)state;
	static const size_t limits[] = {2, 3, 5, 20, 64, 100, 1000000};
	for (size_t i = 0; i < FK_ARRAY_LEN(limits); i++) {
		check_max_nodes(false, limits[i]);
		check_max_nodes(true, limits[i]);
	}
}

/* A small worked case: with 5 bars, a;c and a;e go into one "other" under a, d into
 * one under the root. */
static void test_max_nodes_other(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a;b", 5);
	add(p, "a;c", 1);
	add(p, "a;e", 1);
	add(p, "d", 1);
	add(p, "a", 2);
	fk_flamebearer_options o = {.max_nodes = 5};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	char *bars = bars_text(&d);
	assert_string_equal(bars, "0 0 10 0 total\n"
				  "1 0 9 2 total;a\n"
				  "1 9 1 1 total;other\n"
				  "2 0 5 5 total;a;b\n"
				  "2 5 2 2 total;a;other\n");
	assert_non_null(strstr(text, "\"names\":[\"total\",\"a\",\"other\",\"b\"]"));
	assert_true(fb_number(root, "maxSelf") == 5);
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);

	/* keeping a, the root's only child, costs no bar: the root's "other" goes away */
	p = fk_profile_new();
	add(p, "a;x", 5);
	add(p, "a;y", 1);
	o.max_nodes = 3;
	text = write_json(p, &o);
	root = parse(text);
	decode(root, &d);
	bars = bars_text(&d);
	assert_string_equal(bars, "0 0 6 0 total\n"
				  "1 0 6 0 total;a\n"
				  "2 0 6 6 total;a;other\n");
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);
}

/* Negative counts: a child may be bigger than its parent; it stays with its parent
 * (here b's "other") when the parent is left out at its turn, and totals stay exact. */
static void test_max_nodes_negative(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a", 1);
	add(p, "a;b", -3);
	add(p, "a;b;c", 10);
	add(p, "d;e", 1);
	add(p, "f", 0.5);
	fk_flamebearer_options o = {.max_nodes = 5};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	assert_non_null(strstr(text, "\"names\":[\"total\",\"a\",\"other\",\"b\"],\n"
				     "\"levels\":[[0,9.5,0,0],\n[0,8,1,1,0,1.5,1.5,2],\n[0,7,-3,3],\n"
				     "[0,10,10,2]]"));
	json_decref(root);
	free(text);
	fk_profile_free(p);
}

/* Children left to right in bytewise order of their names (a name before its
 * extensions, bytes above 0x7f last). */
static void test_bytewise_order(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "b", 1);
	add(p, "a\xc3\xa9", 2);
	add(p, "ab", 3);
	add(p, "a", 4);
	add(p, "B", 5);
	fk_flamebearer_options o = {0};
	char *text = write_json(p, &o);
	json_t *root = parse(text);
	struct decoded d;
	decode(root, &d);
	char *bars = bars_text(&d);
	assert_string_equal(bars, "0 0 15 0 total\n"
				  "1 0 5 5 total;B\n"
				  "1 5 4 4 total;a\n"
				  "1 9 3 3 total;ab\n"
				  "1 12 2 2 total;a\xc3\xa9\n"
				  "1 14 1 1 total;b\n");
	json_decref(root);
	free(bars);
	free(text);
	fk_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_counts_and_shared_names),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_metadata_timeline_groups),
		cmocka_unit_test(test_max_nodes),
		cmocka_unit_test(test_max_nodes_other),
		cmocka_unit_test(test_max_nodes_negative),
		cmocka_unit_test(test_bytewise_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
