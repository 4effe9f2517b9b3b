/* stack_builder.h: a stack being read from text that lists frames leaf first (perf
 * script, DTrace): each line's frames are put in front of those read so far (Perl's
 * `unshift`), so the finished stack is root first, ready for fk_profile_add_stack. */
#ifndef FK_STACK_BUILDER_H
#define FK_STACK_BUILDER_H

#include "intern.h"

typedef struct fk_stack_builder {
	fk_name_id *ids; /* the stack is ids[start..cap) */
	size_t start, cap;
} fk_stack_builder;

void fk_stack_builder_init(fk_stack_builder *b);
void fk_stack_builder_free(fk_stack_builder *b);
/* Puts names[0..n) in front of the stack, in that order. */
void fk_stack_builder_prepend(fk_stack_builder *b, const fk_name_id *names, size_t n);

static inline void fk_stack_builder_clear(fk_stack_builder *b)
{
	b->start = b->cap;
}
static inline const fk_name_id *fk_stack_builder_names(const fk_stack_builder *b)
{
	return b->ids + b->start;
}
static inline size_t fk_stack_builder_depth(const fk_stack_builder *b)
{
	return b->cap - b->start;
}

#endif
