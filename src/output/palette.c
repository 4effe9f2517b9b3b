/* palette.c: flamegraph.pl's colors (see palette.h), reimplemented from its documented
 * behaviour: the same name, palette and options give the same rgb() values. */
#define _GNU_SOURCE
#include "palette.h"

#include <errno.h>
#include <math.h>

#include "../stack/intern.h"
#include "../util/outfile.h"
#include "svg_text.h"

static const char *const palette_names[] = {
	[FK_PALETTE_HOT] = "hot",	[FK_PALETTE_MEM] = "mem",     [FK_PALETTE_IO] = "io",
	[FK_PALETTE_WAKEUP] = "wakeup", [FK_PALETTE_CHAIN] = "chain", [FK_PALETTE_JAVA] = "java",
	[FK_PALETTE_JS] = "js",		[FK_PALETTE_PERL] = "perl",   [FK_PALETTE_RED] = "red",
	[FK_PALETTE_GREEN] = "green",	[FK_PALETTE_BLUE] = "blue",   [FK_PALETTE_AQUA] = "aqua",
	[FK_PALETTE_YELLOW] = "yellow", [FK_PALETTE_PURPLE] = "purple",
	[FK_PALETTE_ORANGE] = "orange",
};

bool fk_palette_from_name(const char *name, fk_palette *out)
{
	for (size_t i = 0; i < FK_ARRAY_LEN(palette_names); i++)
		if (strcmp(name, palette_names[i]) == 0) {
			*out = (fk_palette)i;
			return true;
		}
	return false;
}

const char *fk_palette_name(fk_palette p)
{
	return (size_t)p < FK_ARRAY_LEN(palette_names) ? palette_names[p] : "?";
}

const char *fk_palette_names(void)
{
	return "hot, mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, "
	       "purple, orange";
}

size_t fk_rgb_format(fk_rgb c, char *buf)
{
	return (size_t)snprintf(buf, 24, "rgb(%u,%u,%u)", c.r, c.g, c.b);
}

/* ---- name tests used by the language palettes ---- */

static bool has(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	return n <= len && memmem(s, len, needle, n) != NULL;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return n <= len && memcmp(s + len - n, suffix, n) == 0;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return n <= len && memcmp(s, prefix, n) == 0;
}

/* java|javax|jdk|net|org|com|io|sun followed by "/", after an optional "L" */
static bool is_java_package(const char *s, size_t len)
{
	static const char *const pkgs[] = {"java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"};
	if (len && s[0] == 'L') {
		s++;
		len--;
	}
	for (size_t i = 0; i < FK_ARRAY_LEN(pkgs); i++)
		if (starts_with(s, len, pkgs[i]))
			return true;
	return false;
}

/* a "/" with ".js" somewhere after it */
static bool is_js_path(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	if (!slash)
		return false;
	size_t off = (size_t)(slash - s) + 1;
	return has(s + off, len - off, ".js");
}

/* The flat palette a language palette picks for a name. */
static fk_palette classify(fk_palette pal, const char *s, size_t len)
{
	switch (pal) {
	case FK_PALETTE_JAVA:
		if (ends_with(s, len, "_[j]"))
			return FK_PALETTE_GREEN;
		if (ends_with(s, len, "_[i]"))
			return FK_PALETTE_AQUA;
		if (is_java_package(s, len) || has(s, len, ":::"))
			return FK_PALETTE_GREEN;
		if (has(s, len, "::"))
			return FK_PALETTE_YELLOW;
		if (ends_with(s, len, "_[k]"))
			return FK_PALETTE_ORANGE;
		return FK_PALETTE_RED;
	case FK_PALETTE_PERL:
		if (has(s, len, "::"))
			return FK_PALETTE_YELLOW;
		if (has(s, len, "Perl") || has(s, len, ".pl"))
			return FK_PALETTE_GREEN;
		if (ends_with(s, len, "_[k]"))
			return FK_PALETTE_ORANGE;
		return FK_PALETTE_RED;
	case FK_PALETTE_JS:
		if (ends_with(s, len, "_[j]"))
			return memchr(s, '/', len) ? FK_PALETTE_GREEN : FK_PALETTE_AQUA;
		if (has(s, len, "::"))
			return FK_PALETTE_YELLOW;
		if (is_js_path(s, len))
			return FK_PALETTE_GREEN;
		if (memchr(s, ':', len))
			return FK_PALETTE_AQUA;
		if (len == 1 && s[0] == ' ')
			return FK_PALETTE_GREEN;
		if (has(s, len, "_[k]"))
			return FK_PALETTE_ORANGE;
		return FK_PALETTE_RED;
	case FK_PALETTE_WAKEUP:
		return FK_PALETTE_AQUA;
	case FK_PALETTE_CHAIN:
		return has(s, len, "_[w]") ? FK_PALETTE_AQUA : FK_PALETTE_BLUE;
	default:
		return pal;
	}
}

