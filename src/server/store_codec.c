/* store_codec.c: interning of frame names and stacks for the store, and the blob format
 * of a window's samples (store_codec.h).
 *
 * Blob: a version byte (1), varint number of pairs, then per pair: varint delta of the
 * stack id (ascending; the first delta is from 0), and the value: varint (v << 1) for an
 * integer 0 <= v < 2^53, or varint 1 followed by the 8 little-endian bytes of the
 * double (fractions, negatives, -0, huge values, NaN: exact). */
#include "store_codec.h"

#include <math.h>

#include "../util/hash.h"

void fk_codec_buf_free(fk_codec_buf *b)
{
	free(b->data);
	*b = (fk_codec_buf){0};
}

static inline void buf_need(fk_codec_buf *b, size_t more)
{
	if (b->len + more > b->cap)
		fk_grow((void **)&b->data, 1, &b->cap, b->len + more);
}

static inline void put_varint(fk_codec_buf *b, uint64_t v)
{
	buf_need(b, 10);
	while (v >= 0x80) {
		b->data[b->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (unsigned char)v;
}

static inline int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *out)
{
	const unsigned char *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p == end)
			return -1;
		unsigned char c = *p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

static void put_value(fk_codec_buf *b, double v)
{
	if (v >= 0 && v < 9007199254740992.0 && v == floor(v) && !signbit(v)) {
		put_varint(b, (uint64_t)v << 1);
		return;
	}
	put_varint(b, 1);
	uint64_t bits;
	memcpy(&bits, &v, 8);
	buf_need(b, 8);
	for (int i = 0; i < 8; i++)
		b->data[b->len++] = (unsigned char)(bits >> (8 * i));
}

/* ---- writer side ---- */

struct node_slot {
	uint64_t key; /* (parent << 32) | name */
	uint32_t id;  /* 0 = empty */
};

struct fk_codec_dict {
	fk_interner *strings;
	uint32_t committed_strings;
	fk_codec_node *nodes; /* by stack id; [0] unused (root) */
	size_t nnodes, nodes_cap;
	uint32_t committed_nodes; /* node count (including the root) committed */
	struct node_slot *slots;
	size_t mask;
	/* scratch of fk_codec_encode */
	uint32_t *map;
	size_t map_cap;
	struct pair { uint32_t id; double v; } *pairs;
	size_t pairs_cap;
};

static void slots_insert(fk_codec_dict *d, uint64_t key, uint32_t id)
{
	size_t i = (size_t)fk_hash_mix(key) & d->mask;
	while (d->slots[i].id)
		i = (i + 1) & d->mask;
	d->slots[i].key = key;
	d->slots[i].id = id;
}

static void slots_rebuild(fk_codec_dict *d, size_t mask)
{
	free(d->slots);
	d->mask = mask;
	d->slots = fk_xcalloc(mask + 1, sizeof(*d->slots));
	for (size_t id = 1; id < d->nnodes; id++)
		slots_insert(d, ((uint64_t)d->nodes[id].parent << 32) | d->nodes[id].name,
			     (uint32_t)id);
}

fk_codec_dict *fk_codec_dict_new(void)
{
	fk_codec_dict *d = fk_xcalloc(1, sizeof(*d));
	d->strings = fk_interner_new();
	d->nodes_cap = 1024;
	d->nodes = fk_xcalloc(d->nodes_cap, sizeof(*d->nodes));
	d->nnodes = 1;
	d->committed_nodes = 1;
	slots_rebuild(d, 2047);
	return d;
}

void fk_codec_dict_free(fk_codec_dict *d)
{
	if (!d)
		return;
	fk_interner_free(d->strings);
	free(d->nodes);
	free(d->slots);
	free(d->map);
	free(d->pairs);
	free(d);
}

void fk_codec_dict_clear(fk_codec_dict *d)
{
	fk_interner_free(d->strings);
	d->strings = fk_interner_new();
	d->committed_strings = 0;
	d->nnodes = 1;
	d->committed_nodes = 1;
	slots_rebuild(d, 2047);
}

int fk_codec_dict_load_string(fk_codec_dict *d, uint32_t id, const char *s, size_t len,
			      fk_error *err)
{
	if (id != fk_interner_count(d->strings) || fk_intern(d->strings, s, len) != id)
		return fk_error_set(err, "string %u out of order or repeated", id);
	d->committed_strings = id + 1;
	return 0;
}

static uint32_t dict_add_node(fk_codec_dict *d, uint32_t parent, uint32_t name)
{
	fk_grow((void **)&d->nodes, sizeof(*d->nodes), &d->nodes_cap, d->nnodes + 1);
	uint32_t id = (uint32_t)d->nnodes++;
	d->nodes[id] = (fk_codec_node){parent, name};
	slots_insert(d, ((uint64_t)parent << 32) | name, id);
	if (d->nnodes * 2 > d->mask)
		slots_rebuild(d, d->mask * 2 + 1);
	return id;
}

int fk_codec_dict_load_node(fk_codec_dict *d, uint32_t id, uint32_t parent, uint32_t name,
			    fk_error *err)
{
	if (id != d->nnodes || parent >= id || name >= fk_interner_count(d->strings))
		return fk_error_set(err, "stack node %u out of order or with unknown parent/name",
				    id);
	dict_add_node(d, parent, name);
	d->committed_nodes = id + 1;
	return 0;
}

static uint32_t dict_node(fk_codec_dict *d, uint32_t parent, uint32_t name)
{
	uint64_t key = ((uint64_t)parent << 32) | name;
	size_t i = (size_t)fk_hash_mix(key) & d->mask;
	while (d->slots[i].id) {
		if (d->slots[i].key == key)
			return d->slots[i].id;
		i = (i + 1) & d->mask;
	}
	return dict_add_node(d, parent, name);
}

static int pair_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct pair *)a)->id, y = ((const struct pair *)b)->id;
	return (x > y) - (x < y);
}

