/* agent.c: `flamekit agent`, continuous profiling: records a command, processes, a cgroup
 * or the system without end (the session of `flamekit record`, src/sample/session.h),
 * cuts the profile into windows of --interval seconds and pushes each, with its labels,
 * to a Pyroscope-compatible server's /ingest (`flamekit serve`, Grafana Pyroscope). Each
 * window goes to a disk buffer first (src/agent/spool.h) and a sending thread delivers
 * them oldest first, retrying with backoff (src/agent/uploader.h), so nothing is lost
 * while the server is away (up to the buffer's bound). Options and orchestration only. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../agent/spool.h"
#include "../agent/uploader.h"
#include "../output/folded.h"
#include "../sample/session.h"
#include "../sample/workload.h"
#include "../server/series.h"
#include "../util/http_client.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_SERVER,
	OPT_APP,
	OPT_TAG,
	OPT_FREQ,
	OPT_INTERVAL,
	OPT_PYTHON,
	OPT_OFF_CPU,
	OPT_TOKEN,
	OPT_BUFFER_DIR,
	OPT_BUFFER_SIZE,
	OPT_FLUSH_TIMEOUT,
	OPT_PIDS,
	OPT_CGROUP,
	OPT_SYSTEM,
	OPT_USER_ONLY,
	OPT_QUIET,
};

static const fk_option agent_options[] = {
	{"server", 0, true, OPT_SERVER, "URL", "the server to push to: http://HOST:PORT of `flamekit serve` or Grafana Pyroscope (required)"},
	{"app", 0, true, OPT_APP, "NAME", "the application's name: series NAME.cpu (NAME.offcpu with --off-cpu) (required)"},
	{"tag", 0, true, OPT_TAG, "KEY=VALUE", "a label of every window pushed (repeatable): --tag env=prod --tag version=1.4"},
	{"freq", 'F', true, OPT_FREQ, "HZ", "samples per second (default 99)"},
	{"interval", 0, true, OPT_INTERVAL, "SECONDS", "push a window this often (default 10; 0.05 to 3600)"},
	{"python", 0, false, OPT_PYTHON, NULL, "Python stacks, read from the processes' memory (as record --python; -p or -- CMD)"},
	{"off-cpu", 0, false, OPT_OFF_CPU, NULL, "off-CPU time in microseconds (sched:sched_switch), as series NAME.offcpu"},
	{"token", 0, true, OPT_TOKEN, "TOKEN", "send 'Authorization: Bearer TOKEN' (default: $FLAMEKIT_TOKEN if set)"},
	{"buffer-dir", 0, true, OPT_BUFFER_DIR, "DIR", "where windows wait to be sent (default $XDG_CACHE_HOME/flamekit/agent-NAME, or /var/tmp/flamekit-agent-NAME)"},
	{"buffer-size", 0, true, OPT_BUFFER_SIZE, "MB", "bound of the buffer in MiB, oldest windows dropped past it (default 64)"},
	{"flush-timeout", 0, true, OPT_FLUSH_TIMEOUT, "SECONDS", "at the end, how long to try sending what is buffered (default 10)"},
	{NULL, 'p', true, OPT_PIDS, "PID[,PID...]", "profile running processes (all threads, and threads they start)"},
	{"cgroup", 0, true, OPT_CGROUP, "PATH", "profile the tasks of a cgroup v2 directory (a container, a service)"},
	{"all-cpus", 'a', false, OPT_SYSTEM, NULL, "profile the whole system"},
	{"user-only", 0, false, OPT_USER_ONLY, NULL, "no kernel frames"},
	CMD_NAMING_OPTIONS(""),
	{"quiet", 'q', false, OPT_QUIET, NULL, "no log lines but errors and the summary"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit agent --server URL --app NAME [options] [--] CMD [ARGS...]\n"
		     "       flamekit agent --server URL --app NAME [options] -p PID[,PID...] | -a | --cgroup PATH\n\n"
		     "Profiles continuously, as `flamekit record` samples, and every --interval seconds\n"
		     "pushes the stacks of that window as folded text to the server's /ingest (Pyroscope's\n"
		     "API) as series NAME.cpu{TAGS} (NAME.offcpu with --off-cpu). Windows are written to a\n"
		     "disk buffer first and sent oldest first; while the server is down or slow they wait\n"
		     "there (bounded by --buffer-size, oldest dropped first) and are retried with backoff;\n"
		     "windows left at exit are sent by the next agent using the same buffer directory.\n"
		     "SIGTERM, SIGINT, the command's exit or the end of every -p process cuts the last\n"
		     "window, sends what is buffered (up to --flush-timeout) and prints a summary. The exit\n"
		     "status is the command's (with -- CMD), else 0.\n\n");
	fk_options_print(out, agent_options, FK_ARRAY_LEN(agent_options));
	fprintf(out, "\nexamples:\n"
		     "  flamekit agent --server http://127.0.0.1:4040 --app checkout --tag env=prod -- ./checkout-server\n"
		     "  flamekit agent --server http://pyroscope:4040 --app api --tag version=1.4 -p 1234\n"
		     "  flamekit agent --server http://127.0.0.1:4040 --app worker --python -- python3 worker.py\n"
		     "  flamekit agent --server http://127.0.0.1:4040 --app web --off-cpu --cgroup /sys/fs/cgroup/system.slice/web.service\n");
}

enum { MAX_TAGS = 64 };

struct cli {
	const char *prog;
	const char *server, *app, *token, *buffer_dir;
	const char *tags[MAX_TAGS];
	size_t ntags;
	unsigned long freq;
	double interval, buffer_mb, flush_timeout;
	bool python, off_cpu, system, user_only, quiet;
	const char *pids_text, *cgroup;
	fk_perf_options naming;
	char **command;
	size_t ncommand;
};

static int parse_seconds(const struct cli *c, const char *opt, const char *a, double min,
			 double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(a, &end);
	if (errno || end == a || *end || !isfinite(v) || v < min || v > max) {
		char want[96];
		snprintf(want, sizeof want, "a number of seconds from %g to %g", min, max);
		return cmd_bad_value(c->prog, opt, a, want);
	}
	*out = v;
	return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, agent_options, FK_ARRAY_LEN(agent_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		const char *a = op.arg;
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", c->prog, err.msg);
			usage(stderr);
			return 2;
		case FK_OPT_OPERAND:
			c->command = argv + op.index - 1;
			c->ncommand = (size_t)(argc - (op.index - 1));
			goto done;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_SERVER:
			c->server = a;
			break;
		case OPT_APP:
			c->app = a;
			break;
		case OPT_TAG:
			if (c->ntags == MAX_TAGS)
				return cmd_bad_value(c->prog, "--tag", a, "at most 64 tags");
			c->tags[c->ntags++] = a;
			break;
		case OPT_FREQ:
			if (fk_parse_uint(a, 1, 100000, &c->freq) < 0)
				return cmd_bad_value(c->prog, "-F", a, "a rate in Hz from 1 to 100000");
			break;
		case OPT_INTERVAL:
			if (parse_seconds(c, "--interval", a, 0.05, 3600, &c->interval))
				return 2;
			break;
		case OPT_FLUSH_TIMEOUT:
			if (parse_seconds(c, "--flush-timeout", a, 0, 3600, &c->flush_timeout))
				return 2;
			break;
		case OPT_BUFFER_SIZE: {
			char *end;
			errno = 0;
			c->buffer_mb = strtod(a, &end);
			if (errno || end == a || *end || !isfinite(c->buffer_mb) || c->buffer_mb <= 0 ||
			    c->buffer_mb > 1024 * 1024)
				return cmd_bad_value(c->prog, "--buffer-size", a,
						 "a size in MiB (0.01 to 1048576; fractions allowed)");
			break;
		}
		case OPT_BUFFER_DIR:
			c->buffer_dir = a;
			break;
		case OPT_TOKEN:
			c->token = a;
			break;
		case OPT_PYTHON:
			c->python = true;
			break;
		case OPT_OFF_CPU:
			c->off_cpu = true;
			break;
		case OPT_PIDS:
			c->pids_text = a;
			break;
		case OPT_CGROUP:
			c->cgroup = a;
			break;
		case OPT_SYSTEM:
			c->system = true;
			break;
		case OPT_USER_ONLY:
			c->user_only = true;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		default:
			cmd_naming_option(id, &c->naming);
			break;
		}
	}
done:
	if (!c->server || !c->app) {
		fprintf(stderr, "%s: --server URL and --app NAME are required\n", c->prog);
		usage(stderr);
		return 2;
	}
	if (strncmp(c->server, "http://", 7) != 0 && strncmp(c->server, "https://", 8) != 0)
		return cmd_bad_value(c->prog, "--server", c->server, "an http:// or https:// URL");
	if (strpbrk(c->server, "?# \t\r\n"))
		return cmd_bad_value(c->prog, "--server", c->server,
				 "the server's base URL, without a query or spaces");
	int targets = (c->ncommand > 0) + (c->pids_text != NULL) + c->system + (c->cgroup != NULL);
	if (targets != 1) {
		fprintf(stderr, "%s: %s: give a command (-- CMD ARGS), -p PID, -a or --cgroup PATH\n",
			c->prog, targets ? "choose one target" : "nothing to profile");
		if (!targets)
			usage(stderr);
		return 2;
	}
	if (c->python && (c->system || c->cgroup || c->off_cpu || c->user_only)) {
		fprintf(stderr, "%s: --python profiles a command or -p PIDs, without -a, --cgroup, "
				"--off-cpu or --user-only\n",
			c->prog);
		return 2;
	}
	for (const char *t = c->token; t && *t; t++)
		if ((unsigned char)*t < 0x21 || *t == 0x7f)
			return cmd_bad_value(c->prog, "--token", "...", "a token without spaces or control characters");
	if (c->naming.show_context && !c->naming.show_inline) {
		fprintf(stderr, "%s: --context needs --inline\n", c->prog);
		return 2;
	}
	return -1;
}

/* The series name "APP.TYPE{k=v,...}" (canonical, malloc'd) from --app and --tag,
 * checked as the server will check it; NULL after saying what is wrong. */
