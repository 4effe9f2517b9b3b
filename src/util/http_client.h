/* http_client.h: the one HTTP client of flamekit (libcurl): a POST with a body and a few
 * headers, answering the status and the start of the reply body. The agent's uploads to
 * /ingest and the server's alert webhooks go through here; retrying is the caller's. */
#ifndef FK_HTTP_CLIENT_H
#define FK_HTTP_CLIENT_H

#include "common.h"

/* Once per process, before any thread posts (curl_global_init); 0 or -1 with err. */
int fk_http_client_global_init(fk_error *err);
void fk_http_client_global_cleanup(void);

typedef struct fk_http_client fk_http_client; /* one connection cache; one thread at a time */

fk_http_client *fk_http_client_new(void);
void fk_http_client_free(fk_http_client *c);

typedef struct fk_http_post_request {
	const char *url;
	const char *content_type;  /* NULL: text/plain */
	const char *bearer_token;  /* NULL: no Authorization header */
	const void *body;
	size_t body_len;
	long timeout_ms;           /* whole request; 0: 30 s */
} fk_http_post_request;

typedef struct fk_http_post_result {
	long status;          /* HTTP status, 0 when no answer came (connection refused, timeout) */
	char reply[256];      /* the start of the reply body (NUL-terminated, newlines kept) */
} fk_http_post_result;

/* Sends the request. Returns 0 when an HTTP answer came (any status: see res->status), or
 * -1 with err (naming the URL) when none did. */
int fk_http_post(fk_http_client *c, const fk_http_post_request *req, fk_http_post_result *res,
		 fk_error *err);

/* Whether a failed POST is worth retrying: no answer, 408, 429 or 5xx. */
bool fk_http_status_retryable(long status);

#endif
