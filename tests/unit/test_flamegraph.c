/* test_flamegraph.c: the pieces of the flame graph writer — color seeding (drand48, as
 * Perl's srand/rand), namehash, palettes, Perl-exact number formatting, XML escaping,
 * label truncation, the stack rewrites — and whole graphs written to memory. Reference
 * values were computed with flamegraph.pl's own formulas under perl 5.36. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "../../src/output/flame_stacks.h"
#include "../../src/output/flamegraph.h"
#include "../../src/output/palette.h"
#include "../../src/output/svg_text.h"

/* ---- helpers ---- */

static fk_node_id add(fk_profile *p, const char *stack, double count)
{
	fk_name_id names[64];
	size_t n = 0;
	const char *s = stack;
	while (*s) {
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		names[n++] = fk_intern(fk_profile_names(p), s, len);
		if (!semi)
			break;
		s = semi + 1;
	}
	fk_node_id node = FK_ROOT;
	for (size_t i = 0; i < n; i++)
		node = fk_profile_child(p, node, names[i]);
	fk_profile_add_at(p, node, count);
	return node;
}

/* Writes p as SVG into a new string (free it). */
static char *render(const fk_profile *p, const fk_flamegraph_options *o, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fk_error err = {{0}};
	*rc = fk_flamegraph_write(p, o, f, &err);
	fclose(f);
	return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

static char *escaped(const char *s, size_t len, unsigned flags)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	fk_svgbuf b;
	fk_svgbuf_init(&b, f);
	fk_svgbuf_put_escaped(&b, s, len, flags);
	fk_svgbuf_close(&b);
	fclose(f);
	return buf;
}

/* ---- colors ---- */

static void test_drand48_matches_libc(void **state)
{
	(void)state;
	uint32_t seeds[] = {0, 1, 421, 1234, 99999, 2147483648u, 4294967295u};
	for (size_t i = 0; i < FK_ARRAY_LEN(seeds); i++) {
		srand48((long)seeds[i]);
		double want = drand48();
		assert_true(fk_drand48_first(seeds[i]) == want);
		fk_rand48 r;
		fk_rand48_seed(&r, seeds[i]);
		srand48((long)seeds[i]);
		for (int k = 0; k < 100; k++)
			assert_true(fk_rand48_next(&r) == drand48());
	}
	/* Perl: srand(0); rand(1) */
	assert_true(fk_drand48_first(0) == 0.17082803610628972);
}

static void test_name_sum_and_namehash(void **state)
{
	(void)state;
	assert_int_equal(fk_name_sum("main", 4), 421);
	assert_int_equal(fk_name_sum("na\xc3\xafve_\xc3\xbc", 9), 1012); /* code points, not bytes */
	assert_int_equal(fk_name_sum("", 0), 0);
	struct {
		const char *name;
		double fwd, rev;
	} cases[] = {
		{"main", 0.36335138216015961, 0.85437446565973207},
		{"mod`func", 0.74880466103036647, 0.96409233399829009},
		{"x`y`z", 0.76169215667648271, 0.78962034134447934},
		{"`lead", 0.5237009594376365, 1},
		{"na\xc3\xafve_\xc3\xbc", 0.64890282131661448, 0.70691238402837153},
		{"", 1, 1},
		{"ab", 0.45267489711934161, 0.437448559670782},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(cases); i++) {
		size_t len = strlen(cases[i].name);
		assert_true(fabs(fk_namehash(cases[i].name, len, false) - cases[i].fwd) < 1e-15);
		assert_true(fabs(fk_namehash(cases[i].name, len, true) - cases[i].rev) < 1e-15);
	}
}

static void assert_rgb(fk_rgb c, int r, int g, int b)
{
	assert_int_equal(c.r, r);
	assert_int_equal(c.g, g);
	assert_int_equal(c.b, b);
}