static char *series_name(const struct cli *c, const char *type)
{
	fk_series_key key;
	fk_error err = {{0}};
	size_t n = strlen(c->app) + strlen(type) + 8;
	char *name = fk_xmalloc(n);
	snprintf(name, n, "%s.%s{}", c->app, type);
	bool parsed = !strchr(c->app, '{') && fk_series_key_parse(name, strlen(name), type, &key, &err) == 0;
	if (!parsed || strcmp(key.app, c->app) != 0 || strcmp(key.type, type) != 0) {
		fprintf(stderr, "%s: --app '%s': not an application name (%s)\n", c->prog, c->app,
			err.msg[0] ? err.msg : "letters, digits, '_', '-' and '.'; no braces");
		if (parsed)
			fk_series_key_free(&key);
		free(name);
		return NULL;
	}
	free(name);
	for (size_t i = 0; i < c->ntags; i++) {
		const char *t = c->tags[i], *eq = strchr(t, '=');
		if (!eq || eq == t || !eq[1]) {
			fprintf(stderr, "%s: --tag '%s': want KEY=VALUE (both not empty)\n", c->prog, t);
			fk_series_key_free(&key);
			return NULL;
		}
		/* checked by the parser the server uses: one label at a time, for the message */
		size_t m = strlen(t) + 16;
		char *one = fk_xmalloc(m);
		snprintf(one, m, "x{%.*s=\"%s\"}", (int)(eq - t), t, eq + 1);
		fk_series_key lk;
		fk_error lerr = {{0}};
		bool ok = strchr(eq + 1, '"') == NULL &&
			  fk_series_key_parse(one, strlen(one), "cpu", &lk, &lerr) == 0;
		free(one);
		if (!ok) {
			const char *why = strstr(lerr.msg, ": at character ");
			if (why) /* the position is in the name built here: not the user's */
				why = strchr(why + 15, ':');
			fprintf(stderr, "%s: --tag '%s': %s\n", c->prog, t,
				!lerr.msg[0] ? "'\"' is not allowed in a label value"
				: why      ? why + 2
					   : lerr.msg);
			fk_series_key_free(&key);
			return NULL;
		}
		fk_series_key_free(&lk);
		char *k = fk_xstrndup(t, (size_t)(eq - t));
		fk_series_key_set_label(&key, k, eq + 1);
		free(k);
	}
	char *canon = fk_series_key_format(&key);
	fk_series_key_free(&key);
	if (strlen(canon) > 1024) {
		fprintf(stderr, "%s: the series name %s is longer than 1024 bytes\n", c->prog, canon);
		free(canon);
		return NULL;
	}
	return canon;
}

