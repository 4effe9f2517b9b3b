/* test_series.c: series names as ingest gives them (app, type after the last dot,
 * labels quoted or bare, white space, duplicates, the canonical form and its round trip),
 * bad names and their messages, label setting, queries with = != =~ !~ (anchored regexes,
 * missing labels, any type, __name__), bad queries, and API times and durations. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/server/series.h"

/* Parses name (ingest, default type "cpu") and returns its canonical form. */
static char *canon(const char *name)
{
	fk_series_key k;
	fk_error err = {{0}};
	if (fk_series_key_parse(name, strlen(name), "cpu", &k, &err) != 0)
		fail_msg("parse %s: %s", name, err.msg);
	char *s = fk_series_key_format(&k);
	fk_series_key_free(&k);
	return s;
}

static void expect_canon(const char *name, const char *want)
{
	char *got = canon(name);
	assert_string_equal(got, want);
	/* the canonical form parses back to itself */
	char *again = canon(got);
	assert_string_equal(again, got);
	free(again);
	free(got);
}

/* Parsing name must fail with a message containing want. */
static void expect_bad_name(const char *name, size_t len, const char *want)
{
	fk_series_key k;
	fk_error err = {{0}};
	assert_int_equal(fk_series_key_parse(name, len, "cpu", &k, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("parse '%s': message '%s' lacks '%s'", name, err.msg, want);
	assert_null(k.app);
	assert_int_equal(k.nlabels, 0);
}

static void test_key_parse(void **state)
{
	(void)state;
	fk_series_key k;
	fk_error err;
	const char *n = "my.app.cpu{env=prod,region=\"eu west\"}";
	assert_int_equal(fk_series_key_parse(n, strlen(n), "cpu", &k, &err), 0);
	assert_string_equal(k.app, "my.app");
	assert_string_equal(k.type, "cpu");
	assert_int_equal(k.nlabels, 2);
	assert_string_equal(k.labels[0].name, "env");
	assert_string_equal(k.labels[0].value, "prod");
	assert_string_equal(k.labels[1].name, "region");
	assert_string_equal(k.labels[1].value, "eu west");
	assert_string_equal(fk_series_key_label(&k, "region"), "eu west");
	assert_null(fk_series_key_label(&k, "nope"));
	assert_null(fk_series_key_label(&k, "__name__"));

	fk_series_key c;
	fk_series_key_copy(&c, &k);
	fk_series_key_free(&k);
	assert_null(k.app);
	char *s = fk_series_key_format(&c);
	assert_string_equal(s, "my.app.cpu{env=prod,region=eu west}");
	free(s);
	fk_series_key_free(&c);

	/* no dot: default type; default_type NULL: the whole head is the app */
	assert_int_equal(fk_series_key_parse("web", 3, "cpu", &k, &err), 0);
	assert_string_equal(k.app, "web");
	assert_string_equal(k.type, "cpu");
	fk_series_key_free(&k);
	assert_int_equal(fk_series_key_parse("web.wall{a=1}", 13, NULL, &k, &err), 0);
	assert_string_equal(k.app, "web.wall");
	assert_string_equal(k.type, "");
	s = fk_series_key_format(&k);
	assert_string_equal(s, "web.wall{a=1}");
	free(s);
	fk_series_key_free(&k);

	expect_canon("app", "app.cpu{}");
	expect_canon("app.alloc_space{}", "app.alloc_space{}");
	expect_canon("  app.cpu { b = 2 , a = \"1\" , } ", "app.cpu{a=1,b=2}");
	expect_canon("app{a=1,a=2}", "app.cpu{a=2}");          /* the last one wins */
	expect_canon("app{a=1,b=,c=\"\"}", "app.cpu{a=1}");   /* empty: no label */
	expect_canon("app{a=1,a=}", "app.cpu{}");
	expect_canon("app{v=\" padded \"}", "app.cpu{v=\" padded \"}");
	expect_canon("app{x.y_z=a:b/c-d e}", "app.cpu{x.y_z=a:b/c-d e}");
	expect_canon("svc-1.wall{}", "svc-1.wall{}");
}

static void test_key_errors(void **state)
{
	(void)state;
	expect_bad_name("", 0, "at character 1: the app name is empty");
	expect_bad_name("   ", 3, "the app name is empty");
	expect_bad_name(".cpu", 4, "the app name is empty");
	expect_bad_name("app.", 4, "at character 4: the profile type after the last '.' is empty");
	expect_bad_name("app.c+u", 7, "at character 6: '+' is not allowed in the profile type");
	expect_bad_name("a\"pp", 4, "at character 2: '\"' is not allowed in the name");
	expect_bad_name("app x", 5, "at character 5: expected '{' or the end, found 'x'");
	expect_bad_name("app{", 4, "at character 5: expected a label name ([A-Za-z0-9_.]), found the end");
	expect_bad_name("app{a}", 6, "at character 6: expected '=' after the label name, found '}'");
	expect_bad_name("app{a-b=1}", 10, "at character 6: expected '=' after the label name, found '-'");
	expect_bad_name("app{a=1", 7, "at character 8: expected ',' or '}' after the label value, found the end");
	expect_bad_name("app{a=\"1}", 9, "at character 7: unterminated '\"'");
	expect_bad_name("app{a=x\\y}", 10, "at character 8: '\\' is not allowed in a label value");
	expect_bad_name("app{a=x{y}", 10, "'{' is not allowed in a label value");
	expect_bad_name("app{a=x=y}", 10, "'=' is not allowed in a label value");
	expect_bad_name("app{a=\"x\ty\"}", 12, "at character 9: byte 0x09 is not allowed");
	expect_bad_name("app{a=1} x", 10, "at character 10: expected the end after '}', found 'x'");
	expect_bad_name("app{__name__=x}", 15, "the label name __name__ is reserved");
	expect_bad_name("ap\0p", 4, "byte 0x00 is not allowed in the name");
	expect_bad_name("app{a=\"1\"x}", 11, "expected ',' or '}' after the label value, found 'x'");

	char big[1100];
	memset(big, 'a', sizeof big);
	expect_bad_name(big, sizeof big, "longer than 1024 bytes");

	char many[1024];
	size_t n = (size_t)snprintf(many, sizeof many, "app{");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "l%d=v,", i);
	many[n++] = '}';
	expect_bad_name(many, n, "more than 64 labels");
	/* 64 are fine */
	n = (size_t)snprintf(many, sizeof many, "app{");
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "l%d=v,", i);
	many[n++] = '}';
	fk_series_key k;
	fk_error err;
	assert_int_equal(fk_series_key_parse(many, n, "cpu", &k, &err), 0);
	assert_int_equal(k.nlabels, 64);
	fk_series_key_free(&k);
}

