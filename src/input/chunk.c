/* chunk.c: reading whole-line chunks from a source. */
#define _GNU_SOURCE
#include "chunk.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void fk_chunk_reader_init(fk_chunk_reader *r, fk_source *src, uint32_t file, fk_split split,
			  size_t target, fk_diag *diag)
{
	memset(r, 0, sizeof(*r));
	r->src = src;
	r->file = file;
	r->split = split;
	r->target = target ? target : (1 << 20);
	r->diag = diag;
	r->next_line = 1;
}

void fk_chunk_reader_free(fk_chunk_reader *r)
{
	free(r->carry);
	r->carry = NULL;
}

void fk_chunk_free(fk_chunk *c)
{
	free(c->data);
	memset(c, 0, sizeof(*c));
}

uint64_t fk_count_newlines(const char *data, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;
#ifdef __SSE2__
	/* 16 bytes a step: compare, subtract the 0xff matches from byte counters, and sum
	 * the counters before any can overflow */
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (i + 16 <= len) {
		__m128i acc = zero;
		for (int k = 0; k < 255 && i + 16 <= len; k++, i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));
		}
		__m128i sums = _mm_sad_epu8(acc, zero);
		n += (uint64_t)_mm_cvtsi128_si64(sums) + (uint64_t)_mm_extract_epi16(sums, 4);
	}
#endif
	for (; i < len; i++)
		n += data[i] == '\n';
	return n;
}

/* Offset just past the last split point in data[0..len), or 0 if there is none. */
static size_t find_split(const char *data, size_t len, fk_split split)
{
	const char *end = data + len;
	for (;;) {
		const char *nl = memrchr(data, '\n', (size_t)(end - data));
		if (!nl)
			return 0;
		if (split == FK_SPLIT_LINES)
			return (size_t)(nl - data) + 1;
		/* a blank line: '\n' at the start of a line */
		if (nl == data || nl[-1] == '\n')
			return (size_t)(nl - data) + 1;
		end = nl;
	}
}

static int fill(fk_chunk_reader *r, fk_chunk *c, size_t want, fk_error *err)
{
	while (!r->eof && c->len < want) {
		if (c->cap < want)
			fk_grow((void **)&c->data, 1, &c->cap, want);
		ssize_t n = fk_source_read(r->src, c->data + c->len, c->cap - c->len, err);
		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = true;
		c->len += (size_t)n;
	}
	return 0;
}

/* Drops a line longer than FK_MAX_LINE that starts at c->data[0]: reads on to its end. */
static int skip_long_line(fk_chunk_reader *r, fk_chunk *c, fk_error *err)
{
	fk_diag_add(r->diag, r->file, r->next_line, "line longer than %zu MiB skipped",
		    FK_MAX_LINE >> 20);
	for (;;) {
		char *nl = memchr(c->data, '\n', c->len);
		if (nl) {
			size_t rest = c->len - (size_t)(nl + 1 - c->data);
			memmove(c->data, nl + 1, rest);
			c->len = rest;
			r->next_line++;
			return 0;
		}
		c->len = 0;
		if (r->eof)
			return 0;
		if (fill(r, c, r->target, err) < 0)
			return -1;
		if (c->len == 0)
			return 0;
	}
}

void fk_chunk_reader_unread(fk_chunk_reader *r, const fk_chunk *c)
{
	if (c->len) { /* else carry may be NULL: nothing to move */
		fk_grow((void **)&r->carry, 1, &r->carry_cap, c->len + r->carry_len);
		memmove(r->carry + c->len, r->carry, r->carry_len);
		memcpy(r->carry, c->data, c->len);
		r->carry_len += c->len;
	}
	r->next_line = c->first_line;
	r->seq = c->seq;
	r->done = false;
}

int fk_chunk_reader_next(fk_chunk_reader *r, fk_chunk *c, fk_error *err)
{
	if (r->done)
		return 0;
	c->len = 0;
	c->cut = false;
	c->file_end = false;
	if (r->carry_len) {
		fk_grow((void **)&c->data, 1, &c->cap, r->carry_len + r->target);
		memcpy(c->data, r->carry, r->carry_len);
		c->len = r->carry_len;
		r->carry_len = 0;
	}
	size_t want = r->target;
	size_t split_at;
	for (;;) {
		if (fill(r, c, want, err) < 0)
			return -1;
		if (r->eof) {
			split_at = c->len;
			c->file_end = true;
			r->done = true;
			break;
		}
		split_at = find_split(c->data, c->len, r->split);
		if (split_at)
			break;
		if (c->len < FK_MAX_LINE) {
			want = c->len * 2 > FK_MAX_LINE ? FK_MAX_LINE : c->len * 2;
			continue;
		}
		/* no split point within FK_MAX_LINE bytes */
		split_at = find_split(c->data, c->len, FK_SPLIT_LINES);
		if (split_at) {
			c->cut = true;
			fk_diag_add(r->diag, r->file, r->next_line + fk_count_newlines(c->data, split_at),
				    "sample longer than %zu MiB split while reading in parallel "
				    "(use -j 1 to keep it whole)",
				    FK_MAX_LINE >> 20);
			break;
		}
		if (skip_long_line(r, c, err) < 0)
			return -1;
		want = r->target;
	}
	if (split_at < c->len) {
		size_t rest = c->len - split_at;
		fk_grow((void **)&r->carry, 1, &r->carry_cap, rest);
		memcpy(r->carry, c->data + split_at, rest);
		r->carry_len = rest;
		c->len = split_at;
	}
	c->file = r->file;
	c->first_line = r->next_line;
	c->seq = r->seq++;
	r->next_line += fk_count_newlines(c->data, c->len);
	return 1;
}
