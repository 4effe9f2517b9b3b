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
	free(p);
}

fk_interner *fk_profile_names(fk_profile *p)
{
	return p->names;
}

const char *fk_profile_name(const fk_profile *p, fk_name_id id, size_t *len)
{
	return fk_interner_name(p->names, id, len);
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

void fk_profile_add_at(fk_profile *p, fk_node_id node, double count)
{
	fk_node *n = &p->nodes[node];
	if (!(n->flags & FK_NODE_LEAF)) {
		n->flags |= FK_NODE_LEAF;
		p->leaves++;
	}
	n->self += count;
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
	size_t nnames = fk_interner_count(src->names);
	fk_name_id *name_map = fk_xmalloc((nnames ? nnames : 1) * sizeof(fk_name_id));
	for (size_t i = 0; i < nnames; i++) {
		size_t len;
		const char *s = fk_interner_name(src->names, (fk_name_id)i, &len);
		name_map[i] = fk_intern(dst->names, s, len);
	}
	fk_node_id *node_map = fk_xmalloc(src->count * sizeof(fk_node_id));
	node_map[0] = FK_ROOT;
	for (size_t i = 0; i < src->count; i++) {
		const fk_node *sn = &src->nodes[i];
		if (i > 0)
			node_map[i] = fk_profile_child(dst, node_map[sn->parent], name_map[sn->name]);
		if (sn->flags & FK_NODE_LEAF)
			fk_profile_add_at(dst, node_map[i], sn->self);
	}
	free(node_map);
	free(name_map);
}

size_t fk_profile_node_count(const fk_profile *p)
{
	return p->count;
}

const fk_node *fk_profile_node(const fk_profile *p, fk_node_id id)
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
	for (size_t i = 0; i < p->count; i++)
		p->nodes[i].total = p->nodes[i].self;
	for (size_t i = p->count - 1; i > 0; i--)
		p->nodes[p->nodes[i].parent].total += p->nodes[i].total;
}

/* Sorted walk. A folded line for the stack ending at child c of node P is "P;c", and
 * the lines below c are "P;c;...". Among the siblings, each child therefore stands for
 * two sort keys: its own line (key c, ending there) and its subtree (key "c;"). Sorting
 * those keys bytewise, a key that ends sorting before any longer one, gives exactly the
 * order of the sorted folded lines, even for names such as "foo" and "foo.part.0". */
enum { ITEM_SELF = 0, ITEM_KIDS = 1 };

struct walk_item {
	const unsigned char *name;
	uint32_t len;
	uint32_t node;
	uint32_t kind;
};

static int item_cmp(const void *a, const void *b)
{
	const struct walk_item *x = a, *y = b;
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	if (x->len == y->len)
		return (int)x->kind - (int)y->kind;
	/* one name is a prefix of the other: the shorter continues with end-of-line (self)
	 * or ';' (subtree) */
	if (x->len < y->len) {
		if (x->kind == ITEM_SELF)
			return -1;
		return ';' < y->name[n] ? -1 : 1;
	}
	if (y->kind == ITEM_SELF)
		return 1;
	return x->name[n] < ';' ? -1 : 1;
}

struct walk_frame {
	size_t first, end, pos; /* range of this level's items in the item stack */
};

int fk_profile_walk_sorted(const fk_profile *p, fk_stack_fn fn, void *ctx)
{
	int rc = 0;
	if (p->nodes[0].flags & FK_NODE_LEAF) {
		rc = fn(p, NULL, 0, p->nodes[0].self, ctx);
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
				size_t len;
				const char *s = fk_interner_name(p->names, p->nodes[c].name, &len);
				fk_grow((void **)&items, sizeof(*items), &items_cap, nitems + 2);
				if (p->nodes[c].flags & FK_NODE_LEAF)
					items[nitems++] = (struct walk_item){(const unsigned char *)s,
									     (uint32_t)len, c, ITEM_SELF};
				if (p->nodes[c].first_child)
					items[nitems++] = (struct walk_item){(const unsigned char *)s,
									     (uint32_t)len, c, ITEM_KIDS};
			}
			if (nitems - first > 1) /* items is NULL while no node has children */
				qsort(items + first, nitems - first, sizeof(*items), item_cmp);
			fk_grow((void **)&frames, sizeof(*frames), &frames_cap, nframes + 1);
			frames[nframes++] = (struct walk_frame){first, nitems, first};
			expand = UINT32_MAX;
		}
		if (nframes == 0)
			break;
		struct walk_frame *f = &frames[nframes - 1];
		if (f->pos == f->end) {
			nitems = f->first;
			nframes--;
			continue;
		}
		struct walk_item it = items[f->pos++];
		size_t depth = nframes; /* path[0..depth-1]: ancestors then this child */
		fk_grow((void **)&path, sizeof(*path), &path_cap, depth);
		path[depth - 1] = p->nodes[it.node].name;
		if (it.kind == ITEM_SELF) {
			rc = fn(p, path, depth, p->nodes[it.node].self, ctx);
			if (rc)
				break;
		} else {
			expand = it.node;
		}
	}
	free(items);
	free(frames);
	free(path);
	return rc;
}
