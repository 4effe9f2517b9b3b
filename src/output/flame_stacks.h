/* flame_stacks.h: the stack rewrites a flame graph may need before it is drawn, each
 * building a new profile from an existing one (the filters --base, --focus and --ignore
 * are src/stack/filter.h's): --reverse (leaf first, as flamegraph.pl reverses its input lines), and the "chain"
 * palette's marking of waker frames. With keep_order, the new profile remembers its
 * stacks in the source's input order (flame charts); otherwise stacks are aggregated. */
#ifndef FK_FLAME_STACKS_H
#define FK_FLAME_STACKS_H

#include "../stack/profile.h"

/* Where a stack ending at node ends for flamegraph.pl: empty frames at the end are no
 * frames (its split drops them), so "a;b;" ends at b. */
fk_node_id fk_stack_trim_empty(const fk_profile *p, fk_node_id node);

/* The stacks of p (each trimmed by fk_stack_trim_empty) in input order if keep_order and p kept it, else every distinct stack
 * (in node order). Returns a new array (free it) of *count entries. */
fk_stack_ref *fk_stacks_list(const fk_profile *p, bool keep_order, size_t *count);

/* Every stack of src leaf first. Empty frames that end up last are dropped, as
 * flamegraph.pl's split does when it reads the reversed line again. */
fk_profile *fk_stacks_reverse(const fk_profile *src, bool keep_order);
/* flamegraph.pl's --colors=chain rewrite, applied to the stacks seq (of src) in that
 * order: frames after a "--" separator get "_[w]" (waker), and a "--" frame is added
 * after the first part. The result keeps seq's order (fk_profile_order). */
fk_profile *fk_stacks_chain(const fk_profile *src, const fk_stack_ref *seq, size_t n);

#endif
