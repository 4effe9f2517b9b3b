/* flamegraph.c: the flame graph writer (see flamegraph.h).
 *
 * How frames are found, following flamegraph.pl's algorithm:
 *   1. The stacks are taken in the order of their sorted folded lines (or input order for
 *      a flame chart), after the optional rewrites of flame_stacks.h.
 *   2. "Flow": walking that sequence, the frames a stack shares with the previous one
 *      (same names from the root) stay open; the others are closed at the current time
 *      and the new ones opened. Sorting whole lines can separate a frame's children (a;b
 *      then a;b!x then a;b;c), so the same name can be drawn twice — as flamegraph.pl does.
 *   3. flamegraph.pl stores closed frames keyed by "name;depth;end time"; a later frame
 *      with the same key (possible only between zero-width stacks) replaces the earlier
 *      one's start. Frames closed at one time are held in a small group and resolved the
 *      same way before they are passed on.
 *   4. Frames narrower than --minwidth are dropped; the deepest frame left sets the height.
 * The flow runs once to measure the height, keeping the frames that will be drawn; if
 * there are very many (--minwidth 0 on a huge profile), it runs again to draw instead, so
 * memory stays bounded by the stack sequence plus one open path, whatever the input. */
#include "flamegraph.h"

#include <math.h>

#include "../stack/filter.h"
#include "flame_stacks.h"
#include "nameattr.h"
#include "svg_text.h"
#include "viewer_assets.h"

#ifndef FK_VERSION
#define FK_VERSION "dev"
#endif

enum { XPAD = 10, FRAMEPAD = 1 };

void fk_flamegraph_options_init(fk_flamegraph_options *o)
{
	memset(o, 0, sizeof(*o));
	o->count_name = "samples";
	o->name_type = "Function:";
	o->width = 1200;
	o->frame_height = 16;
	o->font_size = 12;
	o->font_width = 0.59;
	o->font_type = "Verdana";
	o->min_width = 0.1;
	o->palette = FK_PALETTE_HOT;
	o->search_color = "rgb(230,0,230)";
	o->factor = 1;
}

static bool positive(double v)
{
	return isfinite(v) && v > 0;
}

