/* flamebearer.c: Pyroscope's flamebearer JSON (flamebearer.h). The tree is laid out as
 * flame graphs draw it: level 0 is the root bar "total"; each node's children, sorted
 * by name bytewise, sit side by side from their parent's left edge. A level lists its
 * bars left to right, each as the gap since the end of the bar before it in that level,
 * its total, its self and its name's index ("double": the same for the left ("before")
 * and right ("after") counts, then the name). With maxNodes, the nodes with the largest
 * totals are kept (with their ancestors); what a parent loses becomes the self of one
 * "other" bar under it, so every total stays exact. */
#include "flamebearer.h"

#include <errno.h>
#include <math.h>

#include "json_text.h"

#define NO_NODE UINT32_MAX

/* One bar of the output, in level order (breadth first, left to right). */
struct bar {
	fk_node_id node;   /* NO_NODE: the "other" bar of parent */
	fk_node_id parent;
	uint32_t level;
	uint32_t name;     /* index in names[] */
	double x, total, self;                /* right ("after") counts */
	double x_before, total_before, self_before;
};

struct layout {
	fk_profile *p;
	bool two_valued;
	const bool *keep;  /* NULL: every node */
	struct bar *bars;
	size_t nbars, bars_cap;
	uint32_t *name_index; /* name id -> index in names[], UINT32_MAX until used */
	fk_name_id *names;    /* names[] in order */
	size_t nnames, names_cap;
	fk_name_id other_name;
};

static uint32_t name_index(struct layout *l, fk_name_id name)
{
	if (l->name_index[name] == UINT32_MAX) {
		if (l->nnames == l->names_cap)
			fk_grow((void **)&l->names, sizeof(fk_name_id), &l->names_cap, l->nnames + 1);
		l->names[l->nnames] = name;
		l->name_index[name] = (uint32_t)l->nnames++;
	}
	return l->name_index[name];
}

static struct bar *add_bar(struct layout *l)
{
	if (l->nbars == l->bars_cap)
		fk_grow((void **)&l->bars, sizeof(struct bar), &l->bars_cap, l->nbars + 1);
	struct bar *b = &l->bars[l->nbars++];
	memset(b, 0, sizeof(*b));
	return b;
}

struct child {
	const char *name;
	size_t len;
	fk_node_id node;
};

static int child_cmp(const void *a, const void *b)
{
	const struct child *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Lays out every bar: breadth first, so each level's bars come together, left to right. */
static void lay_out(struct layout *l, fk_name_id total_name)
{
	const fk_node *root = fk_profile_node(l->p, FK_ROOT);
	struct bar *r = add_bar(l);
	r->node = FK_ROOT;
	r->name = name_index(l, total_name);
	r->total = root->total;
	r->self = root->self;
	r->total_before = root->total_before;
	r->self_before = root->self_before;
	struct child *kids = NULL;
	size_t kids_cap = 0;
	for (size_t i = 0; i < l->nbars; i++) {
		if (l->bars[i].node == NO_NODE)
			continue;
		fk_node_id parent = l->bars[i].node;
		size_t nkids = 0;
		bool dropped = false;
		double other = 0, other_before = 0;
		for (fk_node_id c = fk_profile_node(l->p, parent)->first_child; c;
		     c = fk_profile_node(l->p, c)->next_sibling) {
			const fk_node *n = fk_profile_node(l->p, c);
			if (l->keep && !l->keep[c]) {
				dropped = true;
				other += n->total;
				other_before += n->total_before;
				continue;
			}
			if (nkids == kids_cap)
				fk_grow((void **)&kids, sizeof(*kids), &kids_cap, nkids + 1);
			kids[nkids].name = fk_profile_name(l->p, n->name, &kids[nkids].len);
			kids[nkids].node = c;
			nkids++;
		}
		if (nkids > 1)
			qsort(kids, nkids, sizeof(*kids), child_cmp);
		double x = l->bars[i].x, x_before = l->bars[i].x_before;
		uint32_t level = l->bars[i].level + 1;
		for (size_t k = 0; k < nkids; k++) {
			const fk_node *n = fk_profile_node(l->p, kids[k].node);
			struct bar *b = add_bar(l);
			b->node = kids[k].node;
			b->parent = parent;
			b->level = level;
			b->name = name_index(l, n->name);
			b->x = x;
			b->total = n->total;
			b->self = n->self;
			b->x_before = x_before;
			b->total_before = n->total_before;
			b->self_before = n->self_before;
			x += n->total;
			x_before += n->total_before;
		}
		if (dropped) {
			struct bar *b = add_bar(l);
			b->node = NO_NODE;
			b->parent = parent;
			b->level = level;
			b->name = name_index(l, l->other_name);
			b->x = x;
			b->total = b->self = other;
			b->x_before = x_before;
			b->total_before = b->self_before = other_before;
		}
	}
	free(kids);
}

struct ranked {
	double size;
	fk_node_id node;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Sifts heap[i] down a heap whose top is the entry that sorts last (ranked_cmp). */
static void sift_down(struct ranked *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < n && ranked_cmp(&heap[l], &heap[top]) > 0)
			top = l;
		if (r < n && ranked_cmp(&heap[r], &heap[top]) > 0)
			top = r;
		if (top == i)
			return;
		struct ranked t = heap[i];
		heap[i] = heap[top];
		heap[top] = t;
		i = top;
	}
}

