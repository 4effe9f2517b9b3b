/* fuzz_json.h: the check shared by the JSON format targets (fuzz_speedscope.c,
 * fuzz_cpuprofile.c): read the input with a whole-file reader; if it reads, write the
 * profile as speedscope and read that back, expecting the same folded stacks; if it does
 * not, the profile must hold nothing. The input is copied into an exactly sized buffer so
 * AddressSanitizer catches reads past its end. */
#ifndef FK_FUZZ_JSON_H
#define FK_FUZZ_JSON_H

#include "../src/input/load.h"
#include "../src/input/speedscope.h"
#include "../src/output/speedscope.h"
#include "fuzz_common.h"

/* Reads data with reader into a new profile; NULL if it does not read. */
static inline fk_profile *fz_read_whole(fk_whole_reader reader, const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	fk_whole_input in = {.name = "fuzz", .data = copy, .len = size};
	fk_load_options o = {.format = FK_FORMAT_AUTO};
	fk_load_stats stats = {0};
	fk_diag diag;
	fk_diag_init(&diag);
	fk_profile *p = fk_profile_new();
	fk_error err;
	if (reader(&in, &o, p, &diag, &stats, &err) < 0) {
		if (fk_profile_node_count(p) != 1 || fk_profile_stack_count(p) != 0) {
			fprintf(stderr, "fuzz: a failed read added stacks (%s)\n", err.msg);
			abort();
		}
		fk_profile_free(p);
		p = NULL;
	}
	fk_diag_free(&diag);
	free(copy);
	return p;
}

static inline void fz_json_round_trip(fk_whole_reader reader, const uint8_t *data, size_t size)
{
	fk_profile *p = fz_read_whole(reader, data, size);
	if (!p)
		return;
	fz_write_devnull(p);
	fz_text want = {0}, got = {0};
	fz_render(p, &want, 1);
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	fk_error err;
	if (!f || fk_write_speedscope(p, "fuzz", f, &err) < 0)
		abort();
	fclose(f);
	fk_profile *back = fz_read_whole(fk_speedscope_read, (const uint8_t *)json, len);
	if (!back) {
		fprintf(stderr, "fuzz: our speedscope output does not read back:\n%.*s\n",
			(int)(len > 4000 ? 4000 : len), json);
		abort();
	}
	fz_render(back, &got, 1);
	/* sums that overflowed to infinity are written as 0 (JSON has no infinity) */
	if (!memmem(want.s, want.len, "inf", 3) && !memmem(want.s, want.len, "nan", 3))
		fz_expect_same(&want, &got, "speedscope written and read back");
	fz_text_free(&want);
	fz_text_free(&got);
	fk_profile_free(back);
	fk_profile_free(p);
	free(json);
}

#endif
