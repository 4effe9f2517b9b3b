/* fuzz_dtrace.c: libFuzzer target for the DTrace aggregation parser (src/input/dtrace.c).
 * Folds the input as one chunk, then cut into chunks at line ends (every line, random,
 * blank lines) through one parser, and as two files in a row (the three header lines
 * are skipped in each, so every count doubles). Profiles are written to /dev/null with
 * fk_write_folded; differing results abort, as a crash would. */
#include "fuzz_common.h"

#include "../src/input/dtrace.h"

static void parse(fk_dtrace_parser *dp, const uint8_t *data, size_t size, fz_split how,
		  uint32_t file)
{
	fz_chunks cs = {0};
	fz_split_input(&cs, data, size, how, file);
	for (size_t i = 0; i < cs.n; i++)
		fk_dtrace_parse_chunk(dp, &cs.v[i]);
	fz_chunks_free(&cs);
}

static void fold(const uint8_t *data, size_t size, fz_split how, int files, fz_text *out,
		 double scale)
{
	fk_diag d;
	fk_diag_init(&d);
	fk_profile *p = fk_profile_new();
	fk_dtrace_parser *dp = fk_dtrace_parser_new(p, &d);
	for (int f = 0; f < files; f++)
		parse(dp, data, size, how, (uint32_t)f);
	fk_dtrace_parser_free(dp);
	fz_write_devnull(p);
	fz_render(p, out, scale);
	fk_profile_free(p);
	fk_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_text want = {0}, got = {0};
	fold(data, size, FZ_WHOLE, 1, &want, 1);
	fold(data, size, FZ_LINES, 1, &got, 1);
	fz_expect_same(&want, &got, "dtrace, one chunk per line");
	fold(data, size, FZ_RANDOM, 1, &got, 1);
	fz_expect_same(&want, &got, "dtrace, random chunks");
	fold(data, size, FZ_BLANKS, 1, &got, 1);
	fz_expect_same(&want, &got, "dtrace, blank-line chunks");
	/* the same input as two files: each count twice */
	fold(data, size, FZ_WHOLE, 1, &want, 2);
	fold(data, size, FZ_RANDOM, 2, &got, 1);
	if (!want.inexact && !got.inexact)
		fz_expect_same(&want, &got, "dtrace, two files");
	fz_text_free(&want);
	fz_text_free(&got);
	return 0;
}