static void test_palettes(void **state)
{
	(void)state;
	double v[3];
	/* the "all" frame of every default graph */
	fk_shades_default("", 0, v);
	assert_rgb(fk_palette_color(FK_PALETTE_HOT, "", 0, v[0], v[1], v[2]), 213, 39, 9);
	/* from the compat corpus: --hash, "--" and a kernel frame */
	const char *k = "kernel_fn_[k]";
	fk_shades_default(k, strlen(k), v);
	assert_rgb(fk_palette_color(FK_PALETTE_HOT, k, strlen(k), v[0], v[1], v[2]), 246, 188, 45);
	/* language palettes pick a flat palette by name */
	fk_rgb java = fk_palette_color(FK_PALETTE_JAVA, "Ljava/lang/Thread;::run", 23, 0.5, 0.5, 0.5);
	assert_rgb(java, 80, 227, 80); /* green */
	assert_rgb(fk_palette_color(FK_PALETTE_JAVA, "vfs_write_[k]", 13, 0.5, 0, 0), 222, 122, 0);
	assert_rgb(fk_palette_color(FK_PALETTE_JAVA, "std::vector", 11, 0.5, 0, 0), 202, 202, 60);
	assert_rgb(fk_palette_color(FK_PALETTE_JAVA, "main", 4, 0.5, 0, 0), 227, 90, 90);
	assert_rgb(fk_palette_color(FK_PALETTE_JS, "foo_[j]", 7, 0.5, 0, 0), 80, 192, 192);
	assert_rgb(fk_palette_color(FK_PALETTE_JS, "/a/b.js:10", 10, 0.5, 0, 0), 80, 227, 80);
	assert_rgb(fk_palette_color(FK_PALETTE_PERL, "Perl_pp_add", 11, 0.5, 0, 0), 80, 227, 80);
	assert_rgb(fk_palette_color(FK_PALETTE_CHAIN, "x_[w]", 5, 0.5, 0, 0), 80, 192, 192);
	assert_rgb(fk_palette_color(FK_PALETTE_CHAIN, "x", 1, 0.5, 0, 0), 110, 110, 230);
	assert_rgb(fk_palette_color(FK_PALETTE_MEM, "x", 1, 0.5, 0.5, 0), 0, 215, 105);
	assert_rgb(fk_palette_color(FK_PALETTE_IO, "x", 1, 0.5, 0.5, 0), 110, 110, 217);
	/* differential scale */
	assert_rgb(fk_color_scale(0, 10, false), 255, 255, 255);
	assert_rgb(fk_color_scale(5, 10, false), 255, 105, 105);
	assert_rgb(fk_color_scale(-5, 10, false), 105, 105, 255);
	assert_rgb(fk_color_scale(5, 10, true), 105, 105, 255);
	char c1[8], c2[8];
	assert_true(fk_background_colors(NULL, FK_PALETTE_MEM, c1, c2));
	assert_string_equal(c1, "#eef2ee");
	assert_true(fk_background_colors("#123abc", FK_PALETTE_HOT, c1, c2));
	assert_string_equal(c2, "#123abc");
	assert_false(fk_background_colors("pink", FK_PALETTE_HOT, c1, c2));
	fk_palette p;
	assert_true(fk_palette_from_name("orange", &p));
	assert_int_equal(p, FK_PALETTE_ORANGE);
	assert_false(fk_palette_from_name("Hot", &p));
}

/* ---- numbers ---- */

static void test_format_fixed_matches_printf(void **state)
{
	(void)state;
	double fixed[] = {0,     0.05,  0.15,    0.25,   0.35,   2.5,    3.5,     0.125, 1.005,
			  10.45, 999.95, 1e-300, -0.04, -0.0,   -2.5,   12345.675, 1179.95, 1e11,
			  0.045, 0.5,    1.5,    5e-324, 1.0 / 3};
	char mine[FK_NUM_BUF], libc[FK_NUM_BUF];
	for (unsigned dec = 0; dec <= 3; dec++) {
		for (size_t i = 0; i < FK_ARRAY_LEN(fixed); i++) {
			fk_format_fixed(fixed[i], dec, mine, NULL);
			snprintf(libc, sizeof(libc), "%.*f", (int)dec, fixed[i]);
			assert_string_equal(mine, libc);
		}
		/* pseudo-random values, including exact ties k/2^n */
		uint64_t x = 88172645463325252ULL;
		for (int i = 0; i < 200000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			double v;
			switch (i % 3) {
			case 0:
				v = (double)(x % 100000000) / 1024.0;
				break;
			case 1:
				v = (double)(x % 1000000) / 1000.0 + 1e-9 * (double)(x % 7);
				break;
			default:
				v = (double)(x >> 11) / 9007199254740992.0 * 2400.0;
				break;
			}
			fk_format_fixed(v, dec, mine, NULL);
			snprintf(libc, sizeof(libc), "%.*f", (int)dec, v);
			assert_string_equal(mine, libc);
		}
	}
	double scaled;
	fk_format_fixed(1179.95, 1, mine, &scaled);
	assert_true(scaled == 11800 || scaled == 11799);
	fk_format_fixed(INFINITY, 2, mine, NULL);
	assert_string_equal(mine, "Inf");
}