/* Appends text to buf (cap bytes) percent-encoded as a query value. */
static void query_escape(char *buf, size_t cap, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(buf);
	for (const unsigned char *p = (const unsigned char *)text; *p && len + 4 < cap; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf[len++] = (char)*p;
		} else {
			buf[len++] = '%';
			buf[len++] = hex[*p >> 4];
			buf[len++] = hex[*p & 15];
		}
	}
	buf[len] = '\0';
}

/* $XDG_CACHE_HOME/flamekit/agent-APP, else /var/tmp/flamekit-agent-APP (malloc'd). */
static char *default_buffer_dir(const char *app)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	size_t n = strlen(app) + (xdg ? strlen(xdg) : 0) + 64;
	char *dir = fk_xmalloc(n);
	if (xdg && xdg[0] == '/')
		snprintf(dir, n, "%s/flamekit/agent-%s", xdg, app);
	else
		snprintf(dir, n, "/var/tmp/flamekit-agent-%s", app);
	return dir;
}

/* The run's windows, as the sampling loop cuts them. */
struct windows {
	const struct cli *c;
	fk_profile *profile;
	fk_spool *spool;
	fk_uploader *uploader;
	const char *name;   /* series */
	const char *units;
	double from_wall;   /* the current window's start */
	uint64_t cut;       /* windows with samples written to the buffer */
	double recorded;    /* their total */
	uint64_t failed;    /* windows that could not be written */
	double failed_value;
};

