/* fuzz_common.h: helpers shared by the libFuzzer targets in fuzz/: cutting an input into
 * chunks the way the chunk reader would (one chunk, every line, at blank lines, or at
 * pseudo-random line ends), a /dev/null sink for fk_write_folded, and rendering a profile
 * as folded text so that two ways of parsing the same bytes can be compared. Each chunk
 * is copied into its own exactly sized allocation so AddressSanitizer catches a parser
 * reading past the end of a chunk. */
#ifndef FK_FUZZ_COMMON_H
#define FK_FUZZ_COMMON_H

#include <math.h>

#include "../src/input/chunk.h"
#include "../src/output/folded.h"
#include "../src/stack/profile.h"
#include "../src/util/hash.h"

/* How an input is cut into chunks. */
typedef enum {
	FZ_WHOLE,   /* one chunk */
	FZ_LINES,   /* one chunk per line */
	FZ_BLANKS,  /* a chunk ends after each blank line (the perf reader's cut points) */
	FZ_RANDOM,  /* a chunk ends after some line ends, chosen from a hash of the input */
} fz_split;

typedef struct fz_chunks {
	fk_chunk *v;
	size_t n, cap;
} fz_chunks;

/* The /dev/null stream every target writes folded output to (opened once). */
static inline FILE *fz_devnull(void)
{
	static FILE *f;
	if (!f) {
		f = fopen("/dev/null", "w");
		if (!f)
			abort();
	}
	return f;
}


static inline void fz_push_chunk(fz_chunks *cs, const uint8_t *data, size_t from, size_t to,
				 uint32_t file, uint64_t first_line, bool end)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 16;
		cs->v = realloc(cs->v, cs->cap * sizeof(*cs->v));
		if (!cs->v)
			abort();
	}
	fk_chunk *c = &cs->v[cs->n];
	memset(c, 0, sizeof(*c));
	c->len = c->cap = to - from;
	c->data = malloc(c->len ? c->len : 1);
	if (!c->data)
		abort();
	if (c->len)
		memcpy(c->data, data + from, c->len);
	c->file = file;
	c->first_line = first_line;
	c->seq = cs->n;
	c->file_end = end;
	cs->n++;
}

/* Cuts data[0..size) into chunks of whole lines (the last may lack its '\n'); the last
 * chunk, maybe empty, has file_end set, as from fk_chunk_reader_next. cs must be empty
 * (zeroed, or after fz_chunks_free). */
static inline void fz_split_input(fz_chunks *cs, const uint8_t *data, size_t size, fz_split how,
				  uint32_t file)
{
	uint64_t seed = fk_hash_mix(size * 0x9e3779b97f4a7c15ULL + how);
	for (size_t i = 0; i < size && i < 64; i++)
		seed = fk_hash_mix(seed ^ data[i]);
	size_t from = 0;
	uint64_t line = 1, first_line = 1;
	if (how != FZ_WHOLE) {
		for (size_t i = 0; i < size; i++) {
			if (data[i] != '\n')
				continue;
			line++;
			bool cut;
			switch (how) {
			case FZ_LINES:
				cut = true;
				break;
			case FZ_BLANKS:
				cut = i == 0 || data[i - 1] == '\n';
				break;
			default:
				cut = fk_hash_mix(seed ^ i) % 4 == 0;
				break;
			}
			if (!cut)
				continue;
			fz_push_chunk(cs, data, from, i + 1, file, first_line, false);
			from = i + 1;
			first_line = line;
		}
	}
	fz_push_chunk(cs, data, from, size, file, first_line, true);
}

static inline void fz_chunks_free(fz_chunks *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].data);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

/* A profile as folded text, counts multiplied by scale. */
typedef struct fz_text {
	char *s;
	size_t len, cap;
	double scale;
	bool inexact; /* a count that sums need not reproduce exactly (fraction, >= 2^53) */
} fz_text;

static inline void fz_text_put(fz_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : 4096;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static inline int fz_render_stack(const fk_profile *p, const fk_name_id *names, size_t depth,
				  double count, void *ctx)
{
	fz_text *t = ctx;
	for (size_t i = 0; i < depth; i++) {
		size_t len;
		const char *s = fk_profile_name(p, names[i], &len);
		if (i)
			fz_text_put(t, ";", 1);
		fz_text_put(t, s, len);
	}
	char buf[32];
	double c = count * t->scale;
	if (c != floor(c) || c >= 9007199254740992.0)
		t->inexact = true;
	size_t n = fk_format_count(c, buf);
	if (n >= sizeof(buf))
		abort();
	fz_text_put(t, " ", 1);
	fz_text_put(t, buf, n);
	fz_text_put(t, "\n", 1);
	return 0;
}

static inline void fz_render(const fk_profile *p, fz_text *t, double scale)
{
	t->len = 0;
	t->scale = scale;
	t->inexact = false;
	fz_text_put(t, "", 0);
	fk_profile_walk_sorted(p, fz_render_stack, t);
}

/* Writes p with fk_write_folded to /dev/null (the output path under test). */
static inline void fz_write_devnull(const fk_profile *p)
{
	fk_error err;
	if (fk_write_folded(p, fz_devnull(), &err) < 0) {
		fprintf(stderr, "fk_write_folded failed: %s\n", err.msg);
		abort();
	}
}

/* Aborts (a libFuzzer crash) when two renderings of the same input differ. */
static inline void fz_expect_same(const fz_text *want, const fz_text *got, const char *what)
{
	if (want->len == got->len && memcmp(want->s, got->s, want->len) == 0)
		return;
	fprintf(stderr, "fuzz: output differs (%s)\n--- expected (%zu bytes)\n%.*s\n--- got (%zu bytes)\n%.*s\n",
		what, want->len, (int)(want->len > 4000 ? 4000 : want->len), want->s, got->len,
		(int)(got->len > 4000 ? 4000 : got->len), got->s);
	abort();
}

static inline void fz_text_free(fz_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

#endif
