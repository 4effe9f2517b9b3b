/* arena.c: strings copied into large blocks that never move (see arena.h). */
#include "arena.h"

#define ARENA_BLOCK (256 * 1024)

struct fk_arena_block {
	struct fk_arena_block *next;
	size_t used, cap;
	char data[];
};

const char *fk_arena_strndup(fk_arena *a, const char *s, size_t len)
{
	struct fk_arena_block *b = a->head;
	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		b = fk_xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	char *p = b->data + b->used;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

void fk_arena_free(fk_arena *a)
{
	struct fk_arena_block *b = a->head;
	while (b) {
		struct fk_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}
