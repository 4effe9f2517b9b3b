/* json_text.h: writing JSON by hand through a buffer (outputs may hold millions of
 * values): raw text, strings and numbers. Names are bytes, JSON strings are Unicode:
 * quotes, backslashes and control bytes are escaped (so they come back as they were),
 * and each byte that is not part of valid UTF-8 becomes U+FFFD. Used by the speedscope
 * and flamebearer writers. */
#ifndef FK_JSON_TEXT_H
#define FK_JSON_TEXT_H

#include "../util/common.h"

typedef struct fk_json_out {
	FILE *out;
	char *buf;
	size_t len, cap;
	bool failed; /* a write to out failed */
} fk_json_out;

void fk_json_out_init(fk_json_out *w, FILE *out);
/* Writes what is buffered to out. */
void fk_json_flush(fk_json_out *w);
/* Flushes and frees the buffer. Returns 0, or -1 if any write failed. */
int fk_json_out_close(fk_json_out *w);

/* Makes room for n more bytes (n must be small next to cap: at most 64) and returns
 * where they go; the caller adds what it wrote to len. */
static inline char *fk_json_room(fk_json_out *w, size_t n)
{
	if (w->len + n > w->cap)
		fk_json_flush(w);
	return w->buf + w->len;
}

void fk_json_put(fk_json_out *w, const char *s, size_t n);
void fk_json_puts(fk_json_out *w, const char *s);
/* s[0..n) as a JSON string, quotes included. */
void fk_json_put_string(fk_json_out *w, const char *s, size_t n);
void fk_json_put_uint(fk_json_out *w, uint64_t v);
/* A number that reads back as the same double: integers in full, other values with as
 * few digits as give the same double. Non-finite values become 0 (JSON has none). */
void fk_json_put_number(fk_json_out *w, double v);

#endif