static void test_set_label(void **state)
{
	(void)state;
	fk_series_key k = {0};
	k.app = fk_xstrdup("a");
	k.type = fk_xstrdup("cpu");
	fk_series_key_set_label(&k, "m", "1");
	fk_series_key_set_label(&k, "b", "2");
	fk_series_key_set_label(&k, "z", "3");
	fk_series_key_set_label(&k, "m", "4");
	char *s = fk_series_key_format(&k);
	assert_string_equal(s, "a.cpu{b=2,m=4,z=3}");
	free(s);
	fk_series_key_set_label(&k, "b", "");
	fk_series_key_set_label(&k, "q", "");
	s = fk_series_key_format(&k);
	assert_string_equal(s, "a.cpu{m=4,z=3}");
	free(s);
	fk_series_key_free(&k);
}

static bool matches(const char *query, const char *name)
{
	fk_series_query q;
	fk_series_key k;
	fk_error err;
	if (fk_series_query_parse(query, strlen(query), &q, &err) != 0)
		fail_msg("query %s: %s", query, err.msg);
	if (fk_series_key_parse(name, strlen(name), "cpu", &k, &err) != 0)
		fail_msg("name %s: %s", name, err.msg);
	bool m = fk_series_query_match(&q, &k);
	fk_series_query_free(&q);
	fk_series_key_free(&k);
	return m;
}

