/* svg_text.c: buffered SVG output, Perl-exact number formatting, UTF-8 decoding, XML and
 * JSON escaping, label truncation (see svg_text.h). */
#include "svg_text.h"

#include <math.h>
#include <stdarg.h>

#include "../stack/profile.h"

enum { SVGBUF_SIZE = 1 << 16 };

void fk_svgbuf_init(fk_svgbuf *b, FILE *out)
{
	b->out = out;
	b->cap = SVGBUF_SIZE;
	b->data = fk_xmalloc(b->cap);
	b->len = 0;
	b->failed = false;
}

int fk_svgbuf_flush(fk_svgbuf *b)
{
	if (b->len && !b->failed && fwrite(b->data, 1, b->len, b->out) != b->len)
		b->failed = true;
	b->len = 0;
	return b->failed ? -1 : 0;
}

int fk_svgbuf_close(fk_svgbuf *b)
{
	int rc = fk_svgbuf_flush(b);
	free(b->data);
	b->data = NULL;
	b->cap = 0;
	return rc;
}

void fk_svgbuf_put(fk_svgbuf *b, const char *s, size_t len)
{
	if (b->cap - b->len < len) {
		fk_svgbuf_flush(b);
		if (len > b->cap) {
			if (!b->failed && fwrite(s, 1, len, b->out) != len)
				b->failed = true;
			return;
		}
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

void fk_svgbuf_puts(fk_svgbuf *b, const char *s)
{
	fk_svgbuf_put(b, s, strlen(s));
}

void fk_svgbuf_printf(fk_svgbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		fk_svgbuf_put(b, small, (size_t)n);
		return;
	}
	char *big = fk_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fk_svgbuf_put(b, big, (size_t)n);
	free(big);
}

/* ---- numbers ---- */

static size_t format_nonfinite(double v, char *buf)
{
	const char *s = isnan(v) ? "NaN" : v < 0 ? "-Inf" : "Inf";
	size_t n = strlen(s);
	memcpy(buf, s, n + 1);
	return n;
}

size_t fk_format_fixed(double v, unsigned decimals, char *buf, double *scaled)
{
	static const double scale[] = {1.0, 10.0, 100.0, 1000.0};
	if (!isfinite(v)) {
		if (scaled)
			*scaled = v;
		return format_nonfinite(v, buf);
	}
	if (decimals > 3 || fabs(v) >= 1e12) {
		/* rare: let the C library do it (it rounds the same way) */
		int n = snprintf(buf, FK_NUM_BUF, "%.*f", (int)decimals, v);
		if (scaled)
			*scaled = strtod(buf, NULL) * (decimals <= 3 ? scale[decimals] : pow(10, decimals));
		return n < 0 ? 0 : (size_t)n < FK_NUM_BUF ? (size_t)n : FK_NUM_BUF - 1;
	}
	bool neg = signbit(v);
	double a = fabs(v), s = scale[decimals];
	/* k = the exact floor of a*s; a*s - c is computed with one rounding by fma, so its
	 * sign is exact: that settles the floor and the tie without error. */
	double k = floor(a * s);
	if (fma(a, s, -k) < 0)
		k -= 1;
	else if (fma(a, s, -(k + 1)) >= 0)
		k += 1;
	double r = fma(a, s, -(k + 0.5));
	if (r > 0 || (r == 0 && fmod(k, 2.0) != 0))
		k += 1;
	if (scaled)
		*scaled = neg ? -k : k;
	uint64_t n = (uint64_t)k;
	char tmp[32];
	unsigned nd = 0;
	do {
		tmp[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n || nd <= decimals);
	size_t o = 0;
	if (neg)
		buf[o++] = '-';
	for (unsigned i = nd; i > decimals; i--)
		buf[o++] = tmp[i - 1];
	if (decimals) {
		buf[o++] = '.';
		for (unsigned i = decimals; i > 0; i--)
			buf[o++] = tmp[i - 1];
	}
	buf[o] = '\0';
	return o;
}

size_t fk_format_perl_number(double v, char *buf)
{
	if (!isfinite(v))
		return format_nonfinite(v, buf);
	return fk_format_count(v, buf);
}

double fk_perl_number_roundtrip(double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return v;
	if (!isfinite(v))
		return v;
	char buf[FK_NUM_BUF];
	fk_format_perl_number(v, buf);
	return strtod(buf, NULL);
}

size_t fk_format_thousands(char *buf, size_t len)
{
	size_t start = (len && (buf[0] == '-' || buf[0] == '+')) ? 1 : 0;
	size_t digits = 0;
	while (start + digits < len && buf[start + digits] >= '0' && buf[start + digits] <= '9')
		digits++;
	if (digits <= 3)
		return len;
	size_t commas = (digits - 1) / 3;
	if (len + commas >= FK_NUM_BUF)
		return len;
	/* move from the end, inserting a comma before each group of three */
	size_t src = len, dst = len + commas;
	buf[dst] = '\0';
	size_t int_end = start + digits;
	while (src > int_end)
		buf[--dst] = buf[--src];
	size_t run = 0;
	while (src > start) {
		buf[--dst] = buf[--src];
		if (++run % 3 == 0 && src > start)
			buf[--dst] = ',';
	}
	return len + commas;
}

/* ---- text ---- */

size_t fk_utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t need;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len < need) {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = v;
	return need;
}

size_t fk_utf8_length(const char *s, size_t len)
{
	size_t n = 0, i = 0;
	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
		} else {
			uint32_t cp;
			i += fk_utf8_decode(s + i, len - i, &cp);
		}
		n++;
	}
	return n;
}

