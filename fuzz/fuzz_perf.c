/* fuzz_perf.c: libFuzzer target for the perf script parser (src/input/perf_script.c).
 * For every option set it folds the input as one chunk. For one option set (picked by a
 * hash of the input, to keep the target fast) it also folds it as many chunks (every
 * line, random line ends, blank lines) through one parser, and as blank-line chunks
 * shared out to two "workers" with their own parsers and profiles, merged (what -j N
 * does). Each profile is written to /dev/null with fk_write_folded, and the chunked
 * results must equal the one-chunk result: a difference aborts, as a crash would. */
#include "fuzz_common.h"

#include "../src/input/perf_script.h"

static const fk_perf_options option_sets[] = {
	{0},
	{.include_pid = true},
	{.include_tid = true, .annotate_kernel = true, .annotate_jit = true},
	{.include_addrs = true, .event_filter = "cycles"},
	{.srcline = true},
	{.srcline = true, .include_addrs = true, .include_tid = true, .annotate_kernel = true},
};

/* Feeds every chunk to one parser (what -j 1 does). */
static void parse_serial(const fk_perf_options *o, const fz_chunks *cs, fk_profile *p)
{
	fk_diag d;
	fk_diag_init(&d);
	fk_perf_parser *pp = fk_perf_parser_new(o, p, &d, NULL);
	for (size_t i = 0; i < cs->n; i++)
		fk_perf_parse_chunk(pp, &cs->v[i]);
	bool defaulted;
	const char *ev = fk_perf_parser_event(pp, &defaulted);
	if (!ev)
		abort();
	(void)fk_perf_parser_filtered(pp);
	(void)fk_perf_parser_unrecognized(pp);
	(void)fk_perf_parser_samples(pp);
	fk_perf_parser_free(pp);
	fk_diag_free(&d);
}

/* Blank-line chunks shared out to two workers, as src/input/load.c does with threads:
 * the reader looks for the default event in each chunk until it finds one, and every
 * worker's parser gets it before parsing a later chunk. */
static void parse_workers(const fk_perf_options *o, const fz_chunks *cs, fk_profile *out)
{
	enum { NW = 2 };
	fk_profile *prof[NW];
	fk_perf_parser *pp[NW];
	fk_diag d[NW];
	for (int w = 0; w < NW; w++) {
		prof[w] = fk_profile_new();
		fk_diag_init(&d[w]);
		pp[w] = fk_perf_parser_new(o, prof[w], &d[w], NULL);
	}
	char *event = NULL;
	size_t event_len = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const fk_chunk *c = &cs->v[i];
		if (!event && !o->event_filter) {
			const char *ev;
			size_t len;
			if (fk_perf_first_event(c->data, c->len, &ev, &len)) {
				if (ev < c->data || ev + len > c->data + c->len)
					abort();
				event = fk_xstrndup(ev, len);
				event_len = len;
			}
		}
		int w = (int)(fk_hash_mix(i * 31 + c->len) % NW);
		if (event)
			fk_perf_parser_set_default_event(pp[w], event, event_len);
		fk_perf_parse_chunk(pp[w], c);
	}
	for (int w = 0; w < NW; w++) {
		fk_profile_merge(out, prof[w]);
		fk_perf_parser_free(pp[w]);
		fk_profile_free(prof[w]);
		fk_diag_free(&d[w]);
	}
	free(event);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_text want = {0}, got = {0};
	uint64_t h = size;
	for (size_t i = 0; i < size; i++)
		h = h * 131 + data[i];
	size_t chosen = (size_t)(fk_hash_mix(h) % FK_ARRAY_LEN(option_sets));
	for (size_t k = 0; k < FK_ARRAY_LEN(option_sets); k++) {
		const fk_perf_options *o = &option_sets[k];
		fz_chunks cs = {0};
		fz_split_input(&cs, data, size, FZ_WHOLE, 0);
		fk_profile *p = fk_profile_new();
		parse_serial(o, &cs, p);
		fz_chunks_free(&cs);
		fz_write_devnull(p);
		if (k != chosen) {
			fk_profile_free(p);
			continue;
		}
		fz_render(p, &want, 1);
		fk_profile_free(p);

		/* --srcline reads the line after a frame: only blank-line cuts keep those together */
		static const fz_split serial_splits[] = {FZ_BLANKS, FZ_LINES, FZ_RANDOM};
		size_t nsplits = o->srcline ? 1 : FK_ARRAY_LEN(serial_splits);
		for (size_t s = 0; s < nsplits; s++) {
			fz_split_input(&cs, data, size, serial_splits[s], 0);
			p = fk_profile_new();
			parse_serial(o, &cs, p);
			fz_chunks_free(&cs);
			fz_write_devnull(p);
			fz_render(p, &got, 1);
			fk_profile_free(p);
			fz_expect_same(&want, &got, serial_splits[s] == FZ_BLANKS  ? "perf, blank-line chunks"
						    : serial_splits[s] == FZ_LINES ? "perf, one chunk per line"
										   : "perf, random chunks");
		}

		/* srcline input is never parsed on several threads */
		if (!o->srcline) {
			fz_split_input(&cs, data, size, FZ_BLANKS, 0);
			p = fk_profile_new();
			parse_workers(o, &cs, p);
			fz_chunks_free(&cs);
			fz_write_devnull(p);
			fz_render(p, &got, 1);
			fk_profile_free(p);
			/* merging adds counts in another order: exact only for integers < 2^53 */
			if (!want.inexact && !got.inexact)
				fz_expect_same(&want, &got, "perf, two workers");
		}
	}
	fz_text_free(&want);
	fz_text_free(&got);
	return 0;
}
