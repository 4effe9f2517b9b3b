/* top.c: counting functions for the top report and writing it (see top.h). Rows are
 * found by name id in an array (ids are dense), so counting is one depth-first walk of
 * the trie that sums subtree totals and counts a name's cumulative total only at its
 * outermost occurrence on each path. */
#define _GNU_SOURCE
#include "top.h"

#include <errno.h>

void fk_top_compute(const fk_profile *p, fk_top_sort sort, fk_top *top)
{
	size_t nnodes = fk_profile_node_count(p);
	size_t nnames = fk_interner_count(fk_profile_names((fk_profile *)p));
	/* subtree totals are summed as the walk leaves nodes (children before parents) */
	double *subtree = fk_xmalloc((nnodes ? nnodes : 1) * sizeof(double));
	for (size_t i = 0; i < nnodes; i++)
		subtree[i] = fk_profile_node(p, (fk_node_id)i)->self;
	double *flat = fk_xcalloc(nnames + 1, sizeof(double));
	double *cum = fk_xcalloc(nnames + 1, sizeof(double));
	uint32_t *on_path = fk_xcalloc(nnames + 1, sizeof(uint32_t)); /* occurrences above */
	uint8_t *seen = fk_xcalloc(nnames + 1, 1);
	/* depth first, without recursion: enter a node, go to its first child, else leave
	 * nodes upward until one has a next sibling. A name's cum takes a node's subtree
	 * total only when no node above it has the same name. */
	fk_node_id id = nnodes ? fk_profile_node(p, FK_ROOT)->first_child : FK_ROOT;
	while (id != FK_ROOT) {
		const fk_node *n = fk_profile_node(p, id);
		seen[n->name] = 1;
		flat[n->name] += n->self;
		on_path[n->name]++;
		if (n->first_child) {
			id = n->first_child;
			continue;
		}
		for (;;) {
			n = fk_profile_node(p, id);
			if (--on_path[n->name] == 0)
				cum[n->name] += subtree[id];
			subtree[n->parent] += subtree[id];
			if (n->next_sibling) {
				id = n->next_sibling;
				break;
			}
			id = n->parent;
			if (id == FK_ROOT)
				break;
		}
	}
	top->total = nnodes ? subtree[FK_ROOT] : 0;

	size_t count = 0;
	for (size_t i = 0; i < nnames; i++)
		if (seen[i] && (flat[i] != 0 || cum[i] != 0))
			count++;
	top->rows = fk_xmalloc((count ? count : 1) * sizeof(fk_top_row));
	top->count = 0;
	for (size_t i = 0; i < nnames; i++) {
		if (!seen[i] || (flat[i] == 0 && cum[i] == 0))
			continue;
		fk_top_row *r = &top->rows[top->count++];
		r->name = (fk_name_id)i;
		r->text = fk_profile_name(p, (fk_name_id)i, &r->len);
		r->flat = flat[i];
		r->cum = cum[i];
	}
	free(seen);
	free(on_path);
	free(cum);
	free(flat);
	free(subtree);
	fk_top_sort_rows(top, sort);
}

static int cmp_desc(double a, double b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_name(const fk_top_row *a, const fk_top_row *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->text, b->text, n);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

static int cmp_by_flat(const void *x, const void *y)
{
	const fk_top_row *a = x, *b = y;
	int c = cmp_desc(a->flat, b->flat);
	if (!c)
		c = cmp_desc(a->cum, b->cum);
	return c ? c : cmp_name(a, b);
}

static int cmp_by_cum(const void *x, const void *y)
{
	const fk_top_row *a = x, *b = y;
	int c = cmp_desc(a->cum, b->cum);
	if (!c)
		c = cmp_desc(a->flat, b->flat);
	return c ? c : cmp_name(a, b);
}

void fk_top_sort_rows(fk_top *top, fk_top_sort sort)
{
	if (top->count > 1)
		qsort(top->rows, top->count, sizeof(fk_top_row),
		      sort == FK_TOP_SORT_CUM ? cmp_by_cum : cmp_by_flat);
}

void fk_top_free(fk_top *top)
{
	free(top->rows);
	top->rows = NULL;
	top->count = 0;
}

static double percent(double part, double whole)
{
	return whole != 0 ? 100.0 * part / whole : 0.0;
}

/* What the counts measure: "samples" unless the metadata names a unit. */
static const char *unit_name(const fk_profile_meta *m)
{
	if (!m->unit[0] || strcmp(m->unit, "count") == 0)
		return "samples";
	return m->unit;
}

int fk_top_write(FILE *out, const fk_profile *p, const fk_top *top, const fk_top_options *o,
		 fk_error *err)
{
	const fk_profile_meta *meta = fk_profile_get_meta(p);
	char a[32], b[32];
	if (meta->sample_type[0] && strcmp(meta->sample_type, "samples") != 0)
		fprintf(out, "Type: %s\n", meta->sample_type);
	fk_format_count(top->total, a);
	fprintf(out, "Total: %s %s", a, unit_name(meta));
	if (o->filter) {
		fk_format_count(o->before_filter, b);
		fprintf(out, " (after %s: %s of %s, %.2f%%)", o->filter, a, b,
			percent(top->total, o->before_filter));
	}
	fputc('\n', out);
	size_t shown = top->count;
	if (o->max_rows && o->max_rows < shown)
		shown = o->max_rows;
	if (shown < top->count) {
		double rest = 0;
		for (size_t i = shown; i < top->count; i++)
			rest += top->rows[i].flat;
		fprintf(out, "Showing top %zu functions out of %zu; dropped %.2f%% of flat\n", shown,
			top->count, percent(rest, top->total));
	} else {
		fprintf(out, "Showing all %zu functions\n", top->count);
	}
	int width = 4; /* "flat" */
	for (size_t i = 0; i < shown; i++) {
		int w1 = (int)fk_format_count(top->rows[i].flat, a);
		int w2 = (int)fk_format_count(top->rows[i].cum, b);
		if (w1 > width)
			width = w1;
		if (w2 > width)
			width = w2;
	}
	fprintf(out, "%*s %7s %7s  %*s %7s  %s\n", width, "flat", "flat%", "sum%", width, "cum",
		"cum%", "function");
	double sum = 0;
	for (size_t i = 0; i < shown; i++) {
		const fk_top_row *r = &top->rows[i];
		sum += r->flat;
		fk_format_count(r->flat, a);
		fk_format_count(r->cum, b);
		fprintf(out, "%*s %6.2f%% %6.2f%%  %*s %6.2f%%  ", width, a, percent(r->flat, top->total),
			percent(sum, top->total), width, b, percent(r->cum, top->total));
		fwrite(r->text, 1, r->len, out);
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		return fk_error_set(err, "writing the report: %s", strerror(errno ? errno : EIO));
	return 0;
}
