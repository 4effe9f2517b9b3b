/* test_alert.c: regression alert rules (src/server/alert.h): parsing good rules (queries
 * with quoted values holding blanks and braces, quoted and regex functions, both modes,
 * derived and duplicate names, rule files) and bad ones with their messages and
 * positions; the share of a function (once per stack under recursion; regexes); the
 * verdict at and around the threshold (exactly N% does not fire, new functions, too few
 * samples, percentage points); and whole rounds over an SQLite store: a 30% regression
 * fires once, resolves, label mode, no data, the JSON of /alerts and of webhooks. */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/server/alert.h"

static fk_alert_rule parse_ok(const char *text)
{
	fk_alert_rule r;
	fk_error err = {{0}};
	if (fk_alert_rule_parse(text, strlen(text), &r, &err) != 0)
		fail_msg("parse '%s': %s", text, err.msg);
	return r;
}

static void expect_bad(const char *text, const char *want)
{
	fk_alert_rule r;
	fk_error err = {{0}};
	if (fk_alert_rule_parse(text, strlen(text), &r, &err) == 0) {
		fk_alert_rule_free(&r);
		fail_msg("'%s' parsed; wanted an error '%s'", text, want);
	}
	if (!strstr(err.msg, want))
		fail_msg("'%s': error '%s' lacks '%s'", text, err.msg, want);
}

static void test_parse_time_mode(void **state)
{
	(void)state;
	fk_alert_rule r = parse_ok("  name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h  ");
	assert_null(r.name);
	assert_string_equal(r.text, "name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h");
	assert_string_equal(r.query_text, "checkout.cpu{}");
	assert_string_equal(r.query.app, "checkout");
	assert_string_equal(r.query.type, "cpu");
	assert_string_equal(r.fn, "queryDB");
	assert_false(r.fn_is_regex);
	assert_true(r.grow == 20);
	assert_int_equal(r.grow_unit, FK_ALERT_GROW_RELATIVE);
	assert_int_equal(r.window_sec, 600);
	assert_int_equal(r.baseline_sec, 3600);
	assert_null(r.label);
	assert_true(r.min_samples == 100);
	fk_alert_rule_free(&r);

	/* any order; a query without braces; pp; min= */
	r = parse_ok("grow>2.5pp\tbaseline=1d window=90 min=5 fn=main alert=cpu-main name=shop.cpu");
	assert_string_equal(r.name, "cpu-main");
	assert_string_equal(r.query_text, "shop.cpu");
	assert_true(r.grow == 2.5);
	assert_int_equal(r.grow_unit, FK_ALERT_GROW_POINTS);
	assert_int_equal(r.window_sec, 90);
	assert_int_equal(r.baseline_sec, 86400);
	assert_true(r.min_samples == 5);
	fk_alert_rule_free(&r);
}