int fk_flamegraph_check_options(const fk_flamegraph_options *o, fk_error *err)
{
	if (o->width <= 2 * XPAD || o->width > 10000000)
		return fk_error_set(err, "--width must be more than %d pixels (got %u)", 2 * XPAD,
				    o->width);
	if (!positive(o->frame_height))
		return fk_error_set(err, "--height must be a positive number");
	if (!positive(o->font_size))
		return fk_error_set(err, "--fontsize must be a positive number");
	if (!positive(o->font_width))
		return fk_error_set(err, "--fontwidth must be a positive number");
	if (!isfinite(o->min_width) || o->min_width < 0)
		return fk_error_set(err, "--minwidth must be a number of pixels or a percentage");
	if (!isfinite(o->factor) || o->factor <= 0)
		return fk_error_set(err, "--factor must be a positive number");
	if (!isfinite(o->total) || o->total < 0)
		return fk_error_set(err, "--total must be a positive number");
	if (o->notes && strpbrk(o->notes, "<>"))
		return fk_error_set(err, "--notes can't contain < or >");
	if (o->encoding && (!*o->encoding || strspn(o->encoding, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						       "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
						       strlen(o->encoding)))
		return fk_error_set(err, "--encoding '%s' is not an encoding name", o->encoding);
	char c1[8], c2[8];
	if (!fk_background_colors(o->bgcolors, o->palette, c1, c2))
		return fk_error_set(err, "unknown --bgcolors '%s' (yellow, blue, green, grey or #rrggbb)",
				    o->bgcolors);
	fk_sample_filter filter;
	if (fk_sample_filter_init(&filter, o->focus, o->ignore, err) < 0)
		return -1;
	fk_sample_filter_free(&filter);
	return 0;
}

/* ---- the layout: flow over the stack sequence ---- */

typedef struct fg_frame {
	fk_node_id node;
	uint32_t depth;
	double stime, etime, delta;
} fg_frame;

typedef void (*frame_sink)(void *ctx, const fg_frame *f);

typedef struct fg_layout {
	const fk_profile *p;
	const fk_stack_ref *seq;
	size_t nseq;
	bool has_delta;
	uint32_t *depth_of; /* per node */
	size_t max_depth;
	/* the open path */
	fk_node_id *open_node;
	double *open_stime, *open_delta;
	size_t open_len;
	/* frames closed at the same (stringified) time, not yet passed on */
	fg_frame *group;
	size_t group_len, group_cap, group_steps, group_last_step;
	double group_key;
	size_t *order; /* scratch for resolving a group */
	size_t order_cap;
	frame_sink sink;
	void *sink_ctx;
} fg_layout;

static void layout_init(fg_layout *L, const fk_profile *p, const fk_stack_ref *seq, size_t nseq)
{
	memset(L, 0, sizeof(*L));
	L->p = p;
	L->seq = seq;
	L->nseq = nseq;
	L->has_delta = fk_profile_has_before(p);
	size_t n = fk_profile_node_count(p);
	L->depth_of = fk_xmalloc(n * sizeof(uint32_t));
	L->depth_of[0] = 0;
	for (size_t i = 1; i < n; i++) {
		/* nodes come after their parents */
		uint32_t d = L->depth_of[fk_profile_node(p, (fk_node_id)i)->parent] + 1;
		L->depth_of[i] = d;
		if (d > L->max_depth)
			L->max_depth = d;
	}
	L->open_node = fk_xmalloc((L->max_depth + 1) * sizeof(fk_node_id));
	L->open_stime = fk_xmalloc((L->max_depth + 1) * sizeof(double));
	L->open_delta = fk_xmalloc((L->max_depth + 1) * sizeof(double));
}

static void layout_free(fg_layout *L)
{
	free(L->depth_of);
	free(L->open_node);
	free(L->open_stime);
	free(L->open_delta);
	free(L->group);
	free(L->order);
}

/* Orders group indexes by (depth, name, position). */
static int group_cmp_r(const fg_layout *L, size_t a, size_t b)
{
	const fg_frame *x = &L->group[a], *y = &L->group[b];
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	fk_name_id nx = fk_profile_node(L->p, x->node)->name, ny = fk_profile_node(L->p, y->node)->name;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Insertion-merge sort on indexes, without global state (groups are tiny, except for
 * inputs with long runs of zero counts, where this stays O(n log n)). */
static void sort_group(const fg_layout *L, size_t *idx, size_t *tmp, size_t n)
{
	if (n < 2)
		return;
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			size_t v = idx[i], j = i;
			while (j > 0 && group_cmp_r(L, idx[j - 1], v) > 0) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = v;
		}
		return;
	}
	size_t h = n / 2;
	sort_group(L, idx, tmp, h);
	sort_group(L, idx + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = group_cmp_r(L, idx[i], idx[j]) <= 0 ? idx[i++] : idx[j++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof(size_t));
}

#define DEAD_DEPTH UINT32_MAX

static void flush_group(fg_layout *L)
{
	if (L->group_len == 0)
		return;
	if (L->group_steps > 1) {
		/* same name and depth closed twice at this time: flamegraph.pl keeps one frame,
		 * at the first one's place, with the last one's start (and change) */
		size_t n = L->group_len;
		fk_grow((void **)&L->order, sizeof(size_t), &L->order_cap, 2 * n);
		size_t *idx = L->order, *tmp = L->order + n;
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		sort_group(L, idx, tmp, n);
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;
			fk_name_id name = fk_profile_node(L->p, L->group[idx[i]].node)->name;
			while (j < n && L->group[idx[j]].depth == L->group[idx[i]].depth &&
			       fk_profile_node(L->p, L->group[idx[j]].node)->name == name)
				j++;
			if (j - i > 1) {
				fg_frame *first = &L->group[idx[i]];
				const fg_frame *last = &L->group[idx[j - 1]];
				first->stime = last->stime;
				first->delta = last->delta;
				for (size_t k = i + 1; k < j; k++)
					L->group[idx[k]].depth = DEAD_DEPTH;
			}
			i = j;
		}
	}
	for (size_t i = 0; i < L->group_len; i++)
		if (L->group[i].depth != DEAD_DEPTH)
			L->sink(L->sink_ctx, &L->group[i]);
	L->group_len = 0;
}

static void close_frame(fg_layout *L, size_t depth, double etime_key, size_t step)
{
	if (L->group_len && etime_key != L->group_key)
		flush_group(L);
	if (L->group_len == 0) {
		L->group_key = etime_key;
		L->group_steps = 0;
		L->group_last_step = SIZE_MAX;
	}
	if (step != L->group_last_step) {
		L->group_steps++;
		L->group_last_step = step;
	}
	fk_grow((void **)&L->group, sizeof(fg_frame), &L->group_cap, L->group_len + 1);
	L->group[L->group_len++] = (fg_frame){L->open_node[depth], (uint32_t)depth,
					      L->open_stime[depth], etime_key, L->open_delta[depth]};
}

#define END_OF_STACKS UINT32_MAX