static void test_query_match(void **state)
{
	(void)state;
	fk_series_query q;
	fk_error err;
	const char *s = " my.app.cpu { env = \"prod\", v=~\"1\\\\..*\" , h!=\"a\\\"b\", x!~\"y\" } ";
	assert_int_equal(fk_series_query_parse(s, strlen(s), &q, &err), 0);
	assert_string_equal(q.app, "my.app");
	assert_string_equal(q.type, "cpu");
	assert_int_equal(q.nmatchers, 4);
	assert_int_equal(q.matchers[0].op, FK_MATCH_EQ);
	assert_int_equal(q.matchers[1].op, FK_MATCH_RE);
	assert_string_equal(q.matchers[1].value, "1\\..*");
	assert_true(q.matchers[1].has_re);
	assert_int_equal(q.matchers[2].op, FK_MATCH_NE);
	assert_string_equal(q.matchers[2].value, "a\"b");
	assert_int_equal(q.matchers[3].op, FK_MATCH_NRE);
	fk_series_query_free(&q);

	assert_true(matches("app.cpu", "app.cpu{a=1}"));
	assert_true(matches("app.cpu{}", "app"));
	assert_false(matches("app.cpu", "app.wall"));
	assert_false(matches("app.cpu", "app2.cpu"));
	assert_false(matches("ap.cpu", "app.cpu"));
	assert_true(matches("app", "app.wall"));            /* no type: any type */
	assert_true(matches("app{a=\"1\"}", "app.wall{a=1}"));
	assert_false(matches("app{a=\"1\"}", "app.wall{a=12}"));
	assert_true(matches("app{a!=\"1\"}", "app.wall{a=12}"));
	assert_true(matches("app{a!=\"1\"}", "app.wall"));
	assert_true(matches("app{a=\"\"}", "app.wall"));     /* missing is "" */
	assert_false(matches("app{a=\"\"}", "app.wall{a=1}"));
	assert_true(matches("app{v=~\"1\\\\.[0-9]+\"}", "app{v=1.25}"));
	assert_false(matches("app{v=~\"1\\\\.[0-9]+\"}", "app{v=1x25}"));
	assert_false(matches("app{v=~\"1\"}", "app{v=12}")); /* anchored */
	assert_true(matches("app{v=~\"1|12\"}", "app{v=12}")); /* ^(1|12)$ */
	assert_true(matches("app{v=~\".*\"}", "app"));
	assert_false(matches("app{v=~\".+\"}", "app"));
	assert_true(matches("app{v!~\"a.*\"}", "app{v=ba}"));
	assert_true(matches("app{v=~\"((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)\"}", "app{v=aaaa}"));
	assert_true(matches("app{v=~\"x\\\\++\"}", "app{v=x++}")); /* \+ is a '+' */
	assert_true(matches("app{v=~\"[*+?]+[]*+]*[[:alpha:]+]+\"}", "app{v=+*]a+}"));
	assert_false(matches("app{v!~\"a.*\"}", "app{v=ab}"));
	assert_true(matches("app{v=\"1\",w=\"2\"}", "app{w=2,v=1}"));
	assert_false(matches("app{v=\"1\",w=\"2\"}", "app{w=3,v=1}"));
	assert_true(matches("app{__name__=\"app.cpu\"}", "app.cpu"));
	assert_true(matches("app{__name__=~\"app\\\\..*\"}", "app.wall"));
	assert_false(matches("app{__name__=\"app.cpu\"}", "app.wall"));
}

