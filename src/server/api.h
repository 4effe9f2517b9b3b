/* api.h: the HTTP endpoints of `flamekit serve`: Pyroscope's ingest and query API, the
 * label and app lists, the alerts' states, and the web UI's files. One handler (an
 * fk_http_handler) routes every request. */
#ifndef FK_API_H
#define FK_API_H

#include "alert.h"
#include "http.h"
#include "store.h"

typedef struct fk_api fk_api;
struct fk_api {
	fk_store *store;
	const char *token;       /* every data endpoint needs "Authorization: Bearer TOKEN"
				  * when set */
	size_t max_decompressed; /* a gzipped body may inflate to at most this */
	int64_t window_sec;      /* the store's window (timeline buckets are multiples) */
	int64_t (*now)(const fk_api *api); /* the current Unix time in seconds */
	fk_alert_engine *alerts; /* GET /alerts lists its rules; NULL: no rules ("[]") */
};

/* An fk_http_handler; ctx is the fk_api. */
void fk_api_handle(void *ctx, const fk_http_request *req, fk_http_response *resp);

#endif