/* One step of the flow: the stack ending at node starts at time now. */
static void flow_step(fg_layout *L, fk_node_id node, double now, double delta, size_t step)
{
	size_t common = 0, depth = 0;
	if (node != END_OF_STACKS) {
		depth = L->depth_of[node];
		for (fk_node_id x = node;; x = fk_profile_node(L->p, x)->parent) {
			uint32_t dx = L->depth_of[x];
			if (dx < L->open_len && L->open_node[dx] == x) {
				common = dx + 1;
				break;
			}
			if (x == FK_ROOT)
				break;
		}
	}
	if (L->open_len > common) {
		/* flamegraph.pl keys frames by the end time as it prints it */
		double key = fk_perl_number_roundtrip(now);
		for (size_t i = L->open_len; i-- > common;)
			close_frame(L, i, key, step);
	}
	if (node == END_OF_STACKS) {
		L->open_len = 0;
		return;
	}
	fk_node_id x = node;
	for (size_t i = depth + 1; i-- > common;) {
		L->open_node[i] = x;
		L->open_stime[i] = now;
		L->open_delta[i] = i == depth ? delta : 0;
		x = fk_profile_node(L->p, x)->parent;
	}
	L->open_len = depth + 1;
}

static void run_flow(fg_layout *L, frame_sink sink, void *ctx)
{
	L->sink = sink;
	L->sink_ctx = ctx;
	L->open_len = 0;
	L->group_len = 0;
	double now = 0;
	for (size_t s = 0; s < L->nseq; s++) {
		const fk_stack_ref *r = &L->seq[s];
		flow_step(L, r->node, now, L->has_delta ? r->count - r->before : 0, s);
		now += r->count;
	}
	flow_step(L, END_OF_STACKS, now, 0, L->nseq);
	flush_group(L);
}

/* ---- drawing ---- */

typedef struct fg_draw {
	const fk_flamegraph_options *o;
	const fk_profile *p;
	fk_svgbuf *out;
	bool has_delta;
	double timemax, width_per_time, min_width_time, max_delta;
	double image_height, ypad1, ypad2;
	size_t depth_max, frames;
	fk_nameattr *nameattr;
	fk_palette_map *palette_map;
	fk_rand48 rand;
	uint32_t *color_cache; /* by name id (+1 slot for the root's ""): 0 = not yet, else rgb|1<<24 */
	size_t color_cache_len;
	/* frames kept by the measuring pass, drawn without a second flow unless too many */
	fg_frame *kept;
	size_t kept_len, kept_cap;
	bool kept_overflow;
} fg_draw;

/* Frames the measuring pass keeps for drawing (32 bytes each); beyond this the flow runs
 * a second time instead, so memory stays bounded for any input. */
enum { KEPT_FRAMES_MAX = 2 * 1024 * 1024 };

static void measure_frame(void *ctx, const fg_frame *f)
{
	fg_draw *d = ctx;
	if (f->etime - f->stime < d->min_width_time)
		return;
	if (f->depth > d->depth_max)
		d->depth_max = f->depth;
	d->frames++;
	if (d->kept_overflow)
		return;
	if (d->kept_len == KEPT_FRAMES_MAX) {
		d->kept_overflow = true;
		free(d->kept);
		d->kept = NULL;
		d->kept_len = d->kept_cap = 0;
		return;
	}
	fk_grow((void **)&d->kept, sizeof(fg_frame), &d->kept_cap, d->kept_len + 1);
	d->kept[d->kept_len++] = *f;
}

static bool perl_true(const char *s)
{
	return s && *s && strcmp(s, "0") != 0;
}

static void put_num(fk_svgbuf *b, double v)
{
	char buf[FK_NUM_BUF];
	fk_svgbuf_put(b, buf, fk_format_perl_number(v, buf));
}

static void put_fixed(fk_svgbuf *b, double v, unsigned decimals)
{
	char buf[FK_NUM_BUF];
	fk_svgbuf_put(b, buf, fk_format_fixed(v, decimals, buf, NULL));
}

static void compute_shades(fg_draw *d, const char *name, size_t len, double v[3])
{
	if (d->o->hash) {
		fk_shades_hash(name, len, v);
	} else if (d->o->random) {
		v[0] = fk_rand48_next(&d->rand);
		v[1] = fk_rand48_next(&d->rand);
		v[2] = fk_rand48_next(&d->rand);
	} else {
		fk_shades_default(name, len, v);
	}
}

static fk_rgb palette_color(fg_draw *d, const char *name, size_t len)
{
	double v[3];
	compute_shades(d, name, len, v);
	return fk_palette_color(d->o->palette, name, len, v[0], v[1], v[2]);
}