static void put_replacement(fk_svgbuf *b)
{
	fk_svgbuf_put(b, "\xef\xbf\xbd", 3);
}

void fk_svgbuf_put_escaped(fk_svgbuf *b, const char *s, size_t len, unsigned flags)
{
	size_t i = 0, run = 0; /* s[run..i) is plain text not yet written */
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>' &&
		    (c != '"' || !(flags & FK_ESCAPE_QUOTES))) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			size_t n = fk_utf8_decode(s + i, len - i, &cp);
			bool bad = (cp == 0xfffd && n == 1) || cp == 0xfffe || cp == 0xffff;
			if (!bad) {
				i += n;
				continue;
			}
			fk_svgbuf_put(b, s + run, i - run);
			put_replacement(b);
			i += n;
			run = i;
			continue;
		}
		fk_svgbuf_put(b, s + run, i - run);
		switch (c) {
		case '&':
			fk_svgbuf_put(b, "&amp;", 5);
			break;
		case '<':
			fk_svgbuf_put(b, "&lt;", 4);
			break;
		case '>':
			fk_svgbuf_put(b, "&gt;", 4);
			break;
		case '"':
			fk_svgbuf_put(b, "&quot;", 6);
			break;
		case '\t':
			fk_svgbuf_putc(b, '\t');
			break;
		default: /* other control characters are not allowed in XML 1.0 */
			put_replacement(b);
			break;
		}
		i++;
		run = i;
	}
	fk_svgbuf_put(b, s + run, i - run);
}

void fk_svgbuf_put_json_string(fk_svgbuf *b, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t n = fk_utf8_decode(s + i, len - i, &cp);
			if ((cp == 0xfffd && n == 1) || cp == 0x2028 || cp == 0x2029)
				fk_svgbuf_printf(b, "\\u%04x", (unsigned)cp);
			else
				fk_svgbuf_put(b, s + i, n);
			i += n;
			continue;
		}
		if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == ']') {
			if (c == '"' || c == '\\')
				fk_svgbuf_printf(b, "\\%c", c);
			else
				fk_svgbuf_printf(b, "\\u%04x", c);
		} else {
			fk_svgbuf_putc(b, (char)c);
		}
		i++;
	}
}

size_t fk_strip_annotation(const char *s, size_t len)
{
	if (len >= 4 && s[len - 4] == '_' && s[len - 3] == '[' && s[len - 1] == ']' &&
	    (s[len - 2] == 'k' || s[len - 2] == 'w' || s[len - 2] == 'i' || s[len - 2] == 'j'))
		return len - 4;
	return len;
}

bool fk_label_truncate(const char *s, size_t len, double max_chars, size_t *prefix_len)
{
	*prefix_len = 0;
	if (!(max_chars >= 3))
		return false;
	size_t n = fk_utf8_length(s, len);
	if (max_chars >= (double)n) {
		*prefix_len = len;
		return false;
	}
	size_t keep = (size_t)max_chars - 2, i = 0;
	for (size_t k = 0; k < keep; k++) {
		uint32_t cp;
		i += fk_utf8_decode(s + i, len - i, &cp);
	}
	*prefix_len = i;
	return true;
}
