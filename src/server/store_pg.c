/* store_pg.c: the PostgreSQL backend of the store (store_backend.h), over libpq. The dsn is
 * a libpq URI (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]), given to libpq as it
 * is. One write connection used by store.c's writer thread, and a pool of read connections
 * (a libpq connection serves one thread at a time), so queries run while the writer
 * commits.
 *
 * Several servers may share the database. A write transaction first takes the advisory
 * lock WRITE_LOCK (pg_advisory_xact_lock, released at COMMIT or ROLLBACK, also when a
 * server dies): one writer at a time hands out string and stack ids, after loading those
 * the others committed. Commits are synchronous (synchronous_commit=on): a put returns
 * once its transaction is durable. Reads run in REPEATABLE READ transactions, so every
 * stack id of the profiles a read sees is among the names and stacks it loads from the
 * same snapshot. Compaction runs under the same lock, so two servers compacting at once
 * take turns, the second finding the first's result.
 *
 * Schema (version 1), in the connection's current schema (search_path):
 *   meta(key PRIMARY KEY, value)       "schema_version" = 1, "created_by" = flamekit
 *   series(id, name UNIQUE, app, type, units, aggregation, spy_name, sample_rate)
 *   labels(series, name, value)        a series' labels, for listing
 *   strings(id, name)                  frame names, ids from 0 (unique: sha256(name))
 *   stacks(id, parent, name)           the global stack trie, ids from 1 (0: the root)
 *   profiles(id, series, start, size, total, stacks)
 *                                      one profile of a window [start, start+size):
 *                                      stacks is a store_codec blob, total its sum
 * Names, labels and frames are bytea: kept byte for byte whatever the database's encoding,
 * and ordered bytewise, as in the SQLite backend. */
#include <endian.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>

#include "store_backend.h"

#define SCHEMA_VERSION 1
/* The advisory lock of writers and of schema creation: "flamekit" as a number. */
#define WRITE_LOCK "7380960521713039732"
#define MAX_READERS 8

struct fk_store_backend {
	char *dsn;  /* for libpq */
	char *name; /* for messages (no password) */
	PGconn *db; /* the writer's */
	fk_codec_cache *cache;
	pthread_mutex_t pool_lock;
	PGconn *idle[MAX_READERS];
	size_t nidle;
	/* The writer's: ids of series known committed, by fk_intern id of their names (0:
	 * not known yet). Series are never deleted. */
	fk_interner *series_names;
	int64_t *series_ids;
	size_t series_cap;
	int64_t *row_series; /* put_batch: series id of each row */
	size_t row_series_cap;
	fk_codec_buf copy; /* COPY data */
	/* try_lead's: a connection of its own holding the session-level lock lead_key */
	PGconn *lead;
	int64_t lead_key;
	bool lead_held;
};

static const char *const schema_sql =
	"CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);"
	"CREATE TABLE series(id bigserial PRIMARY KEY, name bytea NOT NULL UNIQUE,"
	" app bytea NOT NULL, type bytea NOT NULL, units bytea NOT NULL,"
	" aggregation bytea NOT NULL, spy_name bytea NOT NULL, sample_rate bigint NOT NULL);"
	"CREATE TABLE labels(series bigint NOT NULL, name bytea NOT NULL, value bytea NOT NULL,"
	" PRIMARY KEY(series, name));"
	"CREATE TABLE strings(id bigint PRIMARY KEY, name bytea NOT NULL);"
	"CREATE UNIQUE INDEX strings_by_name ON strings(sha256(name));"
	"CREATE TABLE stacks(id bigint PRIMARY KEY, parent bigint NOT NULL, name bigint NOT NULL,"
	" UNIQUE(parent, name));"
	"CREATE TABLE profiles(id bigserial PRIMARY KEY, series bigint NOT NULL,"
	" start bigint NOT NULL, size bigint NOT NULL, total double precision NOT NULL,"
	" stacks bytea NOT NULL);"
	"CREATE INDEX profiles_by_start ON profiles(series, start);"
	"INSERT INTO meta VALUES('schema_version', '1'), ('created_by', 'flamekit');";

/* ---- errors and plain statements ---- */

/* err = "NAME: WHAT: libpq's message", on one line, without the dsn's password. */
static int pg_error(fk_store_backend *b, PGconn *conn, const PGresult *res, const char *what,
		    fk_error *err)
{
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	if (!msg || !*msg)
		msg = conn ? PQerrorMessage(conn) : "out of memory";
	if (!msg || !*msg)
		msg = "unknown error";
	fk_error_set(err, "%s: %s: %s", b->name, what, msg);
	/* libpq's messages end with a newline and may span lines: one line, no tabs. */
	char *o = err->msg;
	bool space = false;
	for (const char *p = err->msg; *p; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			space = true;
			continue;
		}
		if (space && o > err->msg)
			*o++ = ' ';
		space = false;
		*o++ = *p;
	}
	*o = 0;
	fk_store_scrub_password(b->dsn, err->msg, sizeof(err->msg));
	return -1;
}