/* Fills order with the first (by ranked_cmp) min(want, count) nodes 1..count, sorted;
 * returns how many. A heap of the best ones seen keeps this at O(n log want). */
static size_t best_nodes(const fk_profile *p, size_t count, size_t want, struct ranked *order)
{
	size_t n = 0;
	for (size_t i = 1; i <= count; i++) {
		const fk_node *node = fk_profile_node(p, (fk_node_id)i);
		struct ranked r = {.size = fabs(node->total) + fabs(node->total_before),
				   .node = (fk_node_id)i};
		if (isnan(r.size))
			r.size = 0;
		if (n < want) {
			order[n++] = r;
			if (n == want)
				for (size_t k = n / 2; k-- > 0;)
					sift_down(order, n, k);
		} else if (ranked_cmp(&r, &order[0]) < 0) {
			order[0] = r;
			sift_down(order, n, 0);
		}
	}
	qsort(order, n, sizeof(*order), ranked_cmp);
	return n;
}

/* The nodes to keep for at most max_nodes bars (the root and each "other" bar count):
 * nodes by decreasing total (a parent before its children), while they fit. Adding a
 * node costs its own bar, plus an "other" bar under it if it has children (they are not
 * kept yet), less its parent's "other" bar if it was the last child left out. Every
 * node taken before the first that does not fit is kept (its parent, bigger, came
 * first), so only the max_nodes biggest are sorted; all of them only when negative
 * counts break that order. */
static bool *choose_nodes(const fk_profile *p, size_t max_nodes)
{
	size_t nnodes = fk_profile_node_count(p);
	bool *keep = fk_xcalloc(nnodes, sizeof(bool));
	uint32_t *left_out = fk_xcalloc(nnodes, sizeof(uint32_t)); /* children not kept */
	for (size_t i = 1; i < nnodes; i++)
		left_out[fk_profile_node(p, (fk_node_id)i)->parent]++;
	size_t want = max_nodes < nnodes - 1 ? max_nodes : nnodes - 1;
	struct ranked *order = fk_xmalloc((want ? want : 1) * sizeof(*order));
	size_t n = best_nodes(p, nnodes - 1, want, order);
	keep[FK_ROOT] = true;
	size_t bars = 1 + (left_out[FK_ROOT] > 0);
	for (size_t i = 0; i < n; i++) {
		fk_node_id id = order[i].node;
		fk_node_id parent = fk_profile_node(p, id)->parent;
		if (!keep[parent]) {
			if (n < nnodes - 1) { /* negative counts: sort them all */
				free(order);
				order = fk_xmalloc((nnodes - 1) * sizeof(*order));
				n = best_nodes(p, nnodes - 1, nnodes - 1, order);
			}
			continue; /* it goes with its parent */
		}
		size_t cost = 1 + (left_out[id] > 0);
		size_t saved = left_out[parent] == 1;
		if (bars + cost - saved > max_nodes)
			break;
		bars = bars + cost - saved;
		keep[id] = true;
		left_out[parent]--;
	}
	free(order);
	free(left_out);
	return keep;
}