/* Writes the stacks folded since the last cut as a window ending now, then empties the
 * profile for the next one. */
static void cut_window(struct windows *w)
{
	double until = fk_session_wall_now();
	double total = fk_profile_total(w->profile);
	if (total > 0) {
		char *body = NULL;
		size_t len = 0;
		fk_error err = {{0}};
		FILE *mem = open_memstream(&body, &len);
		int rc = mem ? fk_write_folded(w->profile, mem, &err) : -1;
		if (mem && fclose(mem) != 0)
			rc = -1;
		char meta[2048];
		long long from_s = (long long)floor(w->from_wall), until_s = (long long)ceil(until);
		if (until_s <= from_s)
			until_s = from_s + 1;
		snprintf(meta, sizeof meta, "name=");
		query_escape(meta, sizeof meta, w->name);
		size_t ml = strlen(meta);
		snprintf(meta + ml, sizeof meta - ml,
			 "&from=%lld&until=%lld&format=folded&sampleRate=%lu&spyName=flamekit&units=%s"
			 "&aggregationType=sum",
			 from_s, until_s, w->c->freq, w->units);
		if (rc == 0)
			rc = fk_spool_add(w->spool, meta, total, body, len, &err);
		if (rc == 0) {
			w->cut++;
			w->recorded += total;
			fk_uploader_wake(w->uploader);
		} else {
			w->failed++;
			w->failed_value += total;
			fprintf(stderr, "%s: a window of %.0f %s is lost: %s\n", w->c->prog, total,
				w->units, err.msg[0] ? err.msg : "out of memory");
		}
		free(body);
	}
	fk_profile_clear_counts(w->profile);
	w->from_wall = until;
}