static void test_parse_quoting_and_label_mode(void **state)
{
	(void)state;
	/* values of the query may hold blanks, braces and escaped quotes */
	fk_alert_rule r = parse_ok("name=checkout.cpu{env=\"prod} x\", zone =~ \"eu-.*\", q=\"a\\\"b\"} "
				   "fn=\"operator new(unsigned long)\" grow>20% window=10m "
				   "label=version current=v2 baseline=\"v1 old\"");
	assert_string_equal(r.query_text,
			    "checkout.cpu{env=\"prod} x\", zone =~ \"eu-.*\", q=\"a\\\"b\"}");
	assert_int_equal(r.query.nmatchers, 3);
	assert_string_equal(r.query.matchers[0].value, "prod} x");
	assert_string_equal(r.query.matchers[2].value, "a\"b");
	assert_string_equal(r.fn, "operator new(unsigned long)");
	assert_string_equal(r.label, "version");
	assert_string_equal(r.current_value, "v2");
	assert_string_equal(r.baseline_value, "v1 old");
	assert_int_equal(r.baseline_sec, 0);
	fk_alert_rule_free(&r);

	r = parse_ok("name=a.cpu fn=~\"query(DB|Cache)\" grow>10% window=1m baseline=1h");
	assert_true(r.fn_is_regex);
	assert_string_equal(r.fn, "query(DB|Cache)");
	fk_alert_rule_free(&r);
	r = parse_ok("name=a.cpu fn=~std::.* grow>10% window=1m baseline=1h");
	assert_true(r.fn_is_regex);
	assert_string_equal(r.fn, "std::.*");
	fk_alert_rule_free(&r);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_bad("", "missing name=QUERY");
	expect_bad("nam=a.cpu", "at character 1: unknown key 'nam'");
	expect_bad("name=a.cpu fn=x grow>20% window=10m baseline=1h extra=1",
		   "at character 49: unknown key 'extra'");
	expect_bad("name=a.cpu{env=prod} fn=x grow>20% window=10m baseline=1h",
		   "at character 16: name=: expected a '\"'-quoted value, found 'p'");
	expect_bad("name=a.cpu{env=\"prod\" fn=x grow>20% window=10m baseline=1h",
		   "at character 22: name=: expected ',' or '}' after the value, found the end");
	expect_bad("name= fn=x grow>20% window=10m baseline=1h", "at character 6: name= needs a query");
	expect_bad("name=a.cpu grow>20% window=10m baseline=1h", "missing fn=FUNCTION");
	expect_bad("name=a.cpu fn=x window=10m baseline=1h", "missing grow>");
	expect_bad("name=a.cpu fn=x grow>20 window=10m baseline=1h",
		   "at character 24: grow>20 needs a unit");
	expect_bad("name=a.cpu fn=x grow>0% window=10m baseline=1h", "threshold above 0");
	expect_bad("name=a.cpu fn=x grow>1.2.3% window=10m baseline=1h", "at character 22: grow> needs a number");
	expect_bad("name=a.cpu fn=x grow=20% window=10m baseline=1h",
		   "at character 21: expected '>' after grow, found '='");
	expect_bad("name=a.cpu fn=x grow>20% baseline=1h", "missing window=");
	expect_bad("name=a.cpu fn=x grow>20% window=10m", "missing baseline=DURATION");
	expect_bad("name=a.cpu fn=x grow>20% window=10x baseline=1h",
		   "at character 33: window=: bad duration '10x'");
	expect_bad("name=a.cpu fn=x grow>20% window=10m baseline=0",
		   "baseline=: bad duration '0'");
	expect_bad("name=a.cpu fn=x fn=y grow>20% window=10m baseline=1h",
		   "at character 17: fn given twice");
	expect_bad("name=a.cpu fn=\"x grow>20% window=10m baseline=1h",
		   "at character 15: unterminated '\"'");
	expect_bad("name=a.cpu fn=\"x\"y grow>20% window=10m baseline=1h", "unterminated");
	expect_bad("name=a.cpu fn=~\"a(\" grow>20% window=10m baseline=1h",
		   "at character 16: fn=~: bad regex");
	expect_bad("name=a.cpu fn=~(a+)+(b+)+(c+)+(d+)+(e+)+(f+)+(g+)+(h+)+(i+)+(j+)+(k+)+(l+)+(m+)+ grow>20% window=10m baseline=1h",
		   "fn=~: the regex repeats too much");
	expect_bad("name=a.cpu fn=x grow>20% window=10m label=version baseline=v1",
		   "missing current=VALUE");
	expect_bad("name=a.cpu fn=x grow>20% window=10m current=v2 baseline=v1",
		   "current= needs label=LABEL");
	expect_bad("name=a.cpu fn=x grow>20% window=10m label=ver\"sion current=v2 baseline=v1",
		   "label=: a label name");
	expect_bad("name=a.cpu fn=x grow>20% window=10m label=v current=v1 baseline=v1",
		   "the same value");
	expect_bad("name=a.cpu fn=x grow>20% window=10m baseline=1h min=0", "min=: a whole number");
	expect_bad("alert=a\"b name=a.cpu fn=x grow>20% window=10m baseline=1h", "alert=: a name");
	expect_bad("name=a.cpu fn=x\x01 grow>20% window=10m baseline=1h",
		   "at character 16: \\x01 is not allowed");
	expect_bad("name=a.cpu fn= grow>20% window=10m baseline=1h", "at character 15: fn= needs a value");
	expect_bad("name=a.cpu fn=x grow>20% window=10m baseline=1h name=b.cpu", "name given twice");
}

