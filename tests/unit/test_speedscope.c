/* test_speedscope.c: the speedscope reader and writer and the .cpuprofile reader on small
 * JSON strings — stacks and weights, evented replay, unit merging, node paths and names,
 * every kind of bad input (error text, nothing added), and writer -> reader round trips
 * with names JSON must escape. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/input/cpuprofile.h"
#include "../../src/input/speedscope.h"
#include "../../src/output/folded.h"
#include "../../src/output/speedscope.h"

/* The profile as folded text (caller frees). */
static char *folded(const fk_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fk_error err;
	assert_int_equal(fk_write_folded(p, f, &err), 0);
	fclose(f);
	return buf;
}

/* Reads json with reader into a new profile; returns its folded text, or NULL with the
 * error in err (the profile then must hold nothing). */
static char *read_json(fk_whole_reader reader, const char *json, size_t len, fk_error *err,
		       fk_profile_meta *meta)
{
	fk_whole_input in = {.name = "t.json", .data = (const unsigned char *)json, .len = len};
	fk_load_options o = {.format = FK_FORMAT_AUTO};
	fk_load_stats stats = {0};
	fk_diag diag;
	fk_diag_init(&diag);
	fk_profile *p = fk_profile_new();
	char *out = NULL;
	if (reader(&in, &o, p, &diag, &stats, err) == 0) {
		out = folded(p);
		if (meta)
			*meta = *fk_profile_get_meta(p);
	} else {
		assert_int_equal(fk_profile_node_count(p), 1); /* just the root */
		assert_int_equal(fk_interner_count(fk_profile_names(p)), 0);
	}
	fk_profile_free(p);
	fk_diag_free(&diag);
	return out;
}

static void expect_read(fk_whole_reader reader, const char *json, const char *want)
{
	fk_error err = {{0}};
	char *got = read_json(reader, json, strlen(json), &err, NULL);
	if (!got)
		fail_msg("read failed: %s", err.msg);
	assert_string_equal(got, want);
	free(got);
}

static void expect_error(fk_whole_reader reader, const char *json, const char *want)
{
	fk_error err = {{0}};
	char *got = read_json(reader, json, strlen(json), &err, NULL);
	if (got)
		fail_msg("read did not fail; got:\n%s", got);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
}

#define SS_HEAD "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\"," \
		"\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\",\"file\":\"b.c\",\"line\":4},{\"name\":\"c\"}]},"

static void test_sampled(void **state)
{
	(void)state;
	expect_read(fk_speedscope_read,
		    SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"none\",\"startValue\":0,"
			    "\"endValue\":9,\"samples\":[[0,1],[0,1,2],[0,1],[2],[]],\"weights\":[1,2,3,4,0]}]}",
		    " 0\na;b 4\na;b;c 2\nc 4\n");
	/* no weights: 1 each; a second profile merged */
	expect_read(fk_speedscope_read,
		    SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"none\",\"samples\":[[0],[0]]},"
			    "{\"type\":\"sampled\",\"samples\":[[0],[1]],\"weights\":[0.5,2.25]}]}",
		    "a 2.5\nb 2.25\n");
}

static void test_evented(void **state)
{
	(void)state;
	expect_read(fk_speedscope_read,
		    SS_HEAD "\"profiles\":[{\"type\":\"evented\",\"unit\":\"nanoseconds\",\"startValue\":100,\"endValue\":200,"
			    "\"events\":[{\"type\":\"O\",\"frame\":0,\"at\":100},{\"type\":\"O\",\"frame\":1,\"at\":110},"
			    "{\"type\":\"O\",\"frame\":2,\"at\":115},{\"type\":\"C\",\"frame\":2,\"at\":130},"
			    "{\"type\":\"C\",\"frame\":1,\"at\":130},{\"type\":\"O\",\"frame\":1,\"at\":130},"
			    "{\"type\":\"C\",\"frame\":1,\"at\":131},{\"type\":\"C\",\"frame\":0,\"at\":150}]}]}",
		    "a 29\na;b 6\na;b;c 15\n");
	/* units: seconds then milliseconds, in seconds */
	fk_error err;
	fk_profile_meta meta;
	const char *json = SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"seconds\",\"samples\":[[0]],\"weights\":[2]},"
				   "{\"type\":\"sampled\",\"unit\":\"milliseconds\",\"samples\":[[0]],\"weights\":[500]}]}";
	char *got = read_json(fk_speedscope_read, json, strlen(json), &err, &meta);
	assert_non_null(got);
	assert_string_equal(got, "a 2.5\n");
	assert_string_equal(meta.unit, "seconds");
	assert_string_equal(meta.sample_type, "time");
	free(got);
}