/* Runs sql (one or more statements, no parameters). Returns 0, or -1 with err. */
static int exec(fk_store_backend *b, PGconn *conn, const char *sql, const char *what,
		fk_error *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_error(b, conn, res, what, err);
	PQclear(res);
	return rc;
}

static void rollback(PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
}

/* COMMIT, checking it committed (a failed transaction "commits" as ROLLBACK). */
static int commit(fk_store_backend *b, PGconn *conn, fk_error *err)
{
	PGresult *res = PQexec(conn, "COMMIT");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_error(b, conn, res, "committing", err);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = fk_error_set(err, "%s: committing: the transaction was rolled back", b->name);
	PQclear(res);
	return rc;
}

/* Runs sql with text parameters values[0..n) (NULL: none) and binary results, and returns
 * its result when it has status want, else NULL with err. */
static PGresult *query(fk_store_backend *b, PGconn *conn, const char *sql, int n,
		       const char *const *values, ExecStatusType want, const char *what,
		       fk_error *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 1);
	if (PQresultStatus(res) != want) {
		pg_error(b, conn, res, what, err);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* A binary int8 / float8 / int4 field: false when NULL or of another size. */
static bool get_i8(const PGresult *res, int row, int col, int64_t *out)
{
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 8)
		return false;
	uint64_t v;
	memcpy(&v, PQgetvalue(res, row, col), 8);
	*out = (int64_t)be64toh(v);
	return true;
}

static bool get_f8(const PGresult *res, int row, int col, double *out)
{
	int64_t bits;
	if (!get_i8(res, row, col, &bits))
		return false;
	memcpy(out, &bits, 8);
	return true;
}

static bool get_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetlength(res, row, col) == 1 &&
	       PQgetvalue(res, row, col)[0];
}

/* ---- connections ---- */

static void ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int setup_session(fk_store_backend *b, PGconn *conn, fk_error *err)
{
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	return exec(b, conn,
		    "SET synchronous_commit TO on; SET client_min_messages TO warning; "
		    "SET bytea_output TO hex",
		    "setting up the session", err);
}