static void test_rules_names_and_file(void **state)
{
	(void)state;
	fk_alert_rules rules = {0};
	fk_error err = {{0}};
	const char *r1 = "name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h";
	assert_int_equal(fk_alert_rules_add(&rules, r1, strlen(r1), "--alert", &err), 0);
	assert_int_equal(fk_alert_rules_add(&rules, r1, strlen(r1), "--alert", &err), 0);
	const char *r2 = "alert=x name=a.cpu fn=~q.* grow>20% window=10m label=v current=2 baseline=1";
	assert_int_equal(fk_alert_rules_add(&rules, r2, strlen(r2), "--alert", &err), 0);
	assert_int_equal(fk_alert_rules_add(&rules, r2, strlen(r2), "rules:7", &err), -1);
	assert_string_equal(err.msg, "rules:7: alert=x: another rule has that name");
	const char *r3 = "name=a fn=~q.* grow>20% window=10m label=v current=2 baseline=1";
	assert_int_equal(fk_alert_rules_add(&rules, r3, strlen(r3), "--alert", &err), 0);
	assert_int_equal(rules.count, 4);
	assert_string_equal(rules.items[0].name, "checkout.cpu/queryDB");
	assert_string_equal(rules.items[1].name, "checkout.cpu/queryDB#2");
	assert_string_equal(rules.items[2].name, "x");
	assert_string_equal(rules.items[3].name, "a/~q.*/v=2");
	assert_int_equal(fk_alert_rules_add(&rules, "nam=x", 5, "--alert 'nam=x'", &err), -1);
	assert_string_equal(err.msg, "--alert 'nam=x': at character 1: unknown key 'nam' (want alert=, name=, fn=, grow>, window=, baseline=, label=, current= or min=)");
	fk_alert_rules_free(&rules);

	char path[] = "/tmp/test_alert_rules.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# checkout\n\n   # indented comment\nname=a.cpu fn=x grow>5% window=1m baseline=1h\r\n"
	      "alert=two name=b.cpu fn=y grow>5pp window=1m baseline=1h\n",
	      f);
	fclose(f);
	assert_int_equal(fk_alert_rules_load(&rules, path, &err), 0);
	assert_int_equal(rules.count, 2);
	assert_string_equal(rules.items[0].text, "name=a.cpu fn=x grow>5% window=1m baseline=1h");
	assert_string_equal(rules.items[1].name, "two");
	fk_alert_rules_free(&rules);
	f = fopen(path, "w");
	fputs("# ok\nname=a.cpu fn=x grow>5% window=1m baseline=1h\n\nname=a.cpu fn=x grow>5% window=1m baselin=1h\n", f);
	fclose(f);
	assert_int_equal(fk_alert_rules_load(&rules, path, &err), -1);
	char want[256];
	snprintf(want, sizeof want, "%s:4: at character 35: unknown key 'baselin'", path);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s...'", err.msg, want);
	fk_alert_rules_free(&rules);
	unlink(path);
	assert_int_equal(fk_alert_rules_load(&rules, path, &err), -1);
	assert_non_null(strstr(err.msg, "No such file"));
}

/* Adds a "a;b;c" stack. */
static void add(fk_profile *p, const char *folded, double count)
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
	fk_profile_add_at(p, node, count);
}