static void test_speedscope_errors(void **state)
{
	(void)state;
	expect_error(fk_speedscope_read, "{\"shared\":{\"frames\":[]},\n \"profiles\":[", "t.json:2:13: ");
	expect_error(fk_speedscope_read, "[1,2]", "t.json: not a speedscope file");
	expect_error(fk_speedscope_read, "{\"profiles\":[]}", "t.json: shared.frames: missing");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":7}", "t.json: profiles: not an array");
	expect_error(fk_speedscope_read, "{\"shared\":{\"frames\":[{\"name\":3}]},\"profiles\":[]}",
		     "t.json: shared.frames[0].name: not a string");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"other\"}]}",
		     "t.json: profiles[0].type: not \"sampled\" or \"evented\"");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0],[3]]}]}",
		     "t.json: profiles[0].samples[1][0]: frame index 3 is out of range (shared.frames has 3)");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[-1]]}]}",
		     "frame index -1 is out of range");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0.5]]}]}",
		     "profiles[0].samples[0][0]: frame index is not an integer");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[0]}]}",
		     "profiles[0].samples[0]: not an array of frame indexes");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0]],\"weights\":[-1]}]}",
		     "profiles[0].weights[0]: weight -1 is negative");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0]],\"weights\":[\"1\"]}]}",
		     "profiles[0].weights[0]: not a number");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"parsecs\",\"samples\":[]}]}",
		     "profiles[0].unit: unknown unit");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"evented\",\"events\":[{\"type\":\"C\",\"frame\":0,\"at\":1}]}]}",
		     "profiles[0].events[0]: closes frame 0, but no frame is open");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"evented\",\"events\":[{\"type\":\"O\",\"frame\":0,\"at\":1},{\"type\":\"X\",\"frame\":0,\"at\":1}]}]}",
		     "profiles[0].events[1].type: not \"O\" or \"C\"");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"evented\",\"events\":[{\"type\":\"O\",\"frame\":5,\"at\":1}]}]}",
		     "profiles[0].events[0].frame: frame index 5 is out of range");
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"evented\",\"events\":[{\"type\":\"O\",\"frame\":0}]}]}",
		     "profiles[0].events[0].at: missing");
	/* the bad profile comes after a good one: still nothing added */
	expect_error(fk_speedscope_read, SS_HEAD "\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0]]},{\"type\":\"sampled\",\"samples\":[[9]]}]}",
		     "profiles[1].samples[0][0]");
}

static void test_write_round_trip(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_interner *in = fk_profile_names(p);
	const char *names[] = {"main", "say \"hi\"\\", "tab\tnl\nnul", "\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac",
			       "\xf0\x9f\x94\xa5"};
	size_t lens[] = {4, 9, 10, 3, 9, 4};
	fk_name_id ids[6];
	for (int i = 0; i < 6; i++)
		ids[i] = fk_intern(in, names[i], lens[i]);
	ids[2] = fk_intern(in, "tab\tnl\nnul\0z", 12); /* a NUL inside */
	fk_profile_add_stack(p, ids, 2, 3);
	fk_profile_add_stack(p, ids, 3, 0.1);
	fk_profile_add_stack(p, (fk_name_id[]){ids[0], ids[3], ids[4], ids[5]}, 4, 1e15);
	fk_profile_add_stack(p, ids, 1, 0);
	char *want = folded(p);
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	fk_error err;
	assert_int_equal(fk_write_speedscope(p, "n\"ame", f, &err), 0);
	fclose(f);
	assert_non_null(strstr(json, "\"name\":\"n\\\"ame\""));
	assert_non_null(strstr(json, "{\"name\":\"say \\\"hi\\\"\\\\\"}"));
	assert_non_null(strstr(json, "{\"name\":\"tab\\tnl\\nnul\\u0000z\"}"));
	assert_non_null(strstr(json, "{\"name\":\"\\u0001\\u001f\x7f\"}"));
	assert_non_null(strstr(json, "\"endValue\":1000000000000003.1,"));
	char *got = read_json(fk_speedscope_read, json, len, &err, NULL);
	if (!got)
		fail_msg("%s\n%s", err.msg, json);
	assert_string_equal(got, want);
	free(got);
	free(json);
	free(want);
	fk_profile_free(p);
}

static void test_write_invalid_utf8(void **state)
{
	(void)state;
	/* each byte not part of valid UTF-8 becomes U+FFFD: stray continuation, bad lead,
	 * cut sequence, overlong form, surrogate, beyond U+10FFFF */
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a\x80z", "a\xef\xbf\xbdz"},
		{"\xff", "\xef\xbf\xbd"},
		{"x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd"},
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"ok\xf4\x8f\xbf\xbf", "ok\xf4\x8f\xbf\xbf"},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(cases); i++) {
		fk_profile *p = fk_profile_new();
		fk_name_id id = fk_intern(fk_profile_names(p), cases[i].in, strlen(cases[i].in));
		fk_profile_add_stack(p, &id, 1, 1);
		char *json = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&json, &len);
		fk_error err;
		assert_int_equal(fk_write_speedscope(p, "x", f, &err), 0);
		fclose(f);
		char *got = read_json(fk_speedscope_read, json, len, &err, NULL);
		if (!got)
			fail_msg("case %zu: %s", i, err.msg);
		char want[64];
		snprintf(want, sizeof(want), "%s 1\n", cases[i].out);
		assert_string_equal(got, want);
		free(got);
		free(json);
		fk_profile_free(p);
	}
}