static int run(const struct cli *c)
{
	int status = 0;
	fk_error err = {{0}};
	int *pids = NULL;
	size_t npids = 0;
	char *name = NULL, *dir = NULL;
	fk_spool *spool = NULL;
	fk_uploader *uploader = NULL;
	fk_session *session = NULL;
	fk_profile *profile = fk_profile_new();
	bool http_init = false;

	name = series_name(c, c->off_cpu ? "offcpu" : "cpu");
	if (!name) {
		status = 2;
		goto out;
	}
	if (c->pids_text && (status = cmd_parse_pids(c->prog, c->pids_text, &pids, &npids)) != 0)
		goto out;
	dir = c->buffer_dir ? fk_xstrdup(c->buffer_dir) : default_buffer_dir(c->app);
	fk_log_fn log = c->quiet ? NULL : cmd_log_line;
	void *log_ctx = (void *)c->prog;
	if (fk_spool_open(dir, (uint64_t)(c->buffer_mb * 1024 * 1024), log, log_ctx, &spool, &err) < 0) {
		fprintf(stderr, "%s: buffer: %s\n", c->prog, err.msg);
		status = 1;
		goto out;
	}
	fk_spool_stats first = fk_spool_stats_get(spool);
	if (first.found_at_open && !c->quiet)
		fprintf(stderr, "%s: %zu windows left in %s by an earlier run: sending them first\n",
			c->prog, first.windows, dir);
	if (fk_http_client_global_init(&err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = 1;
		goto out;
	}
	http_init = true;

	fk_session_options so = {
		.command = c->command, .ncommand = c->ncommand, .pids = pids, .npids = npids,
		.system = c->system, .cgroup = c->cgroup, .freq = c->freq,
		.off_cpu = c->off_cpu, .user_only = c->user_only, .callgraph = FK_CALLGRAPH_FP,
		.stack_bytes = 8192, .naming = c->naming, .python = c->python,
		.py = {c->naming, false, false, false, false, false, false, true},
		.stop = &cmd_stop_signal,
	};
	session = fk_session_new(&so, profile);
	if (fk_session_open(session, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = 1;
		goto out;
	}
	if (fk_session_kernel_excluded(session) && !c->quiet)
		fprintf(stderr, "%s: kernel frames are not recorded: kernel.perf_event_paranoid is %d "
				"(kernel sampling needs <= 1, CAP_PERFMON or root)\n",
			c->prog, fk_perf_paranoid());
	cmd_catch_stop_signals(!c->python, true);

	fk_uploader_options uo = {.server = c->server, .token = c->token, .log = log,
				  .log_ctx = log_ctx};
	if (fk_uploader_start(&uo, spool, &uploader, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = 1;
		goto out;
	}
	bool command_failed = false;
	if (fk_session_start(session, &command_failed, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		status = command_failed ? 127 : 1;
		goto out;
	}
	if (!c->quiet)
		fprintf(stderr, "%s: profiling at %lu Hz, a window every %g s to %s as %s (buffer %s)\n",
			c->prog, c->freq, c->interval, c->server, name, dir);

	struct windows w = {.c = c, .profile = profile, .spool = spool, .uploader = uploader,
			    .name = name, .units = c->off_cpu ? "microseconds" : "samples",
			    .from_wall = fk_session_start_wall(session)};
	double next_cut = fk_session_start_time(session) + c->interval;
	const char *why_end = "stopped by a signal";
	while (!cmd_stop_signal) {
		fk_session_state state = fk_session_run_until(session, next_cut);
		if (state == FK_SESSION_COMMAND_EXITED) {
			why_end = "the command exited";
			break;
		}
		if (state == FK_SESSION_TARGETS_GONE) {
			why_end = "the processes exited";
			break;
		}
		double now = fk_session_now();
		if (now >= next_cut) {
			cut_window(&w);
			next_cut += c->interval;
			if (next_cut <= now) /* fell behind (stopped, suspended): no burst of cuts */
				next_cut = now + c->interval;
		}
	}
	fk_session_stop(session, cmd_stop_signal);
	cut_window(&w);
	if (!c->quiet)
		fprintf(stderr, "%s: %s; sending what is buffered (up to %g s)\n", c->prog, why_end,
			c->flush_timeout);
	fk_uploader_finish(uploader, c->flush_timeout);

	fk_spool_stats ss = fk_spool_stats_get(spool);
	fk_uploader_stats us = fk_uploader_stats_get(uploader);
	const fk_recorder_stats *rs = fk_session_recorder_stats(session);
	const char *units = w.units;
	fprintf(stderr, "%s: summary: %llu windows (%.0f %s) recorded, %llu windows (%.0f %s) pushed, "
			"%zu windows left in %s, %llu windows (%.0f %s) dropped, %llu samples lost by "
			"the kernel\n",
		c->prog, (unsigned long long)w.cut, w.recorded, units, (unsigned long long)us.sent,
		us.sent_value, units, ss.windows, dir,
		(unsigned long long)(ss.dropped + us.rejected + w.failed),
		ss.dropped_value + us.rejected_value + w.failed_value, units,
		(unsigned long long)(rs ? rs->lost : 0));
	if (c->python && !fk_pysampler_any_python(fk_session_pysampler(session)))
		fprintf(stderr, "%s: no Python (CPython 3.9-3.13) found in the target\n", c->prog);
	if (fk_session_command_started(session))
		status = fk_wait_status_code(fk_session_command_status(session));

out:
	fk_uploader_free(uploader);
	fk_session_free(session);
	fk_spool_close(spool);
	if (http_init)
		fk_http_client_global_cleanup();
	fk_profile_free(profile);
	free(name);
	free(dir);
	free(pids);
	return status;
}

int cmd_agent(int argc, char **argv)
{
	struct cli c = {.prog = "flamekit agent", .freq = 99, .interval = 10, .buffer_mb = 64,
			.flush_timeout = 10, .token = getenv("FLAMEKIT_TOKEN")};
	if (c.token && !*c.token)
		c.token = NULL;
	int status = parse_args(&c, argc, argv);
	if (status < 0)
		status = run(&c);
	return status;
}