static uint8_t shade(int base, int span, double v)
{
	return (uint8_t)(base + (int)(span * v));
}

fk_rgb fk_palette_color(fk_palette pal, const char *name, size_t len, double v1, double v2,
			double v3)
{
	switch (pal) {
	case FK_PALETTE_HOT:
		return (fk_rgb){shade(205, 50, v3), shade(0, 230, v1), shade(0, 55, v2)};
	case FK_PALETTE_MEM:
		return (fk_rgb){0, shade(190, 50, v2), shade(0, 210, v1)};
	case FK_PALETTE_IO: {
		uint8_t rg = shade(80, 60, v1);
		return (fk_rgb){rg, rg, shade(190, 55, v2)};
	}
	default:
		break;
	}
	switch (classify(pal, name, len)) {
	case FK_PALETTE_RED: {
		uint8_t x = shade(50, 80, v1);
		return (fk_rgb){shade(200, 55, v1), x, x};
	}
	case FK_PALETTE_GREEN: {
		uint8_t x = shade(50, 60, v1);
		return (fk_rgb){x, shade(200, 55, v1), x};
	}
	case FK_PALETTE_BLUE: {
		uint8_t x = shade(80, 60, v1);
		return (fk_rgb){x, x, shade(205, 50, v1)};
	}
	case FK_PALETTE_YELLOW: {
		uint8_t x = shade(175, 55, v1);
		return (fk_rgb){x, x, shade(50, 20, v1)};
	}
	case FK_PALETTE_PURPLE: {
		uint8_t x = shade(190, 65, v1);
		return (fk_rgb){x, shade(80, 60, v1), x};
	}
	case FK_PALETTE_AQUA: {
		uint8_t gb = shade(165, 55, v1);
		return (fk_rgb){shade(50, 60, v1), gb, gb};
	}
	case FK_PALETTE_ORANGE:
		return (fk_rgb){shade(190, 65, v1), shade(90, 65, v1), 0};
	default:
		return (fk_rgb){0, 0, 0};
	}
}

/* ---- the drand48 generator (Perl's rand) ---- */

enum { RAND48_MASK_BITS = 48 };
#define RAND48_A 0x5DEECE66DULL
#define RAND48_C 0xBULL
#define RAND48_MASK ((1ULL << RAND48_MASK_BITS) - 1)

void fk_rand48_seed(fk_rand48 *r, uint32_t seed)
{
	r->x = ((uint64_t)seed << 16) | 0x330E;
}

double fk_rand48_next(fk_rand48 *r)
{
	r->x = (RAND48_A * r->x + RAND48_C) & RAND48_MASK;
	return ldexp((double)r->x, -RAND48_MASK_BITS);
}

double fk_drand48_first(uint32_t seed)
{
	fk_rand48 r;
	fk_rand48_seed(&r, seed);
	return fk_rand48_next(&r);
}

/* ---- per-name shades ---- */

