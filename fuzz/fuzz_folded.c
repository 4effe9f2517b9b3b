/* fuzz_folded.c: libFuzzer target for the folded-stack parser (src/input/folded.c) and
 * fk_folded_split_count. Folds the input as one chunk, then cut at line ends (every line,
 * random) through one parser, and as chunks shared out to two "workers" with their own
 * parsers and profiles, merged (what -j N does). Profiles are written to /dev/null with
 * fk_write_folded; differing results abort, as a crash would. */
#include "fuzz_common.h"

#include "../src/input/folded.h"

static void fold(const uint8_t *data, size_t size, fz_split how, int workers, fz_text *out)
{
	enum { MAXW = 2 };
	fk_profile *prof[MAXW];
	fk_folded_parser *fp[MAXW];
	fk_diag d[MAXW];
	for (int w = 0; w < workers; w++) {
		prof[w] = fk_profile_new();
		fk_diag_init(&d[w]);
		fp[w] = fk_folded_parser_new(prof[w], &d[w]);
	}
	fz_chunks cs = {0};
	fz_split_input(&cs, data, size, how, 0);
	for (size_t i = 0; i < cs.n; i++)
		fk_folded_parse_chunk(fp[fk_hash_mix(i) % (uint64_t)workers], &cs.v[i]);
	fz_chunks_free(&cs);
	for (int w = 1; w < workers; w++)
		fk_profile_merge(prof[0], prof[w]);
	fz_write_devnull(prof[0]);
	fz_render(prof[0], out, 1);
	for (int w = 0; w < workers; w++) {
		(void)fk_folded_parser_invalid(fp[w]);
		fk_folded_parser_free(fp[w]);
		fk_profile_free(prof[w]);
		fk_diag_free(&d[w]);
	}
}

/* Every line through fk_folded_split_count directly: the stack and count it reports
 * must lie within the line. Returns whether every count is an integer below 2^53, so
 * that sums of them do not depend on the order of the additions. */
static bool split_lines(const uint8_t *data, size_t size)
{
	bool exact = true;
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		char *line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, p, len);
		size_t stack_len;
		double count;
		if (fk_folded_split_count(line, len, &stack_len, &count) &&
		    (stack_len >= len || !(count >= 0)))
			abort();
		if (len && line[len - 1] == '\r')
			len--; /* as the parser does */
		if (fk_folded_split_count(line, len, &stack_len, &count) &&
		    (count != floor(count) || count >= 9007199254740992.0))
			exact = false;
		free(line);
		p = nl ? nl + 1 : end;
	}
	return exact;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool exact = split_lines(data, size);
	fz_text want = {0}, got = {0};
	fold(data, size, FZ_WHOLE, 1, &want);
	fold(data, size, FZ_LINES, 1, &got);
	fz_expect_same(&want, &got, "folded, one chunk per line");
	fold(data, size, FZ_RANDOM, 1, &got);
	fz_expect_same(&want, &got, "folded, random chunks");
	fold(data, size, FZ_RANDOM, 2, &got);
	/* merging adds counts in another order: exact only for integers < 2^53 */
	if (exact && !want.inexact && !got.inexact)
		fz_expect_same(&want, &got, "folded, two workers");
	fz_text_free(&want);
	fz_text_free(&got);
	return 0;
}
