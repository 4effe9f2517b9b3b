/* compare.c: the comparison of two profiles, as difffolded.pl computes it. */
#include "compare.h"

#include <math.h>

struct compare_ctx {
	fk_profile *out;
	const fk_compare_options *options;
	bool after;
	char *buf;
	size_t cap;
	fk_name_id *ids;
	size_t ids_cap;
};

static inline bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* s/0x[0-9a-fA-F]+/0x.../g on one frame name */
static fk_name_id out_name(struct compare_ctx *cc, const char *s, size_t len)
{
	fk_interner *names = fk_profile_names(cc->out);
	if (!cc->options->strip_hex || !memchr(s, 'x', len))
		return fk_intern(names, s, len);
	fk_grow((void **)&cc->buf, 1, &cc->cap, len * 2 + 8);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (i + 2 < len && s[i] == '0' && s[i + 1] == 'x' && is_hex(s[i + 2])) {
			i += 2;
			while (i < len && is_hex(s[i]))
				i++;
			memcpy(cc->buf + o, "0x...", 5);
			o += 5;
			continue;
		}
		cc->buf[o++] = s[i++];
	}
	return fk_intern(names, cc->buf, o);
}

static int add_stack(const fk_profile *p, const fk_name_id *names, size_t depth, fk_node_id node,
		     void *ctx)
{
	struct compare_ctx *cc = ctx;
	fk_node_id at = FK_ROOT;
	for (size_t i = 0; i < depth; i++) {
		size_t len;
		const char *s = fk_profile_name(p, names[i], &len);
		at = fk_profile_child(cc->out, at, out_name(cc, s, len));
	}
	double count = fk_profile_node(p, node)->self;
	if (cc->after)
		fk_profile_add_pair(cc->out, at, 0, count);
	else
		fk_profile_add_pair(cc->out, at, count, 0);
	return 0;
}

fk_profile *fk_profile_compare(const fk_profile *before, const fk_profile *after,
			       const fk_compare_options *options)
{
	fk_profile *out = fk_profile_new();
	struct compare_ctx cc = {.out = out, .options = options};
	fk_profile_walk(before, FK_ORDER_STACKS, add_stack, &cc);
	cc.after = true;
	fk_profile_walk(after, FK_ORDER_STACKS, add_stack, &cc);
	free(cc.buf);
	double t1 = fk_profile_total(before), t2 = fk_profile_total(after);
	if (options->normalize && t1 != t2 && t1 != 0) {
		size_t n = fk_profile_node_count(out);
		for (fk_node_id i = 0; i < n; i++) {
			fk_node *node = fk_profile_node_mutable(out, i);
			if (node->flags & FK_NODE_LEAF)
				node->self_before = trunc(node->self_before * t2 / t1);
		}
	}
	return out;
}
