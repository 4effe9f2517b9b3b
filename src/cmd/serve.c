/* serve.c: `flamekit serve`, the continuous profiling server: Pyroscope's HTTP API
 * (ingest, render, labels) and a web UI over a durable store (SQLite by default), with
 * regression alerts. Options, signals and the compaction and alert timers only; the work
 * is in src/server/. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../server/alert.h"
#include "../server/api.h"
#include "../server/http.h"
#include "../server/store.h"
#include "../util/http_client.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_LISTEN,
	OPT_DB,
	OPT_RETENTION,
	OPT_TOKEN,
	OPT_MAX_BODY,
	OPT_COMPACT_EVERY,
	OPT_ALERT,
	OPT_ALERT_FILE,
	OPT_ALERT_EVERY,
	OPT_WEBHOOK,
};

static const fk_option serve_options[] = {
	{"listen", 'l', true, OPT_LISTEN, "HOST:PORT",
	 "address to listen on (default 127.0.0.1:4040; port 0 picks a free one)"},
	{"db", 0, true, OPT_DB, "DSN",
	 "the store: an SQLite file (default flamekit.db), or postgresql://USER@HOST:PORT/DB (servers may share it)"},
	{"retention", 0, true, OPT_RETENTION, "DURATION",
	 "drop profiles older than this (30d, 12h, ...; default: keep all)"},
	{"token", 0, true, OPT_TOKEN, "TOKEN",
	 "require 'Authorization: Bearer TOKEN' (default: $FLAMEKIT_TOKEN if set)"},
	{"max-body", 0, true, OPT_MAX_BODY, "MB",
	 "largest request body accepted, in MiB (default 64; gzip may inflate to 4x)"},
	{"compact-every", 0, true, OPT_COMPACT_EVERY, "SECONDS",
	 "merge, downsample and expire windows this often (default 60)"},
	{"alert", 0, true, OPT_ALERT, "RULE",
	 "a regression alert (repeatable): [alert=NAME] name=QUERY fn=FUNCTION grow>N% "
	 "window=DURATION baseline=DURATION (or label=LABEL current=VALUE baseline=VALUE) [min=N]"},
	{"alert-file", 0, true, OPT_ALERT_FILE, "FILE",
	 "alert rules, one per line ('#' comments and blank lines skipped)"},
	{"alert-every", 0, true, OPT_ALERT_EVERY, "SECONDS",
	 "evaluate the alerts this often (default 60; also once at start)"},
	{"webhook", 0, true, OPT_WEBHOOK, "URL",
	 "POST a JSON body to URL when an alert fires or resolves (repeatable; retried)"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit serve [options]\n\n"
		     "A continuous profiling server speaking Grafana Pyroscope's HTTP API: clients push\n"
		     "profiles to POST /ingest (folded, lines or pprof; Pyroscope's clients unchanged),\n"
		     "and GET /render, /render-diff, /label-names, /label-values and /api/apps query\n"
		     "them. A web UI is at /. Profiles are kept in SQLite (WAL); a profile is\n"
		     "acknowledged only once it is on disk. SIGTERM or SIGINT stops it gracefully.\n"
		     "--alert rules compare a function's share of the samples in the latest window\n"
		     "with a baseline (the time before, or another label value) and report regressions\n"
		     "on stderr, at GET /alerts and to --webhook URLs.\n\n");
	fk_options_print(out, serve_options, FK_ARRAY_LEN(serve_options));
	fprintf(out, "\nexamples:\n  flamekit serve --db /var/lib/flamekit/profiles.db --retention 30d\n"
		     "  curl --data-binary @cpu.folded 'http://127.0.0.1:4040/ingest?name=shop.cpu{env=prod}&format=folded'\n"
		     "  curl 'http://127.0.0.1:4040/render?query=shop.cpu{env=\"prod\"}&from=now-1h&format=folded'\n"
		     "  flamekit serve --alert 'name=checkout.cpu{} fn=queryDB grow>20%% window=10m baseline=1h' \\\n"
		     "      --webhook http://alerts.example/hook\n"
		     "  flamekit serve --alert 'name=checkout.cpu{env=\"prod\"} fn=queryDB grow>20%% window=10m label=version current=v2 baseline=v1'\n"
		     "  curl http://127.0.0.1:4040/alerts\n");
}

static int64_t wall_clock_now(const fk_api *api)
{
	(void)api;
	return (int64_t)time(NULL);
}

/* What an alert transition goes to: a log line, and the webhooks. */
typedef struct alert_outputs {
	const char *prog;
	fk_webhook_sender *webhooks; /* or NULL */
} alert_outputs;

