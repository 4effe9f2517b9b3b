/* store_backend.h: what a storage backend (SQLite, PostgreSQL) provides to store.c.
 * store.c parses the dsn, validates the policy, validates and encodes the ingested
 * profiles (store_codec.h) and runs the one writer thread that group-commits concurrent
 * puts; a backend only runs SQL.
 *
 * Several processes may share one store (replicas of `flamekit serve` on one PostgreSQL
 * database, or on one SQLite file). String and stack ids are handed out densely by each
 * process's dict, so writing is one protocol for every backend: begin_write opens the
 * write transaction and takes a store-wide write lock (one writer at a time across
 * processes), then loads into the dict what other writers committed since; store.c
 * encodes; put_batch (or compact) writes and commits in that same transaction, or
 * abort_write rolls it back. Readers refresh their cache of names and stacks (by id) from
 * the snapshot they read profiles in, so they see every process's stacks.
 *
 * Threads: begin_write, put_batch, compact and abort_write are only ever called from the
 * writer thread (one at a time); series, merge and timeline may be called from any number
 * of threads at once, concurrently with the writer. */
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
	const char *name; /* "sqlite", "postgresql" */
	/* Opens (creating or migrating the schema) the store at target (the dsn without an
	 * "sqlite:" scheme; a PostgreSQL URI as given), and loads every committed string and
	 * node into dict (for encoding). cache is the readers' cache the backend refreshes
	 * before reads. Messages name the store by display (the dsn without its password). */
	int (*open)(const char *target, const char *display, const fk_store_policy *policy,
		    fk_codec_dict *dict, fk_codec_cache *cache, fk_store_backend **out,
		    fk_error *err);
	/* Begins the write transaction under the store-wide write lock, then loads into dict
	 * the strings and nodes committed since dict's (ids from its counts; dict has nothing
	 * pending). Returns 0 (put_batch, compact or abort_write follows), or -1 with err
	 * (rolled back). */
	int (*begin_write)(fk_store_backend *b, fk_codec_dict *dict, fk_error *err);
	/* In the transaction begin_write began: inserts dict's pending strings and nodes,
	 * creates the series of rows that do not exist, inserts rows[0..n) and commits.
	 * Returns 0 once committed and durable (the caller then commits dict), or -1 with err
	 * after rolling back. */
	int (*put_batch)(fk_store_backend *b, fk_codec_dict *dict, const fk_store_row *rows,
			 size_t n, fk_error *err);
	/* In the transaction begin_write began: applies policy as of now and commits (dict:
	 * the committed nodes). Returns 0, or -1 with err after rolling back. */
	int (*compact)(fk_store_backend *b, fk_codec_dict *dict, const fk_store_policy *policy,
		       int64_t now, fk_store_compact_stats *stats, fk_error *err);
	/* Rolls back the transaction begin_write began. */
	void (*abort_write)(fk_store_backend *b);
	int (*series)(fk_store_backend *b, fk_series_list *out, fk_error *err);
	int (*merge)(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
		     int64_t until, fk_profile *into, fk_error *err);
	int (*timeline)(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			int64_t until, int64_t step, double *samples, size_t nsamples,
			fk_error *err);
	/* Whether this process holds the lock named key that one process at a time among all
	 * sharing the store can hold, taking it when free (held until the process exits or
	 * loses its connection). NULL: always (nothing else shares the store). Called from
	 * one thread (serve's main loop). */
	int (*try_lead)(fk_store_backend *b, int64_t key, bool *leading, fk_error *err);
	void (*close)(fk_store_backend *b);
} fk_store_backend_ops;

extern const fk_store_backend_ops fk_store_sqlite_ops;
extern const fk_store_backend_ops fk_store_pg_ops;

/* For compaction: the window (start, size) a window of start w and size size belongs in
 * as of now under policy (its own when no level applies). */
void fk_store_policy_target(const fk_store_policy *policy, int64_t now, int64_t w, int64_t size,
			    int64_t *target_start, int64_t *target_size);

/* One stored profile, as compaction sees it. */
typedef struct fk_store_window {
	int64_t id, series, start, size;   /* the row */
	int64_t target_start, target_size; /* set by fk_store_compact_plan */
} fk_store_window;

/* Replaces the profiles group[0..n) (one series, one target window) by one profile of
 * window (group[0].target_start, group[0].target_size) holding their sum. */
typedef int (*fk_store_rewrite_fn)(void *ctx, const fk_store_window *group, size_t n,
				   fk_error *err);

/* Compaction's plan, the same for every backend: computes every window's target under
 * policy as of now, groups windows[0..n) by (series, target) (reordering them), and calls
 * rewrite for every group that must change (several windows, or one that moves to a
 * larger window). Sets stats->merged and stats->remaining. Returns 0, or -1 with err (a
 * corrupt window, or rewrite's error). */
int fk_store_compact_plan(const fk_store_policy *policy, int64_t now, fk_store_window *windows,
			  size_t n, fk_store_rewrite_fn rewrite, void *ctx,
			  fk_store_compact_stats *stats, fk_error *err);

/* The dsn as messages show it: a URI's password (user:PASSWORD@ or password=PASSWORD)
 * replaced by "***". Freed by the caller. */
char *fk_store_dsn_display(const char *dsn);
/* Replaces in msg (NUL-terminated, in a buffer of size bytes) every occurrence of dsn's
 * password, as written and percent-decoded, by "***" (for messages of libraries that may
 * quote parts of the dsn). */
void fk_store_scrub_password(const char *dsn, char *msg, size_t size);

#endif
