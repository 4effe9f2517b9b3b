/* profile.c: the stack trie. Children are found through one hash table keyed by
 * (parent, name); sibling links give iteration. Nodes are created after their parents,
 * so index order is a topological order (used by merge and totals). */
#define _GNU_SOURCE
#include "profile.h"

#include "../util/hash.h"

struct child_slot {
	uint64_t key; /* (parent << 32) | name */
	uint32_t node; /* 0 = empty slot (the root is never a child) */
};

struct fk_profile {
	fk_interner *names;
	fk_node *nodes;
	size_t count, cap;
	struct child_slot *slots;
	size_t mask;
	size_t leaves;
	bool has_before;
	bool keep_order;
	fk_stack_ref *order;
	size_t order_len, order_cap;
	fk_profile_meta meta;
	struct frame_origin *origins; /* by frame name id; NULL until one is set */
	size_t origins_cap;
	fk_interner *modules;         /* module paths of origins (id 0 = "") */
};

struct frame_origin {
	uint64_t address;
	uint32_t module; /* id in modules */
	bool set;
};

fk_profile *fk_profile_new(void)
{
	fk_profile *p = fk_xcalloc(1, sizeof(*p));
	p->names = fk_interner_new();
	p->cap = 1024;
	p->nodes = fk_xmalloc(p->cap * sizeof(fk_node));
	p->nodes[0] = (fk_node){0};
	p->count = 1;
	p->mask = 2047;
	p->slots = fk_xcalloc(p->mask + 1, sizeof(struct child_slot));
	return p;
}

void fk_profile_free(fk_profile *p)
{
	if (!p)
		return;
	fk_interner_free(p->names);
	free(p->nodes);
	free(p->slots);
	free(p->order);
	free(p->origins);
	if (p->modules)
		fk_interner_free(p->modules);
	free(p);
}

const fk_profile_meta *fk_profile_get_meta(const fk_profile *p)
{
	return &p->meta;
}

void fk_profile_set_meta(fk_profile *p, const fk_profile_meta *meta)
{
	p->meta = *meta;
}

fk_interner *fk_profile_names(fk_profile *p)
{
	return p->names;
}

const char *fk_profile_name(const fk_profile *p, fk_name_id id, size_t *len)
{
	return fk_interner_name(p->names, id, len);
}

void fk_profile_set_origin(fk_profile *p, fk_name_id frame, uint64_t address, const char *module,
			   size_t module_len)
{
	if (frame < p->origins_cap && p->origins[frame].set)
		return;
	if (frame >= p->origins_cap) {
		size_t old = p->origins_cap;
		fk_grow((void **)&p->origins, sizeof(*p->origins), &p->origins_cap,
			(size_t)frame + 1);
		memset(p->origins + old, 0, (p->origins_cap - old) * sizeof(*p->origins));
	}
	if (!p->modules) {
		p->modules = fk_interner_new();
		fk_intern(p->modules, "", 0);
	}
	p->origins[frame] = (struct frame_origin){
		.address = address,
		.module = module ? fk_intern(p->modules, module, module_len) : 0,
		.set = true};
}

bool fk_profile_get_origin(const fk_profile *p, fk_name_id frame, uint64_t *address,
			   const char **module, size_t *module_len)
{
	if (frame >= p->origins_cap || !p->origins[frame].set)
		return false;
	*address = p->origins[frame].address;
	*module = fk_interner_name(p->modules, p->origins[frame].module, module_len);
	return true;
}

static inline size_t slot_index(uint64_t key, size_t mask)
{
	return fk_hash_mix(key) & mask;
}

