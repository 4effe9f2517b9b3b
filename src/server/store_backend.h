/* store_backend.h: what a storage backend (SQLite here; PostgreSQL in issue 9) provides
 * to store.c. store.c parses the dsn, validates the policy, validates and encodes the
 * ingested profiles (store_codec.h) and runs the one writer thread that group-commits
 * concurrent puts; a backend only runs SQL.
 *
 * Threads: put_batch and compact are only ever called from the writer thread (one at a
 * time, never concurrently with each other); series, merge and timeline may be called from
 * any number of threads at once, concurrently with the writer. */
#ifndef FK_STORE_BACKEND_H
#define FK_STORE_BACKEND_H

#include "store.h"
#include "store_codec.h"

/* One ingested profile, encoded. */
typedef struct fk_store_row {
	const fk_ingest_item *item; /* key, units, aggregation, spy name, sample rate */
	const char *series_name;    /* canonical name (fk_series_key_format) */
	int64_t window;             /* window start: floor(from / window_sec) * window_sec */
	int64_t size;               /* window length in seconds */
	double total;               /* sum of the counts */
	const unsigned char *blob;  /* fk_codec blob */
	size_t blob_len;
} fk_store_row;

typedef struct fk_store_backend fk_store_backend; /* a backend's own state */

typedef struct fk_store_backend_ops {
	const char *name; /* "sqlite" */
	/* Opens (creating or migrating the schema) the store at target (the dsn without
	 * its scheme), and loads every committed string and node into dict (for encoding).
	 * cache is the readers' cache the backend refreshes before reads. */
	int (*open)(const char *target, const fk_store_policy *policy, fk_codec_dict *dict,
		    fk_codec_cache *cache, fk_store_backend **out, fk_error *err);
	/* In one transaction: inserts dict's pending strings and nodes, creates the series
	 * of rows that do not exist, inserts rows[0..n). Returns 0 once committed and durable
	 * (the caller then commits dict), or -1 with err after rolling back. */
	int (*put_batch)(fk_store_backend *b, fk_codec_dict *dict, const fk_store_row *rows,
			 size_t n, fk_error *err);
	int (*series)(fk_store_backend *b, fk_series_list *out, fk_error *err);
	int (*merge)(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
		     int64_t until, fk_profile *into, fk_error *err);
	int (*timeline)(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			int64_t until, int64_t step, double *samples, size_t nsamples,
			fk_error *err);
	/* Applies policy as of now in one transaction (dict: the committed nodes). */
	int (*compact)(fk_store_backend *b, fk_codec_dict *dict, const fk_store_policy *policy,
		       int64_t now, fk_store_compact_stats *stats, fk_error *err);
	void (*close)(fk_store_backend *b);
} fk_store_backend_ops;

extern const fk_store_backend_ops fk_store_sqlite_ops;

/* For compaction: the window (start, size) a window of start w and size size belongs in
 * as of now under policy (its own when no level applies). */
void fk_store_policy_target(const fk_store_policy *policy, int64_t now, int64_t w, int64_t size,
			    int64_t *target_start, int64_t *target_size);

#endif
