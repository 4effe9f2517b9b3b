/* store_codec.h: the backend-independent half of the profile store. Frame names are
 * interned into one table of strings (ids from 0), stacks into one global trie of
 * (parent stack id, name id) nodes (ids from 1; 0 is the empty stack), and a window's
 * profile becomes a compact blob of (stack id, value) pairs: ascending ids delta-coded as
 * varints, integer counts as varints and other counts as the exact 8 bytes of the double.
 * A backend (SQLite, PostgreSQL) only stores the rows this module hands it: the new
 * strings and nodes an encoding created, and the blobs.
 *
 * fk_codec_dict is the writer's side (name and node lookups for encoding; one thread).
 * fk_codec_cache is the readers' side (node and name arrays, loaded incrementally by id,
 * shared by every reader under a lock) and turns blobs back into stacks of a profile. */
#ifndef FK_STORE_CODEC_H
#define FK_STORE_CODEC_H

#include <pthread.h>

#include "../stack/profile.h"

#define FK_CODEC_BLOB_VERSION 1

/* A growing byte buffer. */
typedef struct fk_codec_buf {
	unsigned char *data;
	size_t len, cap;
} fk_codec_buf;

void fk_codec_buf_free(fk_codec_buf *b);

/* One global stack node. */
typedef struct fk_codec_node {
	uint32_t parent; /* stack id (0: the root) */
	uint32_t name;   /* string id */
} fk_codec_node;

/* ---- writer side ---- */

typedef struct fk_codec_dict fk_codec_dict;

fk_codec_dict *fk_codec_dict_new(void);
void fk_codec_dict_free(fk_codec_dict *d);
/* Forgets everything (before reloading from the store). */
void fk_codec_dict_clear(fk_codec_dict *d);
/* Loading from the store, in id order: string id must be the next string id, stack id the
 * next stack id, and a node's parent and name must exist. Returns 0 or -1 with err. */
int fk_codec_dict_load_string(fk_codec_dict *d, uint32_t id, const char *s, size_t len,
			      fk_error *err);
int fk_codec_dict_load_node(fk_codec_dict *d, uint32_t id, uint32_t parent, uint32_t name,
			    fk_error *err);

/* Encodes p's stacks (self counts of leaf nodes) into blob (replacing its contents), adding
 * the names and nodes it needs to d as pending. *total gets the sum of the counts and
 * *nstacks their number. Returns 0, or -1 with err when the id space is exhausted. */
int fk_codec_encode(fk_codec_dict *d, const fk_profile *p, fk_codec_buf *blob, double *total,
		    size_t *nstacks, fk_error *err);

/* The pending (not yet committed) strings and nodes, for the backend to insert: strings
 * with ids [*first, *end) and nodes with ids [*first, *end). */
void fk_codec_dict_pending_strings(const fk_codec_dict *d, uint32_t *first, uint32_t *end);
const char *fk_codec_dict_string(const fk_codec_dict *d, uint32_t id, size_t *len);
void fk_codec_dict_pending_nodes(const fk_codec_dict *d, uint32_t *first, uint32_t *end);
fk_codec_node fk_codec_dict_node(const fk_codec_dict *d, uint32_t id);
/* After the backend committed: pending entries become committed. */
void fk_codec_dict_commit(fk_codec_dict *d);
/* After a failed transaction: pending entries are forgotten. */
void fk_codec_dict_rollback(fk_codec_dict *d);

/* ---- loading ---- */

/* Where a backend's loading of strings and nodes (in id order) goes: the writer's dict
 * or the readers' cache, through one loop per backend. */
typedef struct fk_codec_sink {
	int (*string)(void *target, uint32_t id, const char *s, size_t len, fk_error *err);
	int (*node)(void *target, uint32_t id, uint32_t parent, uint32_t name, fk_error *err);
	void *target;
} fk_codec_sink;

/* ---- blobs without names (compaction) ---- */

/* Sums of (stack id, value) pairs, keyed by stack id. */
typedef struct fk_codec_sum {
	double *value;   /* by stack id */
	uint8_t *seen;   /* by stack id */
	uint32_t *ids;   /* the ids seen, in the order first seen */
	size_t nids, cap, ids_cap;
} fk_codec_sum;

void fk_codec_sum_free(fk_codec_sum *sum);
/* Forgets the sums (keeping the memory). */
void fk_codec_sum_reset(fk_codec_sum *sum);
/* Adds every pair of blob (len bytes) to sum. Stack ids must be < max_id (ids beyond the
 * known nodes mean a corrupt blob). Returns 0 or -1 with err. */
int fk_codec_sum_add(fk_codec_sum *sum, const unsigned char *blob, size_t len, uint32_t max_id,
		     fk_error *err);
/* Encodes sum into blob; *total gets the sum of the values. */
void fk_codec_sum_encode(fk_codec_sum *sum, fk_codec_buf *blob, double *total);

/* ---- reader side ---- */

typedef struct fk_codec_cache {
	pthread_rwlock_t lock;
	fk_interner *strings;  /* string id = interner id */
	fk_codec_node *nodes;  /* by stack id; [0] is the root */
	size_t nnodes, nodes_cap;
} fk_codec_cache;

void fk_codec_cache_init(fk_codec_cache *c);
void fk_codec_cache_destroy(fk_codec_cache *c);
/* Loading (the caller holds the write lock), in id order as for the dict. */
int fk_codec_cache_add_string(fk_codec_cache *c, uint32_t id, const char *s, size_t len,
			      fk_error *err);
int fk_codec_cache_add_node(fk_codec_cache *c, uint32_t id, uint32_t parent, uint32_t name,
			    fk_error *err);
static inline uint32_t fk_codec_cache_string_count(const fk_codec_cache *c)
{
	return (uint32_t)fk_interner_count(c->strings);
}
static inline uint32_t fk_codec_cache_node_count(const fk_codec_cache *c)
{
	return (uint32_t)c->nnodes;
}

/* Sinks loading into d (fk_codec_dict_load_*) and into c (fk_codec_cache_add_*; the
 * caller holds c's write lock). */
fk_codec_sink fk_codec_dict_sink(fk_codec_dict *d);
fk_codec_sink fk_codec_cache_sink(fk_codec_cache *c);

/* Loads strings with ids >= first_string and nodes with ids >= first_node into sink. */
typedef int (*fk_codec_load_fn)(void *ctx, uint32_t first_string, uint32_t first_node,
				fk_codec_sink sink, fk_error *err);
/* Brings c up to a snapshot whose largest ids are last_string and last_node (-1: none):
 * when c is behind, load adds what is missing, under c's write lock. Returns 0 with c's
 * read lock held, or -1 with err and no lock held. */
int fk_codec_cache_catch_up(fk_codec_cache *c, int64_t last_string, int64_t last_node,
			    fk_codec_load_fn load, void *ctx, fk_error *err);

/* Adds the stacks of sum to into (the caller holds the read lock; every id of sum is a
 * node of c). */
void fk_codec_cache_build(const fk_codec_cache *c, const fk_codec_sum *sum, fk_profile *into);

#endif