static void on_alert(void *ctx, const fk_alert_event *ev)
{
	alert_outputs *out = ctx;
	char line[2048];
	fk_alert_event_describe(ev, line, sizeof line);
	fprintf(stderr, "%s: %s\n", out->prog, line);
	if (!out->webhooks)
		return;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	if (!f) {
		fprintf(stderr, "%s: webhooks: out of memory\n", out->prog);
		return;
	}
	fk_alert_event_write_json(ev, f);
	if (fclose(f) == 0) {
		char what[200];
		snprintf(what, sizeof what, "alert %.150s %s", ev->rule->name,
			 ev->firing ? "firing" : "resolved");
		fk_webhook_send(out->webhooks, body, len, what);
	}
	free(body);
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Adds one --alert rule, or prints why it is bad. Returns 0 or -1. */
static int add_alert_option(const char *prog, fk_alert_rules *rules, const char *text)
{
	char where[200];
	size_t len = strlen(text);
	snprintf(where, sizeof where, "--alert '%.*s%s'", len > 120 ? 120 : (int)len, text,
		 len > 120 ? "..." : "");
	fk_error err = {{0}};
	if (fk_alert_rules_add(rules, text, len, where, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return -1;
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	const char *prog = "flamekit serve";
	const char *listen = "127.0.0.1:4040";
	const char *db = "flamekit.db";
	const char *token = getenv("FLAMEKIT_TOKEN");
	unsigned long max_body_mb = 64, compact_every = 60, alert_every = 60;
	fk_alert_rules rules = {0};
	const char **webhooks = NULL;
	size_t nwebhooks = 0, webhooks_cap = 0;
	int status = 0;
	fk_store_policy policy;
	fk_store_policy_init(&policy);
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, serve_options, FK_ARRAY_LEN(serve_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			status = 2;
			goto done;
		case FK_OPT_OPERAND:
			fprintf(stderr, "%s: unexpected argument '%s'\n", prog, op.operand);
			usage(stderr);
			status = 2;
			goto done;
		case OPT_HELP:
			usage(stdout);
			goto done;
		case OPT_LISTEN:
			listen = op.arg;
			break;
		case OPT_DB:
			db = op.arg;
			break;
		case OPT_RETENTION:
			if (fk_parse_duration(op.arg, &policy.retention_sec, &err) < 0) {
				status = cmd_bad_value(prog, "--retention", op.arg,
						       "a duration such as 30d, 12h or 90m");
				goto done;
			}
			break;
		case OPT_TOKEN:
			token = op.arg;
			break;
		case OPT_MAX_BODY:
			if (fk_parse_uint(op.arg, 1, 4096, &max_body_mb) < 0) {
				status = cmd_bad_value(prog, "--max-body", op.arg, "MiB from 1 to 4096");
				goto done;
			}
			break;
		case OPT_COMPACT_EVERY:
			if (fk_parse_uint(op.arg, 1, 86400, &compact_every) < 0) {
				status = cmd_bad_value(prog, "--compact-every", op.arg,
						       "seconds from 1 to 86400");
				goto done;
			}
			break;
		case OPT_ALERT:
			if (add_alert_option(prog, &rules, op.arg) < 0) {
				status = 2;
				goto done;
			}
			break;
		case OPT_ALERT_FILE:
			if (fk_alert_rules_load(&rules, op.arg, &err) < 0) {
				fprintf(stderr, "%s: --alert-file: %s\n", prog, err.msg);
				status = 2;
				goto done;
			}
			break;
		case OPT_ALERT_EVERY:
			if (fk_parse_uint(op.arg, 1, 86400, &alert_every) < 0) {
				status = cmd_bad_value(prog, "--alert-every", op.arg,
						       "seconds from 1 to 86400");
				goto done;
			}
			break;
		case OPT_WEBHOOK:
			if (strncmp(op.arg, "http://", 7) != 0 && strncmp(op.arg, "https://", 8) != 0) {
				status = cmd_bad_value(prog, "--webhook", op.arg,
						       "an http:// or https:// URL");
				goto done;
			}
			fk_grow((void **)&webhooks, sizeof *webhooks, &webhooks_cap, nwebhooks + 1);
			webhooks[nwebhooks++] = op.arg;
			break;
		}
	}
	if (token && !*token)
		token = NULL;

	/* SIGTERM/SIGINT are taken by sigtimedwait below: block them before any thread
	 * starts, so the server's threads inherit the mask. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	fk_store *store = NULL;
	if (fk_store_open(db, &policy, &store, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		status = 1;
		goto done;
	}
	alert_outputs outputs = {.prog = prog};
	if (nwebhooks) {
		fk_webhook_options wo = {
			.urls = webhooks,
			.nurls = nwebhooks,
			.log = cmd_log_line,
			.log_ctx = (void *)prog,
		};
		if (fk_http_client_global_init(&err) < 0 ||
		    !(outputs.webhooks = fk_webhook_sender_start(&wo, &err))) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			fk_store_close(store);
			status = 1;
			goto done;
		}
	}
	fk_alert_engine *alerts = rules.count ? fk_alert_engine_new(&rules, on_alert, &outputs) : NULL;
	fk_api api = {
		.store = store,
		.token = token,
		.max_decompressed = (size_t)max_body_mb * 4 << 20,
		.window_sec = policy.window_sec,
		.now = wall_clock_now,
		.alerts = alerts,
	};
	fk_http_options ho = {
		.listen = listen,
		.max_body = (size_t)max_body_mb << 20,
		.max_connections = 512,
		.timeout_sec = 60,
	};
	fk_http_server *server = fk_http_start(&ho, fk_api_handle, &api, &err);
	if (!server) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		fk_webhook_sender_stop(outputs.webhooks);
		fk_alert_engine_free(alerts);
		fk_store_close(store);
		status = 1;
		goto done;
	}
	const char *colon = strrchr(listen, ':');
	int host_len = colon ? (int)(colon - listen) : 0;
	fprintf(stderr, "%s: listening on http://%.*s:%u (store %s)%s\n", prog, host_len, listen,
		(unsigned)fk_http_port(server), fk_store_display_name(store), token ? ", token required" : "");

	/* Two timers on the monotonic clock: compaction, and alert rounds (the first now). */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	double next_compact = (double)compact_every, next_alerts = 0;
	bool first_round = true, standby = false;
	for (;;) {
		double now = seconds_since(&start);
		if (alerts && now >= next_alerts) {
			/* one server among those sharing a store evaluates (and notifies) */
			bool leading;
			if (fk_store_try_lead(store, "alerts", &leading, &err) < 0)
				fprintf(stderr, "%s: alerts: %s\n", prog, err.msg);
			if (leading == standby)
				fprintf(stderr, "%s: alerts: %s\n", prog,
					leading ? "this server now evaluates the rules"
						: "another server sharing the store evaluates the rules; "
						  "standing by");
			standby = !leading;
			fk_alert_engine_set_standby(alerts, standby);
			fk_alert_round_stats rs;
			if (!standby) { /* a standby checks again next round */
				if (fk_alert_engine_evaluate(alerts, store, (int64_t)time(NULL), &rs, &err) < 0)
					fprintf(stderr, "%s: alerts: %s\n", prog, err.msg);
				else if (first_round)
					fprintf(stderr, "%s: alerts: %zu %s evaluated in %.1f ms; %zu firing, "
							"%zu without data\n",
						prog, rs.rules, rs.rules == 1 ? "rule" : "rules",
						rs.seconds * 1000, rs.firing, rs.no_data);
				first_round = false;
			}
			now = seconds_since(&start);
			next_alerts += (double)alert_every;
			if (next_alerts < now) /* a round longer than the period: skip, don't pile up */
				next_alerts = now + (double)alert_every;
		}
		if (now >= next_compact) {
			fk_store_compact_stats cs;
			if (fk_store_compact(store, (int64_t)time(NULL), &cs, &err) < 0)
				fprintf(stderr, "%s: compaction: %s\n", prog, err.msg);
			now = seconds_since(&start);
			next_compact = now + (double)compact_every;
			continue;
		}
		double until = next_compact;
		if (alerts && next_alerts < until)
			until = next_alerts;
		double left = until - now;
		if (left < 0)
			left = 0;
		struct timespec wait = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
		int sig = sigtimedwait(&stop_signals, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			fprintf(stderr, "%s: %s: finishing the requests under way\n", prog,
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
	}
	fk_http_stop(server);
	fk_webhook_sender_stop(outputs.webhooks);
	if (outputs.webhooks)
		fk_http_client_global_cleanup();
	fk_alert_engine_free(alerts);
	fk_store_close(store);
done:
	fk_alert_rules_free(&rules);
	free(webhooks);
	return status;
}