static void test_share(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;handle;queryDB;read", 20);
	add(p, "main;handle;queryDB;queryDB;read", 5); /* recursion counts once */
	add(p, "main;handle;queryCache", 10);
	add(p, "main;queryDB", 5);
	add(p, "main;idle", 60);
	fk_alert_rule r = parse_ok("name=a.cpu fn=queryDB grow>20% window=10m baseline=1h");
	fk_alert_side side;
	fk_alert_share(&r, p, &side);
	assert_true(side.samples == 100);
	assert_true(side.fn_samples == 30);
	assert_true(side.share == 0.3);
	fk_alert_rule_free(&r);

	r = parse_ok("name=a.cpu fn=~query(DB|Cache) grow>20% window=10m baseline=1h");
	fk_alert_share(&r, p, &side);
	assert_true(side.fn_samples == 40);
	fk_alert_rule_free(&r);
	r = parse_ok("name=a.cpu fn=~query grow>20% window=10m baseline=1h"); /* anchored */
	fk_alert_share(&r, p, &side);
	assert_true(side.fn_samples == 0);
	fk_alert_rule_free(&r);
	r = parse_ok("name=a.cpu fn=absent grow>20% window=10m baseline=1h");
	fk_alert_share(&r, p, &side);
	assert_true(side.samples == 100 && side.fn_samples == 0 && side.share == 0);
	fk_alert_rule_free(&r);
	fk_profile_free(p);

	p = fk_profile_new();
	r = parse_ok("name=a.cpu fn=x grow>20% window=10m baseline=1h");
	fk_alert_share(&r, p, &side);
	assert_true(side.samples == 0 && side.share == 0);
	fk_alert_rule_free(&r);
	fk_profile_free(p);
}

static fk_alert_side side_of(double fn, double total)
{
	fk_alert_side s = {.samples = total, .fn_samples = fn, .share = total ? fn / total : 0};
	return s;
}

static fk_alert_verdict judge(const char *rule, double cf, double ct, double bf, double bt,
			      double *growth)
{
	fk_alert_rule r = parse_ok(rule);
	fk_alert_side c = side_of(cf, ct), b = side_of(bf, bt);
	fk_alert_verdict v = fk_alert_judge(&r, &c, &b, growth);
	fk_alert_rule_free(&r);
	return v;
}

