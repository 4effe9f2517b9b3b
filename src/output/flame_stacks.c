/* flame_stacks.c: reversal and the chain rewrite of stacks (see flame_stacks.h).
 * Each walks the source's stacks once, maps frame names into the new profile through a
 * per-name cache, and never allocates per frame. */
#define _GNU_SOURCE
#include "flame_stacks.h"

fk_node_id fk_stack_trim_empty(const fk_profile *p, fk_node_id node)
{
	while (node != FK_ROOT) {
		const fk_node *n = fk_profile_node(p, node);
		size_t len;
		fk_profile_name(p, n->name, &len);
		if (len)
			break;
		node = n->parent;
	}
	return node;
}

fk_stack_ref *fk_stacks_list(const fk_profile *p, bool keep_order, size_t *count)
{
	size_t n = 0;
	const fk_stack_ref *order = keep_order ? fk_profile_order(p, &n) : NULL;
	fk_stack_ref *out;
	if (order) {
		out = fk_xmalloc((n ? n : 1) * sizeof(*out));
		for (size_t i = 0; i < n; i++) {
			out[i] = order[i];
			out[i].node = fk_stack_trim_empty(p, order[i].node);
		}
		*count = n;
		return out;
	}
	size_t nodes = fk_profile_node_count(p);
	out = fk_xmalloc((fk_profile_stack_count(p) + 1) * sizeof(*out));
	n = 0;
	for (size_t i = 0; i < nodes; i++) {
		const fk_node *nd = fk_profile_node(p, (fk_node_id)i);
		if (nd->flags & FK_NODE_LEAF)
			out[n++] = (fk_stack_ref){fk_stack_trim_empty(p, (fk_node_id)i), nd->self,
						  nd->self_before};
	}
	*count = n;
	return out;
}

/* Reusable buffers for one rewrite. */
struct rewrite {
	const fk_profile *src;
	fk_profile *dst;
	fk_name_id *name_map; /* src name id -> dst name id + 1 (0: not yet) */
	size_t name_map_cap;
	fk_name_id *path; /* src names of the current stack, root first */
	fk_name_id *out;  /* dst names of the rewritten stack */
	size_t path_cap, out_cap;
	bool pairs;
};

static void rewrite_init(struct rewrite *rw, const fk_profile *src, bool keep_order)
{
	memset(rw, 0, sizeof(*rw));
	rw->src = src;
	rw->dst = fk_profile_new();
	if (keep_order)
		fk_profile_keep_order(rw->dst);
	rw->pairs = fk_profile_has_before(src);
	rw->name_map_cap = fk_interner_count(fk_profile_names((fk_profile *)src)) + 1;
	rw->name_map = fk_xcalloc(rw->name_map_cap, sizeof(fk_name_id));
}

static fk_profile *rewrite_finish(struct rewrite *rw)
{
	free(rw->name_map);
	free(rw->path);
	free(rw->out);
	return rw->dst;
}

/* The src names of the stack ending at node, root first, in rw->path. */
static size_t load_path(struct rewrite *rw, fk_node_id node)
{
	size_t depth = 0;
	for (fk_node_id n = node; n != FK_ROOT; n = fk_profile_node(rw->src, n)->parent)
		depth++;
	fk_grow((void **)&rw->path, sizeof(fk_name_id), &rw->path_cap, depth + 1);
	fk_grow((void **)&rw->out, sizeof(fk_name_id), &rw->out_cap, depth + 1);
	size_t i = depth;
	for (fk_node_id n = node; n != FK_ROOT; n = fk_profile_node(rw->src, n)->parent)
		rw->path[--i] = fk_profile_node(rw->src, n)->name;
	return depth;
}

static fk_name_id map_name(struct rewrite *rw, fk_name_id id)
{
	if (id >= rw->name_map_cap) { /* cannot happen for names of src; stay safe */
		size_t len;
		const char *s = fk_profile_name(rw->src, id, &len);
		return fk_intern(fk_profile_names(rw->dst), s, len);
	}
	if (!rw->name_map[id]) {
		size_t len;
		const char *s = fk_profile_name(rw->src, id, &len);
		rw->name_map[id] = fk_intern(fk_profile_names(rw->dst), s, len) + 1;
	}
	return rw->name_map[id] - 1;
}