/* A count: integers in full (as fk_format_count prints them), fractions with the
 * digits that read back as the same double, non-finite values as 0. */
static void put_count(fk_json_out *w, double v)
{
	if (v > -9.2e18 && v < 9.2e18 && v == floor(v)) {
		char *o = fk_json_room(w, 32);
		w->len += fk_format_count(v, o);
	} else {
		fk_json_put_number(w, v);
	}
}

static void put_int(fk_json_out *w, int64_t v)
{
	if (v < 0) {
		fk_json_put(w, "-", 1);
		fk_json_put_uint(w, 0ULL - (uint64_t)v);
	} else {
		fk_json_put_uint(w, (uint64_t)v);
	}
}

static void put_cstring(fk_json_out *w, const char *s)
{
	fk_json_put_string(w, s, strlen(s));
}

static void put_timeline(fk_json_out *w, const fk_flamebearer_timeline *t)
{
	fk_json_puts(w, "{\"startTime\":");
	put_int(w, t->start);
	fk_json_puts(w, ",\"samples\":[");
	for (size_t i = 0; i < t->count; i++) {
		if (i)
			fk_json_put(w, ",", 1);
		put_count(w, t->samples[i]);
	}
	fk_json_puts(w, "],\"durationDelta\":");
	put_int(w, t->step);
	fk_json_put(w, "}", 1);
}

static void put_levels(fk_json_out *w, const struct layout *l)
{
	fk_json_puts(w, "\"levels\":[");
	double end = 0, end_before = 0; /* where the previous bar of the level ends */
	for (size_t i = 0; i < l->nbars; i++) {
		const struct bar *b = &l->bars[i];
		bool first = i == 0 || l->bars[i - 1].level != b->level;
		if (first) {
			fk_json_puts(w, i ? "],\n[" : "[");
			end = end_before = 0;
		} else {
			fk_json_put(w, ",", 1);
		}
		if (l->two_valued) {
			put_count(w, b->x_before - end_before);
			fk_json_put(w, ",", 1);
			put_count(w, b->total_before);
			fk_json_put(w, ",", 1);
			put_count(w, b->self_before);
			fk_json_put(w, ",", 1);
			end_before = b->x_before + b->total_before;
		}
		put_count(w, b->x - end);
		fk_json_put(w, ",", 1);
		put_count(w, b->total);
		fk_json_put(w, ",", 1);
		put_count(w, b->self);
		fk_json_put(w, ",", 1);
		fk_json_put_uint(w, b->name);
		end = b->x + b->total;
	}
	fk_json_puts(w, l->nbars ? "]]" : "]");
}

