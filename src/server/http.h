/* http.h: the HTTP server under `flamekit serve`, on libmicrohttpd: one thread per
 * connection, request bodies gathered up to a size limit, one handler for every request.
 * The handler sees the method, path, query parameters, headers and whole body, and fills
 * in a response (status, content type, bytes). Knows nothing of profiles. */
#ifndef FK_HTTP_H
#define FK_HTTP_H

#include <stdint.h>
#include <stdio.h>

#include "../util/common.h"

struct MHD_Connection;

typedef struct fk_http_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* "/render" (decoded, without the query string) */
	struct MHD_Connection *connection;
	const unsigned char *body; /* the whole body (NUL-terminated; may hold NULs) */
	size_t body_len;
} fk_http_request;

/* A query parameter's (decoded) value, or NULL when absent. */
const char *fk_http_query(const fk_http_request *req, const char *key);
/* A header's value, or NULL. */
const char *fk_http_header(const fk_http_request *req, const char *name);

typedef struct fk_http_response {
	int status;               /* 200 unless set */
	const char *content_type; /* "text/plain; charset=utf-8" unless set */
	const char *extra_header, *extra_value; /* one more header (WWW-Authenticate...), or NULL */
	FILE *body;               /* write the body here (a memory stream) */
} fk_http_response;

/* Sets status and a one-line text body "message\n" (for errors). */
void fk_http_reply_text(fk_http_response *resp, int status, const char *fmt, ...) FK_PRINTF(3, 4);

typedef void (*fk_http_handler)(void *ctx, const fk_http_request *req, fk_http_response *resp);

typedef struct fk_http_options {
	const char *listen;     /* "HOST:PORT" ("[::1]:PORT" for IPv6; port 0 picks a free one) */
	size_t max_body;        /* bodies longer than this get 413 */
	unsigned max_connections;
	unsigned timeout_sec;   /* idle connections are closed after this */
} fk_http_options;

typedef struct fk_http_server fk_http_server;

/* Starts serving (threads of its own). Returns the server, or NULL with err. */
fk_http_server *fk_http_start(const fk_http_options *o, fk_http_handler handler, void *ctx,
			      fk_error *err);
/* The port it listens on. */
uint16_t fk_http_port(const fk_http_server *s);
/* Stops accepting, waits for the requests under way to finish, and frees s. */
void fk_http_stop(fk_http_server *s);

#endif
