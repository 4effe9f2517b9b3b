/* series.h: names of series and queries over them, in Pyroscope's syntax. A series is one
 * app's profiles of one type with one set of labels. Ingest names it
 * "APP.TYPE{k=v,...}" (TYPE after the last dot, "cpu" when there is none); queries select
 * series with "APP.TYPE{k="v",k!="v",k=~"re",k!~"re"}". Also the times and durations the
 * HTTP API takes ("now-1h", Unix seconds or ms/us/ns, "30d"). */
#ifndef FK_SERIES_H
#define FK_SERIES_H

#include <regex.h>
#include <stdint.h>

#include "../util/common.h"

typedef struct fk_label {
	char *name;  /* [A-Za-z0-9_.]+ */
	char *value; /* no control bytes, ',', '{', '}', '=', '"' or '\\' */
} fk_label;

typedef struct fk_series_key {
	char *app;        /* "checkout" (may contain dots: "my.app.cpu" is app "my.app") */
	char *type;       /* "cpu", "alloc_space", "wall", ... */
	fk_label *labels; /* sorted by name; names unique */
	size_t nlabels;
} fk_series_key;

/* Parses an ingest name "APP.TYPE{k=v,...}" (len bytes; values may also be given in
 * double quotes). With default_type non-NULL, a name whose part before the braces has no
 * dot is app default_type; with default_type NULL the whole part is the app and type is
 * "" (pprof bodies name their own types). "{}" or no braces: no labels. A label given
 * twice keeps the last; an empty value ("k=" or k="") sets no label. "__name__" is
 * reserved. At most 1024 bytes and 64 labels. Returns 0, or -1 with err saying what is
 * wrong and where ("name: at character N: ..."). */
int fk_series_key_parse(const char *name, size_t len, const char *default_type,
			fk_series_key *key, fk_error *err);
/* A deep copy. */
void fk_series_key_copy(fk_series_key *dst, const fk_series_key *src);
void fk_series_key_free(fk_series_key *key);
/* The canonical name "app.type{a=1,b=2}" (labels sorted; "{}" when none), malloc'd. Two
 * keys are the same series exactly when their canonical names are equal. */
char *fk_series_key_format(const fk_series_key *key);
/* The series' name "app.type" ("app" when type is ""), malloc'd: what __name__ matches
 * and what /api/apps lists. */
char *fk_series_key_name(const fk_series_key *key);
/* The value of label name in key, or NULL (also for "__name__", which is no stored label:
 * query matchers on "__name__" compare "app.type"). */
const char *fk_series_key_label(const fk_series_key *key, const char *name);
/* Sets (or replaces) a label; an empty value removes it (a missing label is ""). The
 * caller checks name and value (see fk_label). */
void fk_series_key_set_label(fk_series_key *key, const char *name, const char *value);

typedef enum {
	FK_MATCH_EQ,  /* label="v" (a missing label is "") */
	FK_MATCH_NE,  /* label!="v" */
	FK_MATCH_RE,  /* label=~"re": POSIX ERE matching the whole value */
	FK_MATCH_NRE, /* label!~"re" */
} fk_match_op;

typedef struct fk_label_matcher {
	char *name;
	fk_match_op op;
	char *value;
	regex_t re;   /* compiled "^(value)$" for FK_MATCH_RE/NRE */
	bool has_re;
} fk_label_matcher;

typedef struct fk_series_query {
	char *app;  /* "checkout" */
	char *type; /* "cpu" ("" when the query has no dot: any type) */
	fk_label_matcher *matchers;
	size_t nmatchers;
} fk_series_query;

/* Parses a query "APP.TYPE{k="v",...}" (values in double quotes with \" and \\ escapes;
 * spaces around the parts allowed). Returns 0, or -1 with err saying what is wrong and at
 * which character. */
int fk_series_query_parse(const char *query, size_t len, fk_series_query *q, fk_error *err);
void fk_series_query_free(fk_series_query *q);
/* True when key is in q's app and type and every matcher holds. */
bool fk_series_query_match(const fk_series_query *q, const fk_series_key *key);

/* A time of the HTTP API to Unix seconds: "now", "now-30s" / "now-15m" / "now-1h" /
 * "now-2d" / "now-1w", or a Unix time in seconds, milliseconds, microseconds or
 * nanoseconds (told by magnitude: > 1e17 ns, > 1e14 us, > 1e11 ms). Times before 1970 or
 * after 2262 (past int64 nanoseconds) are errors. Returns 0, or -1 with err. */
int fk_parse_time(const char *text, int64_t now_sec, int64_t *out_sec, fk_error *err);
/* A duration "90", "90s", "15m", "2h", "30d", "1w" to seconds (> 0). Returns 0 or -1. */
int fk_parse_duration(const char *text, int64_t *out_sec, fk_error *err);

#endif