static void test_perl_numbers(void **state)
{
	(void)state;
	char buf[FK_NUM_BUF];
	fk_format_perl_number(63.5, buf);
	assert_string_equal(buf, "63.5");
	fk_format_perl_number(101, buf);
	assert_string_equal(buf, "101");
	fk_format_perl_number(0.1 + 0.2, buf);
	assert_string_equal(buf, "0.3");
	assert_true(fk_perl_number_roundtrip(0.1 + 0.2) == 0.3);
	assert_true(fk_perl_number_roundtrip(12345) == 12345);
	strcpy(buf, "1234567");
	assert_int_equal(fk_format_thousands(buf, 7), 9);
	assert_string_equal(buf, "1,234,567");
	strcpy(buf, "-123456");
	fk_format_thousands(buf, 7);
	assert_string_equal(buf, "-123,456");
	strcpy(buf, "999");
	fk_format_thousands(buf, 3);
	assert_string_equal(buf, "999");
	strcpy(buf, "Inf");
	fk_format_thousands(buf, 3);
	assert_string_equal(buf, "Inf");
}

/* ---- text ---- */

static void test_escaping(void **state)
{
	(void)state;
	const char *s = "<script>alert(1)</script>";
	char *e = escaped(s, strlen(s), 0);
	assert_string_equal(e, "&lt;script&gt;alert(1)&lt;/script&gt;");
	free(e);
	s = "\"q\" & 'a'";
	e = escaped(s, strlen(s), FK_ESCAPE_QUOTES);
	assert_string_equal(e, "&quot;q&quot; &amp; 'a'");
	free(e);
	e = escaped(s, strlen(s), 0);
	assert_string_equal(e, "\"q\" &amp; 'a'");
	free(e);
	/* invalid UTF-8, a NUL and control characters become U+FFFD; valid UTF-8 stays */
	e = escaped("a\xff" "b\x01\tc\0d\xc3\xa9\xe5\x87\xbd\xed\xa0\x80", 16, 0);
	assert_string_equal(e, "a\xef\xbf\xbd" "b\xef\xbf\xbd\tc\xef\xbf\xbd" "d\xc3\xa9\xe5\x87\xbd"
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(e);
	/* truncated sequence at the end */
	e = escaped("x\xe5\x87", 3, 0);
	assert_string_equal(e, "x\xef\xbf\xbd\xef\xbf\xbd");
	free(e);
}

static void test_labels(void **state)
{
	(void)state;
	size_t n;
	assert_false(fk_label_truncate("abcdef", 6, 2, &n));
	assert_int_equal(n, 0);
	assert_false(fk_label_truncate("abcdef", 6, 6, &n));
	assert_int_equal(n, 6);
	assert_true(fk_label_truncate("abcdef", 6, 5, &n));
	assert_int_equal(n, 3); /* "abc.." */
	assert_true(fk_label_truncate("abcdef", 6, 3, &n));
	assert_int_equal(n, 1); /* "a.." */
	assert_false(fk_label_truncate("abcdef", 6, NAN, &n));
	/* characters, not bytes: "ïïïï" is 4 characters in 8 bytes */
	assert_false(fk_label_truncate("\xc3\xaf\xc3\xaf\xc3\xaf\xc3\xaf", 8, 4, &n));
	assert_int_equal(n, 8);
	assert_true(fk_label_truncate("\xc3\xaf\xc3\xaf\xc3\xaf\xc3\xaf", 8, 3, &n));
	assert_int_equal(n, 2);
	assert_int_equal(fk_strip_annotation("f_[k]", 5), 1);
	assert_int_equal(fk_strip_annotation("f_[x]", 5), 5);
	assert_int_equal(fk_strip_annotation("_[j]", 4), 0);
	assert_int_equal(fk_utf8_length("a\xff\xc3\xaf", 4), 3);
}

/* ---- stack rewrites ---- */

static void test_reverse_and_chain(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a;b;c", 2);
	add(p, ";x", 1); /* reversed: "x;" -> x */
	fk_profile *r = fk_stacks_reverse(p, false);
	assert_int_equal(fk_profile_stack_count(r), 2);
	size_t n;
	fk_stack_ref *refs = fk_stacks_list(r, false, &n);
	assert_int_equal(n, 2);
	size_t depths = 0;
	for (size_t i = 0; i < n; i++)
		for (fk_node_id x = refs[i].node; x != FK_ROOT; x = fk_profile_node(r, x)->parent)
			depths++;
	assert_int_equal(depths, 4); /* c;b;a and x */
	free(refs);
	fk_profile_free(r);

	fk_profile *q = fk_profile_new();
	add(q, "a;--;b;c", 3);
	add(q, "d", 1);
	refs = fk_stacks_list(q, false, &n);
	fk_profile *c = fk_stacks_chain(q, refs, n);
	free(refs);
	const fk_stack_ref *order = fk_profile_order(c, &n);
	assert_int_equal(n, 2);
	const char *want[2][5] = {{"a", "--", "b_[w]", "c_[w]", NULL}, {"d", "--", NULL}};
	for (size_t i = 0; i < 2; i++) {
		fk_node_id path[8];
		size_t d = 0;
		for (fk_node_id x = order[i].node; x != FK_ROOT; x = fk_profile_node(c, x)->parent)
			path[d++] = x;
		size_t k = 0;
		for (; want[i][k]; k++) {
			size_t len;
			const char *s = fk_profile_name(c, fk_profile_node(c, path[d - 1 - k])->name, &len);
			assert_int_equal(len, strlen(want[i][k]));
			assert_memory_equal(s, want[i][k], len);
		}
		assert_int_equal(k, d);
	}
	fk_profile_free(c);
	fk_profile_free(q);
	fk_profile_free(p);
}

/* ---- whole graphs ---- */

static void test_write_basic(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;<script>alert(1)</script>;x", 2);
	add(p, "main;parse", 5);
	fk_flamegraph_options o;
	fk_flamegraph_options_init(&o);
	int rc;
	char *svg = render(p, &o, &rc);
	assert_int_equal(rc, FK_FLAMEGRAPH_OK);
	assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "var fk_config = {"));
	assert_non_null(strstr(svg, "<g id=\"frames\">"));
	assert_non_null(strstr(svg, "<title>all (7 samples, 100%)</title>"));
	assert_non_null(strstr(svg, "<title>parse (5 samples, 71.43%)</title>"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(svg, "<script>alert"));
	/* outside the embedded viewer, "]]>" appears exactly twice: style and script */
	assert_int_equal(count_of(svg, "]]>"), 2);
	/* deterministic */
	char *again = render(p, &o, &rc);
	assert_string_equal(svg, again);
	free(again);
	free(svg);
	fk_profile_free(p);
}