/* Decodes name into code points: buf if it fits, else a heap array (*heap, to free). */
static uint32_t *decode_name(const char *name, size_t len, uint32_t *buf, size_t cap, size_t *n,
			     uint32_t **heap)
{
	*heap = NULL;
	uint32_t *cps = buf;
	if (len > cap)
		cps = *heap = fk_xmalloc(len * sizeof(uint32_t));
	size_t i = 0, k = 0;
	while (i < len)
		i += fk_utf8_decode(name + i, len - i, &cps[k++]);
	*n = k;
	return cps;
}

double fk_namehash(const char *name, size_t len, bool reversed)
{
	uint32_t buf[256], *heap;
	size_t n;
	uint32_t *cps = decode_name(name, len, buf, FK_ARRAY_LEN(buf), &n, &heap);
	if (reversed)
		for (size_t i = 0; i < n / 2; i++) {
			uint32_t t = cps[i];
			cps[i] = cps[n - 1 - i];
			cps[n - 1 - i] = t;
		}
	/* a module prefix "mod`func" is dropped: everything up to the first backquote that is
	 * not the first character */
	size_t start = 0;
	for (size_t i = 1; i < n; i++)
		if (cps[i] == '`') {
			start = i + 1;
			break;
		}
	double vector = 0, weight = 1, max = 1;
	unsigned mod = 10;
	for (size_t i = start; i < n; i++) {
		unsigned v = cps[i] % mod;
		vector += ((double)v / (double)(mod - 1)) * weight;
		mod++;
		max += 1 * weight;
		weight *= 0.70;
		if (mod > 12)
			break;
	}
	free(heap);
	return 1 - vector / max;
}

uint32_t fk_name_sum(const char *name, size_t len)
{
	uint32_t sum = 0;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		i += fk_utf8_decode(name + i, len - i, &cp);
		sum += cp;
	}
	return sum;
}

void fk_shades_default(const char *name, size_t len, double v[3])
{
	v[0] = v[1] = v[2] = fk_drand48_first(fk_name_sum(name, len));
}

void fk_shades_hash(const char *name, size_t len, double v[3])
{
	v[0] = fk_namehash(name, len, false);
	v[1] = v[2] = fk_namehash(name, len, true);
}

fk_rgb fk_color_scale(double delta, double max_delta, bool negate)
{
	int r = 255, g = 255, b = 255;
	if (negate)
		delta = -delta;
	if (delta > 0)
		g = b = (int)(210 * (max_delta - delta) / max_delta);
	else if (delta < 0)
		r = g = (int)(210 * (max_delta + delta) / max_delta);
	return (fk_rgb){(uint8_t)r, (uint8_t)g, (uint8_t)b};
}

bool fk_background_colors(const char *bgcolors, fk_palette pal, char *c1, char *c2)
{
	if (!bgcolors || !*bgcolors) {
		switch (pal) {
		case FK_PALETTE_MEM:
			bgcolors = "green";
			break;
		case FK_PALETTE_IO:
		case FK_PALETTE_WAKEUP:
		case FK_PALETTE_CHAIN:
			bgcolors = "blue";
			break;
		case FK_PALETTE_RED:
		case FK_PALETTE_GREEN:
		case FK_PALETTE_BLUE:
		case FK_PALETTE_AQUA:
		case FK_PALETTE_YELLOW:
		case FK_PALETTE_PURPLE:
		case FK_PALETTE_ORANGE:
			bgcolors = "grey";
			break;
		default:
			bgcolors = "yellow";
			break;
		}
	}
	static const struct {
		const char *name, *from, *to;
	} gradients[] = {
		{"yellow", "#eeeeee", "#eeeeb0"},
		{"blue", "#eeeeee", "#e0e0ff"},
		{"green", "#eef2ee", "#e0ffe0"},
		{"grey", "#f8f8f8", "#e8e8e8"},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(gradients); i++)
		if (strcmp(bgcolors, gradients[i].name) == 0) {
			strcpy(c1, gradients[i].from);
			strcpy(c2, gradients[i].to);
			return true;
		}
	if (bgcolors[0] == '#' && strlen(bgcolors) == 7 &&
	    strspn(bgcolors + 1, "0123456789abcdefABCDEF") == 6) {
		strcpy(c1, bgcolors);
		strcpy(c2, bgcolors);
		return true;
	}
	return false;
}

