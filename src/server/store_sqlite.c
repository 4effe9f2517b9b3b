/* store_sqlite.c: the SQLite backend of the store (store_backend.h). One file in WAL mode
 * (synchronous=FULL: a commit is on disk when it returns), one write connection used by
 * store.c's writer thread, and a pool of read connections so queries run while the writer
 * commits. Several processes may share the file: the write transaction (BEGIN IMMEDIATE)
 * is the store-wide write lock of store_backend.h's protocol.
 *
 * Schema (version 1):
 *   meta(key PRIMARY KEY, value)          "schema_version" = 1, "created_by" = flamekit
 *   series(id, name UNIQUE, app, type, units, aggregation, spy_name, sample_rate)
 *   labels(series, name, value)           a series' labels, for listing
 *   strings(id, name UNIQUE)              frame names, ids from 0
 *   stacks(id, parent, name)              the global stack trie, ids from 1 (0: root)
 *   profiles(id, series, start, size, total, stacks)
 *                                         one profile of a window [start, start+size):
 *                                         stacks is a store_codec blob, total its sum */
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "store_backend.h"

#define SCHEMA_VERSION 1
#define APPLICATION_ID 0x666b7374 /* "fkst" */
#define MAX_READERS 8

struct fk_store_backend {
	char *path;
	sqlite3 *db; /* the writer's */
	sqlite3_stmt *ins_string, *ins_node, *find_series, *ins_series, *ins_label, *ins_profile;
	fk_codec_cache *cache;
	pthread_mutex_t pool_lock;
	sqlite3 *idle[MAX_READERS];
	size_t nidle;
};

static const char *const schema_sql =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" app TEXT NOT NULL, type TEXT NOT NULL, units TEXT NOT NULL,"
	" aggregation TEXT NOT NULL, spy_name TEXT NOT NULL, sample_rate INTEGER NOT NULL);"
	"CREATE TABLE labels(series INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY(series, name)) WITHOUT ROWID;"
	"CREATE TABLE strings(id INTEGER PRIMARY KEY, name BLOB NOT NULL UNIQUE);"
	"CREATE TABLE stacks(id INTEGER PRIMARY KEY, parent INTEGER NOT NULL,"
	" name INTEGER NOT NULL, UNIQUE(parent, name));"
	"CREATE TABLE profiles(id INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
	" start INTEGER NOT NULL, size INTEGER NOT NULL, total REAL NOT NULL,"
	" stacks BLOB NOT NULL);"
	"CREATE INDEX profiles_by_start ON profiles(series, start);"
	"INSERT INTO meta VALUES('schema_version', '1');"
	"INSERT INTO meta VALUES('created_by', 'flamekit');";

static int db_error(fk_store_backend *b, sqlite3 *db, fk_error *err, const char *what)
{
	return fk_error_set(err, "%s: %s: %s", b->path, what, sqlite3_errmsg(db));
}

static int exec(fk_store_backend *b, sqlite3 *db, const char *sql, fk_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fk_error_set(err, "%s: %s", b->path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int open_conn(fk_store_backend *b, bool create, sqlite3 **out, fk_error *err)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(b->path, &db, flags, NULL) != SQLITE_OK) {
		fk_error_set(err, "%s: cannot open: %s", b->path,
			     db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 30000);
	*out = db;
	return 0;
}

/* journal_mode=WAL, synchronous=FULL; checks the file is a database. */
static int setup_conn(fk_store_backend *b, sqlite3 *db, fk_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		int code = sqlite3_errcode(db);
		fk_error_set(err, "%s: %s", b->path,
			     code == SQLITE_NOTADB ? "not an SQLite database (or corrupt)"
						   : sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	bool wal = mode && !strcmp(mode, "wal");
	sqlite3_finalize(st);
	if (!wal)
		return fk_error_set(err, "%s: cannot switch to WAL mode", b->path);
	return exec(b, db, "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536", err);
}

/* Creates the schema in an empty database, or checks an existing one is a flamekit store
 * of a version this program reads. */
static int check_schema(fk_store_backend *b, fk_error *err)
{
	sqlite3 *db = b->db;
	if (exec(b, db, "BEGIN IMMEDIATE", err))
		return -1;
	sqlite3_stmt *st = NULL;
	int ntables = 0, has_meta = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*), sum(name = 'meta') FROM sqlite_master "
			       "WHERE type = 'table'",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_error(b, db, err, "reading the schema");
		goto fail;
	}
	ntables = sqlite3_column_int(st, 0);
	has_meta = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (ntables == 0) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", APPLICATION_ID);
		if (exec(b, db, schema_sql, err) || exec(b, db, sql, err))
			goto fail;
		return exec(b, db, "COMMIT", err);
	}
	if (!has_meta) {
		fk_error_set(err, "%s: not a flamekit store (a different SQLite database)", b->path);
		goto fail;
	}
	long version = -1;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		version = v ? strtol(v, NULL, 10) : -1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (version < 1) {
		fk_error_set(err, "%s: not a flamekit store (no schema version)", b->path);
		goto fail;
	}
	if (version > SCHEMA_VERSION) {
		fk_error_set(err, "%s: store schema version %ld is newer than this flamekit's (%d)",
			     b->path, version, SCHEMA_VERSION);
		goto fail;
	}
	/* Migrations from older versions go here (none yet: version 1 is the first). */
	return exec(b, db, "COMMIT", err);
