/* svg_text.h: the text side of writing SVG — a buffered writer, numbers formatted exactly
 * as Perl's sprintf("%.Nf") and number stringification print them, thousands separators,
 * UTF-8 decoding that never fails, XML escaping that always yields well-formed UTF-8,
 * and flamegraph.pl's label truncation ("name.."). Used by the flame graph writer. */
#ifndef FK_SVG_TEXT_H
#define FK_SVG_TEXT_H

#include "../util/common.h"

/* ---- buffered output ---- */

typedef struct fk_svgbuf {
	FILE *out;
	char *data;
	size_t len, cap;
	bool failed; /* a write to out failed; later writes are dropped */
} fk_svgbuf;

void fk_svgbuf_init(fk_svgbuf *b, FILE *out);
/* Writes what is buffered to out. Returns 0, or -1 if any write failed. */
int fk_svgbuf_flush(fk_svgbuf *b);
/* Flushes and frees the buffer. Returns like fk_svgbuf_flush. */
int fk_svgbuf_close(fk_svgbuf *b);
void fk_svgbuf_put(fk_svgbuf *b, const char *s, size_t len);
void fk_svgbuf_puts(fk_svgbuf *b, const char *s);
void fk_svgbuf_printf(fk_svgbuf *b, const char *fmt, ...) FK_PRINTF(2, 3);

static inline void fk_svgbuf_putc(fk_svgbuf *b, char c)
{
	if (FK_UNLIKELY(b->len == b->cap))
		fk_svgbuf_flush(b);
	b->data[b->len++] = c;
}

/* ---- numbers ---- */

enum { FK_NUM_BUF = 48 }; /* enough for every formatter below (finite or not) */

/* sprintf("%.<decimals>f", v), exactly as glibc rounds (the binary value, ties to even),
 * without going through printf for ordinary values. decimals <= 3. If scaled is not
 * NULL it receives the printed value times 10^decimals (what the digits say). */
size_t fk_format_fixed(double v, unsigned decimals, char *buf, double *scaled);
/* Perl's stringification of a number: integers in full, others with 15 significant
 * digits; infinities and NaN as Perl prints them (Inf, -Inf, NaN). */
size_t fk_format_perl_number(double v, char *buf);
/* The number Perl gets back from its own stringification of v ("0.1+0.2" reads back as
 * 0.3): flamegraph.pl keys frames by stringified end times and splits them again. */
double fk_perl_number_roundtrip(double v);
/* Inserts "," every three digits into the integer part of a formatted number, in place
 * (buf needs FK_NUM_BUF bytes). Returns the new length. */
size_t fk_format_thousands(char *buf, size_t len);

/* ---- text ---- */

/* Decodes one UTF-8 character from s (len > 0). Returns the bytes used (1..4); a byte
 * that does not start a valid, shortest-form sequence counts as one character U+FFFD. */
size_t fk_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* The number of characters in s, as fk_utf8_decode counts them. */
size_t fk_utf8_length(const char *s, size_t len);

enum {
	FK_ESCAPE_QUOTES = 1u, /* also &quot; (for attribute values and titles) */
};
/* Writes s as XML character data: & < > (and " with FK_ESCAPE_QUOTES) as entities,
 * invalid UTF-8 and characters XML 1.0 forbids as U+FFFD. Never produces markup. */
void fk_svgbuf_put_escaped(fk_svgbuf *b, const char *s, size_t len, unsigned flags);
/* Writes s as the body of a JSON string (without the quotes): safe inside a CDATA
 * section and a <script> (no "]]>", "<", ">" or "&" appear literally). */
void fk_svgbuf_put_json_string(fk_svgbuf *b, const char *s, size_t len);

/* flamegraph.pl's frame annotations: "_[k]", "_[w]", "_[i]", "_[j]" at the end. Returns
 * len without the annotation. */
size_t fk_strip_annotation(const char *s, size_t len);
/* The label flamegraph.pl prints in a frame with room for max_chars characters: nothing
 * below 3, the whole name if it fits, else its first max_chars-2 characters and "..".
 * Sets *prefix_len to the bytes of s shown and returns whether ".." follows. */
bool fk_label_truncate(const char *s, size_t len, double max_chars, size_t *prefix_len);

#endif
