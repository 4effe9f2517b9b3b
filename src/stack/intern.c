/* intern.c: open-addressing hash table of frame names, bytes kept in an arena. */
#include "intern.h"

#include "../util/arena.h"
#include "../util/hash.h"

struct name_entry {
	const char *bytes;
	uint32_t len;
};

struct fk_interner {
	/* slot: 0 = empty, else (hash high 32 bits << 32) | (id + 1) */
	uint64_t *slots;
	size_t mask;
	struct name_entry *names;
	size_t count, cap;
	fk_arena arena; /* the names' bytes */
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
	fk_arena_free(&in->arena);
	free(in->slots);
	free(in->names);
	free(in);
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
	in->names[id].bytes = fk_arena_strndup(&in->arena, name, len);
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