/* ---- palette.map ---- */

struct fk_palette_map {
	fk_interner *names;
	char **colors; /* by name id; NULL = no entry */
	size_t cap;
};

fk_palette_map *fk_palette_map_new(void)
{
	fk_palette_map *m = fk_xcalloc(1, sizeof(*m));
	m->names = fk_interner_new();
	return m;
}

void fk_palette_map_free(fk_palette_map *m)
{
	if (!m)
		return;
	size_t n = fk_interner_count(m->names);
	for (size_t i = 0; i < n && i < m->cap; i++)
		free(m->colors[i]);
	free(m->colors);
	fk_interner_free(m->names);
	free(m);
}

void fk_palette_map_set(fk_palette_map *m, const char *name, size_t len, const char *color,
			size_t color_len)
{
	fk_name_id id = fk_intern(m->names, name, len);
	if (id >= m->cap) {
		size_t old = m->cap;
		fk_grow((void **)&m->colors, sizeof(char *), &m->cap, (size_t)id + 1);
		memset(m->colors + old, 0, (m->cap - old) * sizeof(char *));
	}
	free(m->colors[id]);
	m->colors[id] = fk_xstrndup(color, color_len);
}

const char *fk_palette_map_get(fk_palette_map *m, const char *name, size_t len, size_t *color_len)
{
	fk_name_id id = fk_intern(m->names, name, len);
	if (id >= m->cap || !m->colors[id])
		return NULL;
	*color_len = strlen(m->colors[id]);
	return m->colors[id];
}

int fk_palette_map_read(fk_palette_map *m, const char *path, fk_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return fk_error_set(err, "cannot read %s: %s", path, strerror(errno));
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		if (len && line[len - 1] == '\n')
			len--;
		/* name->color; a further "->" ends the color */
		const char *arrow = memmem(line, len, "->", 2);
		if (!arrow)
			continue;
		size_t key_len = (size_t)(arrow - line);
		const char *val = arrow + 2;
		size_t val_len = len - key_len - 2;
		const char *arrow2 = memmem(val, val_len, "->", 2);
		if (arrow2)
			val_len = (size_t)(arrow2 - val);
		if (val_len == 0)
			continue;
		fk_palette_map_set(m, line, key_len, val, val_len);
	}
	bool failed = ferror(f);
	free(line);
	fclose(f);
	if (failed)
		return fk_error_set(err, "cannot read %s", path);
	return 0;
}

struct map_entry {
	const char *name;
	size_t len;
	const char *color;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int fk_palette_map_write(const fk_palette_map *m, const char *path, fk_error *err)
{
	size_t n = fk_interner_count(m->names), count = 0;
	struct map_entry *entries = fk_xmalloc((n ? n : 1) * sizeof(*entries));
	for (size_t i = 0; i < n && i < m->cap; i++) {
		if (!m->colors[i])
			continue;
		entries[count].name = fk_interner_name(m->names, (fk_name_id)i, &entries[count].len);
		entries[count].color = m->colors[i];
		count++;
	}
	qsort(entries, count, sizeof(*entries), entry_cmp);
	fk_outfile of;
	int rc = fk_outfile_open(&of, path, err);
	if (rc == 0) {
		for (size_t i = 0; i < count; i++) {
			fwrite(entries[i].name, 1, entries[i].len, of.fp);
			fprintf(of.fp, "->%s\n", entries[i].color);
		}
		rc = fk_outfile_commit(&of, err);
	}
	free(entries);
	return rc;
}