static void expect_bad_query(const char *query, const char *want)
{
	fk_series_query q;
	fk_error err = {{0}};
	assert_int_equal(fk_series_query_parse(query, strlen(query), &q, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("query '%s': message '%s' lacks '%s'", query, err.msg, want);
	assert_null(q.app);
	assert_int_equal(q.nmatchers, 0);
}

static void test_query_errors(void **state)
{
	(void)state;
	expect_bad_query("", "query: at character 1: the app name is empty");
	expect_bad_query("app{a=1}", "at character 7: expected a '\"'-quoted value, found '1'");
	expect_bad_query("app{a<\"1\"}", "at character 6: expected '=', '!=', '=~' or '!~'");
	expect_bad_query("app{a!\"1\"}", "expected '=', '!=', '=~' or '!~'");
	expect_bad_query("app{a=\"1}", "at character 7: unterminated '\"'");
	expect_bad_query("app{a=\"1\"", "expected ',' or '}' after the value, found the end");
	expect_bad_query("app{a=~\"(\"}", "at character 8: bad regex");
	expect_bad_query("app{a=~\"((a{100}){100}){100}\"}", "repeats too much");
	expect_bad_query("app{a=~\"1\\\\+++\"}", "at character 8: a repetition (*, +, ?, {m,n}) directly after another");
	expect_bad_query("app{a=~\"x*?\"}", "directly after another");
	expect_bad_query("app{a=~\"((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)\"}", "repeats too much");
	expect_bad_query("app{a=~\"(a)\\\\1\"}", "back-references");
	expect_bad_query("app{a=\"x\ny\"}", "byte 0x0a is not allowed in a value");
	expect_bad_query("app{a=\"1\"} junk", "expected the end after '}'");
	expect_bad_query("app.{}", "the profile type after the last '.' is empty");
	/* a failure after some matchers were compiled frees them (ASan/valgrind check) */
	expect_bad_query("app{a=~\"x\",b=~\"y\",c=~\"[\"}", "bad regex");
}

static void expect_time(const char *text, int64_t want)
{
	int64_t got = -1;
	fk_error err;
	if (fk_parse_time(text, 1700000000, &got, &err) != 0)
		fail_msg("time %s: %s", text, err.msg);
	assert_int_equal(got, want);
}

static void expect_bad_time(const char *text)
{
	int64_t got = 0;
	fk_error err = {{0}};
	if (fk_parse_time(text, 1700000000, &got, &err) == 0)
		fail_msg("time '%s' accepted as %lld", text, (long long)got);
	assert_true(strstr(err.msg, "time") != NULL);
}

static void test_times(void **state)
{
	(void)state;
	expect_time("now", 1700000000);
	expect_time("now-30s", 1700000000 - 30);
	expect_time("now-15m", 1700000000 - 900);
	expect_time("now-1h", 1700000000 - 3600);
	expect_time("now-2d", 1700000000 - 2 * 86400);
	expect_time("now-1w", 1700000000 - 7 * 86400);
	expect_time("now-90", 1700000000 - 90);
	expect_time("1699990000", 1699990000);
	expect_time("1699990000123", 1699990000);
	expect_time("1699990000123456", 1699990000);
	expect_time("1699990000123456789", 1699990000);
	expect_time("0", 0);
	expect_bad_time("");
	expect_bad_time("now-");
	expect_bad_time("now-1y");
	expect_bad_time("now+1h");
	expect_bad_time("now-h");
	expect_bad_time("now-1h ");
	expect_bad_time("-5");
	expect_bad_time(" 5");
	expect_bad_time("12abc");
	expect_bad_time("1.5");
	expect_bad_time("99999999999999999999");       /* past int64 */
	expect_bad_time("now-9223372036854775807w");   /* overflow */
	expect_bad_time("now-100000w");                /* before 1970 */
	expect_bad_time("nowhere");
	expect_bad_time("99999999999");                /* seconds past 2262 */
	expect_time("9223372036", 9223372036);

	int64_t d;
	fk_error err;
	assert_int_equal(fk_parse_duration("90", &d, &err), 0);
	assert_int_equal(d, 90);
	assert_int_equal(fk_parse_duration("90s", &d, &err), 0);
	assert_int_equal(d, 90);
	assert_int_equal(fk_parse_duration("15m", &d, &err), 0);
	assert_int_equal(d, 900);
	assert_int_equal(fk_parse_duration("2h", &d, &err), 0);
	assert_int_equal(d, 7200);
	assert_int_equal(fk_parse_duration("30d", &d, &err), 0);
	assert_int_equal(d, 30 * 86400);
	assert_int_equal(fk_parse_duration("1w", &d, &err), 0);
	assert_int_equal(d, 7 * 86400);
	const char *bad[] = {"", "0", "0d", "-1d", "1y", "d", "1.5h", "1 d", "99999999999999999w"};
	for (size_t i = 0; i < FK_ARRAY_LEN(bad); i++) {
		if (fk_parse_duration(bad[i], &d, &err) == 0)
			fail_msg("duration '%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, "bad duration"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_set_label),
		cmocka_unit_test(test_query_match),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