int fk_flamebearer_write(fk_profile *p, const fk_flamebearer_options *o, FILE *out, fk_error *err)
{
	fk_profile_compute_totals(p);
	size_t nnodes = fk_profile_node_count(p);
	fk_interner *interner = fk_profile_names(p);
	/* names[] holds each name once, a frame called "total" or "other" included */
	fk_name_id total_name = fk_intern(interner, "total", 5);
	struct layout l = {
		.p = p,
		.two_valued = fk_profile_has_before(p),
		.other_name = fk_intern(interner, "other", 5),
	};
	size_t ninterned = fk_interner_count(interner);
	l.name_index = fk_xmalloc(ninterned * sizeof(uint32_t));
	memset(l.name_index, 0xff, ninterned * sizeof(uint32_t));
	bool *keep = NULL;
	if (o->max_nodes && nnodes > o->max_nodes)
		l.keep = keep = choose_nodes(p, o->max_nodes);
	lay_out(&l, total_name);

	const fk_node *root = fk_profile_node(p, FK_ROOT);
	double left_ticks = root->total_before, right_ticks = root->total;
	double max_self = 0;
	for (size_t i = 0; i < l.nbars; i++) {
		if (l.bars[i].self > max_self)
			max_self = l.bars[i].self;
		if (l.two_valued && l.bars[i].self_before > max_self)
			max_self = l.bars[i].self_before;
	}

	fk_json_out w;
	fk_json_out_init(&w, out);
	fk_json_puts(&w, "{\"version\":1,\n\"flamebearer\":{\"names\":[");
	for (size_t i = 0; i < l.nnames; i++) {
		if (i)
			fk_json_put(&w, ",", 1);
		size_t len;
		const char *s = fk_profile_name(p, l.names[i], &len);
		fk_json_put_string(&w, s, len);
	}
	fk_json_puts(&w, "],\n");
	put_levels(&w, &l);
	fk_json_puts(&w, ",\n\"numTicks\":");
	put_count(&w, l.two_valued ? left_ticks + right_ticks : right_ticks);
	fk_json_puts(&w, ",\"maxSelf\":");
	put_count(&w, max_self);
	if (l.two_valued) {
		fk_json_puts(&w, ",\"leftTicks\":");
		put_count(&w, left_ticks);
		fk_json_puts(&w, ",\"rightTicks\":");
		put_count(&w, right_ticks);
	}
	fk_json_puts(&w, "},\n\"metadata\":{\"format\":");
	put_cstring(&w, l.two_valued ? "double" : "single");
	fk_json_puts(&w, ",\"spyName\":");
	put_cstring(&w, o->spy_name ? o->spy_name : "unknown");
	fk_json_puts(&w, ",\"sampleRate\":");
	put_int(&w, o->sample_rate);
	fk_json_puts(&w, ",\"units\":");
	put_cstring(&w, o->units ? o->units : "samples");
	fk_json_puts(&w, ",\"name\":");
	put_cstring(&w, o->name ? o->name : "");
	if (o->app_name) {
		fk_json_puts(&w, ",\"appName\":");
		put_cstring(&w, o->app_name);
	}
	if (o->start_time) {
		fk_json_puts(&w, ",\"startTime\":");
		put_int(&w, o->start_time);
	}
	if (o->end_time) {
		fk_json_puts(&w, ",\"endTime\":");
		put_int(&w, o->end_time);
	}
	fk_json_put(&w, "}", 1);
	if (o->timeline) {
		fk_json_puts(&w, ",\n\"timeline\":");
		put_timeline(&w, o->timeline);
	}
	if (o->groups) {
		fk_json_puts(&w, ",\n\"groups\":{");
		for (size_t i = 0; i < o->ngroups; i++) {
			if (i)
				fk_json_put(&w, ",", 1);
			put_cstring(&w, o->groups[i].value ? o->groups[i].value : "");
			fk_json_put(&w, ":", 1);
			put_timeline(&w, &o->groups[i].timeline);
		}
		fk_json_put(&w, "}", 1);
	}
	if (l.two_valued) {
		fk_json_puts(&w, ",\n\"leftTicks\":");
		put_count(&w, left_ticks);
		fk_json_puts(&w, ",\"rightTicks\":");
		put_count(&w, right_ticks);
	}
	if (o->left_timeline) {
		fk_json_puts(&w, ",\n\"leftTimeline\":");
		put_timeline(&w, o->left_timeline);
	}
	if (o->right_timeline) {
		fk_json_puts(&w, ",\n\"rightTimeline\":");
		put_timeline(&w, o->right_timeline);
	}
	fk_json_puts(&w, "}\n");

	free(keep);
	free(l.bars);
	free(l.names);
	free(l.name_index);
	if (fk_json_out_close(&w) != 0 || fflush(out) != 0 || ferror(out))
		return fk_error_set(err, "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
