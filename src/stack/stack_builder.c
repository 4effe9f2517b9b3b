/* stack_builder.c: the root-first stack built from leaf-first text. */
#include "stack_builder.h"

void fk_stack_builder_init(fk_stack_builder *b)
{
	b->cap = b->start = 256;
	b->ids = fk_xmalloc(b->cap * sizeof(fk_name_id));
}

void fk_stack_builder_free(fk_stack_builder *b)
{
	free(b->ids);
	b->ids = NULL;
	b->start = b->cap = 0;
}

void fk_stack_builder_prepend(fk_stack_builder *b, const fk_name_id *names, size_t n)
{
	if (n == 0)
		return;
	if (n > b->start) {
		/* grow at the front: the stack moves to the end of a larger array */
		size_t used = b->cap - b->start, ncap = b->cap * 2;
		while (ncap - used < n)
			ncap *= 2;
		fk_name_id *nids = fk_xmalloc(ncap * sizeof(fk_name_id));
		memcpy(nids + (ncap - used), b->ids + b->start, used * sizeof(fk_name_id));
		free(b->ids);
		b->ids = nids;
		b->start = ncap - used;
		b->cap = ncap;
	}
	b->start -= n;
	memcpy(b->ids + b->start, names, n * sizeof(fk_name_id));
}
