/* hash.h: a fast 64-bit hash of byte strings for the interning and trie tables. Reads
 * eight bytes at a time and mixes with multiply/xor-shift steps. */
#ifndef FK_HASH_H
#define FK_HASH_H

#include <stdint.h>
#include <string.h>

static inline uint64_t fk_hash_mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static inline uint64_t fk_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
	}
	return fk_hash_mix(h);
}

#endif
