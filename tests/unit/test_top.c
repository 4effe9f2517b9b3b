/* test_top.c: the top report's counting (flat, cum once per sample under recursion,
 * fractions, the sort and its ties), its text (units, -n, the filter note, an empty
 * profile), and the --focus/--ignore sample filter (metadata, order and "before" counts
 * kept). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/output/folded.h"
#include "../../src/output/top.h"
#include "../../src/stack/filter.h"

/* Adds a "a;b;c" stack. */
static fk_node_id add(fk_profile *p, const char *folded, double count)
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
	return node;
}

static const fk_top_row *row(const fk_top *t, const char *name)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->rows[i].len == strlen(name) && memcmp(t->rows[i].text, name, t->rows[i].len) == 0)
			return &t->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static char *report(const fk_profile *p, const fk_top *t, const fk_top_options *o)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fk_error err;
	assert_int_equal(fk_top_write(f, p, t, o, &err), 0);
	fclose(f);
	return buf;
}

static char *folded_text(const fk_profile *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fk_error err;
	assert_int_equal(fk_write_folded(p, f, &err), 0);
	fclose(f);
	return buf;
}

static void test_recursion_counted_once(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;a;b;a;b", 3);
	add(p, "main;a;a;a", 2);
	add(p, "main;c;a", 1.25);
	add(p, "main", 0.5);
	add(p, "", 1); /* no frame: in the total only */
	fk_top t;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &t);
	assert_true(t.total == 7.75);
	assert_int_equal(t.count, 4);
	assert_true(row(&t, "a")->flat == 3.25);
	assert_true(row(&t, "a")->cum == 6.25);
	assert_true(row(&t, "b")->flat == 3);
	assert_true(row(&t, "b")->cum == 3);
	assert_true(row(&t, "main")->flat == 0.5);
	assert_true(row(&t, "main")->cum == 6.75);
	assert_true(row(&t, "c")->flat == 0);
	assert_true(row(&t, "c")->cum == 1.25);
	/* by flat: a 3.25, b 3, main 0.5, c 0 */
	assert_string_equal(t.rows[0].text, "a");
	assert_string_equal(t.rows[1].text, "b");
	assert_string_equal(t.rows[2].text, "main");
	assert_string_equal(t.rows[3].text, "c");
	fk_top_sort_rows(&t, FK_TOP_SORT_CUM);
	assert_string_equal(t.rows[0].text, "main");
	assert_string_equal(t.rows[1].text, "a");
	assert_string_equal(t.rows[2].text, "b");
	assert_string_equal(t.rows[3].text, "c");
	fk_top_free(&t);
	fk_profile_free(p);
}

static void test_deep_recursion(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_name_id f = fk_intern(fk_profile_names(p), "f", 1);
	fk_name_id *ids = fk_xmalloc(100000 * sizeof(fk_name_id));
	for (size_t i = 0; i < 100000; i++)
		ids[i] = f;
	fk_profile_add_stack(p, ids, 100000, 2);
	fk_profile_add_stack(p, ids, 50000, 1);
	free(ids);
	fk_top t;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &t);
	assert_int_equal(t.count, 1);
	assert_true(t.rows[0].flat == 3);
	assert_true(t.rows[0].cum == 3);
	fk_top_free(&t);
	fk_profile_free(p);
}

static void test_ties(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "r;zeta", 2);
	add(p, "r;alpha", 2);
	add(p, "r;beta;gamma", 2);
	add(p, "r;beta", 2);
	add(p, "r;Beta", 2);
	fk_top t;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &t);
	/* flat 2 each; beta has cum 4; then bytewise: "Beta" < "alpha" < "gamma" < "zeta" */
	const char *want[] = {"beta", "Beta", "alpha", "gamma", "zeta", "r"};
	assert_int_equal(t.count, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(t.rows[i].text, want[i]);
	fk_top_sort_rows(&t, FK_TOP_SORT_CUM);
	const char *want_cum[] = {"r", "beta", "Beta", "alpha", "gamma", "zeta"};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(t.rows[i].text, want_cum[i]);
	fk_top_free(&t);
	fk_profile_free(p);
}

static void test_report_text(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;work;leaf", 750);
	add(p, "main;work", 200);
	add(p, "main;idle", 50);
	add(p, "main;zero", 0);
	fk_profile_meta m = {0};
	strcpy(m.sample_type, "alloc_space");
	strcpy(m.unit, "bytes");
	fk_profile_set_meta(p, &m);
	fk_top t;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &t);
	fk_top_options o = {.max_rows = 2};
	char *text = report(p, &t, &o);
	assert_string_equal(text, "Type: alloc_space\n"
				  "Total: 1000 bytes\n"
				  "Showing top 2 functions out of 4; dropped 5.00% of flat\n"
				  "flat   flat%    sum%   cum    cum%  function\n"
				  " 750  75.00%  75.00%   750  75.00%  leaf\n"
				  " 200  20.00%  95.00%   950  95.00%  work\n");
	free(text);
	o = (fk_top_options){.max_rows = 0, .filter = "--focus 'x'", .before_filter = 4000};
	text = report(p, &t, &o);
	assert_non_null(strstr(text, "Total: 1000 bytes (after --focus 'x': 1000 of 4000, 25.00%)\n"
				     "Showing all 4 functions\n"));
	assert_non_null(strstr(text, "   0   0.00% 100.00%  1000 100.00%  main\n"));
	free(text);
	fk_top_free(&t);
	fk_profile_free(p);

	/* no samples at all: no division by zero; "count" is samples */
	p = fk_profile_new();
	m = (fk_profile_meta){0};
	strcpy(m.unit, "count");
	fk_profile_set_meta(p, &m);
	fk_top_compute(p, FK_TOP_SORT_CUM, &t);
	o = (fk_top_options){.filter = "--ignore 'a'", .before_filter = 0};
	text = report(p, &t, &o);
	assert_string_equal(text, "Total: 0 samples (after --ignore 'a': 0 of 0, 0.00%)\n"
				  "Showing all 0 functions\n"
				  "flat   flat%    sum%   cum    cum%  function\n");
	free(text);
	fk_top_free(&t);
	fk_profile_free(p);
}