static void test_write_flamegraph_pl_quirks(void **state)
{
	(void)state;
	/* sorting whole lines separates b's children: b is drawn twice */
	fk_profile *p = fk_profile_new();
	add(p, "a;b", 1);
	add(p, "a;b!x", 1);
	add(p, "a;b;c", 1);
	fk_flamegraph_options o;
	fk_flamegraph_options_init(&o);
	int rc;
	char *svg = render(p, &o, &rc);
	assert_int_equal(count_of(svg, "<title>b (1 samples, 33.33%)</title>"), 2);
	assert_non_null(strstr(svg, "<rect x=\"796.7\" y=\"37\" width=\"393.3\" height=\"15.0\" fill=\"rgb(224,87,20)\""));
	free(svg);
	fk_profile_free(p);

	/* a zero-width f closing where the wide f closed replaces it (flamegraph.pl keys
	 * frames by name;depth;end) */
	p = fk_profile_new();
	add(p, "p;f", 5);
	add(p, "q;g", 0);
	add(p, "r;f", 0);
	add(p, "a;b", 3);
	o.min_width = 0;
	svg = render(p, &o, &rc);
	assert_int_equal(count_of(svg, "<title>f ("), 1);
	assert_non_null(strstr(svg, "<title>f (0 samples, 0.00%)</title><rect x=\"1190.0\""));
	free(svg);
	fk_profile_free(p);
}

