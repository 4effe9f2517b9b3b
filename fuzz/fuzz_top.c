/* fuzz_top.c: libFuzzer target for the --focus/--ignore filter (src/stack/filter.c) and
 * the top report (src/output/top.c), on profiles folded from the input. Checks: no
 * filter changes nothing; --focus X and --ignore X split the samples in two (merged they
 * give the profile back); each row's flat and cum equal a count made stack by stack from
 * the sorted walk; rows are sorted; the report writes. Mismatches abort, as a crash would. */
#include "fuzz_common.h"

#include "../src/input/folded.h"
#include "../src/output/top.h"
#include "../src/stack/filter.h"

static const char *const patterns[] = {"a", "^[ab]", "x$", "\\[", "(b|c)d", "^$", ";", "."};

static fk_profile *fold(const uint8_t *data, size_t size)
{
	fk_profile *p = fk_profile_new();
	fk_diag d;
	fk_diag_init(&d);
	fk_folded_parser *fp = fk_folded_parser_new(p, &d);
	fz_chunks cs = {0};
	fz_split_input(&cs, data, size, FZ_WHOLE, 0);
	for (size_t i = 0; i < cs.n; i++)
		fk_folded_parse_chunk(fp, &cs.v[i]);
	fz_chunks_free(&cs);
	fk_folded_parser_free(fp);
	fk_diag_free(&d);
	return p;
}

static fk_profile *filtered(const fk_profile *p, const char *focus, const char *ignore)
{
	fk_sample_filter f;
	fk_error err;
	if (fk_sample_filter_init(&f, focus, ignore, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	fk_profile *q = fk_sample_filter_apply(p, &f);
	fk_sample_filter_free(&f);
	return q;
}

/* flat and cum per name, counted stack by stack. */
struct by_stack {
	double *flat, *cum;
	uint32_t *mark; /* the stack number that last counted the name in cum */
	uint32_t stack;
};

static int count_stack(const fk_profile *p, const fk_name_id *names, size_t depth, double count,
		       void *ctx)
{
	struct by_stack *b = ctx;
	b->stack++;
	if (depth)
		b->flat[names[depth - 1]] += count;
	for (size_t i = 0; i < depth; i++)
		if (b->mark[names[i]] != b->stack) {
			b->mark[names[i]] = b->stack;
			b->cum[names[i]] += count;
		}
	return 0;
}

static void check_top(fk_profile *p, bool exact, size_t max_rows)
{
	fk_top t;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &t);
	size_t nnames = fk_interner_count(fk_profile_names(p));
	struct by_stack b = {fk_xcalloc(nnames + 1, sizeof(double)), fk_xcalloc(nnames + 1, sizeof(double)),
			     fk_xcalloc(nnames + 1, sizeof(uint32_t)), 0};
	fk_profile_walk_sorted(p, count_stack, &b);
	for (size_t i = 0; i < t.count; i++) {
		const fk_top_row *r = &t.rows[i];
		if (r->name >= nnames)
			abort();
		if (exact && (r->flat != b.flat[r->name] || r->cum != b.cum[r->name] || r->cum > t.total)) {
			fprintf(stderr, "fuzz: row %s: flat %g cum %g, by stack %g %g\n", r->text, r->flat,
				r->cum, b.flat[r->name], b.cum[r->name]);
			abort();
		}
		if (i && (t.rows[i - 1].flat < r->flat ||
			  (t.rows[i - 1].flat == r->flat && t.rows[i - 1].cum < r->cum)))
			abort();
	}
	fk_top_sort_rows(&t, FK_TOP_SORT_CUM);
	for (size_t i = 1; i < t.count; i++)
		if (t.rows[i - 1].cum < t.rows[i].cum)
			abort();
	fk_top_options o = {.max_rows = max_rows, .filter = "--focus 'x'", .before_filter = t.total};
	fk_error err;
	if (fk_top_write(fz_devnull(), p, &t, &o, &err) < 0)
		abort();
	free(b.flat);
	free(b.cum);
	free(b.mark);
	fk_top_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fk_profile *p = fold(data, size);
	uint64_t h = fk_hash_bytes(data, size);
	const char *x = patterns[h % FK_ARRAY_LEN(patterns)];
	const char *y = patterns[(h >> 8) % FK_ARRAY_LEN(patterns)];
	fz_text want = {0}, got = {0};
	fz_render(p, &want, 1);
	bool exact = !want.inexact && fk_profile_total(p) < 4503599627370496.0;

	fk_profile *same = filtered(p, NULL, NULL);
	fz_render(same, &got, 1);
	fz_expect_same(&want, &got, "no filter");
	fk_profile_free(same);

	fk_profile *in = filtered(p, x, NULL), *out = filtered(p, NULL, x);
	fk_profile *both = filtered(p, x, y);
	fk_profile_merge(in, out);
	fz_render(in, &got, 1);
	fz_expect_same(&want, &got, "--focus X plus --ignore X"); /* disjoint: copied counts */
	check_top(p, exact, (size_t)(h >> 16) % 4);
	check_top(both, exact, 0);
	fk_profile_free(in);
	fk_profile_free(out);
	fk_profile_free(both);
	fk_profile_free(p);
	fz_text_free(&want);
	fz_text_free(&got);
	return 0;
}