/* The fill of a frame, written to the output. */
static void put_fill(fg_draw *d, const fg_frame *f, fk_name_id name_id, const char *name, size_t len)
{
	fk_svgbuf *b = d->out;
	char buf[24];
	if (len == 2 && memcmp(name, "--", 2) == 0) {
		fk_svgbuf_puts(b, "rgb(160,160,160)");
		return;
	}
	if (len == 1 && name[0] == '-') {
		fk_svgbuf_puts(b, "rgb(200,200,200)");
		return;
	}
	if (d->has_delta) {
		fk_svgbuf_put(b, buf, fk_rgb_format(fk_color_scale(f->delta, d->max_delta, d->o->negate), buf));
		return;
	}
	if (d->palette_map) {
		size_t clen;
		const char *c = fk_palette_map_get(d->palette_map, name, len, &clen);
		if (!c) {
			size_t n = fk_rgb_format(palette_color(d, name, len), buf);
			fk_palette_map_set(d->palette_map, name, len, buf, n);
			c = buf;
			clen = n;
		}
		fk_svgbuf_put_escaped(b, c, clen, FK_ESCAPE_QUOTES);
		return;
	}
	if (d->o->random) {
		fk_svgbuf_put(b, buf, fk_rgb_format(palette_color(d, name, len), buf));
		return;
	}
	size_t slot = f->depth == 0 ? d->color_cache_len - 1 : name_id;
	uint32_t c = slot < d->color_cache_len ? d->color_cache[slot] : 0;
	fk_rgb rgb;
	if (c) {
		rgb = (fk_rgb){(uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
	} else {
		rgb = palette_color(d, name, len);
		if (slot < d->color_cache_len)
			d->color_cache[slot] = 1u << 24 | (uint32_t)rgb.r << 16 | (uint32_t)rgb.g << 8 | rgb.b;
	}
	fk_svgbuf_put(b, buf, fk_rgb_format(rgb, buf));
}

static void put_attr(fk_svgbuf *b, const char *key, const char *value)
{
	fk_svgbuf_putc(b, ' ');
	fk_svgbuf_puts(b, key);
	fk_svgbuf_puts(b, "=\"");
	fk_svgbuf_puts(b, value);
	fk_svgbuf_putc(b, '"');
}

static void draw_frame(void *ctx, const fg_frame *f)
{
	fg_draw *d = ctx;
	if (f->etime - f->stime < d->min_width_time)
		return;
	const fk_flamegraph_options *o = d->o;
	fk_svgbuf *b = d->out;
	bool is_root = f->depth == 0;
	fk_name_id name_id = fk_profile_node(d->p, f->node)->name;
	size_t len = 0;
	const char *name = is_root ? "" : fk_profile_name(d->p, name_id, &len);
	size_t shown_len = fk_strip_annotation(name, len);

	double etime = is_root ? d->timemax : f->etime;
	double x1 = XPAD + f->stime * d->width_per_time;
	double x2 = XPAD + etime * d->width_per_time;
	double y1, y2;
	if (!o->inverted) {
		y1 = d->image_height - d->ypad2 - (f->depth + 1) * o->frame_height + FRAMEPAD;
		y2 = d->image_height - d->ypad2 - f->depth * o->frame_height;
	} else {
		y1 = d->ypad1 + f->depth * o->frame_height;
		y2 = d->ypad1 + (f->depth + 1) * o->frame_height - FRAMEPAD;
	}

	const fk_name_attrs *attrs = d->nameattr ? fk_nameattr_find(d->nameattr, name, len) : NULL;
	bool link = attrs && perl_true(attrs->href);
	if (link) {
		fk_svgbuf_puts(b, "<a");
		put_attr(b, "xlink:href", attrs->href);
		put_attr(b, "target", perl_true(attrs->target) ? attrs->target : "_top");
		if (perl_true(attrs->a_extra)) {
			fk_svgbuf_putc(b, ' ');
			fk_svgbuf_puts(b, attrs->a_extra);
		}
	} else {
		fk_svgbuf_puts(b, "<g");
	}
	if (attrs) {
		if (attrs->id)
			put_attr(b, "id", attrs->id);
		if (attrs->class_name)
			put_attr(b, "class", attrs->class_name);
		if (perl_true(attrs->g_extra)) {
			fk_svgbuf_putc(b, ' ');
			fk_svgbuf_puts(b, attrs->g_extra);
		}
	}
	fk_svgbuf_puts(b, ">\n<title>");

	/* tooltip: "name (1,234 samples, 5.67%)" [+ "; +1.23%" for a comparison] */
	if (attrs && perl_true(attrs->title)) {
		fk_svgbuf_puts(b, attrs->title);
	} else {
		char samples[FK_NUM_BUF];
		double samples_value;
		size_t n = fk_format_fixed((etime - f->stime) * o->factor, 0, samples, &samples_value);
		n = fk_format_thousands(samples, n);
		if (is_root) {
			fk_svgbuf_puts(b, "all (");
		} else {
			fk_svgbuf_put_escaped(b, name, shown_len, FK_ESCAPE_QUOTES);
			fk_svgbuf_puts(b, " (");
		}
		fk_svgbuf_put(b, samples, n);
		fk_svgbuf_putc(b, ' ');
		fk_svgbuf_put_escaped(b, o->count_name, strlen(o->count_name), FK_ESCAPE_QUOTES);
		if (is_root) {
			fk_svgbuf_puts(b, ", 100%)");
		} else {
			fk_svgbuf_puts(b, ", ");
			put_fixed(b, (100 * samples_value) / (d->timemax * o->factor), 2);
			fk_svgbuf_putc(b, '%');
			if (d->has_delta) {
				double change = o->negate ? -f->delta : f->delta;
				if (change == 0)
					change = 0; /* Perl negates integer 0 to 0, never -0 */
				fk_svgbuf_puts(b, "; ");
				if (change > 0)
					fk_svgbuf_putc(b, '+');
				put_fixed(b, (100 * change) / (d->timemax * o->factor), 2);
				fk_svgbuf_putc(b, '%');
			}
			fk_svgbuf_putc(b, ')');
		}
	}

	/* rect: x and x2 printed with one decimal; the width is the difference of the
	 * printed values */
	char x1s[FK_NUM_BUF], x2s[FK_NUM_BUF];
	double x1_tenths, x2_tenths;
	size_t x1n = fk_format_fixed(x1, 1, x1s, &x1_tenths);
	fk_format_fixed(x2, 1, x2s, &x2_tenths);
	fk_svgbuf_puts(b, "</title><rect x=\"");
	fk_svgbuf_put(b, x1s, x1n);
	fk_svgbuf_puts(b, "\" y=\"");
	put_num(b, y1);
	fk_svgbuf_puts(b, "\" width=\"");
	put_fixed(b, x2_tenths / 10 - x1_tenths / 10, 1);
	fk_svgbuf_puts(b, "\" height=\"");
	put_fixed(b, y2 - y1, 1);
	fk_svgbuf_puts(b, "\" fill=\"");
	put_fill(d, f, name_id, name, len);
	fk_svgbuf_puts(b, "\" rx=\"2\" ry=\"2\" />\n<text x=\"");
	put_fixed(b, x1 + 3, 2);
	fk_svgbuf_puts(b, "\" y=\"");
	put_num(b, 3 + (y1 + y2) / 2);
	fk_svgbuf_puts(b, "\">");
	double chars = trunc((x2 - x1) / (o->font_size * o->font_width));
	size_t prefix;
	bool dots = fk_label_truncate(name, shown_len, chars, &prefix);
	fk_svgbuf_put_escaped(b, name, prefix, 0);
	if (dots)
		fk_svgbuf_put(b, "..", 2);
	fk_svgbuf_puts(b, link ? "</text>\n</a>\n" : "</text>\n</g>\n");
	d->frames++;
}

/* ---- the document around the frames ---- */

static void put_xml_header(fk_svgbuf *b, const fk_flamegraph_options *o, double height)
{
	fk_svgbuf_puts(b, "<?xml version=\"1.0\"");
	if (o->encoding) {
		fk_svgbuf_puts(b, " encoding=\"");
		fk_svgbuf_puts(b, o->encoding);
		fk_svgbuf_putc(b, '"');
	}
	fk_svgbuf_puts(b, " standalone=\"no\"?>\n"
			  "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
			  "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n");
	fk_svgbuf_printf(b, "<svg version=\"1.1\" width=\"%u\" height=\"", o->width);
	put_num(b, height);
	fk_svgbuf_printf(b, "\" viewBox=\"0 0 %u ", o->width);
	put_num(b, height);
	fk_svgbuf_puts(b, "\" xmlns=\"http://www.w3.org/2000/svg\" "
			  "xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"
			  "<!-- Flame graph drawn by flamekit " FK_VERSION
			  " (frames as flamegraph.pl draws them: https://github.com/brendangregg/FlameGraph). -->\n");
	/* XML comments may not contain "--" */
	fk_svgbuf_puts(b, "<!-- NOTES: ");
	const char *notes = o->notes ? o->notes : "";
	for (const char *c = notes; *c; c++) {
		if (*c == '-' && (c[1] == '-' || c[1] == '\0'))
			fk_svgbuf_puts(b, "- ");
		else
			fk_svgbuf_putc(b, *c);
	}
	fk_svgbuf_puts(b, " -->\n");
}

static void put_text(fk_svgbuf *b, const char *id, double x, double y, const char *text,
		     const char *extra)
{
	fk_svgbuf_puts(b, "<text");
	if (id)
		put_attr(b, "id", id);
	fk_svgbuf_puts(b, " x=\"");
	put_fixed(b, x, 2);
	fk_svgbuf_puts(b, "\" y=\"");
	put_num(b, y);
	fk_svgbuf_putc(b, '"');
	if (extra) {
		fk_svgbuf_putc(b, ' ');
		fk_svgbuf_puts(b, extra);
	}
	fk_svgbuf_putc(b, '>');
	fk_svgbuf_put_escaped(b, text, strlen(text), 0);
	fk_svgbuf_puts(b, "</text>\n");
}

/* CSS value from user text: no characters that could end the declaration or section */
static void put_css_value(fk_svgbuf *b, const char *s)
{
	for (; *s; s++)
		if (!strchr("{};<>&]\\", *s) && (unsigned char)*s >= 0x20)
			fk_svgbuf_putc(b, *s);
}

static void json_key_string(fk_svgbuf *b, const char *key, const char *value, bool first)
{
	fk_svgbuf_printf(b, "%s\"%s\": \"", first ? "" : ", ", key);
	fk_svgbuf_put_json_string(b, value, strlen(value));
	fk_svgbuf_putc(b, '"');
}

static void json_key_number(fk_svgbuf *b, const char *key, double v)
{
	fk_svgbuf_printf(b, ", \"%s\": ", key);
	if (isfinite(v))
		put_num(b, v);
	else
		fk_svgbuf_puts(b, "null");
}

static void json_key_bool(fk_svgbuf *b, const char *key, bool v)
{
	fk_svgbuf_printf(b, ", \"%s\": %s", key, v ? "true" : "false");
}

static const char *title_text(const fk_flamegraph_options *o)
{
	if (o->title && *o->title)
		return o->title;
	if (o->flamechart)
		return "Flame Chart";
	return o->inverted ? "Icicle Graph" : "Flame Graph";
}

static void put_head(fg_draw *d)
{
	const fk_flamegraph_options *o = d->o;
	fk_svgbuf *b = d->out;
	char c1[8], c2[8];
	fk_background_colors(o->bgcolors, o->palette, c1, c2);
	put_xml_header(b, o, d->image_height);
	fk_svgbuf_printf(b,
			 "<defs>\n"
			 "\t<linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">\n"
			 "\t\t<stop stop-color=\"%s\" offset=\"5%%\" />\n"
			 "\t\t<stop stop-color=\"%s\" offset=\"95%%\" />\n"
			 "\t</linearGradient>\n"
			 "</defs>\n",
			 c1, c2);
	/* the font settings, then the viewer's style sheet */
	fk_svgbuf_puts(b, "<style type=\"text/css\"><![CDATA[\n\ttext { font-family: ");
	put_css_value(b, o->font_type);
	fk_svgbuf_puts(b, "; font-size: ");
	put_num(b, o->font_size);
	fk_svgbuf_puts(b, "px; fill: rgb(0,0,0); }\n\t#title { font-size: ");
	put_num(b, o->font_size + 5);
	fk_svgbuf_puts(b, "px; }\n\t#title, #subtitle { text-anchor: middle; }\n");
	fk_svgbuf_put(b, fk_viewer_css, fk_viewer_css_len);
	fk_svgbuf_puts(b, "\n]]></style>\n");
	/* the viewer: its settings, then its code */
	fk_svgbuf_puts(b, "<script type=\"text/ecmascript\"><![CDATA[\nvar fk_config = {");
	json_key_string(b, "version", FK_VERSION, true);
	json_key_string(b, "nametype", o->name_type, false);
	json_key_string(b, "countname", o->count_name, false);
	json_key_string(b, "fonttype", o->font_type, false);
	json_key_number(b, "fontsize", o->font_size);
	json_key_number(b, "fontwidth", o->font_width);
	json_key_number(b, "xpad", XPAD);
	json_key_number(b, "framepad", FRAMEPAD);
	json_key_number(b, "frameheight", o->frame_height);
	json_key_number(b, "width", o->width);
	json_key_number(b, "height", d->image_height);
	json_key_number(b, "total", d->timemax);
	json_key_number(b, "factor", o->factor);
	json_key_bool(b, "inverted", o->inverted);
	json_key_bool(b, "flamechart", o->flamechart);
	json_key_bool(b, "differential", d->has_delta);
	json_key_bool(b, "negate", o->negate);
	json_key_string(b, "searchcolor", o->search_color, false);
	fk_svgbuf_puts(b, "};\n");
	fk_svgbuf_put(b, fk_viewer_js, fk_viewer_js_len);
	fk_svgbuf_puts(b, "\n]]></script>\n");

	fk_svgbuf_printf(b, "<rect x=\"0.0\" y=\"0\" width=\"%u.0\" height=\"", o->width);
	put_fixed(b, d->image_height, 1);
	fk_svgbuf_puts(b, "\" fill=\"url(#background)\" />\n");
	double half = (double)(o->width / 2);
	put_text(b, "title", half, o->font_size * 2, title_text(o), NULL);
	if (o->subtitle && *o->subtitle)
		put_text(b, "subtitle", half, o->font_size * 4, o->subtitle, NULL);
	double bottom = d->image_height - d->ypad2 / 2;
	put_text(b, "details", XPAD, bottom, " ", NULL);
	put_text(b, "unzoom", XPAD, o->font_size * 2, "Reset Zoom", "class=\"hide\"");
	put_text(b, "search", (double)o->width - XPAD - 100, o->font_size * 2, "Search", NULL);
	put_text(b, "ignorecase", (double)o->width - XPAD - 16, o->font_size * 2, "ic", NULL);
	put_text(b, "matched", (double)o->width - XPAD - 100, bottom, " ", NULL);
	fk_svgbuf_puts(b, "<g id=\"frames\">\n");
}

static void put_error_svg(fk_svgbuf *b, const fk_flamegraph_options *o)
{
	double height = o->font_size * 5;
	put_xml_header(b, o, height);
	put_text(b, NULL, (double)(o->width / 2), o->font_size * 2,
		 "ERROR: No valid input provided to flamekit flamegraph.", NULL);
	fk_svgbuf_puts(b, "</svg>\n");
}

/* ---- the stack sequence ---- */

typedef struct seq_builder {
	fk_stack_ref *refs;
	size_t len, cap;
} seq_builder;

static int collect_stack(const fk_profile *p, const fk_name_id *names, size_t depth,
			 fk_node_id node, void *ctx)
{
	seq_builder *sb = ctx;
	const fk_node *n = fk_profile_node(p, node);
	fk_grow((void **)&sb->refs, sizeof(*sb->refs), &sb->cap, sb->len + 1);
	sb->refs[sb->len++] = (fk_stack_ref){fk_stack_trim_empty(p, node), n->self, n->self_before};
	return 0;
}

/* The stacks of p in drawing order: input order for a flame chart (when kept), else the
 * order of the sorted folded lines. */
static fk_stack_ref *stack_sequence(const fk_profile *p, bool flamechart, size_t *n)
{
	size_t count;
	if (flamechart && fk_profile_order(p, &count))
		return fk_stacks_list(p, true, n);
	seq_builder sb = {0};
	fk_profile_walk(p, FK_ORDER_LINES, collect_stack, &sb);
	*n = sb.len;
	return sb.refs;
}

/* ---- putting it together ---- */

static int load_side_files(const fk_flamegraph_options *o, fg_draw *d, fk_error *err)
{
	if (o->nameattr) {
		d->nameattr = fk_nameattr_read(o->nameattr, err);
		if (!d->nameattr)
			return -1;
	}
	if (o->palette_map) {
		d->palette_map = fk_palette_map_new();
		if (fk_palette_map_read(d->palette_map, o->palette_map, err) < 0)
			return -1;
	}
	return 0;
}

int fk_flamegraph_write(const fk_profile *p, const fk_flamegraph_options *o, FILE *out,
			fk_error *err)
{
	return fk_flamegraph_write_stats(p, o, out, NULL, err);
}

int fk_flamegraph_write_stats(const fk_profile *p, const fk_flamegraph_options *given, FILE *out,
			      fk_flamegraph_stats *stats, fk_error *err)
{
	fk_flamegraph_stats local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	/* texts left NULL take their defaults */
	fk_flamegraph_options defaults, opts = *given;
	fk_flamegraph_options_init(&defaults);
	if (!opts.count_name)
		opts.count_name = defaults.count_name;
	if (!opts.name_type)
		opts.name_type = defaults.name_type;
	if (!opts.font_type)
		opts.font_type = defaults.font_type;
	if (!opts.search_color)
		opts.search_color = defaults.search_color;
	const fk_flamegraph_options *o = &opts;
	if (fk_flamegraph_check_options(o, err) < 0)
		return FK_FLAMEGRAPH_ERROR;
	fg_draw d = {.o = o};
	int rc = FK_FLAMEGRAPH_ERROR;
	fk_profile *filtered = NULL, *reversed = NULL, *chained = NULL;
	fk_stack_ref *seq = NULL;
	fk_sample_filter filter;
	bool have_filter = false;
	fg_layout L;
	bool have_layout = false;
	fk_svgbuf b;
	fk_svgbuf_init(&b, out);
	d.out = &b;

	if (load_side_files(o, &d, err) < 0)
		goto done;

	/* the stacks to draw */
	const fk_profile *draw = p;
	if (fk_sample_filter_init(&filter, o->focus, o->ignore, err) < 0)
		goto done;
	have_filter = true;
	filter.bases = o->bases;
	filter.nbases = o->nbases;
	if (fk_sample_filter_active(&filter))
		draw = filtered = fk_sample_filter_apply(draw, &filter);
	if (o->reverse)
		draw = reversed = fk_stacks_reverse(draw, o->flamechart);
	size_t nseq;
	seq = stack_sequence(draw, o->flamechart, &nseq);
	if (o->palette == FK_PALETTE_CHAIN) {
		draw = chained = fk_stacks_chain(draw, seq, nseq);
		free(seq);
		seq = fk_stacks_list(chained, true, &nseq);
	}

	/* totals */
	d.p = draw;
	d.has_delta = fk_profile_has_before(draw);
	double time = 0;
	d.max_delta = 1;
	for (size_t i = 0; i < nseq; i++) {
		time += seq[i].count;
		if (d.has_delta && fabs(seq[i].count - seq[i].before) > d.max_delta)
			d.max_delta = fabs(seq[i].count - seq[i].before);
	}
	stats->total = time;
	if (!(time != 0)) {
		put_error_svg(&b, o);
		rc = fk_svgbuf_close(&b) < 0 ? FK_FLAMEGRAPH_ERROR : FK_FLAMEGRAPH_EMPTY;
		if (rc == FK_FLAMEGRAPH_ERROR)
			fk_error_set(err, "cannot write the SVG");
		goto done_closed;
	}
	d.timemax = o->total;
	if (d.timemax && d.timemax < time) {
		stats->total_ignored = d.timemax / time > 0.02;
		d.timemax = 0;
	}
	if (!d.timemax)
		d.timemax = time;
	d.width_per_time = ((double)o->width - 2 * XPAD) / d.timemax;
	d.min_width_time = o->min_width_percent ? d.timemax * o->min_width / 100
						: o->min_width / d.width_per_time;

	/* pass 1: how deep the drawn frames go */
	layout_init(&L, draw, seq, nseq);
	have_layout = true;
	run_flow(&L, measure_frame, &d);
	stats->depth = d.depth_max;
	d.frames = 0;

	d.ypad1 = o->font_size * 3;
	d.ypad2 = o->font_size * 2 + 10;
	d.image_height = ((double)(d.depth_max + 1) * o->frame_height) + d.ypad1 + d.ypad2;
	if (o->subtitle && *o->subtitle)
		d.image_height += o->font_size * 2;

	/* pass 2: draw */
	if (!o->random && !o->palette_map) {
		d.color_cache_len = fk_interner_count(fk_profile_names((fk_profile *)draw)) + 1;
		d.color_cache = fk_xcalloc(d.color_cache_len, sizeof(uint32_t));
	}
	fk_rand48_seed(&d.rand, o->random_seed);
	put_head(&d);
	if (d.kept_overflow) {
		run_flow(&L, draw_frame, &d);
	} else {
		for (size_t i = 0; i < d.kept_len; i++)
			draw_frame(&d, &d.kept[i]);
	}
	fk_svgbuf_puts(&b, "</g>\n</svg>\n");
	stats->frames = d.frames;
	if (fk_svgbuf_flush(&b) < 0) {
		fk_error_set(err, "cannot write the SVG");
		goto done;
	}
	if (d.palette_map && fk_palette_map_write(d.palette_map, o->palette_map, err) < 0)
		goto done;
	rc = FK_FLAMEGRAPH_OK;
done:
	fk_svgbuf_close(&b);
done_closed:
	if (have_layout)
		layout_free(&L);
	if (have_filter)
		fk_sample_filter_free(&filter);
	free(seq);
	free(d.color_cache);
	free(d.kept);
	fk_profile_free(filtered);
	fk_profile_free(reversed);
	fk_profile_free(chained);
	fk_nameattr_free(d.nameattr);
	fk_palette_map_free(d.palette_map);
	return rc;
}