static void test_write_differential(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_node_id a = add(p, "m;a", 0), b = add(p, "m;b", 0);
	fk_profile_add_pair(p, a, 10, 5);
	fk_profile_add_pair(p, b, 0, 5);
	fk_flamegraph_options o;
	fk_flamegraph_options_init(&o);
	int rc;
	char *svg = render(p, &o, &rc);
	assert_int_equal(rc, FK_FLAMEGRAPH_OK);
	assert_non_null(strstr(svg, "<title>a (5 samples, 50.00%; -50.00%)</title>"));
	assert_non_null(strstr(svg, "<title>b (5 samples, 50.00%; +50.00%)</title>"));
	assert_non_null(strstr(svg, "<title>m (10 samples, 100.00%; 0.00%)</title>"));
	assert_non_null(strstr(svg, "fill=\"rgb(255,255,255)\""));
	free(svg);
	o.negate = true;
	svg = render(p, &o, &rc);
	assert_non_null(strstr(svg, "<title>a (5 samples, 50.00%; +50.00%)</title>"));
	free(svg);
	fk_profile_free(p);
}

static void test_write_empty_and_options(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	fk_flamegraph_options o;
	fk_flamegraph_options_init(&o);
	int rc;
	char *svg = render(p, &o, &rc);
	assert_int_equal(rc, FK_FLAMEGRAPH_EMPTY);
	assert_non_null(strstr(svg, "height=\"60\""));
	assert_non_null(strstr(svg, "ERROR: No valid input"));
	free(svg);
	add(p, "a", 0); /* counts that sum to 0 are no input either */
	svg = render(p, &o, &rc);
	assert_int_equal(rc, FK_FLAMEGRAPH_EMPTY);
	free(svg);

	fk_error err;
	o.notes = "a<b";
	assert_int_equal(fk_flamegraph_check_options(&o, &err), -1);
	o.notes = NULL;
	o.focus = "(";
	assert_int_equal(fk_flamegraph_check_options(&o, &err), -1);
	assert_int_equal(fk_flamegraph_write(p, &o, stdout, &err), FK_FLAMEGRAPH_ERROR);
	o.focus = "^a$";
	o.bgcolors = "#12345";
	assert_int_equal(fk_flamegraph_check_options(&o, &err), -1);
	o.bgcolors = NULL;
	o.width = 20;
	assert_int_equal(fk_flamegraph_check_options(&o, &err), -1);
	fk_profile_free(p);
}

static void test_write_filters(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "main;work;hash", 3);
	add(p, "main;idle", 5);
	add(p, "start;work;io", 2);
	fk_flamegraph_options o;
	fk_flamegraph_options_init(&o);
	const char *bases[] = {"work"};
	o.bases = bases;
	o.nbases = 1;
	int rc;
	char *svg = render(p, &o, &rc);
	assert_non_null(strstr(svg, "<title>all (5 samples, 100%)</title>"));
	assert_non_null(strstr(svg, "<title>work (5 samples, 100.00%)</title>"));
	assert_null(strstr(svg, "<title>main"));
	free(svg);
	o.nbases = 0;
	o.ignore = "^(idle|io)$";
	svg = render(p, &o, &rc);
	assert_non_null(strstr(svg, "<title>all (3 samples, 100%)</title>"));
	free(svg);
	o.ignore = NULL;
	o.focus = "^i";
	svg = render(p, &o, &rc);
	assert_non_null(strstr(svg, "<title>all (7 samples, 100%)</title>"));
	assert_null(strstr(svg, "<title>hash"));
	free(svg);
	o.focus = "nothing matches";
	svg = render(p, &o, &rc);
	assert_int_equal(rc, FK_FLAMEGRAPH_EMPTY);
	free(svg);
	fk_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drand48_matches_libc),
		cmocka_unit_test(test_name_sum_and_namehash),
		cmocka_unit_test(test_palettes),
		cmocka_unit_test(test_format_fixed_matches_printf),
		cmocka_unit_test(test_perl_numbers),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_reverse_and_chain),
		cmocka_unit_test(test_write_basic),
		cmocka_unit_test(test_write_flamegraph_pl_quirks),
		cmocka_unit_test(test_write_differential),
		cmocka_unit_test(test_write_empty_and_options),
		cmocka_unit_test(test_write_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
