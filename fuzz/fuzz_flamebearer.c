/* fuzz_flamebearer.c: libFuzzer target for the flamebearer JSON writer
 * (src/output/flamebearer.c) on names and counts from hostile input: the input is read
 * as folded stacks ("stack count" or "stack before after" lines, as a pushed profile
 * would be), written as flamebearer with maxNodes from a hash of the input (0: every
 * node), and the output must parse with jansson: levels of whole bars (4 or 7 numbers),
 * name indexes inside names, at most maxNodes bars (maxNodes >= 2), level 0 one bar named
 * "total". Anything else aborts. */
#include <jansson.h>

#include "fuzz_common.h"

#include "../src/input/folded.h"
#include "../src/output/flamebearer.h"

static void check(const char *json, size_t len, size_t max_nodes, bool two_valued)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, &jerr);
	if (!root) {
		fprintf(stderr, "fuzz: flamebearer output is not JSON: %s (line %d col %d)\n%.*s\n",
			jerr.text, jerr.line, jerr.column, (int)(len > 4000 ? 4000 : len), json);
		abort();
	}
	json_t *fb = json_object_get(root, "flamebearer");
	json_t *names = json_object_get(fb, "names");
	json_t *levels = json_object_get(fb, "levels");
	if (!json_is_array(names) || !json_is_array(levels) || json_array_size(levels) < 1 ||
	    !json_is_number(json_object_get(fb, "numTicks")) ||
	    !json_is_number(json_object_get(fb, "maxSelf")))
		abort();
	if (strcmp(json_string_value(json_array_get(names, 0)), "total") != 0)
		abort();
	size_t step = two_valued ? 7 : 4, bars = 0;
	for (size_t lv = 0; lv < json_array_size(levels); lv++) {
		json_t *row = json_array_get(levels, lv);
		size_t n = json_array_size(row);
		if (n == 0 || n % step || (lv == 0 && n != step))
			abort();
		for (size_t i = 0; i < n; i++)
			if (!json_is_number(json_array_get(row, i)))
				abort();
		for (size_t i = step - 1; i < n; i += step) {
			json_t *idx = json_array_get(row, i);
			if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
			    (size_t)json_integer_value(idx) >= json_array_size(names))
				abort();
		}
		if (lv == 0 && json_integer_value(json_array_get(row, step - 1)) != 0)
			abort();
		bars += n / step;
	}
	if (max_nodes >= 2 && bars > max_nodes) {
		fprintf(stderr, "fuzz: %zu bars for maxNodes %zu\n", bars, max_nodes);
		abort();
	}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
	uint64_t h = fk_hash_mix(size);
	for (size_t i = 0; i < size && i < 64; i++)
		h = fk_hash_mix(h ^ data[i]);
	size_t max_nodes = h % 3 == 0 ? 0 : 2 + (size_t)(h >> 8) % 40;
	fk_flamebearer_timeline t = {.start = 0, .step = 10, .samples = (double[]){1, 0.5}, .count = 2};
	fk_flamebearer_options o = {.max_nodes = max_nodes, .name = "fuzz{}", .timeline = &t};
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	fk_error err;
	if (!f || fk_flamebearer_write(p, &o, f, &err) < 0)
		abort();
	fclose(f);
	check(json, len, max_nodes, fk_profile_has_before(p));
	free(json);
	fk_folded_parser_free(fp);
	fk_profile_free(p);
	fk_diag_free(&d);
	return 0;
}