static int connect_db(fk_store_backend *b, PGconn **out, fk_error *err)
{
	/* Later keywords override earlier ones: the dsn's own connect_timeout wins. */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const values[] = {"10", "flamekit", b->dsn, NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (!conn)
		return fk_error_set(err, "%s: cannot connect: out of memory", b->name);
	if (PQstatus(conn) != CONNECTION_OK) {
		pg_error(b, conn, NULL, "cannot connect", err);
		PQfinish(conn);
		return -1;
	}
	if (setup_session(b, conn, err)) {
		PQfinish(conn);
		return -1;
	}
	*out = conn;
	return 0;
}

/* The writer's connection, reconnected when it was lost. */
static int writer_ready(fk_store_backend *b, fk_error *err)
{
	if (PQstatus(b->db) == CONNECTION_OK)
		return 0;
	PQreset(b->db);
	if (PQstatus(b->db) != CONNECTION_OK)
		return pg_error(b, b->db, NULL, "connection lost, reconnecting failed", err);
	return setup_session(b, b->db, err);
}

static int reader_get(fk_store_backend *b, PGconn **out, fk_error *err)
{
	pthread_mutex_lock(&b->pool_lock);
	if (b->nidle) {
		*out = b->idle[--b->nidle];
		pthread_mutex_unlock(&b->pool_lock);
		if (PQstatus(*out) == CONNECTION_OK)
			return 0;
		PQfinish(*out);
	} else {
		pthread_mutex_unlock(&b->pool_lock);
	}
	return connect_db(b, out, err);
}

static void reader_put(fk_store_backend *b, PGconn *conn)
{
	rollback(conn); /* ends a read transaction, if any */
	if (PQstatus(conn) == CONNECTION_OK) {
		pthread_mutex_lock(&b->pool_lock);
		if (b->nidle < MAX_READERS) {
			b->idle[b->nidle++] = conn;
			conn = NULL;
		}
		pthread_mutex_unlock(&b->pool_lock);
	}
	PQfinish(conn);
}

/* ---- schema ---- */

/* Creates the schema in a database without one, or checks the existing one is of a
 * version this program reads; under the write lock, so servers starting at once create
 * it once. */
static int check_schema(fk_store_backend *b, fk_error *err)
{
	PGconn *db = b->db;
	PGresult *res = NULL;
	if (exec(b, db, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")", "locking the store",
		 err))
		goto fail;
	res = query(b, db, "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, PGRES_TUPLES_OK,
		    "reading the schema", err);
	if (!res)
		goto fail;
	bool has_meta = PQntuples(res) == 1 && get_bool(res, 0, 0);
	PQclear(res);
	res = NULL;
	if (!has_meta) {
		if (exec(b, db, schema_sql, "creating the schema", err))
			goto fail;
		return commit(b, db, err);
	}
	res = PQexecParams(db, "SELECT value FROM meta WHERE key = 'schema_version'", 0, NULL, NULL,
			   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fk_error_set(err, "%s: not a flamekit store (a table meta of another program)",
			     b->name);
		goto fail;
	}
	long version = -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		version = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	res = NULL;
	if (version < 1) {
		fk_error_set(err, "%s: not a flamekit store (no schema version in table meta)",
			     b->name);
		goto fail;
	}
	if (version > SCHEMA_VERSION) {
		fk_error_set(err, "%s: store schema version %ld is newer than this flamekit's (%d)",
			     b->name, version, SCHEMA_VERSION);
		goto fail;
	}
	/* Migrations from older versions go here (none yet: version 1 is the first). */
	return commit(b, db, err);
fail:
	PQclear(res);
	rollback(db);
	return -1;
}

/* ---- names and stacks ---- */

/* Loads strings with id >= first_string and stacks with id >= first_node, in id order (in
 * one snapshot, or under the write lock). */
static int load_names(fk_store_backend *b, PGconn *conn, uint32_t first_string,
		      uint32_t first_node, fk_codec_sink sink, fk_error *err)
{
	char first[16];
	const char *params[1] = {first};
	fk_error e = {{0}};
	snprintf(first, sizeof(first), "%" PRIu32, first_string);
	PGresult *res = query(b, conn, "SELECT id, name FROM strings WHERE id >= $1 ORDER BY id", 1,
			      params, PGRES_TUPLES_OK, "reading frame names", err);
	if (!res)
		return -1;
	for (int i = 0, n = PQntuples(res); i < n; i++) {
		int64_t id;
		if (!get_i8(res, i, 0, &id) || id < 0 || id >= UINT32_MAX ||
		    sink.string(sink.target, (uint32_t)id, PQgetvalue(res, i, 1),
			(size_t)PQgetlength(res, i, 1), &e)) {
			PQclear(res);
			return fk_error_set(err, "%s: corrupt store: %s", b->name,
					    e.msg[0] ? e.msg : "bad string id");
		}
	}
	PQclear(res);
	snprintf(first, sizeof(first), "%" PRIu32, first_node);
	res = query(b, conn, "SELECT id, parent, name FROM stacks WHERE id >= $1 ORDER BY id", 1,
		    params, PGRES_TUPLES_OK, "reading stacks", err);
	if (!res)
		return -1;
	for (int i = 0, n = PQntuples(res); i < n; i++) {
		int64_t id, parent, name;
		if (!get_i8(res, i, 0, &id) || !get_i8(res, i, 1, &parent) ||
		    !get_i8(res, i, 2, &name) || id <= 0 || id >= UINT32_MAX || parent < 0 ||
		    parent >= id || name < 0 || name >= UINT32_MAX ||
		    sink.node(sink.target, (uint32_t)id, (uint32_t)parent, (uint32_t)name, &e)) {
			PQclear(res);
			return fk_error_set(err, "%s: corrupt store: %s", b->name,
					    e.msg[0] ? e.msg : "bad stack row");
		}
	}
	PQclear(res);
	return 0;
}

/* load_names as an fk_codec_load_fn (for the readers' cache). */
struct loading {
	fk_store_backend *b;
	PGconn *conn;
};

static int load_names_into(void *ctx, uint32_t first_string, uint32_t first_node,
			   fk_codec_sink sink, fk_error *err)
{
	struct loading *l = ctx;
	return load_names(l->b, l->conn, first_string, first_node, sink, err);
}

/* ---- open and close ---- */

static void backend_close(fk_store_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nidle; i++)
		PQfinish(b->idle[i]);
	PQfinish(b->db);
	PQfinish(b->lead);
	pthread_mutex_destroy(&b->pool_lock);
	fk_interner_free(b->series_names);
	free(b->series_ids);
	free(b->row_series);
	fk_codec_buf_free(&b->copy);
	free(b->dsn);
	free(b->name);
	free(b);
}

static int backend_open(const char *target, const char *display, const fk_store_policy *policy,
			fk_codec_dict *dict, fk_codec_cache *cache, fk_store_backend **out,
			fk_error *err)
{
	(void)policy;
	*out = NULL;
	fk_store_backend *b = fk_xcalloc(1, sizeof(*b));
	b->dsn = fk_xstrdup(target);
	b->name = fk_xstrdup(display);
	b->cache = cache;
	b->series_names = fk_interner_new();
	pthread_mutex_init(&b->pool_lock, NULL);
	if (connect_db(b, &b->db, err) || check_schema(b, err))
		goto fail;
	/* Every committed name and stack, from one snapshot. */
	if (exec(b, b->db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "reading stacks",
		 err) ||
	    load_names(b, b->db, 0, 1, fk_codec_dict_sink(dict), err))
		goto fail;
	rollback(b->db);
	*out = b;
	return 0;
fail:
	backend_close(b);
	return -1;
}

