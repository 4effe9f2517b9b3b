/* filter.c: --focus / --ignore / --base on a profile (see filter.h). One pass over the
 * trie in node order (parents come before children) marks which nodes have a base, a
 * focus or an ignore match on the way from the root; a backward pass marks the nodes a
 * kept stack needs; a forward pass builds them in the new profile (from the base). */
#define _GNU_SOURCE
#include "filter.h"

static int compile(regex_t *re, const char *pattern, const char *option, fk_error *err)
{
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc == 0)
		return 0;
	char msg[200];
	regerror(rc, re, msg, sizeof(msg));
	regfree(re);
	return fk_error_set(err, "%s '%s': %s", option, pattern, msg);
}

int fk_sample_filter_init(fk_sample_filter *f, const char *focus, const char *ignore,
			  fk_error *err)
{
	memset(f, 0, sizeof(*f));
	if (focus) {
		if (compile(&f->focus, focus, "--focus", err) < 0)
			return -1;
		f->has_focus = true;
	}
	if (ignore) {
		if (compile(&f->ignore, ignore, "--ignore", err) < 0) {
			fk_sample_filter_free(f);
			return -1;
		}
		f->has_ignore = true;
	}
	return 0;
}

void fk_sample_filter_free(fk_sample_filter *f)
{
	if (f->has_focus)
		regfree(&f->focus);
	if (f->has_ignore)
		regfree(&f->ignore);
	f->has_focus = f->has_ignore = false;
}

bool fk_sample_filter_active(const fk_sample_filter *f)
{
	return f && (f->has_focus || f->has_ignore || f->nbases);
}

enum {
	MARK_FOCUS = 1,  /* a frame from the root to here matches focus */
	MARK_IGNORE = 2, /* ... matches ignore */
	MARK_KEEP = 4,   /* a kept stack ends here */
	MARK_NEEDED = 8, /* a kept stack passes through or ends here */
	MARK_BASE = 16,  /* a base frame is here or on the way from the root */
};

static bool is_base(const fk_profile *src, const fk_sample_filter *f, fk_name_id id)
{
	size_t len;
	const char *s = fk_profile_name(src, id, &len);
	for (size_t b = 0; b < f->nbases; b++)
		if (strlen(f->bases[b]) == len && memcmp(f->bases[b], s, len) == 0)
			return true;
	return false;
}

/* Per name: bit 0 set once matched, bit 1 the result; for focus (low 2 bits) and ignore
 * (next 2). */
static uint8_t name_marks(const fk_profile *src, const fk_sample_filter *f, uint8_t *cache,
			  fk_name_id id)
{
	if (!(cache[id] & 0x80)) {
		size_t len;
		const char *s = fk_profile_name(src, id, &len);
		uint8_t m = 0x80;
		if (f->has_focus && regexec(&f->focus, s, 0, NULL, 0) == 0)
			m |= MARK_FOCUS;
		if (f->has_ignore && regexec(&f->ignore, s, 0, NULL, 0) == 0)
			m |= MARK_IGNORE;
		cache[id] = m;
	}
	return cache[id] & (MARK_FOCUS | MARK_IGNORE);
}

/* The MARK_ bits of every node of src under f (malloc'd, one byte per node). Each name is
 * matched once. */