static void test_verdicts(void **state)
{
	(void)state;
	const char *rel = "name=a.cpu fn=f grow>20% window=10m baseline=1h";
	double g;
	/* exactly 20% (36% over 30%) does not fire, whatever the rounding */
	assert_int_equal(judge(rel, 36, 100, 30, 100, &g), FK_ALERT_VERDICT_OK);
	assert_true(fabs(g - 20) < 1e-9);
	assert_int_equal(judge(rel, 1800, 5000, 150, 500, &g), FK_ALERT_VERDICT_OK);
	assert_int_equal(judge(rel, 42, 350, 35, 350, &g), FK_ALERT_VERDICT_OK);
	/* every whole threshold from 1% to 200% over shares of 7%, 10% and 33%: exactly N%
	 * stays quiet, one sample more fires */
	for (int n = 1; n <= 200; n++) {
		char rule[128];
		snprintf(rule, sizeof rule, "name=a.cpu fn=f grow>%d%% window=10m baseline=1h", n);
		const double bases[] = {700, 1000, 3300};
		for (size_t i = 0; i < 3; i++) {
			double cur = bases[i] * (100 + n) / 100;
			if (judge(rule, cur, 10000, bases[i], 10000, &g) != FK_ALERT_VERDICT_OK)
				fail_msg("grow>%d%%: %g over %g fired", n, cur, bases[i]);
			if (judge(rule, cur + 1, 10000, bases[i], 10000, &g) != FK_ALERT_VERDICT_FIRE)
				fail_msg("grow>%d%%: %g over %g did not fire", n, cur + 1, bases[i]);
		}
	}
	/* just over: 36.1% */
	assert_int_equal(judge(rel, 361, 1000, 300, 1000, &g), FK_ALERT_VERDICT_FIRE);
	/* the injected regression: 30% -> 39% is +30% */
	assert_int_equal(judge(rel, 390, 1000, 300, 1000, &g), FK_ALERT_VERDICT_FIRE);
	assert_true(fabs(g - 30) < 1e-9);
	/* shares, not counts: twice the samples at the same share is no growth */
	assert_int_equal(judge(rel, 600, 2000, 300, 1000, &g), FK_ALERT_VERDICT_OK);
	assert_true(fabs(g) < 1e-9);
	/* +10% under a 20% threshold; a fall */
	assert_int_equal(judge(rel, 330, 1000, 300, 1000, &g), FK_ALERT_VERDICT_OK);
	assert_int_equal(judge(rel, 100, 1000, 300, 1000, &g), FK_ALERT_VERDICT_OK);
	assert_true(g < 0);
	/* new: absent from the baseline */
	assert_int_equal(judge(rel, 5, 1000, 0, 1000, &g), FK_ALERT_VERDICT_FIRE);
	assert_true(isinf(g));
	assert_int_equal(judge(rel, 0, 1000, 0, 1000, &g), FK_ALERT_VERDICT_OK);
	/* too few samples on either side (min 100), or none */
	assert_int_equal(judge(rel, 90, 99, 30, 100, &g), FK_ALERT_VERDICT_NO_DATA);
	assert_int_equal(judge(rel, 90, 100, 30, 99, &g), FK_ALERT_VERDICT_NO_DATA);
	assert_int_equal(judge(rel, 0, 0, 30, 100, &g), FK_ALERT_VERDICT_NO_DATA);
	assert_int_equal(judge(rel, 90, 100, 30, 100, &g), FK_ALERT_VERDICT_FIRE);
	assert_int_equal(judge("name=a.cpu fn=f grow>20% window=10m baseline=1h min=1", 9, 10, 3, 10, &g),
			 FK_ALERT_VERDICT_FIRE);
	/* percentage points */
	const char *pp = "name=a.cpu fn=f grow>5pp window=10m baseline=1h";
	assert_int_equal(judge(pp, 35, 100, 30, 100, &g), FK_ALERT_VERDICT_OK); /* exactly 5 */
	assert_true(fabs(g - 5) < 1e-9);
	assert_int_equal(judge(pp, 351, 1000, 300, 1000, &g), FK_ALERT_VERDICT_FIRE);
	assert_int_equal(judge(pp, 5, 100, 0, 100, &g), FK_ALERT_VERDICT_OK);
	assert_int_equal(judge(pp, 6, 100, 0, 100, &g), FK_ALERT_VERDICT_FIRE);
}

/* ---- rounds over a store ---- */

typedef struct events {
	char lines[16][1024];
	char json[16][4096];
	size_t n;
} events;

static void collect(void *ctx, const fk_alert_event *ev)
{
	events *e = ctx;
	if (e->n == 16)
		fail_msg("too many events");
	fk_alert_event_describe(ev, e->lines[e->n], sizeof e->lines[e->n]);
	FILE *f = fmemopen(e->json[e->n], sizeof e->json[e->n], "w");
	fk_alert_event_write_json(ev, f);
	fclose(f);
	e->n++;
}

static char store_dir[64];

static fk_store *open_store(void)
{
	snprintf(store_dir, sizeof store_dir, "/tmp/test_alert.XXXXXX");
	assert_non_null(mkdtemp(store_dir));
	char path[128];
	snprintf(path, sizeof path, "%s/s.db", store_dir);
	fk_store *s = NULL;
	fk_error err = {{0}};
	if (fk_store_open(path, NULL, &s, &err))
		fail_msg("open: %s", err.msg);
	return s;
}