/* ---- writing ---- */

/* The transaction starts with the lock and the loading; when the connection was lost (the
 * server restarted), once more on a new one. */
static int backend_begin_write(fk_store_backend *b, fk_codec_dict *dict, fk_error *err)
{
	for (int attempt = 0;; attempt++) {
		if (writer_ready(b, err))
			return -1;
		uint32_t strings, nodes, end;
		fk_codec_dict_pending_strings(dict, &strings, &end);
		fk_codec_dict_pending_nodes(dict, &nodes, &end);
		if (!exec(b, b->db, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")",
			  "locking the store", err) &&
		    !load_names(b, b->db, strings, nodes, fk_codec_dict_sink(dict), err))
			return 0;
		rollback(b->db);
		if (attempt || PQstatus(b->db) == CONNECTION_OK)
			return -1;
	}
}

static void backend_abort_write(fk_store_backend *b)
{
	rollback(b->db);
}

static void copy_add(fk_codec_buf *c, const char *fmt, ...) FK_PRINTF(2, 3);
static void copy_add(fk_codec_buf *c, const char *fmt, ...)
{
	if (c->cap - c->len < 64)
		fk_grow((void **)&c->data, 1, &c->cap, c->len + 64);
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = c->cap - c->len;
		int n = vsnprintf((char *)c->data + c->len, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			c->len += (size_t)n;
			return;
		}
		fk_grow((void **)&c->data, 1, &c->cap, c->len + (n > 0 ? (size_t)n : 0) + 64);
	}
}

/* A bytea in COPY's text format: \\x and hex digits. */
static void copy_bytea(fk_codec_buf *c, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	fk_grow((void **)&c->data, 1, &c->cap, c->len + 3 + 2 * len + 1);
	memcpy(c->data + c->len, "\\\\x", 3);
	c->len += 3;
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		c->data[c->len++] = (unsigned char)hex[p[i] >> 4];
		c->data[c->len++] = (unsigned char)hex[p[i] & 15];
	}
}

/* A double in COPY's text format, exactly. */
static void copy_double(fk_codec_buf *c, double v)
{
	if (isnan(v))
		copy_add(c, "NaN");
	else if (isinf(v))
		copy_add(c, v > 0 ? "Infinity" : "-Infinity");
	else
		copy_add(c, "%.17g", v);
}

/* Runs "COPY ... FROM STDIN" sql with b->copy as its data. */
static int copy_in(fk_store_backend *b, const char *sql, const char *what, fk_error *err)
{
	PGresult *res = PQexec(b->db, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pg_error(b, b->db, res, what, err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	bool sent = true, failed = false;
	size_t at = 0;
	while (at < b->copy.len && sent) {
		size_t chunk = b->copy.len - at > (1u << 20) ? 1u << 20 : b->copy.len - at;
		sent = PQputCopyData(b->db, (const char *)b->copy.data + at, (int)chunk) == 1;
		at += chunk;
	}
	if (PQputCopyEnd(b->db, sent ? NULL : "flamekit: sending failed") != 1)
		sent = false;
	while ((res = PQgetResult(b->db))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !failed) {
			pg_error(b, b->db, res, what, err);
			failed = true;
		}
		PQclear(res);
	}
	if (!sent && !failed) {
		pg_error(b, b->db, NULL, what, err);
		failed = true;
	}
	return failed ? -1 : 0;
}

static int insert_pending(fk_store_backend *b, fk_codec_dict *dict, fk_error *err)
{
	uint32_t first, end;
	fk_codec_dict_pending_strings(dict, &first, &end);
	if (first < end) {
		b->copy.len = 0;
		for (uint32_t id = first; id < end; id++) {
			size_t len;
			const char *s = fk_codec_dict_string(dict, id, &len);
			copy_add(&b->copy, "%" PRIu32 "\t", id);
			copy_bytea(&b->copy, s, len);
			copy_add(&b->copy, "\n");
		}
		if (copy_in(b, "COPY strings(id, name) FROM STDIN", "adding frame names", err))
			return -1;
	}
	fk_codec_dict_pending_nodes(dict, &first, &end);
	if (first < end) {
		b->copy.len = 0;
		for (uint32_t id = first; id < end; id++) {
			fk_codec_node n = fk_codec_dict_node(dict, id);
			copy_add(&b->copy, "%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\n", id, n.parent,
				 n.name);
		}
		if (copy_in(b, "COPY stacks(id, parent, name) FROM STDIN", "adding stacks", err))
			return -1;
	}
	return 0;
}

/* The series id of row (created, with its labels, when new); -1 with err. */
static int64_t series_id(fk_store_backend *b, const fk_store_row *row, fk_error *err)
{
	const fk_ingest_item *it = row->item;
	size_t slot = fk_intern(b->series_names, row->series_name, strlen(row->series_name));
	if (slot >= b->series_cap) {
		size_t old = b->series_cap;
		fk_grow((void **)&b->series_ids, sizeof(*b->series_ids), &b->series_cap, slot + 1);
		memset(b->series_ids + old, 0, (b->series_cap - old) * sizeof(*b->series_ids));
	}
	if (b->series_ids[slot] > 0)
		return b->series_ids[slot];
	char rate[24];
	snprintf(rate, sizeof(rate), "%" PRId64, it->sample_rate);
	const char *values[7] = {row->series_name, it->key.app, it->key.type, it->units,
				 it->aggregation, it->spy_name, rate};
	int lengths[7] = {(int)strlen(row->series_name), (int)strlen(it->key.app),
			  (int)strlen(it->key.type), (int)strnlen(it->units, sizeof(it->units)),
			  (int)strnlen(it->aggregation, sizeof(it->aggregation)),
			  (int)strnlen(it->spy_name, sizeof(it->spy_name)), 0};
	const int formats[7] = {1, 1, 1, 1, 1, 1, 0};
	/* One row: the new series (true), or the one there (false). */
	PGresult *res = PQexecParams(
		b->db,
		"WITH ins AS (INSERT INTO series(name, app, type, units, aggregation, spy_name,"
		" sample_rate) VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING"
		" RETURNING id) "
		"SELECT id, true FROM ins UNION ALL SELECT id, false FROM series WHERE name = $1",
		7, NULL, values, lengths, formats, 1);
	int64_t id = -1;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(b, b->db, res, "adding a series", err);
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) != 1 || !get_i8(res, 0, 0, &id) || id <= 0) {
		PQclear(res);
		return fk_error_set(err, "%s: adding a series: no id", b->name);
	}
	bool created = get_bool(res, 0, 1);
	PQclear(res);
	if (!created)
		return id;
	char sid[24];
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	for (size_t i = 0; i < it->key.nlabels; i++) {
		const char *lv[3] = {sid, it->key.labels[i].name, it->key.labels[i].value};
		int ll[3] = {0, (int)strlen(lv[1]), (int)strlen(lv[2])};
		const int lf[3] = {0, 1, 1};
		res = PQexecParams(b->db,
				   "INSERT INTO labels(series, name, value) VALUES($1, $2, $3) "
				   "ON CONFLICT DO NOTHING",
				   3, NULL, lv, ll, lf, 1);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_error(b, b->db, res, "adding a label", err);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return id;
}

