/* json_text.c: buffered hand-written JSON: raw text, escaped strings, numbers (see
 * json_text.h). */
#include "json_text.h"

#include <math.h>

enum { JSON_BUF_SIZE = 1 << 16 };

void fk_json_out_init(fk_json_out *w, FILE *out)
{
	*w = (fk_json_out){.out = out, .cap = JSON_BUF_SIZE};
	w->buf = fk_xmalloc(w->cap);
}

void fk_json_flush(fk_json_out *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

int fk_json_out_close(fk_json_out *w)
{
	fk_json_flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	return w->failed ? -1 : 0;
}

void fk_json_put(fk_json_out *w, const char *s, size_t n)
{
	if (n > w->cap / 2) {
		fk_json_flush(w);
		if (fwrite(s, 1, n, w->out) != n)
			w->failed = true;
		return;
	}
	memcpy(fk_json_room(w, n), s, n);
	w->len += n;
}

void fk_json_puts(fk_json_out *w, const char *s)
{
	fk_json_put(w, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80), or 0 if it is
 * not one (bad lead byte, missing or bad continuation, overlong form, surrogate, or
 * beyond U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void fk_json_put_string(fk_json_out *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	fk_json_put(w, "\"", 1);
	size_t i = 0;
	while (i < n) {
		/* the run of bytes that need nothing */
		size_t j = i;
		while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\')
			j++;
		if (j > i) {
			fk_json_put(w, (const char *)s + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = s[i];
		char *o = fk_json_room(w, 6);
		if (c == '"' || c == '\\') {
			o[0] = '\\';
			o[1] = (char)c;
			w->len += 2;
			i++;
		} else if (c < 0x20) {
			const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
			if (esc) {
				memcpy(o, esc, 2);
				w->len += 2;
			} else {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				w->len += 6;
			}
			i++;
		} else {
			size_t len = utf8_sequence(s + i, n - i);
			if (len) {
				memcpy(o, s + i, len);
				w->len += len;
				i += len;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER */
				w->len += 3;
				i++;
			}
		}
	}
	fk_json_put(w, "\"", 1);
}

void fk_json_put_uint(fk_json_out *w, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char *o = fk_json_room(w, n);
	for (size_t i = 0; i < n; i++)
		o[i] = tmp[n - 1 - i];
	w->len += n;
}

void fk_json_put_number(fk_json_out *w, double v)
{
	char *o = fk_json_room(w, 32);
	if (!isfinite(v)) {
		o[0] = '0';
		w->len++;
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		if (v < 0) {
			*o = '-';
			w->len++;
			v = -v;
		}
		fk_json_put_uint(w, (uint64_t)v);
		return;
	}
	int n = snprintf(o, 32, "%.15g", v);
	if (strtod(o, NULL) != v)
		n = snprintf(o, 32, "%.17g", v);
	w->len += (size_t)n;
}