static void add_stack(struct rewrite *rw, const fk_name_id *names, size_t n, const fk_stack_ref *ref)
{
	fk_node_id node = FK_ROOT;
	for (size_t i = 0; i < n; i++)
		node = fk_profile_child(rw->dst, node, names[i]);
	if (rw->pairs)
		fk_profile_add_pair(rw->dst, node, ref->before, ref->count);
	else
		fk_profile_add_at(rw->dst, node, ref->count);
}

fk_profile *fk_stacks_reverse(const fk_profile *src, bool keep_order)
{
	struct rewrite rw;
	rewrite_init(&rw, src, keep_order);
	size_t nstacks;
	fk_stack_ref *stacks = fk_stacks_list(src, keep_order, &nstacks);
	for (size_t s = 0; s < nstacks; s++) {
		size_t depth = load_path(&rw, stacks[s].node);
		for (size_t i = 0; i < depth; i++)
			rw.out[i] = map_name(&rw, rw.path[depth - 1 - i]);
		/* drop empty frames at the (new) end */
		while (depth > 0) {
			size_t len;
			fk_profile_name(rw.dst, rw.out[depth - 1], &len);
			if (len)
				break;
			depth--;
		}
		add_stack(&rw, rw.out, depth, &stacks[s]);
	}
	free(stacks);
	return rewrite_finish(&rw);
}

/* ---- chain ---- */

struct strbuf {
	char *data;
	size_t len, cap;
};

static void sb_put(struct strbuf *sb, const char *s, size_t len)
{
	fk_grow((void **)&sb->data, 1, &sb->cap, sb->len + len + 1);
	memcpy(sb->data + sb->len, s, len);
	sb->len += len;
}

struct span {
	size_t off, len;
};

fk_profile *fk_stacks_chain(const fk_profile *src, const fk_stack_ref *seq, size_t n)
{
	struct rewrite rw;
	rewrite_init(&rw, src, true);
	fk_interner *dst_names = fk_profile_names(rw.dst);
	struct strbuf line = {0}, out = {0};
	struct span *parts = NULL;
	size_t parts_cap = 0;
	static const char sep[] = ";--;";
	for (size_t s = 0; s < n; s++) {
		size_t depth = load_path(&rw, seq[s].node);
		/* the stack as its folded line spelled it */
		line.len = 0;
		for (size_t i = 0; i < depth; i++) {
			size_t len;
			const char *name = fk_profile_name(src, rw.path[i], &len);
			if (i)
				sb_put(&line, ";", 1);
			sb_put(&line, name, len);
		}
		/* split at ";--;" (Perl's split: trailing empty parts dropped) */
		size_t nparts = 0, pos = 0;
		while (line.len > 0) {
			const char *m = memmem(line.data + pos, line.len - pos, sep, 4);
			size_t end = m ? (size_t)(m - line.data) : line.len;
			fk_grow((void **)&parts, sizeof(*parts), &parts_cap, nparts + 1);
			parts[nparts++] = (struct span){pos, end - pos};
			if (!m)
				break;
			pos = end + 4;
		}
		while (nparts > 0 && parts[nparts - 1].len == 0)
			nparts--;
		/* first part, "--", then the other parts with every frame marked "_[w]" */
		out.len = 0;
		if (nparts)
			sb_put(&out, line.data + parts[0].off, parts[0].len);
		sb_put(&out, sep, 4);
		for (size_t p = 1; p < nparts; p++) {
			if (p > 1)
				sb_put(&out, sep, 4);
			const char *q = line.data + parts[p].off;
			for (size_t i = 0; i < parts[p].len; i++) {
				if (q[i] == ';')
					sb_put(&out, "_[w];", 5);
				else
					sb_put(&out, q + i, 1);
			}
			sb_put(&out, "_[w]", 4);
		}
		/* split the result at ";" (trailing empty frames dropped) */
		size_t nframes = 0;
		const char *q = out.data, *end = out.data + out.len;
		while (end > q && end[-1] == ';')
			end--;
		if (q < end) {
			for (;;) {
				const char *semi = memchr(q, ';', (size_t)(end - q));
				const char *fe = semi ? semi : end;
				fk_grow((void **)&rw.out, sizeof(fk_name_id), &rw.out_cap, nframes + 1);
				rw.out[nframes++] = fk_intern(dst_names, q, (size_t)(fe - q));
				if (!semi)
					break;
				q = semi + 1;
			}
		}
		add_stack(&rw, rw.out, nframes, &seq[s]);
	}
	free(line.data);
	free(out.data);
	free(parts);
	return rewrite_finish(&rw);
}
