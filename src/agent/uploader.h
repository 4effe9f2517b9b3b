/* uploader.h: the agent's sending thread. It takes the windows of a spool oldest first and
 * POSTs each to SERVER/ingest?META (META: the query the window was written with) through
 * the HTTP client (http_client.h), deleting it once the server answered 2xx. When the
 * server does not answer, or answers 408, 429 or 5xx, the same window is tried again
 * after a backoff (doubling from backoff_min to backoff_max, with +-25% jitter), so the
 * order is kept and nothing is lost but what the spool's bound drops. Any other 4xx is
 * final for that window: it is deleted and counted as rejected, and the server's answer
 * is logged once per distinct status. State changes are logged once (server unreachable
 * since..., back after N s). */
#ifndef FK_UPLOADER_H
#define FK_UPLOADER_H

#include "spool.h"

typedef struct fk_uploader_options {
	const char *server;    /* base URL: "http://host:4040" (a trailing '/' is ignored) */
	const char *token;     /* Authorization: Bearer TOKEN; NULL: none */
	long timeout_ms;       /* one request (0: 15 s) */
	double backoff_min;    /* seconds (0: 0.5) */
	double backoff_max;    /* seconds (0: 30) */
	fk_log_fn log;   /* one line per call, from the sending thread; may be NULL */
	void *log_ctx;
} fk_uploader_options;

typedef struct fk_uploader_stats {
	uint64_t sent;         /* windows the server took */
	double sent_value;     /* their total count */
	uint64_t rejected;     /* windows refused for good (4xx but 408 and 429) */
	double rejected_value;
	uint64_t failures;     /* attempts that will be retried */
} fk_uploader_stats;

typedef struct fk_uploader fk_uploader;

/* Starts the thread on spool (which must outlive the uploader). Returns 0, or -1 with
 * err. */
int fk_uploader_start(const fk_uploader_options *options, fk_spool *spool, fk_uploader **out,
		      fk_error *err);
/* A window was added to the spool. */
void fk_uploader_wake(fk_uploader *u);
/* Goes on sending until the spool is empty or timeout seconds have passed (retrying as
 * usual meanwhile, the waits cut short at the deadline), then stops the thread. */
void fk_uploader_finish(fk_uploader *u, double timeout);
fk_uploader_stats fk_uploader_stats_get(fk_uploader *u);
/* Finishes with no time left if fk_uploader_finish was not called, and frees. */
void fk_uploader_free(fk_uploader *u);

#endif