static void close_store(fk_store *s)
{
	fk_store_close(s);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_dir);
	assert_int_equal(system(cmd), 0);
}

/* Puts a profile of total samples with fn_share percent in "main;queryDB" into series
 * name at window from. */
static void put(fk_store *s, const char *name, int64_t from, double fn_pct, double total)
{
	fk_ingest_item it;
	memset(&it, 0, sizeof it);
	fk_error err = {{0}};
	assert_int_equal(fk_series_key_parse(name, strlen(name), "cpu", &it.key, &err), 0);
	it.from = from;
	it.until = from + 10;
	it.profile = fk_profile_new();
	add(it.profile, "main;handle;queryDB;read", total * fn_pct / 100);
	add(it.profile, "main;handle;render", total * (100 - fn_pct) / 100);
	strcpy(it.units, "samples");
	strcpy(it.aggregation, "sum");
	it.sample_rate = 100;
	if (fk_store_put(s, &it, 1, &err))
		fail_msg("put: %s", err.msg);
	fk_series_key_free(&it.key);
	fk_profile_free(it.profile);
}

static fk_alert_engine *engine(const char *const *texts, size_t n, events *ev)
{
	fk_alert_rules rules = {0};
	fk_error err = {{0}};
	for (size_t i = 0; i < n; i++)
		if (fk_alert_rules_add(&rules, texts[i], strlen(texts[i]), "test", &err))
			fail_msg("%s", err.msg);
	return fk_alert_engine_new(&rules, collect, ev);
}

static char *alerts_json(fk_alert_engine *e)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fk_alert_engine_write_json(e, f);
	fclose(f);
	return buf;
}

static void contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' not in:\n%s", want, text);
}