static void grow_slots(fk_profile *p)
{
	size_t nmask = p->mask * 2 + 1;
	struct child_slot *ns = fk_xcalloc(nmask + 1, sizeof(*ns));
	for (size_t i = 0; i <= p->mask; i++) {
		if (!p->slots[i].node)
			continue;
		size_t j = slot_index(p->slots[i].key, nmask);
		while (ns[j].node)
			j = (j + 1) & nmask;
		ns[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = ns;
	p->mask = nmask;
}

fk_node_id fk_profile_child(fk_profile *p, fk_node_id parent, fk_name_id name)
{
	uint64_t key = ((uint64_t)parent << 32) | name;
	size_t i = slot_index(key, p->mask);
	for (;;) {
		struct child_slot *s = &p->slots[i];
		if (!s->node)
			break;
		if (s->key == key)
			return s->node;
		i = (i + 1) & p->mask;
	}
	if (p->count >= UINT32_MAX) {
		fprintf(stderr, "flamekit: more than 2^32 distinct frames in one profile\n");
		abort();
	}
	fk_grow((void **)&p->nodes, sizeof(fk_node), &p->cap, p->count + 1);
	fk_node_id id = (fk_node_id)p->count++;
	fk_node *parent_node = &p->nodes[parent];
	p->nodes[id] = (fk_node){.name = name,
				 .parent = parent,
				 .next_sibling = parent_node->first_child};
	parent_node->first_child = id;
	p->slots[i].key = key;
	p->slots[i].node = id;
	if (p->count * 2 > p->mask)
		grow_slots(p);
	return id;
}

static void remember_order(fk_profile *p, fk_node_id node, double count, double before)
{
	fk_grow((void **)&p->order, sizeof(*p->order), &p->order_cap, p->order_len + 1);
	p->order[p->order_len++] = (fk_stack_ref){node, count, before};
}

void fk_profile_add_at(fk_profile *p, fk_node_id node, double count)
{
	fk_node *n = &p->nodes[node];
	if (!(n->flags & FK_NODE_LEAF)) {
		n->flags |= FK_NODE_LEAF;
		p->leaves++;
	}
	n->self += count;
	if (p->keep_order)
		remember_order(p, node, count, 0);
}


void fk_profile_add_pair(fk_profile *p, fk_node_id node, double before, double after)
{
	fk_node *n = &p->nodes[node];
	if (!(n->flags & FK_NODE_LEAF)) {
		n->flags |= FK_NODE_LEAF;
		p->leaves++;
	}
	n->self += after;
	n->self_before += before;
	p->has_before = true;
	if (p->keep_order)
		remember_order(p, node, after, before);
}

bool fk_profile_has_before(const fk_profile *p)
{
	return p->has_before;
}

void fk_profile_clear_counts(fk_profile *p)
{
	for (size_t i = 0; i < p->count; i++) {
		fk_node *n = &p->nodes[i];
		n->flags &= ~FK_NODE_LEAF;
		n->self = n->self_before = n->total = n->total_before = 0;
	}
	p->leaves = 0;
	p->has_before = false;
	p->order_len = 0;
}

void fk_profile_keep_order(fk_profile *p)
{
	p->keep_order = true;
}

const fk_stack_ref *fk_profile_order(const fk_profile *p, size_t *count)
{
	*count = p->order_len;
	return p->keep_order ? p->order : NULL;
}

void fk_profile_add_stack(fk_profile *p, const fk_name_id *names, size_t n, double count)
{
	fk_node_id node = FK_ROOT;
	for (size_t i = 0; i < n; i++)
		node = fk_profile_child(p, node, names[i]);
	fk_profile_add_at(p, node, count);
}

void fk_profile_merge(fk_profile *dst, const fk_profile *src)
{
	if (!dst->meta.sample_type[0])
		dst->meta = src->meta;
	size_t nnames = fk_interner_count(src->names);
	fk_name_id *name_map = fk_xmalloc((nnames ? nnames : 1) * sizeof(fk_name_id));
	for (size_t i = 0; i < nnames; i++) {
		size_t len;
		const char *s = fk_interner_name(src->names, (fk_name_id)i, &len);
		name_map[i] = fk_intern(dst->names, s, len);
		uint64_t address;
		const char *module;
		size_t module_len;
		if (fk_profile_get_origin(src, (fk_name_id)i, &address, &module, &module_len))
			fk_profile_set_origin(dst, name_map[i], address, module, module_len);
	}
	bool keep = dst->keep_order;
	dst->keep_order = false; /* order is appended below, in src's own order */
	fk_node_id *node_map = fk_xmalloc(src->count * sizeof(fk_node_id));
	node_map[0] = FK_ROOT;
	for (size_t i = 0; i < src->count; i++) {
		const fk_node *sn = &src->nodes[i];
		if (i > 0)
			node_map[i] = fk_profile_child(dst, node_map[sn->parent], name_map[sn->name]);
		if (!(sn->flags & FK_NODE_LEAF))
			continue;
		if (src->has_before)
			fk_profile_add_pair(dst, node_map[i], sn->self_before, sn->self);
		else
			fk_profile_add_at(dst, node_map[i], sn->self);
		if (keep && !src->keep_order)
			remember_order(dst, node_map[i], sn->self, sn->self_before);
	}
	dst->keep_order = keep;
	if (keep && src->keep_order)
		for (size_t i = 0; i < src->order_len; i++)
			remember_order(dst, node_map[src->order[i].node], src->order[i].count,
				       src->order[i].before);
	free(node_map);
	free(name_map);
}

size_t fk_format_count(double count, char *buf)
{
	/* range first: converting an out-of-range double to long long is undefined */
	if (count > -9.2e18 && count < 9.2e18 && count == (double)(long long)count) {
		long long v = (long long)count;
		char tmp[24];
		size_t n = 0;
		bool neg = v < 0;
		unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		do {
			tmp[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		size_t o = 0;
		if (neg)
			buf[o++] = '-';
		while (n)
			buf[o++] = tmp[--n];
		buf[o] = '\0';
		return o;
	}
	return (size_t)snprintf(buf, 32, "%.15g", count);
}

size_t fk_profile_node_count(const fk_profile *p)
{
	return p->count;
}

const fk_node *fk_profile_node(const fk_profile *p, fk_node_id id)
{
	return &p->nodes[id];
}

fk_node *fk_profile_node_mutable(fk_profile *p, fk_node_id id)
{
	return &p->nodes[id];
}

size_t fk_profile_stack_count(const fk_profile *p)
{
	return p->leaves;
}

double fk_profile_total(const fk_profile *p)
{
	double t = 0;
	for (size_t i = 0; i < p->count; i++)
		t += p->nodes[i].self;
	return t;
}

void fk_profile_compute_totals(fk_profile *p)
{
	for (size_t i = 0; i < p->count; i++) {
		p->nodes[i].total = p->nodes[i].self;
		p->nodes[i].total_before = p->nodes[i].self_before;
	}
	for (size_t i = p->count - 1; i > 0; i--) {
		p->nodes[p->nodes[i].parent].total += p->nodes[i].total;
		p->nodes[p->nodes[i].parent].total_before += p->nodes[i].total_before;
	}
}

/* Sorted walk. A folded line for the stack ending at child c of node P is "P;c", and
 * the lines below c are "P;c;...". Among the siblings, each child therefore stands for
 * two sort keys: its own line (key c, then the end of the line) and its subtree (key
 * "c;"). Sorting those keys bytewise, a key that ends sorting before any longer one,
 * gives exactly the order of the sorted folded lines, even for names such as "foo" and
 * "foo.part.0". In line order the own line's key also holds " COUNT". */
struct walk_item {
	const unsigned char *key;
	uint32_t len;
	uint32_t node;
	int term; /* what follows the key: -1 = the end, else ';' (a subtree) */
	char *owned; /* a key built for line order, freed with its level */
};

static int item_cmp(const void *a, const void *b)
{
	const struct walk_item *x = a, *y = b;
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	int xn = x->len > n ? x->key[n] : x->term;
	int yn = y->len > n ? y->key[n] : y->term;
	if (xn != yn)
		return xn < yn ? -1 : 1;
	return 0;
}

struct walk_frame {
	size_t first, end, pos; /* range of this level's items in the item stack */
};

/* "name COUNT" or "name BEFORE AFTER", as the line would read */
static char *line_key(const fk_profile *p, const fk_node *n, const char *name, size_t len,
		      uint32_t *key_len)
{
	char *k = fk_xmalloc(len + 66);
	memcpy(k, name, len);
	size_t o = len;
	k[o++] = ' ';
	if (p->has_before) {
		o += fk_format_count(n->self_before, k + o);
		k[o++] = ' ';
	}
	o += fk_format_count(n->self, k + o);
	*key_len = (uint32_t)o;
	return k;
}

int fk_profile_walk(const fk_profile *p, fk_walk_order order, fk_node_fn fn, void *ctx)
{
	int rc = 0;
	if (p->nodes[0].flags & FK_NODE_LEAF) {
		rc = fn(p, NULL, 0, FK_ROOT, ctx);
		if (rc)
			return rc;
	}
	struct walk_item *items = NULL;
	size_t nitems = 0, items_cap = 0;
	struct walk_frame *frames = NULL;
	size_t nframes = 0, frames_cap = 0;
	fk_name_id *path = NULL;
	size_t path_cap = 0;
	fk_node_id expand = FK_ROOT;
	for (;;) {
		if (expand != UINT32_MAX) {
			/* push the sorted items of expand's children as a new level */
			size_t first = nitems;
			for (fk_node_id c = p->nodes[expand].first_child; c; c = p->nodes[c].next_sibling) {
				const fk_node *cn = &p->nodes[c];
				size_t len;
				const char *s = fk_interner_name(p->names, cn->name, &len);
				fk_grow((void **)&items, sizeof(*items), &items_cap, nitems + 2);
				if (cn->flags & FK_NODE_LEAF) {
					struct walk_item it = {(const unsigned char *)s, (uint32_t)len, c, -1, NULL};
					if (order == FK_ORDER_LINES) {
						it.owned = line_key(p, cn, s, len, &it.len);
						it.key = (const unsigned char *)it.owned;
					}
					items[nitems++] = it;
				}
				if (cn->first_child)
					items[nitems++] = (struct walk_item){(const unsigned char *)s,
									     (uint32_t)len, c, ';', NULL};
			}
			if (nitems - first > 1)
				qsort(items + first, nitems - first, sizeof(*items), item_cmp);
			fk_grow((void **)&frames, sizeof(*frames), &frames_cap, nframes + 1);
			frames[nframes++] = (struct walk_frame){first, nitems, first};
			expand = UINT32_MAX;
		}
		if (nframes == 0)
			break;
		struct walk_frame *f = &frames[nframes - 1];
		if (f->pos == f->end) {
			for (size_t i = f->first; i < f->end; i++)
				free(items[i].owned);
			nitems = f->first;
			nframes--;
			continue;
		}
		struct walk_item it = items[f->pos++];
		size_t depth = nframes; /* path[0..depth-1]: ancestors then this child */
		fk_grow((void **)&path, sizeof(*path), &path_cap, depth);
		path[depth - 1] = p->nodes[it.node].name;
		if (it.term < 0) {
			rc = fn(p, path, depth, it.node, ctx);
			if (rc)
				break;
		} else {
			expand = it.node;
		}
	}
	for (size_t i = 0; i < nitems; i++)
		free(items[i].owned);
	free(items);
	free(frames);
	free(path);
	return rc;
}

struct sorted_ctx {
	fk_stack_fn fn;
	void *ctx;
};

static int call_stack_fn(const fk_profile *p, const fk_name_id *names, size_t depth,
			 fk_node_id node, void *ctx)
{
	struct sorted_ctx *sc = ctx;
	return sc->fn(p, names, depth, p->nodes[node].self, sc->ctx);
}

int fk_profile_walk_sorted(const fk_profile *p, fk_stack_fn fn, void *ctx)
{
	struct sorted_ctx sc = {fn, ctx};
	return fk_profile_walk(p, FK_ORDER_STACKS, call_stack_fn, &sc);
}