static int backend_put_batch(fk_store_backend *b, fk_codec_dict *dict, const fk_store_row *rows,
			     size_t n, fk_error *err)
{
	fk_grow((void **)&b->row_series, sizeof(*b->row_series), &b->row_series_cap, n ? n : 1);
	if (insert_pending(b, dict, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].blob_len > (1u << 30)) {
			fk_error_set(err, "%s: profile too large", b->name);
			goto fail;
		}
		b->row_series[i] = series_id(b, &rows[i], err);
		if (b->row_series[i] < 0)
			goto fail;
	}
	if (n) {
		b->copy.len = 0;
		for (size_t i = 0; i < n; i++) {
			copy_add(&b->copy, "%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t", b->row_series[i],
				 rows[i].window, rows[i].size);
			copy_double(&b->copy, rows[i].total);
			copy_add(&b->copy, "\t");
			copy_bytea(&b->copy, rows[i].blob, rows[i].blob_len);
			copy_add(&b->copy, "\n");
		}
		if (copy_in(b, "COPY profiles(series, start, size, total, stacks) FROM STDIN",
			    "adding profiles", err))
			goto fail;
	}
	if (commit(b, b->db, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		size_t slot = fk_intern(b->series_names, rows[i].series_name,
					strlen(rows[i].series_name));
		b->series_ids[slot] = b->row_series[i];
	}
	return 0;
fail:
	rollback(b->db);
	return -1;
}

/* ---- reading ---- */

/* "{1,2,3}": ids as a PostgreSQL array literal (freed by the caller). */
static char *id_array(const int64_t *ids, size_t n)
{
	fk_codec_buf c = {0};
	copy_add(&c, "{");
	for (size_t i = 0; i < n; i++)
		copy_add(&c, "%s%" PRId64, i ? "," : "", ids[i]);
	copy_add(&c, "}");
	return (char *)c.data;
}

/* Begins a read transaction on conn and brings the cache up to its snapshot; returns with
 * the cache's read lock held. */
static int read_begin(fk_store_backend *b, PGconn *conn, fk_error *err)
{
	PGresult *res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
				     "SELECT (SELECT max(id) FROM strings), (SELECT max(id) FROM stacks)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_error(b, conn, res, "reading stacks", err);
		PQclear(res);
		return -1;
	}
	long long last_string = PQgetisnull(res, 0, 0) ? -1 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	long long last_node = PQgetisnull(res, 0, 1) ? -1 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	struct loading ctx = {b, conn};
	return fk_codec_cache_catch_up(b->cache, last_string, last_node, load_names_into, &ctx, err);
}

