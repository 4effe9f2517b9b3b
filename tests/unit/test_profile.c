/* test_profile.c: the stack model — interning, the trie, merge, totals, and the sorted
 * walk matching a bytewise sort of the folded lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/output/folded.h"
#include "../../src/stack/profile.h"

static void test_intern_same_id(void **state)
{
	(void)state;
	fk_interner *in = fk_interner_new();
	fk_name_id a = fk_intern(in, "main", 4);
	fk_name_id b = fk_intern(in, "mainx", 4); /* only 4 bytes count */
	fk_name_id c = fk_intern(in, "foo", 3);
	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
	size_t len;
	assert_string_equal(fk_interner_name(in, c, &len), "foo");
	assert_int_equal(len, 3);
	fk_name_id z = fk_intern(in, "a\0b", 3);
	fk_name_id z2 = fk_intern(in, "a\0c", 3);
	assert_int_not_equal(z, z2);
	assert_int_equal(fk_interner_count(in), 4);
	fk_interner_free(in);
}

static void test_intern_many(void **state)
{
	(void)state;
	fk_interner *in = fk_interner_new();
	char buf[32];
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(buf, sizeof(buf), "frame%d", i);
		assert_int_equal(fk_intern(in, buf, (size_t)n), (fk_name_id)i);
	}
	for (int i = 0; i < 200000; i += 997) {
		int n = snprintf(buf, sizeof(buf), "frame%d", i);
		assert_int_equal(fk_intern(in, buf, (size_t)n), (fk_name_id)i);
	}
	assert_int_equal(fk_interner_count(in), 200000);
	fk_interner_free(in);
}

/* Adds "a;b;c" style stacks. */
static void add(fk_profile *p, const char *folded, double count)
{
	fk_name_id ids[64];
	size_t n = 0;
	const char *s = folded;
	if (*s) {
		for (;;) {
			const char *semi = strchr(s, ';');
			size_t len = semi ? (size_t)(semi - s) : strlen(s);
			ids[n++] = fk_intern(fk_profile_names(p), s, len);
			if (!semi)
				break;
			s = semi + 1;
		}
	}
	fk_profile_add_stack(p, ids, n, count);
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

static void test_add_and_write(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;foo;bar", 3);
	add(p, "main;foo", 1);
	add(p, "main;foo;bar", 2);
	add(p, "main;baz", 0.5);
	char *text = folded_text(p);
	assert_string_equal(text, "main;baz 0.5\nmain;foo 1\nmain;foo;bar 5\n");
	free(text);
	assert_int_equal(fk_profile_stack_count(p), 3);
	assert_true(fk_profile_total(p) == 6.5);
	fk_profile_compute_totals(p);
	assert_true(fk_profile_node(p, FK_ROOT)->total == 6.5);
	fk_profile_free(p);
}

static void test_empty_stack_and_zero(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "", 4);
	add(p, "x", 0);
	char *text = folded_text(p);
	assert_string_equal(text, " 4\nx 0\n");
	free(text);
	fk_profile_free(p);
}

