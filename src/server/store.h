/* store.h: where the server keeps profiles. A store holds series (fk_series_key plus
 * units, aggregation, spy name, sample rate) and, per series, profiles over time windows,
 * their stacks kept compactly (frame names interned once, stacks as ids). Ingest adds
 * profiles (durable when fk_store_put returns 0; concurrent puts share one commit),
 * queries merge the windows of chosen series over a time range back into one profile,
 * and compaction merges windows, downsamples old ones and drops expired ones.
 *
 * One interface, several backends: SQLite in WAL mode (a file path, or "sqlite:PATH") and
 * PostgreSQL ("postgresql://..." or "postgres://...", a libpq URI). Several processes may
 * share one store (replicas of the server on one database). Every function may be called
 * from several threads at once. */
#ifndef FK_STORE_H
#define FK_STORE_H

#include "ingest.h"

typedef struct fk_store fk_store;

typedef struct fk_series_info {
	int64_t id;           /* the store's id of the series */
	fk_series_key key;
	char units[16];
	char aggregation[8];
	char spy_name[32];
	int64_t sample_rate;
} fk_series_info;

typedef struct fk_series_list {
	fk_series_info *items; /* sorted by canonical name */
	size_t count;
} fk_series_list;

typedef struct fk_store_policy {
	int64_t window_sec;    /* ingested profiles fall in windows of this size (10) */
	int64_t retention_sec; /* compaction drops windows older than this (0: keep all) */
	/* Downsampling: compaction merges windows older than age_sec into windows of
	 * size_sec (ascending ages, growing sizes, each a multiple of window_sec). */
	struct {
		int64_t age_sec, size_sec;
	} levels[4];
	size_t nlevels;
} fk_store_policy;

/* The defaults: 10 s windows, keep everything, 1 min windows after 1 day, 1 h windows
 * after 7 days. */
void fk_store_policy_init(fk_store_policy *policy);

/* Opens (creating or migrating the schema) the store named by dsn. Returns 0, or -1 with
 * err naming dsn (never its password). */
int fk_store_open(const char *dsn, const fk_store_policy *policy, fk_store **out, fk_error *err);
void fk_store_close(fk_store *s);
/* The store's dsn as messages may show it (its password replaced by "***"). */
const char *fk_store_display_name(const fk_store *s);

/* Adds the profiles of one ingest (one per item, each to its series, created when new)
 * in one transaction. Returns 0 once they are durable (committed and synced), or -1 with
 * err (nothing added). */
int fk_store_put(fk_store *s, const fk_ingest_item *items, size_t n, fk_error *err);

/* Every series. Returns 0 or -1 with err. */
int fk_store_series(fk_store *s, fk_series_list *out, fk_error *err);
void fk_series_list_free(fk_series_list *list);

/* Adds to into every stack of the profiles of the series ids[0..n) whose window starts in
 * [from, until) (Unix seconds), summed. Returns 0 or -1 with err. */
int fk_store_merge(fk_store *s, const int64_t *ids, size_t n, int64_t from, int64_t until,
		   fk_profile *into, fk_error *err);

/* The total count of those profiles per step-second bucket: samples[i] gets the totals of
 * windows starting in [from + i*step, from + (i+1)*step), for i < nsamples (zeroed
 * first). Returns 0 or -1 with err. */
int fk_store_timeline(fk_store *s, const int64_t *ids, size_t n, int64_t from, int64_t until,
		      int64_t step, double *samples, size_t nsamples, fk_error *err);

typedef struct fk_store_compact_stats {
	uint64_t merged;     /* windows merged into others (same window, or downsampled) */
	uint64_t expired;    /* windows dropped by retention */
	uint64_t remaining;  /* windows left */
} fk_store_compact_stats;

/* Whether this server leads role ("alerts") among the servers sharing the store, so that
 * work done once for all (evaluating alerts, sending webhooks) is done by one of them:
 * PostgreSQL: a session-level advisory lock on a connection of its own, held until the
 * server exits or loses that connection, when another takes over at its next call;
 * SQLite: always. Call from one thread. Returns 0, or -1 with err (and *leading false). */
int fk_store_try_lead(fk_store *s, const char *role, bool *leading, fk_error *err);

/* Applies the policy as of now (Unix seconds). Returns 0 or -1 with err. */
int fk_store_compact(fk_store *s, int64_t now, fk_store_compact_stats *stats, fk_error *err);

#endif
