/* uploader.c: the agent's sending thread (uploader.h). */
#define _GNU_SOURCE
#include "uploader.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "../util/http_client.h"

enum { MAX_STATUSES_LOGGED = 16 };

struct fk_uploader {
	fk_uploader_options opt;
	char *server;
	fk_spool *spool;
	fk_http_client *http;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool woken;          /* a window was added since the thread last looked */
	bool finishing;      /* fk_uploader_finish: send what is left until deadline */
	double deadline;
	fk_uploader_stats stats;
	unsigned seed;       /* jitter */

	/* the thread's own */
	bool failing;
	double failing_since, failing_since_wall;
	long statuses_logged[MAX_STATUSES_LOGGED];
	size_t nstatuses_logged;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first line of a reply, for a log line. */
static void first_line(const char *reply, char *buf, size_t cap)
{
	size_t n = strcspn(reply, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, reply, n);
	buf[n] = '\0';
}

/* Waits (mutex held) until the monotonic time until, or the finishing deadline if that
 * comes first, or (on_wake) until a window is added or finishing is asked. */
static void wait_until(fk_uploader *u, double until, bool on_wake)
{
	while (!(on_wake && (u->woken || u->finishing))) {
		double end = until;
		if (u->finishing && u->deadline < end)
			end = u->deadline;
		if (mono_now() >= end)
			break;
		struct timespec ts = {(time_t)end, (long)((end - (double)(time_t)end) * 1e9)};
		pthread_cond_timedwait(&u->cond, &u->mu, &ts);
	}
}

static bool status_logged(fk_uploader *u, long status)
{
	for (size_t i = 0; i < u->nstatuses_logged; i++)
		if (u->statuses_logged[i] == status)
			return true;
	if (u->nstatuses_logged < MAX_STATUSES_LOGGED)
		u->statuses_logged[u->nstatuses_logged++] = status;
	return false;
}

/* Sends one window; returns true when it is done with (sent or refused for good). */
static bool send_window(fk_uploader *u, const fk_spool_window *w, long timeout_ms)
{
	size_t n = strlen(u->server) + strlen(w->meta) + 16;
	char *url = fk_xmalloc(n);
	snprintf(url, n, "%s/ingest?%s", u->server, w->meta);
	fk_http_post_request req = {.url = url, .content_type = "text/plain",
				    .bearer_token = u->opt.token, .body = w->body,
				    .body_len = w->len, .timeout_ms = timeout_ms};
	fk_http_post_result res;
	fk_error err = {{0}};
	int rc = fk_http_post(u->http, &req, &res, &err);
	free(url);
	char line[240];
	if (rc == 0 && res.status >= 200 && res.status < 300) {
		pthread_mutex_lock(&u->mu);
		u->stats.sent++;
		u->stats.sent_value += w->value;
		pthread_mutex_unlock(&u->mu);
		if (u->failing) {
			u->failing = false;
			fk_spool_stats st = fk_spool_stats_get(u->spool);
			fk_logf(u->opt.log, u->opt.log_ctx,
				"server back after %.1f s; sending %zu buffered windows", mono_now() - u->failing_since,
				st.windows > 0 ? st.windows - 1 : 0);
		}
		return true;
	}
	if (rc < 0 || fk_http_status_retryable(res.status)) {
		pthread_mutex_lock(&u->mu);
		u->stats.failures++;
		pthread_mutex_unlock(&u->mu);
		if (!u->failing) {
			u->failing = true;
			u->failing_since = mono_now();
			if (rc < 0) {
				/* the message starts with the URL, long and said elsewhere */
				size_t ul = strlen(u->server);
				const char *m = strncmp(err.msg, u->server, ul) == 0 ? strstr(err.msg, ": ") : NULL;
				snprintf(line, sizeof line, "%.199s", m ? m + 2 : err.msg);
			}
			else {
				char reply[120];
				first_line(res.reply, reply, sizeof reply);
				snprintf(line, sizeof line, "HTTP %ld %s", res.status, reply);
			}
			time_t t = time(NULL);
			struct tm tm;
			char when[32];
			localtime_r(&t, &tm);
			strftime(when, sizeof when, "%H:%M:%S", &tm);
			fk_logf(u->opt.log, u->opt.log_ctx,
				"server unreachable since %s (%s); buffering windows in %s and retrying",
				when, line, fk_spool_dir(u->spool));
		}
		return false;
	}
	/* refused for good: sending it again would not help */
	pthread_mutex_lock(&u->mu);
	u->stats.rejected++;
	u->stats.rejected_value += w->value;
	uint64_t rejected = u->stats.rejected;
	pthread_mutex_unlock(&u->mu);
	if (!status_logged(u, res.status)) {
		char reply[160];
		first_line(res.reply, reply, sizeof reply);
		fk_logf(u->opt.log, u->opt.log_ctx,
			"the server refused a window with HTTP %ld: %s; such windows are dropped "
			"(%llu so far)",
			res.status, reply[0] ? reply : "(no message)", (unsigned long long)rejected);
	}
	if (u->failing) {
		u->failing = false;
		fk_logf(u->opt.log, u->opt.log_ctx,
			"server back after %.1f s", mono_now() - u->failing_since);
	}
	return true;
}

static void *uploader_main(void *arg)
{
	fk_uploader *u = arg;
	double backoff_min = u->opt.backoff_min > 0 ? u->opt.backoff_min : 0.5;
	double backoff_max = u->opt.backoff_max > 0 ? u->opt.backoff_max : 30;
	long timeout_ms = u->opt.timeout_ms > 0 ? u->opt.timeout_ms : 15000;
	double backoff = backoff_min;
	pthread_mutex_lock(&u->mu);
	for (;;) {
		if (u->finishing && mono_now() >= u->deadline)
			break;
		u->woken = false;
		pthread_mutex_unlock(&u->mu);
		fk_spool_window w;
		bool have = fk_spool_take_oldest(u->spool, &w);
		pthread_mutex_lock(&u->mu);
		if (!have) {
			if (u->finishing)
				break;
			wait_until(u, mono_now() + 3600, true);
			continue;
		}
		long t = timeout_ms;
		if (u->finishing) {
			double left = (u->deadline - mono_now()) * 1000;
			t = left < 100 ? 100 : left < t ? (long)left : t;
		}
		pthread_mutex_unlock(&u->mu);
		bool done = send_window(u, &w, t);
		if (done)
			fk_spool_done(u->spool, w.seq);
		else
			fk_spool_keep(u->spool, w.seq);
		fk_spool_window_free(&w);
		pthread_mutex_lock(&u->mu);
		if (done) {
			backoff = backoff_min;
			continue;
		}
		double jitter = 0.75 + 0.5 * (double)rand_r(&u->seed) / (double)RAND_MAX;
		wait_until(u, mono_now() + backoff * jitter, false);
		backoff = backoff * 2 < backoff_max ? backoff * 2 : backoff_max;
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

int fk_uploader_start(const fk_uploader_options *options, fk_spool *spool, fk_uploader **out,
		      fk_error *err)
{
	*out = NULL;
	fk_uploader *u = fk_xcalloc(1, sizeof(*u));
	u->opt = *options;
	u->server = fk_xstrdup(options->server);
	size_t n = strlen(u->server);
	while (n > 0 && u->server[n - 1] == '/')
		u->server[--n] = '\0';
	u->spool = spool;
	u->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	u->http = fk_http_client_new();
	if (!u->http) {
		free(u->server);
		free(u);
		return fk_error_set(err, "cannot make an HTTP client (curl_easy_init failed)");
	}
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* signals are for the sampling thread (its waits are cut short by them) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&u->thread, NULL, uploader_main, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		fk_http_client_free(u->http);
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->mu);
		free(u->server);
		free(u);
		return fk_error_set(err, "cannot start the sending thread: %s", strerror(rc));
	}
	u->running = true;
	*out = u;
	return 0;
}

void fk_uploader_wake(fk_uploader *u)
{
	pthread_mutex_lock(&u->mu);
	u->woken = true;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->mu);
}

void fk_uploader_finish(fk_uploader *u, double timeout)
{
	if (!u->running)
		return;
	pthread_mutex_lock(&u->mu);
	u->finishing = true;
	u->deadline = mono_now() + (timeout > 0 ? timeout : 0);
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	u->running = false;
}

fk_uploader_stats fk_uploader_stats_get(fk_uploader *u)
{
	pthread_mutex_lock(&u->mu);
	fk_uploader_stats st = u->stats;
	pthread_mutex_unlock(&u->mu);
	return st;
}

void fk_uploader_free(fk_uploader *u)
{
	if (!u)
		return;
	fk_uploader_finish(u, 0);
	fk_http_client_free(u->http);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->mu);
	free(u->server);
	free(u);
}
