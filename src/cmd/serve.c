/* serve.c: `flamekit serve`, the continuous profiling server: Pyroscope's HTTP API
 * (ingest, render, labels) and a web UI over a durable store (SQLite by default).
 * Options, signals and the compaction timer only; the work is in src/server/. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../server/api.h"
#include "../server/http.h"
#include "../server/store.h"
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
};

static const fk_option serve_options[] = {
	{"listen", 'l', true, OPT_LISTEN, "HOST:PORT",
	 "address to listen on (default 127.0.0.1:4040; port 0 picks a free one)"},
	{"db", 0, true, OPT_DB, "PATH", "the store: an SQLite file (default flamekit.db)"},
	{"retention", 0, true, OPT_RETENTION, "DURATION",
	 "drop profiles older than this (30d, 12h, ...; default: keep all)"},
	{"token", 0, true, OPT_TOKEN, "TOKEN",
	 "require 'Authorization: Bearer TOKEN' (default: $FLAMEKIT_TOKEN if set)"},
	{"max-body", 0, true, OPT_MAX_BODY, "MB",
	 "largest request body accepted, in MiB (default 64; gzip may inflate to 4x)"},
	{"compact-every", 0, true, OPT_COMPACT_EVERY, "SECONDS",
	 "merge, downsample and expire windows this often (default 60)"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit serve [options]\n\n"
		     "A continuous profiling server speaking Grafana Pyroscope's HTTP API: clients push\n"
		     "profiles to POST /ingest (folded, lines or pprof; Pyroscope's clients unchanged),\n"
		     "and GET /render, /render-diff, /label-names, /label-values and /api/apps query\n"
		     "them. A web UI is at /. Profiles are kept in SQLite (WAL); a profile is\n"
		     "acknowledged only once it is on disk. SIGTERM or SIGINT stops it gracefully.\n\n");
	fk_options_print(out, serve_options, FK_ARRAY_LEN(serve_options));
	fprintf(out, "\nexamples:\n  flamekit serve --db /var/lib/flamekit/profiles.db --retention 30d\n"
		     "  curl --data-binary @cpu.folded 'http://127.0.0.1:4040/ingest?name=shop.cpu{env=prod}&format=folded'\n"
		     "  curl 'http://127.0.0.1:4040/render?query=shop.cpu{env=\"prod\"}&from=now-1h&format=folded'\n");
}

static int64_t wall_clock_now(const fk_api *api)
{
	(void)api;
	return (int64_t)time(NULL);
}

int cmd_serve(int argc, char **argv)
{
	const char *prog = "flamekit serve";
	const char *listen = "127.0.0.1:4040";
	const char *db = "flamekit.db";
	const char *token = getenv("FLAMEKIT_TOKEN");
	unsigned long max_body_mb = 64, compact_every = 60;
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
			return 2;
		case FK_OPT_OPERAND:
			fprintf(stderr, "%s: unexpected argument '%s'\n", prog, op.operand);
			usage(stderr);
			return 2;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_LISTEN:
			listen = op.arg;
			break;
		case OPT_DB:
			db = op.arg;
			break;
		case OPT_RETENTION:
			if (fk_parse_duration(op.arg, &policy.retention_sec, &err) < 0)
				return cmd_bad_value(prog, "--retention", op.arg,
						     "a duration such as 30d, 12h or 90m");
			break;
		case OPT_TOKEN:
			token = op.arg;
			break;
		case OPT_MAX_BODY:
			if (fk_parse_uint(op.arg, 1, 4096, &max_body_mb) < 0)
				return cmd_bad_value(prog, "--max-body", op.arg, "MiB from 1 to 4096");
			break;
		case OPT_COMPACT_EVERY:
			if (fk_parse_uint(op.arg, 1, 86400, &compact_every) < 0)
				return cmd_bad_value(prog, "--compact-every", op.arg,
						     "seconds from 1 to 86400");
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
		return 1;
	}
	fk_api api = {
		.store = store,
		.token = token,
		.max_decompressed = (size_t)max_body_mb * 4 << 20,
		.window_sec = policy.window_sec,
		.now = wall_clock_now,
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
		fk_store_close(store);
		return 1;
	}
	const char *colon = strrchr(listen, ':');
	int host_len = colon ? (int)(colon - listen) : 0;
	fprintf(stderr, "%s: listening on http://%.*s:%u (store %s)%s\n", prog, host_len, listen,
		(unsigned)fk_http_port(server), db, token ? ", token required" : "");

	int status = 0;
	for (;;) {
		struct timespec wait = {(time_t)compact_every, 0};
		int sig = sigtimedwait(&stop_signals, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			fprintf(stderr, "%s: %s: finishing the requests under way\n", prog,
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		fk_store_compact_stats cs;
		if (fk_store_compact(store, (int64_t)time(NULL), &cs, &err) < 0)
			fprintf(stderr, "%s: compaction: %s\n", prog, err.msg);
	}
	fk_http_stop(server);
	fk_store_close(store);
	return status;
}
