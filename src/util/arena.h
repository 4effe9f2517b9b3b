/* arena.h: an arena of strings: NUL-terminated copies kept in large blocks, never moved
 * and freed all at once (frame names, symbol names, paths). */
#ifndef FK_ARENA_H
#define FK_ARENA_H

#include "common.h"

typedef struct fk_arena {
	struct fk_arena_block *head;
} fk_arena;

/* A NUL-terminated copy of s[0..len) that stays where it is until fk_arena_free. */
const char *fk_arena_strndup(fk_arena *a, const char *s, size_t len);
void fk_arena_free(fk_arena *a);

#endif