static void test_rounds(void **state)
{
	(void)state;
	const int64_t now = 1700000000; /* a multiple of 10 */
	fk_store *s = open_store();
	/* baseline hour: queryDB 30%; latest 10 minutes: 39% */
	for (int64_t t = now - 3600; t < now - 600; t += 300)
		put(s, "checkout.cpu{env=prod}", t, 30, 1000);
	for (int64_t t = now - 600; t < now; t += 120)
		put(s, "checkout.cpu{env=prod}", t, 39, 1000);
	/* a steady series: 30% all along */
	for (int64_t t = now - 3600; t < now; t += 300)
		put(s, "steady.cpu{env=prod}", t, 30, 1000);
	/* +10% under a 20% threshold */
	for (int64_t t = now - 3600; t < now - 600; t += 300)
		put(s, "mild.cpu", t, 30, 1000);
	for (int64_t t = now - 600; t < now; t += 120)
		put(s, "mild.cpu", t, 33, 1000);
	/* label mode: v1 30%, v2 39% in the latest window */
	for (int64_t t = now - 600; t < now; t += 60) {
		put(s, "shop.cpu{version=v1}", t, 30, 500);
		put(s, "shop.cpu{version=v2}", t, 39, 500);
	}
	const char *texts[] = {
		"alert=reg name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h",
		"alert=steady name=steady.cpu{env=\"prod\"} fn=queryDB grow>20% window=10m baseline=1h",
		"alert=mild name=mild.cpu fn=queryDB grow>20% window=10m baseline=50m",
		"alert=ver name=shop.cpu fn=queryDB grow>20% window=10m label=version current=v2 baseline=v1",
		"alert=ver-same name=shop.cpu fn=queryDB grow>20% window=10m label=version current=v1 baseline=v2",
		"alert=nothing name=gone.cpu fn=queryDB grow>20% window=10m baseline=1h",
		"alert=few name=checkout.cpu fn=queryDB grow>20% window=10m baseline=1h min=100000",
	};
	events ev;
	memset(&ev, 0, sizeof ev);
	fk_alert_engine *e = engine(texts, FK_ARRAY_LEN(texts), &ev);
	char *json = alerts_json(e);
	contains(json, "\"alert\":\"reg\",\"state\":\"inactive\",\"since\":null");
	contains(json, "\"status\":\"pending\",\"evaluated_at\":null");
	free(json);

	fk_alert_round_stats rs;
	fk_error err = {{0}};
	assert_int_equal(fk_alert_engine_evaluate(e, s, now, &rs, &err), 0);
	assert_int_equal(rs.rules, 7);
	assert_int_equal(rs.firing, 2);
	assert_int_equal(rs.no_data, 2);
	assert_int_equal(rs.errors, 0);
	assert_int_equal(ev.n, 2);
	assert_string_equal(ev.lines[0], "alert reg firing: queryDB 39.0% of checkout.cpu{} in the last 10m vs 30.0% in the 1h before (+30.0%)");
	assert_string_equal(ev.lines[1], "alert ver firing: queryDB 39.0% of shop.cpu with version=v2 vs 30.0% with version=v1, in the last 10m (+30.0%)");
	contains(ev.json[0], "{\"alert\":\"reg\",\"state\":\"firing\",\"rule\":\"alert=reg name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h\",\"query\":\"checkout.cpu{}\",\"fn\":\"queryDB\",\"fn_regex\":false,\"mode\":\"time\",\"threshold\":20,\"unit\":\"%\",\"window\":600,\"baseline\":3600,\"min_samples\":100,\"current_share\":0.39,\"baseline_share\":0.3,\"growth\":30,");
	contains(ev.json[0], "\"current_samples\":5000,\"baseline_samples\":10000,\"current_fn_samples\":1950,\"baseline_fn_samples\":3000,\"at\":1700000000,\"note\":null,");
	contains(ev.json[1], "\"mode\":\"label\",\"threshold\":20,\"unit\":\"%\",\"window\":600,\"baseline\":null,\"label\":\"version\",\"current_value\":\"v2\",\"baseline_value\":\"v1\"");

	json = alerts_json(e);
	contains(json, "\"alert\":\"reg\",\"state\":\"firing\",\"since\":1700000000,");
	contains(json, "\"alert\":\"steady\",\"state\":\"inactive\",\"since\":null,");
	contains(json, "\"alert\":\"mild\",\"state\":\"inactive\"");
	contains(json, "\"alert\":\"ver-same\",\"state\":\"inactive\"");
	contains(json, "\"status\":\"no_data\",\"evaluated_at\":1700000000,\"current_share\":0,\"baseline_share\":0,\"growth\":0,\"current_samples\":0,\"baseline_samples\":0,\"current_fn_samples\":0,\"baseline_fn_samples\":0,\"error\":\"the query matches no series\"}");
	contains(json, "\"error\":\"5000 samples in the last 10m, fewer than min=100000\"");
	free(json);

	/* the same round again: no new transitions */
	assert_int_equal(fk_alert_engine_evaluate(e, s, now, &rs, &err), 0);
	assert_int_equal(ev.n, 2);

	/* ten minutes later the latest window is back at 30%: resolved */
	for (int64_t t = now; t < now + 600; t += 120)
		put(s, "checkout.cpu{env=prod}", t, 30, 1000);
	assert_int_equal(fk_alert_engine_evaluate(e, s, now + 600, &rs, &err), 0);
	assert_true(ev.n >= 3);
	assert_string_equal(ev.lines[2], "alert reg resolved: queryDB 30.0% of checkout.cpu{} in the last 10m vs 33.0% in the 1h before (-9.1%)");
	contains(ev.json[2], "\"state\":\"resolved\"");
	/* the label rule has no data any more: resolved with the reason */
	assert_int_equal(ev.n, 4);
	assert_string_equal(ev.lines[3], "alert ver resolved: no data (0 samples with version=\"v2\" in the last 10m, fewer than min=100)");
	fk_alert_engine_free(e);
	close_store(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time_mode),
		cmocka_unit_test(test_parse_quoting_and_label_mode),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_rules_names_and_file),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_rounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
