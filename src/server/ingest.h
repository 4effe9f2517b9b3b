/* ingest.h: turns one `POST /ingest` request of Pyroscope's HTTP API into profiles: the
 * query's name (series), times, format and sample rate, and the body (folded, lines or
 * pprof; multipart/form-data with the pprof in the "profile" field; gzip detected by its
 * magic). A pprof body gives one profile per sample type. Nothing here does I/O. */
/* Formats: format=folded ("a;b;c COUNT" lines), lines ("a;b;c", each counting 1), pprof
 * (the raw body, or the multipart part "profile"); no format: pprof when the Content-Type
 * is multipart/form-data, else folded; jfr, trie, tree: FK_INGEST_UNSUPPORTED. Folded and
 * lines give one item named by "name" (type "cpu" when it has no dot). pprof gives one
 * item per sample type, of series type the sample type's name ("sample"/count, as
 * @datadog/pprof names it, is "samples"), app the name before the braces less a trailing
 * ".cpu" or ".SAMPLETYPE"; with no "cpu" type, "samples" (count) is also stored as "cpu".
 * A body with no stacks (empty, only blank lines, or no samples) gives no items. */
#ifndef FK_INGEST_H
#define FK_INGEST_H

#include "../stack/profile.h"
#include "series.h"

typedef struct fk_ingest_request {
	const char *name;             /* query parameter "name" (required) */
	const char *from, *until;     /* NULL when absent: now */
	const char *format;           /* "folded", "lines", "pprof", or NULL */
	const char *sample_rate;      /* "sampleRate" or NULL (100) */
	const char *spy_name;         /* "spyName" or NULL */
	const char *units;            /* "units" or NULL ("samples") */
	const char *aggregation_type; /* "aggregationType": "sum" (default) or "average" */
	const char *content_type;     /* the Content-Type header, or NULL */
	const unsigned char *body;
	size_t len;
	int64_t now;                  /* the current Unix time in seconds */
	size_t max_decompressed;      /* a gzip body may not inflate past this many bytes
				       * (0: 64 MiB) */
} fk_ingest_request;

typedef struct fk_ingest_item {
	fk_series_key key;
	int64_t from, until;  /* Unix seconds, from <= until */
	fk_profile *profile;  /* owned */
	char units[16];       /* "samples", "objects", "bytes", "nanoseconds", ... */
	char aggregation[8];  /* "sum" or "average" */
	char spy_name[32];    /* "" when not given */
	int64_t sample_rate;  /* Hz (100 when not given) */
} fk_ingest_item;

typedef struct fk_ingest {
	fk_ingest_item *items;
	size_t count;
} fk_ingest;

enum {
	FK_INGEST_OK = 0,
	FK_INGEST_BAD = -1,         /* malformed request: 400 */
	FK_INGEST_TOO_LARGE = -2,   /* a body inflating past max_decompressed: 413 */
	FK_INGEST_UNSUPPORTED = -3, /* a format flamekit does not read (jfr, trie, tree): 415 */
};

/* Parses req into in (cleared first). Returns FK_INGEST_OK, or one of the errors above
 * with err holding a one-line message for the client (in is then empty). */
int fk_ingest_parse(const fk_ingest_request *req, fk_ingest *in, fk_error *err);
void fk_ingest_free(fk_ingest *in);

#endif
