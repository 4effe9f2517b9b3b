/* intern.c: open-addressing hash table of frame names, bytes kept in an arena. */
#include "intern.h"

#include "../util/hash.h"

#define ARENA_BLOCK (256 * 1024)

struct name_entry {
	const char *bytes;
	uint32_t len;
};

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

struct fk_interner {
	/* slot: 0 = empty, else (hash high 32 bits << 32) | (id + 1) */
	uint64_t *slots;
	size_t mask;
	struct name_entry *names;
	size_t count, cap;
	struct arena_block *arena;
};

fk_interner *fk_interner_new(void)
{
	fk_interner *in = fk_xcalloc(1, sizeof(*in));
	in->mask = 1023;
	in->slots = fk_xcalloc(in->mask + 1, sizeof(uint64_t));
	return in;
}

void fk_interner_free(fk_interner *in)
{
	if (!in)
		return;
	struct arena_block *b = in->arena;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(in->slots);
	free(in->names);
	free(in);
}

static char *arena_copy(fk_interner *in, const char *s, size_t len)
{
	struct arena_block *b = in->arena;
	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		b = fk_xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = in->arena;
		in->arena = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

static void rehash(fk_interner *in)
{
	size_t nmask = in->mask * 2 + 1;
	uint64_t *ns = fk_xcalloc(nmask + 1, sizeof(uint64_t));
	for (size_t i = 0; i <= in->mask; i++) {
		uint64_t s = in->slots[i];
		if (!s)
			continue;
		size_t id = (uint32_t)s - 1;
		uint64_t h = fk_hash_bytes(in->names[id].bytes, in->names[id].len);
		size_t j = h & nmask;
		while (ns[j])
			j = (j + 1) & nmask;
		ns[j] = s;
	}
	free(in->slots);
	in->slots = ns;
	in->mask = nmask;
}

fk_name_id fk_intern_hashed(fk_interner *in, const char *name, size_t len, uint64_t h)
{
	uint64_t tag = h & 0xffffffff00000000ULL;
	size_t i = h & in->mask;
	for (;;) {
		uint64_t s = in->slots[i];
		if (!s)
			break;
		if ((s & 0xffffffff00000000ULL) == tag) {
			const struct name_entry *e = &in->names[(uint32_t)s - 1];
			if (e->len == len && memcmp(e->bytes, name, len) == 0)
				return (uint32_t)s - 1;
		}
		i = (i + 1) & in->mask;
	}
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	fk_grow((void **)&in->names, sizeof(*in->names), &in->cap, in->count + 1);
	fk_name_id id = (fk_name_id)in->count++;
	in->names[id].bytes = arena_copy(in, name, len);
	in->names[id].len = (uint32_t)len;
	in->slots[i] = tag | (uint64_t)(id + 1);
	if (in->count * 2 > in->mask)
		rehash(in);
	return id;
}

fk_name_id fk_intern(fk_interner *in, const char *name, size_t len)
{
	return fk_intern_hashed(in, name, len, fk_hash_bytes(name, len));
}

const char *fk_interner_name(const fk_interner *in, fk_name_id id, size_t *len)
{
	if (len)
		*len = in->names[id].len;
	return in->names[id].bytes;
}

size_t fk_interner_count(const fk_interner *in)
{
	return in->count;
}