fail:
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Loads strings with id >= first_string and stacks with id >= first_node, in id order. */
static int load_names(fk_store_backend *b, sqlite3 *db, uint32_t first_string,
		      uint32_t first_node, fk_codec_sink sink, fk_error *err)
{
	sqlite3_stmt *st = NULL;
	fk_error e = {{0}};
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT id, name FROM strings WHERE id >= ? ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK)
		return db_error(b, db, err, "reading frame names");
	sqlite3_bind_int64(st, 1, first_string);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		const void *s = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		if (id < 0 || id >= UINT32_MAX ||
		    sink.string(sink.target, (uint32_t)id, s ? s : "", (size_t)len, &e)) {
			sqlite3_finalize(st);
			return fk_error_set(err, "%s: corrupt store: %s", b->path,
					    e.msg[0] ? e.msg : "bad string id");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(b, db, err, "reading frame names");
	if (sqlite3_prepare_v2(db, "SELECT id, parent, name FROM stacks WHERE id >= ? ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(b, db, err, "reading stacks");
	sqlite3_bind_int64(st, 1, first_node);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		sqlite3_int64 parent = sqlite3_column_int64(st, 1);
		sqlite3_int64 name = sqlite3_column_int64(st, 2);
		if (id <= 0 || id >= UINT32_MAX || parent < 0 || parent >= id || name < 0 ||
		    name >= UINT32_MAX ||
		    sink.node(sink.target, (uint32_t)id, (uint32_t)parent, (uint32_t)name, &e)) {
			sqlite3_finalize(st);
			return fk_error_set(err, "%s: corrupt store: %s", b->path,
					    e.msg[0] ? e.msg : "bad stack row");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(b, db, err, "reading stacks");
	return 0;
}

/* load_names as an fk_codec_load_fn (for the readers' cache). */
struct loading {
	fk_store_backend *b;
	sqlite3 *conn;
};

static int load_names_into(void *ctx, uint32_t first_string, uint32_t first_node,
			   fk_codec_sink sink, fk_error *err)
{
	struct loading *l = ctx;
	return load_names(l->b, l->conn, first_string, first_node, sink, err);
}

static void backend_close(fk_store_backend *b)
{
	if (!b)
		return;
	sqlite3_finalize(b->ins_string);
	sqlite3_finalize(b->ins_node);
	sqlite3_finalize(b->find_series);
	sqlite3_finalize(b->ins_series);
	sqlite3_finalize(b->ins_label);
	sqlite3_finalize(b->ins_profile);
	for (size_t i = 0; i < b->nidle; i++)
		sqlite3_close(b->idle[i]);
	sqlite3_close(b->db);
	pthread_mutex_destroy(&b->pool_lock);
	free(b->path);
	free(b);
}

static int backend_open(const char *target, const char *display, const fk_store_policy *policy,
			fk_codec_dict *dict, fk_codec_cache *cache, fk_store_backend **out,
			fk_error *err)
{
	(void)policy;
	(void)display; /* a file name: nothing to hide */
	*out = NULL;
	if (!sqlite3_threadsafe())
		return fk_error_set(err, "%s: SQLite was built without thread support", target);
	struct stat stbuf;
	if (stat(target, &stbuf) == 0 && !S_ISREG(stbuf.st_mode))
		return fk_error_set(err, "%s: not a regular file", target);
	fk_store_backend *b = fk_xcalloc(1, sizeof(*b));
	b->path = fk_xstrdup(target);
	b->cache = cache;
	pthread_mutex_init(&b->pool_lock, NULL);
	if (open_conn(b, true, &b->db, err) || setup_conn(b, b->db, err) || check_schema(b, err))
		goto fail;
	static const struct {
		size_t offset;
		const char *sql;
	} stmts[] = {
		{offsetof(fk_store_backend, ins_string), "INSERT INTO strings(id, name) VALUES(?, ?)"},
		{offsetof(fk_store_backend, ins_node),
		 "INSERT INTO stacks(id, parent, name) VALUES(?, ?, ?)"},
		{offsetof(fk_store_backend, find_series), "SELECT id FROM series WHERE name = ?"},
		{offsetof(fk_store_backend, ins_series),
		 "INSERT INTO series(name, app, type, units, aggregation, spy_name, sample_rate) "
		 "VALUES(?, ?, ?, ?, ?, ?, ?)"},
		{offsetof(fk_store_backend, ins_label),
		 "INSERT INTO labels(series, name, value) VALUES(?, ?, ?)"},
		{offsetof(fk_store_backend, ins_profile),
		 "INSERT INTO profiles(series, start, size, total, stacks) VALUES(?, ?, ?, ?, ?)"},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(stmts); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)b + stmts[i].offset);
		if (sqlite3_prepare_v3(b->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st,
				       NULL) != SQLITE_OK) {
			db_error(b, b->db, err, "not a flamekit store of this version");
			goto fail;
		}
	}
	if (load_names(b, b->db, 0, 1, fk_codec_dict_sink(dict), err))
		goto fail;
	*out = b;
	return 0;
fail:
	backend_close(b);
	return -1;
}

/* ---- writing ---- */

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t series_id(fk_store_backend *b, const fk_store_row *row, fk_error *err)
{
	const fk_ingest_item *it = row->item;
	sqlite3_bind_text(b->find_series, 1, row->series_name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(b->find_series);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(b->find_series, 0) : -1;
	sqlite3_reset(b->find_series);
	sqlite3_clear_bindings(b->find_series);
	if (rc == SQLITE_ROW)
		return id;
	if (rc != SQLITE_DONE)
		return db_error(b, b->db, err, "finding a series");
	sqlite3_stmt *st = b->ins_series;
	sqlite3_bind_text(st, 1, row->series_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->key.app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->key.type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->units, (int)strnlen(it->units, sizeof(it->units)),
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, it->aggregation,
			  (int)strnlen(it->aggregation, sizeof(it->aggregation)), SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->spy_name, (int)strnlen(it->spy_name, sizeof(it->spy_name)),
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it->sample_rate);
	if (step_done(st))
		return db_error(b, b->db, err, "adding a series");
	id = sqlite3_last_insert_rowid(b->db);
	for (size_t i = 0; i < it->key.nlabels; i++) {
		sqlite3_bind_int64(b->ins_label, 1, id);
		sqlite3_bind_text(b->ins_label, 2, it->key.labels[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(b->ins_label, 3, it->key.labels[i].value, -1, SQLITE_STATIC);
		if (step_done(b->ins_label))
			return db_error(b, b->db, err, "adding a label");
	}
	return id;
}

static int insert_pending(fk_store_backend *b, fk_codec_dict *dict, fk_error *err)
{
	uint32_t first, end;
	fk_codec_dict_pending_strings(dict, &first, &end);
	for (uint32_t id = first; id < end; id++) {
		size_t len;
		const char *s = fk_codec_dict_string(dict, id, &len);
		sqlite3_bind_int64(b->ins_string, 1, id);
		sqlite3_bind_blob(b->ins_string, 2, s, (int)len, SQLITE_STATIC);
		if (step_done(b->ins_string))
			return db_error(b, b->db, err, "adding frame names");
	}
	fk_codec_dict_pending_nodes(dict, &first, &end);
	for (uint32_t id = first; id < end; id++) {
		fk_codec_node n = fk_codec_dict_node(dict, id);
		sqlite3_bind_int64(b->ins_node, 1, id);
		sqlite3_bind_int64(b->ins_node, 2, n.parent);
		sqlite3_bind_int64(b->ins_node, 3, n.name);
		if (step_done(b->ins_node))
			return db_error(b, b->db, err, "adding stacks");
	}
	return 0;
}

static int insert_profile(fk_store_backend *b, int64_t series, int64_t window, int64_t size,
			  double total, const void *blob, size_t len, fk_error *err)
{
	sqlite3_stmt *st = b->ins_profile;
	sqlite3_bind_int64(st, 1, series);
	sqlite3_bind_int64(st, 2, window);
	sqlite3_bind_int64(st, 3, size);
	sqlite3_bind_double(st, 4, total);
	sqlite3_bind_blob(st, 5, len ? blob : "", (int)len, SQLITE_STATIC);
	if (step_done(st))
		return db_error(b, b->db, err, "adding a profile");
	return 0;
}

/* BEGIN IMMEDIATE takes SQLite's write lock on the file: one writer at a time, in every
 * process; then what others committed since is loaded into dict. */
static int backend_begin_write(fk_store_backend *b, fk_codec_dict *dict, fk_error *err)
{
	if (exec(b, b->db, "BEGIN IMMEDIATE", err))
		return -1;
	uint32_t strings, nodes, end;
	fk_codec_dict_pending_strings(dict, &strings, &end);
	fk_codec_dict_pending_nodes(dict, &nodes, &end);
	if (load_names(b, b->db, strings, nodes, fk_codec_dict_sink(dict), err)) {
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void backend_abort_write(fk_store_backend *b)
{
	sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
}

static int backend_put_batch(fk_store_backend *b, fk_codec_dict *dict, const fk_store_row *rows,
			     size_t n, fk_error *err)
{
	if (insert_pending(b, dict, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].blob_len > INT32_MAX) {
			fk_error_set(err, "%s: profile too large", b->path);
			goto fail;
		}
		int64_t id = series_id(b, &rows[i], err);
		if (id < 0)
			goto fail;
		if (insert_profile(b, id, rows[i].window, rows[i].size, rows[i].total, rows[i].blob,
				   rows[i].blob_len, err))
			goto fail;
	}
	if (exec(b, b->db, "COMMIT", err))
		goto fail;
	return 0;
fail:
	sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- reading ---- */

static int reader_get(fk_store_backend *b, sqlite3 **out, fk_error *err)
{
	pthread_mutex_lock(&b->pool_lock);
	if (b->nidle) {
		*out = b->idle[--b->nidle];
		pthread_mutex_unlock(&b->pool_lock);
		return 0;
	}
	pthread_mutex_unlock(&b->pool_lock);
	if (open_conn(b, false, out, err))
		return -1;
	return exec(b, *out, "PRAGMA cache_size=-65536", err) ? (sqlite3_close(*out), -1) : 0;
}

static void reader_put(fk_store_backend *b, sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* ends a read transaction, if any */
	pthread_mutex_lock(&b->pool_lock);
	if (b->nidle < MAX_READERS) {
		b->idle[b->nidle++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&b->pool_lock);
	sqlite3_close(db);
}

static int max_id(fk_store_backend *b, sqlite3 *db, const char *sql, int64_t *out, fk_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_error(b, db, err, "reading stacks");
	}
	*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* In db's read transaction: brings the cache up to the snapshot, and returns with the
 * cache's read lock held. */
static int cache_refresh(fk_store_backend *b, sqlite3 *db, fk_error *err)
{
	int64_t last_string, last_node;
	if (max_id(b, db, "SELECT max(id) FROM strings", &last_string, err) ||
	    max_id(b, db, "SELECT max(id) FROM stacks", &last_node, err))
		return -1;
	struct loading ctx = {b, db};
	return fk_codec_cache_catch_up(b->cache, last_string, last_node, load_names_into, &ctx, err);
}

static int backend_merge(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			 int64_t until, fk_profile *into, fk_error *err)
{
	sqlite3 *db;
	if (reader_get(b, &db, err))
		return -1;
	sqlite3_stmt *st = NULL;
	fk_codec_sum sum = {0};
	int rc = -1;
	if (exec(b, db, "BEGIN", err) || cache_refresh(b, db, err))
		goto out;
	uint32_t nnodes = fk_codec_cache_node_count(b->cache);
	if (sqlite3_prepare_v2(db,
			       "SELECT stacks FROM profiles WHERE series = ? AND start >= ? "
			       "AND start < ?",
			       -1, &st, NULL) != SQLITE_OK) {
		db_error(b, db, err, "reading profiles");
		goto unlock;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, until);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *blob = sqlite3_column_blob(st, 0);
			int len = sqlite3_column_bytes(st, 0);
			fk_error e;
			if (fk_codec_sum_add(&sum, blob, (size_t)len, nnodes, &e)) {
				fk_error_set(err, "%s: %s", b->path, e.msg);
				goto unlock;
			}
		}
		if (step != SQLITE_DONE) {
			db_error(b, db, err, "reading profiles");
			goto unlock;
		}
		sqlite3_reset(st);
	}
	fk_codec_cache_build(b->cache, &sum, into);
	rc = 0;
unlock:
	pthread_rwlock_unlock(&b->cache->lock);
out:
	sqlite3_finalize(st);
	fk_codec_sum_free(&sum);
	reader_put(b, db);
	return rc;
}

static int backend_timeline(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			    int64_t until, int64_t step, double *samples, size_t nsamples,
			    fk_error *err)
{
	sqlite3 *db;
	if (reader_get(b, &db, err))
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (exec(b, db, "BEGIN", err))
		goto out;
	if (sqlite3_prepare_v2(db,
			       "SELECT start, total FROM profiles WHERE series = ? AND start >= ? "
			       "AND start < ?",
			       -1, &st, NULL) != SQLITE_OK) {
		db_error(b, db, err, "reading profiles");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, until);
		int r;
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t w = sqlite3_column_int64(st, 0);
			uint64_t bucket = ((uint64_t)w - (uint64_t)from) / (uint64_t)step;
			if (bucket < nsamples)
				samples[bucket] += sqlite3_column_double(st, 1);
		}
		if (r != SQLITE_DONE) {
			db_error(b, db, err, "reading profiles");
			goto out;
		}
		sqlite3_reset(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	reader_put(b, db);
	return rc;
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return fk_xstrdup(s ? s : "");
}

static void column_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", s ? s : "");
}

static int backend_series(fk_store_backend *b, fk_series_list *out, fk_error *err)
{
	sqlite3 *db;
	if (reader_get(b, &db, err))
		return -1;
	sqlite3_stmt *st = NULL, *lst = NULL;
	size_t cap = 0;
	int rc = -1, r;
	if (exec(b, db, "BEGIN", err))
		goto out;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, app, type, units, aggregation, spy_name, sample_rate "
			       "FROM series ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name, value FROM labels WHERE series = ? ORDER BY name",
			       -1, &lst, NULL) != SQLITE_OK) {
		db_error(b, db, err, "reading series");
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		fk_grow((void **)&out->items, sizeof(*out->items), &cap, out->count + 1);
		fk_series_info *info = &out->items[out->count++];
		memset(info, 0, sizeof(*info));
		info->id = sqlite3_column_int64(st, 0);
		info->key.app = column_dup(st, 1);
		info->key.type = column_dup(st, 2);
		column_copy(st, 3, info->units, sizeof(info->units));
		column_copy(st, 4, info->aggregation, sizeof(info->aggregation));
		column_copy(st, 5, info->spy_name, sizeof(info->spy_name));
		info->sample_rate = sqlite3_column_int64(st, 6);
		sqlite3_bind_int64(lst, 1, info->id);
		size_t lcap = 0;
		while ((r = sqlite3_step(lst)) == SQLITE_ROW) {
			fk_grow((void **)&info->key.labels, sizeof(*info->key.labels), &lcap,
				info->key.nlabels + 1);
			fk_label *l = &info->key.labels[info->key.nlabels++];
			l->name = column_dup(lst, 0);
			l->value = column_dup(lst, 1);
		}
		sqlite3_reset(lst);
		if (r != SQLITE_DONE)
			break;
	}
	if (r != SQLITE_DONE) {
		db_error(b, db, err, "reading series");
		fk_series_list_free(out);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(lst);
	reader_put(b, db);
	return rc;
}

/* ---- compaction ---- */

struct compact_ctx {
	fk_store_backend *b;
	uint32_t nnodes;
	fk_codec_sum sum;
	fk_codec_buf blob;
	sqlite3_stmt *get, *del;
};

/* fk_store_rewrite_fn: replaces group[0..n) by one row of their sum. */
static int compact_group(void *arg, const fk_store_window *group, size_t n, fk_error *err)
{
	struct compact_ctx *c = arg;
	fk_store_backend *b = c->b;
	fk_codec_sum_reset(&c->sum);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(c->get, 1, group[i].id);
		if (sqlite3_step(c->get) != SQLITE_ROW) {
			sqlite3_reset(c->get);
			return db_error(b, b->db, err, "reading a profile");
		}
		fk_error e;
		int rc = fk_codec_sum_add(&c->sum, sqlite3_column_blob(c->get, 0),
					  (size_t)sqlite3_column_bytes(c->get, 0), c->nnodes, &e);
		sqlite3_reset(c->get);
		if (rc)
			return fk_error_set(err, "%s: profile %lld: %s", b->path,
					    (long long)group[i].id, e.msg);
		sqlite3_bind_int64(c->del, 1, group[i].id);
		if (step_done(c->del))
			return db_error(b, b->db, err, "deleting a profile");
	}
	double total;
	fk_codec_sum_encode(&c->sum, &c->blob, &total);
	return insert_profile(b, group[0].series, group[0].target_start, group[0].target_size,
			      total, c->blob.data, c->blob.len, err);
}

static int backend_compact(fk_store_backend *b, fk_codec_dict *dict, const fk_store_policy *policy,
			   int64_t now, fk_store_compact_stats *stats, fk_error *err)
{
	memset(stats, 0, sizeof(*stats));
	sqlite3_stmt *scan = NULL, *st = NULL;
	fk_store_window *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct compact_ctx c = {.b = b};
	uint32_t end;
	fk_codec_dict_pending_nodes(dict, &c.nnodes, &end); /* the committed ones */
	if (policy->retention_sec > 0) {
		if (sqlite3_prepare_v2(b->db, "DELETE FROM profiles WHERE start + size <= ?", -1,
				       &st, NULL) != SQLITE_OK)
			goto dberr;
		sqlite3_bind_int64(st, 1, now - policy->retention_sec);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto dberr;
		stats->expired = (uint64_t)sqlite3_changes(b->db);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_prepare_v2(b->db, "SELECT id, series, start, size FROM profiles", -1, &scan,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, "SELECT stacks FROM profiles WHERE id = ?", -1, &c.get,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, "DELETE FROM profiles WHERE id = ?", -1, &c.del, NULL) !=
		    SQLITE_OK)
		goto dberr;
	int r;
	while ((r = sqlite3_step(scan)) == SQLITE_ROW) {
		fk_grow((void **)&rows, sizeof(*rows), &cap, nrows + 1);
		fk_store_window *row = &rows[nrows++];
		row->id = sqlite3_column_int64(scan, 0);
		row->series = sqlite3_column_int64(scan, 1);
		row->start = sqlite3_column_int64(scan, 2);
		row->size = sqlite3_column_int64(scan, 3);
	}
	if (r != SQLITE_DONE)
		goto dberr;
	if (fk_store_compact_plan(policy, now, rows, nrows, compact_group, &c, stats, err))
		goto fail;
	if (exec(b, b->db, "COMMIT", err))
		goto fail;
	sqlite3_finalize(scan);
	sqlite3_finalize(c.get);
	sqlite3_finalize(c.del);
	free(rows);
	fk_codec_sum_free(&c.sum);
	fk_codec_buf_free(&c.blob);
	return 0;
dberr:
	db_error(b, b->db, err, "compacting");
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(scan);
	sqlite3_finalize(c.get);
	sqlite3_finalize(c.del);
	sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	free(rows);
	fk_codec_sum_free(&c.sum);
	fk_codec_buf_free(&c.blob);
	memset(stats, 0, sizeof(*stats));
	return -1;
}

const fk_store_backend_ops fk_store_sqlite_ops = {
	.name = "sqlite",
	.open = backend_open,
	.begin_write = backend_begin_write,
	.put_batch = backend_put_batch,
	.abort_write = backend_abort_write,
	.series = backend_series,
	.merge = backend_merge,
	.timeline = backend_timeline,
	.compact = backend_compact,
	.close = backend_close,
};