#define CP_NODE(id, fn, url, line, rest) \
	"{\"id\":" #id ",\"callFrame\":{\"functionName\":\"" fn "\",\"url\":\"" url "\",\"lineNumber\":" #line "}" rest "}"

static void test_cpuprofile(void **state)
{
	(void)state;
	const char *nodes = "{\"nodes\":["
		CP_NODE(1, "(root)", "", -1, ",\"children\":[2,3]") ","
		CP_NODE(2, "(program)", "", -1, ",\"hitCount\":5") ","
		CP_NODE(3, "", "file:///a/b/app.js", 0, ",\"children\":[40]") ","
		CP_NODE(40, "run", "file:///a/b/app.js", 9, ",\"hitCount\":2,\"children\":[5]") ","
		CP_NODE(5, "f;g", "app.mjs", -1, "") "],";
	char json[2048];
	snprintf(json, sizeof(json), "%s\"startTime\":10,\"endTime\":20,\"samples\":[40,5,5,2,40,1],\"timeDeltas\":[1,1,1,1,1,1]}", nodes);
	expect_read(fk_cpuprofile_read, json,
		    "(anonymous) app.js:1;run app.js:10 2\n"
		    "(anonymous) app.js:1;run app.js:10;f;g app.mjs 2\n(program) 1\n(root) 1\n");
	/* hitCount without samples; metadata */
	snprintf(json, sizeof(json), "%s\"startTime\":10,\"endTime\":20}", nodes);
	fk_error err;
	fk_profile_meta meta;
	char *got = read_json(fk_cpuprofile_read, json, strlen(json), &err, &meta);
	assert_non_null(got);
	assert_string_equal(got, "(anonymous) app.js:1;run app.js:10 2\n(program) 5\n");
	assert_string_equal(meta.sample_type, "samples");
	assert_int_equal(meta.duration_ns, 10000);
	free(got);
	/* a tree without a "(root)" node keeps its top frame */
	expect_read(fk_cpuprofile_read, "{\"nodes\":[" CP_NODE(1, "top", "", 0, ",\"children\":[2]") ","
		    CP_NODE(2, "x", "", 0, "") "],\"samples\":[2,1]}",
		    "top 1\ntop;x 1\n");
}

static void test_cpuprofile_errors(void **state)
{
	(void)state;
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,", "t.json:1:18: string or '}' expected");
	expect_error(fk_cpuprofile_read, "{\"samples\":[]}", "t.json: nodes: missing");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[1]}", "t.json: nodes[0]: not an object");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"callFrame\":{}}]}", "t.json: nodes[0].id: missing");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1}]}", "t.json: nodes[0].callFrame: missing");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{\"url\":5}}]}",
		     "t.json: nodes[0].callFrame.url: not a string");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{}},{\"id\":1,\"callFrame\":{}}]}",
		     "t.json: nodes[1].id: id 1 is also the id of nodes[0]");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"children\":[1]}]}",
		     "t.json: nodes[0].children[0]: node id 1 is its own child (a cycle)");
	expect_error(fk_cpuprofile_read,
		     "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"children\":[2]},{\"id\":2,\"callFrame\":{},\"children\":[3]},"
		     "{\"id\":3,\"callFrame\":{},\"children\":[1]}]}",
		     "t.json: nodes: node id 1 is its own ancestor");
	expect_error(fk_cpuprofile_read,
		     "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"children\":[3]},{\"id\":2,\"callFrame\":{},\"children\":[3]},"
		     "{\"id\":3,\"callFrame\":{}}]}",
		     "t.json: nodes[1].children[0]: node id 3 is already a child of node id 1");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"children\":[8]}]}",
		     "t.json: nodes[0].children[0]: no node has id 8");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"children\":{}}]}",
		     "t.json: nodes[0].children: not an array");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{}}],\"samples\":[1,1,2]}",
		     "t.json: samples[2]: no node has id 2");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{}}],\"samples\":[1,null]}",
		     "t.json: samples[1]: not an integer");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{}}],\"samples\":{}}",
		     "t.json: samples: not an array");
	expect_error(fk_cpuprofile_read, "{\"nodes\":[{\"id\":1,\"callFrame\":{},\"hitCount\":-2}]}",
		     "t.json: nodes[0].hitCount: not an integer >= 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sampled),
		cmocka_unit_test(test_evented),
		cmocka_unit_test(test_speedscope_errors),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_write_invalid_utf8),
		cmocka_unit_test(test_cpuprofile),
		cmocka_unit_test(test_cpuprofile_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