static void test_merge(void **state)
{
	(void)state;
	fk_profile *a = fk_profile_new(), *b = fk_profile_new();
	add(a, "main;foo", 1);
	add(b, "other;x", 7);
	add(b, "main;foo", 2);
	add(b, "main", 1);
	fk_profile_merge(a, b);
	char *text = folded_text(a);
	assert_string_equal(text, "main 1\nmain;foo 3\nother;x 7\n");
	free(text);
	fk_profile_free(a);
	fk_profile_free(b);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Random stacks over names that are prefixes of each other and hold bytes on both sides
 * of ';' in sort order: the walk must equal sorting the joined lines. */
static void test_sorted_walk_matches_sort(void **state)
{
	(void)state;
	static const char *names[] = {"a", "a.b", "a!", "a:", "ab", "a0", "b", "", "a a", "A", "\xff", "a\x7f"};
	unsigned seed = 12345;
	for (int round = 0; round < 50; round++) {
		fk_profile *p = fk_profile_new();
		char *keys[300];
		size_t nkeys = 0;
		for (int i = 0; i < 300; i++) {
			char stack[256] = "";
			int depth = (int)(rand_r(&seed) % 5) + 1;
			for (int d = 0; d < depth; d++) {
				if (d)
					strcat(stack, ";");
				strcat(stack, names[rand_r(&seed) % FK_ARRAY_LEN(names)]);
			}
			bool seen = false;
			for (size_t k = 0; k < nkeys; k++)
				if (strcmp(keys[k], stack) == 0)
					seen = true;
			if (!seen)
				keys[nkeys++] = strdup(stack);
			add(p, stack, 1);
		}
		qsort(keys, nkeys, sizeof(char *), cmp_str);
		char *text = folded_text(p);
		char *line = text;
		for (size_t k = 0; k < nkeys; k++) {
			char *nl = strchr(line, '\n');
			assert_non_null(nl);
			*nl = '\0';
			char *sp = strrchr(line, ' ');
			*sp = '\0';
			assert_string_equal(line, keys[k]);
			line = nl + 1;
			free(keys[k]);
		}
		assert_string_equal(line, "");
		free(text);
		fk_profile_free(p);
	}
}

static void test_format_count(void **state)
{
	(void)state;
	char buf[32];
	fk_format_count(0, buf);
	assert_string_equal(buf, "0");
	fk_format_count(1234567890123.0, buf);
	assert_string_equal(buf, "1234567890123");
	fk_format_count(0.25, buf);
	assert_string_equal(buf, "0.25");
	fk_format_count(1.0 / 3.0, buf);
	assert_string_equal(buf, "0.333333333333333");
	fk_format_count(1e20, buf);
	assert_string_equal(buf, "1e+20");
	fk_format_count(-3, buf);
	assert_string_equal(buf, "-3");
}

static int collect_line(const fk_profile *p, const fk_name_id *names, size_t depth,
			fk_node_id node, void *ctx)
{
	char *out = ctx;
	for (size_t i = 0; i < depth; i++) {
		if (i)
			strcat(out, ";");
		strcat(out, fk_profile_name(p, names[i], NULL));
	}
	char num[32];
	fk_format_count(fk_profile_node(p, node)->self, num);
	strcat(out, " ");
	strcat(out, num);
	strcat(out, "\n");
	return 0;
}

/* Line order sorts "stack COUNT" as text: a name continuing with a tab sorts before the
 * line that ends there (tab < space); stack order is the opposite. */
static void test_line_order(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a;b", 1);
	add(p, "a;b\tx", 2);
	char out[256] = "";
	fk_profile_walk(p, FK_ORDER_LINES, collect_line, out);
	assert_string_equal(out, "a;b\tx 2\na;b 1\n");
	out[0] = '\0';
	fk_profile_walk(p, FK_ORDER_STACKS, collect_line, out);
	assert_string_equal(out, "a;b 1\na;b\tx 2\n");
	fk_profile_free(p);
}

static void test_pairs_and_order(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_profile_keep_order(p);
	fk_interner *in = fk_profile_names(p);
	fk_node_id a = fk_profile_child(p, FK_ROOT, fk_intern(in, "a", 1));
	fk_node_id b = fk_profile_child(p, a, fk_intern(in, "b", 1));
	fk_profile_add_pair(p, b, 1, 2);
	fk_profile_add_pair(p, a, 5, 0);
	fk_profile_add_pair(p, b, 3, 4);
	assert_true(fk_profile_has_before(p));
	size_t n;
	const fk_stack_ref *order = fk_profile_order(p, &n);
	assert_int_equal(n, 3);
	assert_int_equal(order[0].node, b);
	assert_int_equal(order[1].node, a);
	assert_true(order[2].before == 3 && order[2].count == 4);
	char *text = folded_text(p);
	assert_string_equal(text, "a 5 0\na;b 4 6\n");
	free(text);
	fk_profile *q = fk_profile_new();
	fk_profile_keep_order(q);
	fk_profile_merge(q, p);
	order = fk_profile_order(q, &n);
	assert_int_equal(n, 3);
	assert_true(order[1].before == 5);
	fk_profile_compute_totals(q);
	assert_true(fk_profile_node(q, FK_ROOT)->total_before == 9);
	assert_true(fk_profile_node(q, FK_ROOT)->total == 6);
	fk_profile_free(q);
	fk_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern_same_id),
		cmocka_unit_test(test_intern_many),
		cmocka_unit_test(test_add_and_write),
		cmocka_unit_test(test_empty_stack_and_zero),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_sorted_walk_matches_sort),
		cmocka_unit_test(test_format_count),
		cmocka_unit_test(test_line_order),
		cmocka_unit_test(test_pairs_and_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