static void test_filter(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;parse;read", 5);
	add(p, "main;parse;memcpy", 3);
	add(p, "main;write;memcpy", 2);
	add(p, "main;write", 1);
	add(p, "other", 7);
	add(p, "", 4);
	fk_profile_meta m = {0};
	strcpy(m.sample_type, "cpu");
	strcpy(m.unit, "nanoseconds");
	m.period = 1000;
	fk_profile_set_meta(p, &m);
	fk_error err;
	fk_sample_filter f;

	assert_int_equal(fk_sample_filter_init(&f, NULL, NULL, &err), 0);
	assert_false(fk_sample_filter_active(&f));
	fk_profile *q = fk_sample_filter_apply(p, &f);
	char *a = folded_text(p), *b = folded_text(q);
	assert_string_equal(a, b);
	assert_true(fk_profile_total(q) == 22);
	free(a);
	free(b);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	assert_int_equal(fk_sample_filter_init(&f, "^(parse|write)$", NULL, &err), 0);
	q = fk_sample_filter_apply(p, &f);
	b = folded_text(q);
	assert_string_equal(b, "main;parse;memcpy 3\nmain;parse;read 5\nmain;write 1\nmain;write;memcpy 2\n");
	free(b);
	assert_string_equal(fk_profile_get_meta(q)->unit, "nanoseconds");
	assert_true(fk_profile_get_meta(q)->period == 1000);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	assert_int_equal(fk_sample_filter_init(&f, NULL, "memcpy", &err), 0);
	q = fk_sample_filter_apply(p, &f);
	b = folded_text(q);
	assert_string_equal(b, " 4\nmain;parse;read 5\nmain;write 1\nother 7\n");
	free(b);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	/* both: focus keeps write's samples, ignore then drops memcpy's */
	assert_int_equal(fk_sample_filter_init(&f, "rit", "cpy", &err), 0);
	assert_true(fk_sample_filter_active(&f));
	q = fk_sample_filter_apply(p, &f);
	b = folded_text(q);
	assert_string_equal(b, "main;write 1\n");
	free(b);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	/* nothing kept */
	assert_int_equal(fk_sample_filter_init(&f, "nothing", NULL, &err), 0);
	q = fk_sample_filter_apply(p, &f);
	assert_int_equal(fk_profile_stack_count(q), 0);
	assert_true(fk_profile_total(q) == 0);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	/* bases (flamegraph --base): stacks cut at the base; focus/ignore see only the
	 * frames from there ("main" is below the base: focusing on it keeps nothing) */
	const char *const bases[] = {"write", "parse"};
	assert_int_equal(fk_sample_filter_init(&f, NULL, "read", &err), 0);
	f.bases = bases;
	f.nbases = 2;
	assert_true(fk_sample_filter_active(&f));
	q = fk_sample_filter_apply(p, &f);
	a = folded_text(q);
	assert_string_equal(a, "parse;memcpy 3\nwrite 1\nwrite;memcpy 2\n");
	free(a);
	fk_profile_free(q);
	fk_sample_filter_free(&f);
	assert_int_equal(fk_sample_filter_init(&f, "^main$", NULL, &err), 0);
	f.bases = bases;
	f.nbases = 2;
	q = fk_sample_filter_apply(p, &f);
	assert_true(fk_profile_total(q) == 0);
	fk_profile_free(q);
	fk_sample_filter_free(&f);

	assert_int_equal(fk_sample_filter_init(&f, "ok", "a(", &err), -1);
	assert_string_equal(strstr(err.msg, "--ignore 'a('"), err.msg);
	assert_int_equal(fk_sample_filter_init(&f, "[", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "--focus '['"));
	fk_profile_free(p);
}

static void test_filter_order_and_pairs(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_profile_keep_order(p);
	add(p, "a;x", 1);
	add(p, "b", 2);
	add(p, "a;y", 3);
	add(p, "a;x", 4);
	fk_error err;
	fk_sample_filter f;
	assert_int_equal(fk_sample_filter_init(&f, "^a$", "y", &err), 0);
	fk_profile *q = fk_sample_filter_apply(p, &f);
	size_t n;
	const fk_stack_ref *order = fk_profile_order(q, &n);
	assert_non_null(order);
	assert_int_equal(n, 2);
	assert_true(order[0].count == 1 && order[1].count == 4);
	assert_int_equal(order[0].node, order[1].node);
	char *b = folded_text(q);
	assert_string_equal(b, "a;x 5\n");
	free(b);
	fk_profile_free(q);
	fk_profile_free(p);

	p = fk_profile_new();
	fk_node_id ab = add(p, "a;b", 0);
	fk_node_id c = add(p, "c", 0);
	fk_profile_add_pair(p, ab, 5, 6);
	fk_profile_add_pair(p, c, 1, 2);
	q = fk_sample_filter_apply(p, &f);
	assert_true(fk_profile_has_before(q));
	b = folded_text(q);
	assert_string_equal(b, "a;b 5 6\n");
	free(b);
	fk_profile_free(q);
	fk_profile_free(p);
	fk_sample_filter_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursion_counted_once),
		cmocka_unit_test(test_deep_recursion),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_filter_order_and_pairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