static void encode_pairs(const struct pair *pairs, size_t n, fk_codec_buf *blob, double *total)
{
	blob->len = 0;
	buf_need(blob, 1);
	blob->data[blob->len++] = FK_CODEC_BLOB_VERSION;
	put_varint(blob, n);
	uint32_t prev = 0;
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		put_varint(blob, pairs[i].id - prev);
		prev = pairs[i].id;
		put_value(blob, pairs[i].v);
		sum += pairs[i].v;
	}
	*total = sum;
}

int fk_codec_encode(fk_codec_dict *d, const fk_profile *p, fk_codec_buf *blob, double *total,
		    size_t *nstacks, fk_error *err)
{
	size_t count = fk_profile_node_count(p);
	if (d->nnodes + count >= UINT32_MAX || fk_interner_count(d->strings) >= UINT32_MAX - count)
		return fk_error_set(err, "the store's stack table is full");
	if (count > d->map_cap) {
		free(d->map);
		d->map_cap = count;
		d->map = fk_xmalloc(count * sizeof(*d->map));
	}
	/* Profile name id -> string id, computed once per name. */
	fk_interner *pnames = fk_profile_names((fk_profile *)p);
	size_t nnames = fk_interner_count(pnames);
	uint32_t *name_map = fk_xmalloc((nnames ? nnames : 1) * sizeof(*name_map));
	for (size_t i = 0; i < nnames; i++) {
		size_t len;
		const char *s = fk_interner_name(pnames, (fk_name_id)i, &len);
		name_map[i] = fk_intern(d->strings, s, len);
	}
	size_t npairs = 0;
	/* Nodes come after their parents, so one pass in index order maps them all. */
	for (size_t i = 0; i < count; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		d->map[i] = i == 0 ? 0 : dict_node(d, d->map[n->parent], name_map[n->name]);
		if (!(n->flags & FK_NODE_LEAF))
			continue;
		fk_grow((void **)&d->pairs, sizeof(*d->pairs), &d->pairs_cap, npairs + 1);
		d->pairs[npairs].id = d->map[i];
		d->pairs[npairs].v = n->self;
		npairs++;
	}
	free(name_map);
	qsort(d->pairs, npairs, sizeof(*d->pairs), pair_cmp);
	encode_pairs(d->pairs, npairs, blob, total);
	*nstacks = npairs;
	return 0;
}

void fk_codec_dict_pending_strings(const fk_codec_dict *d, uint32_t *first, uint32_t *end)
{
	*first = d->committed_strings;
	*end = (uint32_t)fk_interner_count(d->strings);
}

const char *fk_codec_dict_string(const fk_codec_dict *d, uint32_t id, size_t *len)
{
	return fk_interner_name(d->strings, id, len);
}

void fk_codec_dict_pending_nodes(const fk_codec_dict *d, uint32_t *first, uint32_t *end)
{
	*first = d->committed_nodes;
	*end = (uint32_t)d->nnodes;
}

fk_codec_node fk_codec_dict_node(const fk_codec_dict *d, uint32_t id)
{
	return d->nodes[id];
}

