/* cmd_io.c: input and output shared by the subcommands. */
#include "cmd_io.h"

#include <errno.h>

#include "../stack/filter.h"

#include "../util/outfile.h"

int cmd_parse_format(const char *prog, const char *arg, fk_format *format)
{
	*format = fk_format_from_name(arg);
	if (*format != FK_FORMAT_UNKNOWN)
		return 0;
	fprintf(stderr,
		"%s: unknown format '%s' (auto, perf, dtrace, folded, perf-data, pprof, speedscope, "
		"cpuprofile)\n",
		prog, arg);
	return -1;
}

int cmd_load(const char *prog, const char *const *paths, size_t npaths,
	     const fk_load_options *options, bool quiet, fk_profile *profile,
	     fk_load_stats *stats)
{
	fk_diag diag;
	fk_diag_init(&diag);
	fk_error err = {{0}};
	int rc = fk_load_files(paths, npaths, options, profile, &diag, stats, &err);
	if (!quiet)
		fk_diag_print(&diag, stderr, prog, paths);
	fk_diag_free(&diag);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	return rc;
}

int cmd_write_output(const char *prog, const char *path, cmd_write_fn write, void *ctx)
{
	fk_error err = {{0}};
	fk_outfile out;
	int rc = fk_outfile_open(&out, path, &err);
	if (rc == 0) {
		rc = write(out.fp, ctx, &err);
		if (rc < 0)
			fk_outfile_abort(&out);
		else if (fk_outfile_commit(&out, &err) < 0)
			rc = -1;
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	return rc;
}

bool cmd_naming_option(int id, fk_perf_options *o)
{
	switch (id) {
	case CMD_NAMING_PID:
		o->include_pid = true;
		return true;
	case CMD_NAMING_TID:
		o->include_tid = true;
		return true;
	case CMD_NAMING_KERNEL:
		o->annotate_kernel = true;
		return true;
	case CMD_NAMING_JIT:
		o->annotate_jit = true;
		return true;
	case CMD_NAMING_ALL:
		o->annotate_kernel = o->annotate_jit = true;
		return true;
	case CMD_NAMING_ADDRS:
		o->include_addrs = true;
		return true;
	case CMD_NAMING_INLINE:
		o->show_inline = true;
		return true;
	case CMD_NAMING_CONTEXT:
		o->show_context = true;
		return true;
	default:
		return false;
	}
}

int cmd_bad_value(const char *prog, const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "%s: %s wants %s, not '%s'\n", prog, opt, want, value);
	return 2;
}

int cmd_parse_pids(const char *prog, const char *text, int **pids, size_t *npids)
{
	const char *p = text;
	*pids = fk_xcalloc(strlen(p) / 2 + 2, sizeof(int));
	*npids = 0;
	while (*p) {
		char *end;
		errno = 0;
		long pid = strtol(p, &end, 10);
		if (end == p || errno || pid <= 0 || pid > 0x3fffffff || (*end && *end != ','))
			return cmd_bad_value(prog, "-p", text, "process ids (PID[,PID...])");
		(*pids)[(*npids)++] = (int)pid;
		p = *end ? end + 1 : end;
	}
	return 0;
}

void cmd_log_line(void *prog, const char *message)
{
	fprintf(stderr, "%s: %s\n", (const char *)prog, message);
	fflush(stderr);
}

volatile sig_atomic_t cmd_stop_signal;

static void on_stop_signal(int sig)
{
	cmd_stop_signal = sig;
}

/* Only there so that SIGCHLD interrupts poll() and sleeps. */
static void on_child(int sig)
{
	(void)sig;
}

void cmd_catch_stop_signals(bool child, bool ignore_pipe)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (child) {
		sa.sa_handler = on_child;
		sigaction(SIGCHLD, &sa, NULL);
	}
	if (ignore_pipe) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

struct profile_out {
	const fk_profile *profile;
	const fk_output_options *options;
};

static int write_profile_cb(FILE *out, void *ctx, fk_error *err)
{
	struct profile_out *po = ctx;
	return fk_write_profile(po->profile, po->options, out, err);
}

int cmd_write_profile(const char *prog, const char *path, const fk_profile *profile,
		      const fk_output_options *options)
{
	struct profile_out po = {profile, options};
	return cmd_write_output(prog, path, write_profile_cb, &po) < 0 ? -1 : 0;
}

void cmd_input_init(cmd_input *in, int argc)
{
	memset(in, 0, sizeof(*in));
	in->load.format = FK_FORMAT_AUTO;
	in->load.threads = 1;
	in->paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
}

void cmd_input_free(cmd_input *in)
{
	free(in->paths);
	in->paths = NULL;
}

int cmd_input_option(const char *prog, cmd_input *in, int id, const char *arg)
{
	unsigned long n;
	switch (id) {
	case FK_OPT_OPERAND:
		in->paths[in->npaths++] = arg;
		return 1;
	case CMD_INPUT_FORMAT:
		return cmd_parse_format(prog, arg, &in->load.format) < 0 ? -1 : 1;
	case CMD_INPUT_SAMPLE_TYPE:
		in->load.sample_type = arg;
		return 1;
	case CMD_INPUT_EVENT_FILTER:
		in->load.perf.event_filter = arg;
		return 1;
	case CMD_INPUT_THREADS:
		if (fk_parse_uint(arg, 1, 256, &n) < 0) {
			cmd_bad_value(prog, "-j", arg, "a number of threads from 1 to 256");
			return -1;
		}
		in->load.threads = (unsigned)n;
		return 1;
	case CMD_INPUT_QUIET:
		in->quiet = true;
		return 1;
	case CMD_INPUT_FOCUS:
		in->focus = arg;
		return 1;
	case CMD_INPUT_IGNORE:
		in->ignore = arg;
		return 1;
	default:
		return cmd_naming_option(id, &in->load.perf) ? 1 : 0;
	}
}

fk_profile *cmd_input_load(const char *prog, cmd_input *in, double *before_filter,
			   int *status)
{
	fk_error err = {{0}};
	fk_sample_filter filter;
	if (fk_sample_filter_init(&filter, in->focus, in->ignore, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		*status = 2;
		return NULL;
	}
	if (in->npaths == 0)
		in->paths[in->npaths++] = "-";
	fk_profile *profile = fk_profile_new();
	fk_load_stats stats;
	if (cmd_load(prog, in->paths, in->npaths, &in->load, in->quiet, profile, &stats) < 0) {
		fk_profile_free(profile);
		fk_sample_filter_free(&filter);
		*status = 1;
		return NULL;
	}
	if (before_filter)
		*before_filter = fk_profile_total(profile);
	if (fk_sample_filter_active(&filter)) {
		fk_profile *kept = fk_sample_filter_apply(profile, &filter);
		fk_profile_free(profile);
		profile = kept;
	}
	fk_sample_filter_free(&filter);
	return profile;
}