static int merge_on(fk_store_backend *b, PGconn *conn, const int64_t *ids, size_t n,
		    int64_t from, int64_t until, fk_profile *into, fk_error *err)
{
	fk_codec_sum sum = {0};
	char *array = id_array(ids, n), sfrom[24], suntil[24];
	snprintf(sfrom, sizeof(sfrom), "%" PRId64, from);
	snprintf(suntil, sizeof(suntil), "%" PRId64, until);
	const char *values[3] = {array, sfrom, suntil};
	int rc = -1;
	if (read_begin(b, conn, err))
		goto out;
	uint32_t nnodes = fk_codec_cache_node_count(b->cache);
	if (!PQsendQueryParams(conn,
			       "SELECT stacks FROM profiles WHERE series = ANY($1::bigint[]) "
			       "AND start >= $2 AND start < $3",
			       3, NULL, values, NULL, NULL, 1)) {
		pg_error(b, conn, NULL, "reading profiles", err);
		goto unlock;
	}
	/* Row by row (when single-row mode is on; else all at once, in the last result): a
	 * day of profiles need not be in memory at once. */
	PQsetSingleRowMode(conn);
	PGresult *res;
	bool failed = false;
	while ((res = PQgetResult(conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (!failed && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
			for (int i = 0, rows = PQntuples(res); i < rows && !failed; i++) {
				fk_error e;
				if (fk_codec_sum_add(&sum, (const unsigned char *)PQgetvalue(res, i, 0),
						     (size_t)PQgetlength(res, i, 0), nnodes, &e)) {
					fk_error_set(err, "%s: %s", b->name, e.msg);
					failed = true;
				}
			}
		} else if (!failed) {
			pg_error(b, conn, res, "reading profiles", err);
			failed = true;
		}
		PQclear(res);
	}
	if (!failed) {
		fk_codec_cache_build(b->cache, &sum, into);
		rc = 0;
	}
unlock:
	pthread_rwlock_unlock(&b->cache->lock);
out:
	free(array);
	fk_codec_sum_free(&sum);
	return rc;
}

static int timeline_on(fk_store_backend *b, PGconn *conn, const int64_t *ids, size_t n,
		       int64_t from, int64_t until, int64_t step, double *samples, size_t nsamples,
		       fk_error *err)
{
	char *array = id_array(ids, n), sfrom[24], suntil[24];
	snprintf(sfrom, sizeof(sfrom), "%" PRId64, from);
	snprintf(suntil, sizeof(suntil), "%" PRId64, until);
	const char *values[3] = {array, sfrom, suntil};
	int rc = -1;
	PGresult *res = query(b, conn,
			      "SELECT start, total FROM profiles WHERE series = ANY($1::bigint[]) "
			      "AND start >= $2 AND start < $3",
			      3, values, PGRES_TUPLES_OK, "reading profiles", err);
	if (res) {
		rc = 0;
		for (int i = 0, rows = PQntuples(res); i < rows; i++) {
			int64_t w;
			double total;
			if (!get_i8(res, i, 0, &w) || !get_f8(res, i, 1, &total)) {
				rc = fk_error_set(err, "%s: corrupt store: bad profile row", b->name);
				break;
			}
			uint64_t bucket = ((uint64_t)w - (uint64_t)from) / (uint64_t)step;
			if (bucket < nsamples)
				samples[bucket] += total;
		}
		PQclear(res);
	}
	free(array);
	return rc;
}

static char *field_dup(const PGresult *res, int row, int col)
{
	return fk_xstrndup(PQgetvalue(res, row, col), strnlen(PQgetvalue(res, row, col),
							      (size_t)PQgetlength(res, row, col)));
}

static void field_copy(const PGresult *res, int row, int col, char *dst, size_t size)
{
	snprintf(dst, size, "%.*s", PQgetlength(res, row, col), PQgetvalue(res, row, col));
}

static int series_on(fk_store_backend *b, PGconn *conn, fk_series_list *out, fk_error *err)
{
	/* Series by name, each with its labels by name (bytewise, as bytea compares). */
	PGresult *res = query(b, conn,
			      "SELECT s.id, s.app, s.type, s.units, s.aggregation, s.spy_name,"
			      " s.sample_rate, l.name, l.value FROM series s"
			      " LEFT JOIN labels l ON l.series = s.id ORDER BY s.name, s.id, l.name",
			      0, NULL, PGRES_TUPLES_OK, "reading series", err);
	int rc = -1;
	if (!res)
		goto out;
	size_t cap = 0, lcap = 0;
	fk_series_info *info = NULL;
	for (int i = 0, rows = PQntuples(res); i < rows; i++) {
		int64_t id, rate;
		if (!get_i8(res, i, 0, &id) || !get_i8(res, i, 6, &rate)) {
			fk_error_set(err, "%s: corrupt store: bad series row", b->name);
			fk_series_list_free(out);
			goto out;
		}
		if (!info || info->id != id) {
			fk_grow((void **)&out->items, sizeof(*out->items), &cap, out->count + 1);
			info = &out->items[out->count++];
			memset(info, 0, sizeof(*info));
			info->id = id;
			info->key.app = field_dup(res, i, 1);
			info->key.type = field_dup(res, i, 2);
			field_copy(res, i, 3, info->units, sizeof(info->units));
			field_copy(res, i, 4, info->aggregation, sizeof(info->aggregation));
			field_copy(res, i, 5, info->spy_name, sizeof(info->spy_name));
			info->sample_rate = rate;
			lcap = 0;
		}
		if (PQgetisnull(res, i, 7))
			continue;
		fk_grow((void **)&info->key.labels, sizeof(*info->key.labels), &lcap,
			info->key.nlabels + 1);
		fk_label *l = &info->key.labels[info->key.nlabels++];
		l->name = field_dup(res, i, 7);
		l->value = field_dup(res, i, 8);
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* After a failed read on conn: whether the connection was lost (the server restarted, or
 * closed it), so the read is worth one more try; the idle connections, likely lost too,
 * are closed. */
static bool reader_lost(fk_store_backend *b, PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return false;
	pthread_mutex_lock(&b->pool_lock);
	while (b->nidle)
		PQfinish(b->idle[--b->nidle]);
	pthread_mutex_unlock(&b->pool_lock);
	return true;
}

/* Each read runs on a pooled connection, once more on a new one when it was lost. */
static int backend_merge(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			 int64_t until, fk_profile *into, fk_error *err)
{
	for (int attempt = 0;; attempt++) {
		PGconn *conn;
		if (reader_get(b, &conn, err))
			return -1;
		int rc = merge_on(b, conn, ids, n, from, until, into, err);
		bool retry = rc && attempt == 0 && reader_lost(b, conn);
		reader_put(b, conn);
		if (!retry)
			return rc;
	}
}

static int backend_timeline(fk_store_backend *b, const int64_t *ids, size_t n, int64_t from,
			    int64_t until, int64_t step, double *samples, size_t nsamples,
			    fk_error *err)
{
	for (int attempt = 0;; attempt++) {
		PGconn *conn;
		if (reader_get(b, &conn, err))
			return -1;
		memset(samples, 0, nsamples * sizeof(*samples));
		int rc = timeline_on(b, conn, ids, n, from, until, step, samples, nsamples, err);
		bool retry = rc && attempt == 0 && reader_lost(b, conn);
		reader_put(b, conn);
		if (!retry)
			return rc;
	}
}

static int backend_series(fk_store_backend *b, fk_series_list *out, fk_error *err)
{
	for (int attempt = 0;; attempt++) {
		PGconn *conn;
		if (reader_get(b, &conn, err))
			return -1;
		int rc = series_on(b, conn, out, err);
		bool retry = rc && attempt == 0 && reader_lost(b, conn);
		reader_put(b, conn);
		if (!retry)
			return rc;
	}
}

/* ---- compaction ---- */

struct compact_ctx {
	fk_store_backend *b;
	uint32_t nnodes;
	fk_codec_sum sum;
	fk_codec_buf blob;
};

/* fk_store_rewrite_fn: deletes group[0..n), summing their blobs (in id order), and inserts
 * the sum. */
static int compact_group(void *arg, const fk_store_window *group, size_t n, fk_error *err)
{
	struct compact_ctx *c = arg;
	fk_store_backend *b = c->b;
	int64_t *ids = fk_xmalloc(n * sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = group[i].id;
	char *array = id_array(ids, n);
	free(ids);
	const char *values[1] = {array};
	PGresult *res = query(b, b->db,
			      "WITH d AS (DELETE FROM profiles WHERE id = ANY($1::bigint[])"
			      " RETURNING id, stacks) SELECT id, stacks FROM d ORDER BY id",
			      1, values, PGRES_TUPLES_OK, "compacting", err);
	free(array);
	if (!res)
		return -1;
	fk_codec_sum_reset(&c->sum);
	int rows = PQntuples(res);
	if ((size_t)rows != n) {
		PQclear(res);
		return fk_error_set(err, "%s: compacting: %d of %zu profiles found", b->name, rows, n);
	}
	for (int i = 0; i < rows; i++) {
		fk_error e;
		int64_t id = -1;
		get_i8(res, i, 0, &id);
		if (fk_codec_sum_add(&c->sum, (const unsigned char *)PQgetvalue(res, i, 1),
				     (size_t)PQgetlength(res, i, 1), c->nnodes, &e)) {
			PQclear(res);
			return fk_error_set(err, "%s: profile %lld: %s", b->name, (long long)id,
					    e.msg);
		}
	}
	PQclear(res);
	double total;
	fk_codec_sum_encode(&c->sum, &c->blob, &total);
	char series[24], start[24], size[24], stotal[40];
	snprintf(series, sizeof(series), "%" PRId64, group[0].series);
	snprintf(start, sizeof(start), "%" PRId64, group[0].target_start);
	snprintf(size, sizeof(size), "%" PRId64, group[0].target_size);
	fk_codec_buf t = {0};
	copy_double(&t, total);
	snprintf(stotal, sizeof(stotal), "%.*s", (int)t.len, (const char *)t.data);
	fk_codec_buf_free(&t);
	const char *iv[5] = {series, start, size, stotal, (const char *)c->blob.data};
	const int il[5] = {0, 0, 0, 0, (int)c->blob.len};
	const int ifmt[5] = {0, 0, 0, 0, 1};
	res = PQexecParams(b->db,
			   "INSERT INTO profiles(series, start, size, total, stacks) "
			   "VALUES($1, $2, $3, $4, $5)",
			   5, NULL, iv, il, ifmt, 1);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_error(b, b->db, res, "compacting", err);
	PQclear(res);
	return rc;
}

static int backend_compact(fk_store_backend *b, fk_codec_dict *dict, const fk_store_policy *policy,
			   int64_t now, fk_store_compact_stats *stats, fk_error *err)
{
	memset(stats, 0, sizeof(*stats));
	struct compact_ctx c = {.b = b};
	uint32_t end;
	fk_codec_dict_pending_nodes(dict, &c.nnodes, &end); /* the committed ones */
	fk_store_window *rows = NULL;
	PGresult *res = NULL;
	if (policy->retention_sec > 0) {
		char before[24];
		snprintf(before, sizeof(before), "%" PRId64, now - policy->retention_sec);
		const char *values[1] = {before};
		res = query(b, b->db, "DELETE FROM profiles WHERE start + size <= $1", 1, values,
			    PGRES_COMMAND_OK, "compacting", err);
		if (!res)
			goto fail;
		stats->expired = strtoull(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	res = query(b, b->db, "SELECT id, series, start, size FROM profiles", 0, NULL,
		    PGRES_TUPLES_OK, "compacting", err);
	if (!res)
		goto fail;
	size_t nrows = (size_t)PQntuples(res);
	rows = fk_xmalloc((nrows ? nrows : 1) * sizeof(*rows));
	for (size_t i = 0; i < nrows; i++) {
		fk_store_window *w = &rows[i];
		if (!get_i8(res, (int)i, 0, &w->id) || !get_i8(res, (int)i, 1, &w->series) ||
		    !get_i8(res, (int)i, 2, &w->start) || !get_i8(res, (int)i, 3, &w->size)) {
			fk_error_set(err, "%s: corrupt store: bad profile row", b->name);
			goto fail;
		}
	}
	PQclear(res);
	res = NULL;
	if (fk_store_compact_plan(policy, now, rows, nrows, compact_group, &c, stats, err) ||
	    commit(b, b->db, err))
		goto fail;
	free(rows);
	fk_codec_sum_free(&c.sum);
	fk_codec_buf_free(&c.blob);
	return 0;
fail:
	PQclear(res);
	rollback(b->db);
	free(rows);
	fk_codec_sum_free(&c.sum);
	fk_codec_buf_free(&c.blob);
	memset(stats, 0, sizeof(*stats));
	return -1;
}

static int backend_try_lead(fk_store_backend *b, int64_t key, bool *leading, fk_error *err)
{
	*leading = false;
	if (b->lead && (b->lead_key != key || PQstatus(b->lead) != CONNECTION_OK)) {
		PQfinish(b->lead); /* a lost connection has lost its lock too */
		b->lead = NULL;
		b->lead_held = false;
	}
	if (!b->lead && connect_db(b, &b->lead, err))
		return -1;
	b->lead_key = key;
	char skey[24];
	snprintf(skey, sizeof skey, "%" PRId64, key);
	const char *values[1] = {skey};
	/* held: still connected? (the server may have closed it); else: try to take it */
	PGresult *res = query(b, b->lead,
			      b->lead_held ? "SELECT $1::bigint IS NOT NULL"
					   : "SELECT pg_try_advisory_lock($1::bigint)",
			      1, values, PGRES_TUPLES_OK, "taking the lead", err);
	if (!res || PQntuples(res) != 1) {
		PQclear(res);
		PQfinish(b->lead);
		b->lead = NULL;
		b->lead_held = false;
		return res ? fk_error_set(err, "%s: taking the lead: no answer", b->name) : -1;
	}
	b->lead_held = get_bool(res, 0, 0);
	PQclear(res);
	*leading = b->lead_held;
	return 0;
}

const fk_store_backend_ops fk_store_pg_ops = {
	.name = "postgresql",
	.open = backend_open,
	.begin_write = backend_begin_write,
	.put_batch = backend_put_batch,
	.abort_write = backend_abort_write,
	.compact = backend_compact,
	.series = backend_series,
	.merge = backend_merge,
	.timeline = backend_timeline,
	.try_lead = backend_try_lead,
	.close = backend_close,
};