void fk_codec_dict_commit(fk_codec_dict *d)
{
	d->committed_strings = (uint32_t)fk_interner_count(d->strings);
	d->committed_nodes = (uint32_t)d->nnodes;
}

void fk_codec_dict_rollback(fk_codec_dict *d)
{
	if (fk_interner_count(d->strings) != d->committed_strings) {
		fk_interner *old = d->strings;
		d->strings = fk_interner_new();
		for (uint32_t i = 0; i < d->committed_strings; i++) {
			size_t len;
			const char *s = fk_interner_name(old, i, &len);
			fk_intern(d->strings, s, len);
		}
		fk_interner_free(old);
	}
	if (d->nnodes != d->committed_nodes) {
		d->nnodes = d->committed_nodes;
		slots_rebuild(d, d->mask);
	}
}

/* ---- sums ---- */

void fk_codec_sum_free(fk_codec_sum *sum)
{
	free(sum->value);
	free(sum->seen);
	free(sum->ids);
	*sum = (fk_codec_sum){0};
}

void fk_codec_sum_reset(fk_codec_sum *sum)
{
	for (size_t i = 0; i < sum->nids; i++) {
		sum->value[sum->ids[i]] = 0;
		sum->seen[sum->ids[i]] = 0;
	}
	sum->nids = 0;
}

static void sum_reserve(fk_codec_sum *sum, size_t need)
{
	if (need <= sum->cap)
		return;
	size_t cap = sum->cap ? sum->cap : 1024;
	while (cap < need)
		cap *= 2;
	sum->value = fk_xrealloc(sum->value, cap * sizeof(*sum->value));
	sum->seen = fk_xrealloc(sum->seen, cap);
	memset(sum->value + sum->cap, 0, (cap - sum->cap) * sizeof(*sum->value));
	memset(sum->seen + sum->cap, 0, cap - sum->cap);
	sum->cap = cap;
}

int fk_codec_sum_add(fk_codec_sum *sum, const unsigned char *blob, size_t len, uint32_t max_id,
		     fk_error *err)
{
	const unsigned char *p = blob, *end = blob + len;
	uint64_t n;
	if (len < 1 || *p++ != FK_CODEC_BLOB_VERSION || get_varint(&p, end, &n) ||
	    n > (size_t)(end - p) / 2)
		return fk_error_set(err, "corrupt profile blob (bad header)");
	uint64_t id = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t delta, tag;
		if (get_varint(&p, end, &delta) || get_varint(&p, end, &tag))
			return fk_error_set(err, "corrupt profile blob (truncated)");
		id += delta;
		if ((i > 0 && delta == 0) || id >= max_id)
			return fk_error_set(err, "corrupt profile blob (stack id %llu)",
					    (unsigned long long)id);
		double v;
		if (tag & 1) {
			if (tag != 1 || end - p < 8)
				return fk_error_set(err, "corrupt profile blob (value)");
			uint64_t bits = 0;
			for (int k = 0; k < 8; k++)
				bits |= (uint64_t)p[k] << (8 * k);
			p += 8;
			memcpy(&v, &bits, 8);
		} else {
			v = (double)(tag >> 1);
		}
		if (FK_UNLIKELY(id >= sum->cap))
			sum_reserve(sum, (size_t)id + 1);
		if (!sum->seen[id]) {
			sum->seen[id] = 1;
			if (sum->nids == sum->ids_cap)
				fk_grow((void **)&sum->ids, sizeof(*sum->ids), &sum->ids_cap,
					sum->nids + 1);
			sum->ids[sum->nids++] = (uint32_t)id;
		}
		sum->value[id] += v;
	}
	if (p != end)
		return fk_error_set(err, "corrupt profile blob (trailing bytes)");
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void fk_codec_sum_encode(fk_codec_sum *sum, fk_codec_buf *blob, double *total)
{
	qsort(sum->ids, sum->nids, sizeof(*sum->ids), u32_cmp);
	struct pair *pairs = fk_xmalloc((sum->nids ? sum->nids : 1) * sizeof(*pairs));
	for (size_t i = 0; i < sum->nids; i++)
		pairs[i] = (struct pair){sum->ids[i], sum->value[sum->ids[i]]};
	encode_pairs(pairs, sum->nids, blob, total);
	free(pairs);
}

/* ---- reader side ---- */

void fk_codec_cache_init(fk_codec_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_rwlock_init(&c->lock, NULL);
	c->strings = fk_interner_new();
	c->nodes_cap = 1024;
	c->nodes = fk_xcalloc(c->nodes_cap, sizeof(*c->nodes));
	c->nnodes = 1;
}

