/* fuzz_pprof.c: libFuzzer target for the pprof reader (fk_pprof_read in
 * src/input/pprof.c) and writer (fk_write_pprof in src/output/pprof.c). Any bytes must
 * be read or refused with a message naming the file, never crash or allocate without
 * bound; a profile read must write as pprof and read back to the same folded stacks. The
 * input is the profile.proto message itself (load.c gunzips before the reader). */
#include "fuzz_common.h"

#include "../src/input/pprof.h"
#include "../src/output/pprof.h"

/* Reads data as a pprof profile; NULL if refused. */
static fk_profile *read_pprof(const uint8_t *data, size_t size, const char *sample_type)
{
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	fk_profile *p = fk_profile_new();
	fk_load_options o = {.sample_type = sample_type};
	fk_diag diag;
	fk_diag_init(&diag);
	fk_load_stats stats = {0};
	fk_error err = {{0}};
	fk_whole_input in = {.name = "fuzz.pb", .data = copy, .len = size};
	int rc = fk_pprof_read(&in, &o, p, &diag, &stats, &err);
	fk_diag_free(&diag);
	free(copy);
	if (rc != 0) {
		if (!strstr(err.msg, "fuzz.pb"))
			abort(); /* every error names the file */
		if (fk_profile_stack_count(p) != 0)
			abort(); /* a refused input adds nothing */
		fk_profile_free(p);
		return NULL;
	}
	return p;
}

static char *folded_text(const fk_profile *p, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	fk_error err;
	if (!f || fk_write_folded(p, f, &err) != 0)
		abort();
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fk_profile *p = read_pprof(data, size, size && (data[0] & 1) ? "cpu" : NULL);
	if (!p)
		return 0;
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	fk_error err;
	int rc = fk_write_pprof(p, false, f, &err);
	fclose(f);
	if (rc == 0) {
		fk_profile *back = read_pprof((const uint8_t *)out, out_len, NULL);
		if (!back)
			abort(); /* what flamekit writes, it reads */
		size_t a_len, b_len;
		char *a = folded_text(p, &a_len), *b = folded_text(back, &b_len);
		if (a_len != b_len || memcmp(a, b, a_len) != 0)
			abort();
		free(a);
		free(b);
		fk_profile_free(back);
	}
	free(out);
	fk_profile_free(p);
	return 0;
}