static uint8_t *mark_nodes(const fk_profile *src, const fk_sample_filter *f)
{
	size_t nnodes = fk_profile_node_count(src);
	size_t nnames = fk_interner_count(fk_profile_names((fk_profile *)src));
	uint8_t *cache = fk_xcalloc(nnames + 1, 1);
	uint8_t *mark = fk_xcalloc(nnodes, 1);
	uint8_t *base = NULL; /* per name: 1 + whether it is a base */
	if (f->nbases)
		base = fk_xcalloc(nnames + 1, 1);

	/* the root's name is no frame: it matches nothing. Without bases every frame is
	 * "after the base". */
	for (size_t i = 0; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(src, (fk_node_id)i);
		uint8_t m = i == FK_ROOT ? (f->nbases ? 0 : MARK_BASE)
					 : mark[n->parent] & (MARK_FOCUS | MARK_IGNORE | MARK_BASE);
		if (i != FK_ROOT && !(m & MARK_BASE)) {
			if (!base[n->name])
				base[n->name] = 1 + is_base(src, f, n->name);
			if (base[n->name] == 2)
				m |= MARK_BASE;
		}
		if (i != FK_ROOT && (m & MARK_BASE))
			m |= name_marks(src, f, cache, n->name);
		if ((n->flags & FK_NODE_LEAF) && (m & MARK_BASE) &&
		    (!f->has_focus || (m & MARK_FOCUS)) && !(m & MARK_IGNORE))
			m |= MARK_KEEP | MARK_NEEDED;
		mark[i] = m;
	}
	for (size_t i = nnodes; i-- > 1;)
		if (mark[i] & MARK_NEEDED)
			mark[fk_profile_node(src, (fk_node_id)i)->parent] |= MARK_NEEDED;
	free(cache);
	free(base);
	return mark;
}

double fk_sample_filter_kept_total(const fk_profile *src, const fk_sample_filter *f)
{
	uint8_t *mark = mark_nodes(src, f);
	double total = 0;
	for (size_t i = 0, n = fk_profile_node_count(src); i < n; i++)
		if (mark[i] & MARK_KEEP)
			total += fk_profile_node(src, (fk_node_id)i)->self;
	free(mark);
	return total;
}

fk_profile *fk_sample_filter_apply(const fk_profile *src, const fk_sample_filter *f)
{
	fk_profile *dst = fk_profile_new();
	fk_profile_set_meta(dst, fk_profile_get_meta(src));
	size_t norder;
	const fk_stack_ref *order = fk_profile_order(src, &norder);
	if (order)
		fk_profile_keep_order(dst);
	bool pairs = fk_profile_has_before(src);
	size_t nnodes = fk_profile_node_count(src);
	size_t nnames = fk_interner_count(fk_profile_names((fk_profile *)src));
	uint8_t *mark = mark_nodes(src, f);

	fk_name_id *name_map = fk_xcalloc(nnames + 1, sizeof(fk_name_id)); /* id + 1; 0: not yet */
	fk_node_id *node_map = fk_xcalloc(nnodes, sizeof(fk_node_id));
	for (size_t i = 0; i < nnodes; i++) {
		if (!(mark[i] & MARK_NEEDED))
			continue;
		const fk_node *n = fk_profile_node(src, (fk_node_id)i);
		if (i != FK_ROOT && (mark[i] & MARK_BASE)) {
			/* frames before the base are left out: the base hangs from the root
			 * (node_map of those frames stays FK_ROOT) */
			if (!name_map[n->name]) {
				size_t len;
				const char *s = fk_profile_name(src, n->name, &len);
				name_map[n->name] = fk_intern(fk_profile_names(dst), s, len) + 1;
			}
			node_map[i] = fk_profile_child(dst, node_map[n->parent], name_map[n->name] - 1);
		}
		if (order || !(mark[i] & MARK_KEEP))
			continue;
		if (pairs)
			fk_profile_add_pair(dst, node_map[i], n->self_before, n->self);
		else
			fk_profile_add_at(dst, node_map[i], n->self);
	}
	if (order)
		for (size_t k = 0; k < norder; k++) {
			fk_node_id id = order[k].node;
			if (id >= nnodes || !(mark[id] & MARK_KEEP))
				continue;
			if (pairs)
				fk_profile_add_pair(dst, node_map[id], order[k].before, order[k].count);
			else
				fk_profile_add_at(dst, node_map[id], order[k].count);
		}
	free(node_map);
	free(name_map);
	free(mark);
	return dst;
}
