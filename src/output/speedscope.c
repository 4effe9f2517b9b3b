/* speedscope.c: writes a profile in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): one "sampled" profile whose
 * samples are the profile's stacks (frame indexes, root first) in folded order, weighted
 * by their counts; shared.frames holds each distinct frame name once. The JSON is written
 * by hand through a buffer (a profile may hold millions of frames). Names are bytes, JSON
 * strings are Unicode: quotes, backslashes and control bytes are escaped (so they come
 * back as they were), and each byte that is not part of valid UTF-8 becomes U+FFFD. A
 * comparison (diff) profile writes its "after" counts. */
#include "speedscope.h"

#include <errno.h>
#include <math.h>

struct json_out {
	FILE *out;
	char *buf;
	size_t len, cap;
	bool failed;
};

static void flush_out(struct json_out *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

/* Makes room for n more bytes (n must be small next to cap). */
static inline char *room(struct json_out *w, size_t n)
{
	if (w->len + n > w->cap)
		flush_out(w);
	return w->buf + w->len;
}

static void put(struct json_out *w, const char *s, size_t n)
{
	if (n > w->cap / 2) {
		flush_out(w);
		if (fwrite(s, 1, n, w->out) != n)
			w->failed = true;
		return;
	}
	memcpy(room(w, n), s, n);
	w->len += n;
}

static void put_str(struct json_out *w, const char *s)
{
	put(w, s, strlen(s));
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

/* s[0..n) as a JSON string, quotes included. */
static void put_json_string(struct json_out *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	put(w, "\"", 1);
	size_t i = 0;
	while (i < n) {
		/* the run of bytes that need nothing */
		size_t j = i;
		while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\')
			j++;
		if (j > i) {
			put(w, (const char *)s + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = s[i];
		char *o = room(w, 6);
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
	put(w, "\"", 1);
}

static void put_uint(struct json_out *w, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char *o = room(w, n);
	for (size_t i = 0; i < n; i++)
		o[i] = tmp[n - 1 - i];
	w->len += n;
}

/* A count as a JSON number that reads back as the same double: integers in full, other
 * values with as few digits as give the same double. Non-finite counts (never made by a
 * reader) become 0, as JSON has no such numbers. */
static void put_number(struct json_out *w, double v)
{
	char *o = room(w, 32);
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
		put_uint(w, (uint64_t)v);
		return;
	}
	int n = snprintf(o, 32, "%.15g", v);
	if (strtod(o, NULL) != v)
		n = snprintf(o, 32, "%.17g", v);
	w->len += (size_t)n;
}

/* speedscope's unit for the profile's ("none" for counts of samples or events). */
static const char *speedscope_unit(const fk_profile *p)
{
	static const char *const units[] = {"nanoseconds", "microseconds", "milliseconds", "seconds",
					    "bytes"};
	const char *unit = fk_profile_get_meta(p)->unit;
	for (size_t i = 0; i < FK_ARRAY_LEN(units); i++)
		if (strcmp(unit, units[i]) == 0)
			return units[i];
	return "none";
}

struct sample_writer {
	struct json_out *w;
	const uint32_t *frame_of_name; /* name id -> frame index */
	double *weights;               /* one per stack, in walk order */
	size_t count, cap;
};

static int write_sample(const fk_profile *p, const fk_name_id *names, size_t depth,
			fk_node_id node, void *ctx)
{
	struct sample_writer *sw = ctx;
	struct json_out *w = sw->w;
	put(w, sw->count ? ",[" : "[", sw->count ? 2 : 1);
	for (size_t i = 0; i < depth; i++) {
		if (i)
			put(w, ",", 1);
		put_uint(w, sw->frame_of_name[names[i]]);
	}
	put(w, "]", 1);
	if (sw->count == sw->cap)
		fk_grow((void **)&sw->weights, sizeof(double), &sw->cap, sw->count + 1);
	sw->weights[sw->count++] = fk_profile_node(p, node)->self;
	return w->failed ? -1 : 0;
}

int fk_write_speedscope(const fk_profile *p, const char *name, FILE *out, fk_error *err)
{
	struct json_out w = {.out = out, .cap = 1 << 16};
	w.buf = fk_xmalloc(w.cap);
	/* The frames: the names of the nodes on the way to some stack's end, numbered in
	 * node order. A child's id is always above its parent's, so one backward pass marks
	 * every node that leads to a leaf. */
	size_t nnodes = fk_profile_node_count(p);
	bool *used = fk_xcalloc(nnodes ? nnodes : 1, sizeof(bool));
	fk_name_id max_name = 0;
	for (size_t i = nnodes; i-- > 1;) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (n->flags & FK_NODE_LEAF)
			used[i] = true;
		if (used[i]) {
			used[n->parent] = true;
			if (n->name > max_name)
				max_name = n->name;
		}
	}
	uint32_t *frame_of_name = fk_xmalloc(((size_t)max_name + 1) * sizeof(uint32_t));
	memset(frame_of_name, 0xff, ((size_t)max_name + 1) * sizeof(uint32_t));
	uint32_t nframes = 0;

	put_str(&w, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
		    "\"exporter\":\"flamekit " FK_VERSION "\",\n\"name\":");
	put_json_string(&w, name, strlen(name));
	put_str(&w, ",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[");
	for (size_t i = 1; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (!used[i] || frame_of_name[n->name] != UINT32_MAX)
			continue;
		frame_of_name[n->name] = nframes;
		size_t len;
		const char *s = fk_profile_name(p, n->name, &len);
		put_str(&w, nframes ? ",\n{\"name\":" : "\n{\"name\":");
		put_json_string(&w, s, len);
		put(&w, "}", 1);
		nframes++;
	}
	put_str(&w, "]},\n\"profiles\":[{\"type\":\"sampled\",\"name\":");
	put_json_string(&w, name, strlen(name));
	put_str(&w, ",\"unit\":\"");
	put_str(&w, speedscope_unit(p));
	put_str(&w, "\",\"startValue\":0,\"endValue\":");
	put_number(&w, fk_profile_total(p));
	put_str(&w, ",\n\"samples\":[");
	struct sample_writer sw = {.w = &w, .frame_of_name = frame_of_name};
	int rc = fk_profile_walk(p, FK_ORDER_STACKS, write_sample, &sw);
	if (rc == 0) {
		put_str(&w, "],\n\"weights\":[");
		for (size_t i = 0; i < sw.count; i++) {
			if (i)
				put(&w, ",", 1);
			put_number(&w, sw.weights[i]);
		}
		put_str(&w, "]}]}\n");
		flush_out(&w);
	}
	free(sw.weights);
	free(frame_of_name);
	free(used);
	free(w.buf);
	if (rc || w.failed || fflush(out) != 0 || ferror(out))
		return fk_error_set(err, "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