void fk_codec_cache_destroy(fk_codec_cache *c)
{
	pthread_rwlock_destroy(&c->lock);
	fk_interner_free(c->strings);
	free(c->nodes);
}

int fk_codec_cache_add_string(fk_codec_cache *c, uint32_t id, const char *s, size_t len,
			      fk_error *err)
{
	if (id != fk_interner_count(c->strings) || fk_intern(c->strings, s, len) != id)
		return fk_error_set(err, "string %u out of order or repeated", id);
	return 0;
}

int fk_codec_cache_add_node(fk_codec_cache *c, uint32_t id, uint32_t parent, uint32_t name,
			    fk_error *err)
{
	if (id != c->nnodes || parent >= id || name >= fk_interner_count(c->strings))
		return fk_error_set(err, "stack node %u out of order or with unknown parent/name",
				    id);
	fk_grow((void **)&c->nodes, sizeof(*c->nodes), &c->nodes_cap, c->nnodes + 1);
	c->nodes[c->nnodes++] = (fk_codec_node){parent, name};
	return 0;
}

void fk_codec_cache_build(const fk_codec_cache *c, const fk_codec_sum *sum, fk_profile *into)
{
	if (!sum->nids)
		return;
	/* Stack id -> node of into, plus one (0: not mapped yet); string id -> name id of
	 * into, plus one. */
	uint32_t *node_map = fk_xcalloc(c->nnodes, sizeof(*node_map));
	size_t nstrings = fk_interner_count(c->strings);
	uint32_t *name_map = fk_xcalloc(nstrings ? nstrings : 1, sizeof(*name_map));
	fk_interner *names = fk_profile_names(into);
	uint32_t *chain = NULL;
	size_t chain_cap = 0;
	node_map[0] = FK_ROOT + 1;
	for (size_t i = 0; i < sum->nids; i++) {
		uint32_t id = sum->ids[i];
		size_t depth = 0;
		uint32_t up = id;
		while (!node_map[up]) {
			fk_grow((void **)&chain, sizeof(*chain), &chain_cap, depth + 1);
			chain[depth++] = up;
			up = c->nodes[up].parent;
		}
		fk_node_id node = node_map[up] - 1;
		while (depth) {
			uint32_t sid = chain[--depth];
			uint32_t str = c->nodes[sid].name;
			if (!name_map[str]) {
				size_t len;
				const char *s = fk_interner_name(c->strings, str, &len);
				name_map[str] = fk_intern(names, s, len) + 1;
			}
			node = fk_profile_child(into, node, name_map[str] - 1);
			node_map[sid] = node + 1;
		}
		fk_profile_add_at(into, node, sum->value[id]);
	}
	free(chain);
	free(name_map);
	free(node_map);
}

static int sink_dict_string(void *d, uint32_t id, const char *s, size_t len, fk_error *err)
{
	return fk_codec_dict_load_string(d, id, s, len, err);
}

static int sink_dict_node(void *d, uint32_t id, uint32_t parent, uint32_t name, fk_error *err)
{
	return fk_codec_dict_load_node(d, id, parent, name, err);
}

fk_codec_sink fk_codec_dict_sink(fk_codec_dict *d)
{
	return (fk_codec_sink){sink_dict_string, sink_dict_node, d};
}

static int sink_cache_string(void *c, uint32_t id, const char *s, size_t len, fk_error *err)
{
	return fk_codec_cache_add_string(c, id, s, len, err);
}

static int sink_cache_node(void *c, uint32_t id, uint32_t parent, uint32_t name, fk_error *err)
{
	return fk_codec_cache_add_node(c, id, parent, name, err);
}

fk_codec_sink fk_codec_cache_sink(fk_codec_cache *c)
{
	return (fk_codec_sink){sink_cache_string, sink_cache_node, c};
}

int fk_codec_cache_catch_up(fk_codec_cache *c, int64_t last_string, int64_t last_node,
			    fk_codec_load_fn load, void *ctx, fk_error *err)
{
	pthread_rwlock_rdlock(&c->lock);
	if (last_string < (int64_t)fk_codec_cache_string_count(c) &&
	    last_node < (int64_t)fk_codec_cache_node_count(c))
		return 0;
	pthread_rwlock_unlock(&c->lock);
	pthread_rwlock_wrlock(&c->lock);
	int rc = load(ctx, fk_codec_cache_string_count(c), fk_codec_cache_node_count(c),
		      fk_codec_cache_sink(c), err);
	pthread_rwlock_unlock(&c->lock);
	if (rc)
		return -1;
	pthread_rwlock_rdlock(&c->lock);
	return 0;
}
