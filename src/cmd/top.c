/* top.c: `flamekit top`, a text report of the functions with the most samples (flat and
 * cumulative), like `go tool pprof -top` and `perf report --stdio`, from any input format,
 * optionally after --focus / --ignore. Options and orchestration only. */
#include "../output/top.h"
#include "../stack/filter.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_SAMPLE_TYPE,
	OPT_EVENT_FILTER,
	OPT_THREADS,
	OPT_QUIET,
	OPT_ROWS,
	OPT_SORT,
	OPT_FOCUS,
	OPT_IGNORE,
};

#define TOP_DEFAULT_ROWS 20

static const fk_option top_options[] = {
	{"rows", 'n', true, OPT_ROWS, "N", "show the first N functions (default 20; 0: all)"},
	{"sort", 's', true, OPT_SORT, "KEY", "flat (default: self count) or cum (cumulative)"},
	{"focus", 0, true, OPT_FOCUS, "REGEX", "keep only samples with a frame matching REGEX (POSIX extended)"},
	{"ignore", 0, true, OPT_IGNORE, "REGEX", "drop samples with a frame matching REGEX (after --focus)"},
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	CMD_OPTION_FORMAT(OPT_FORMAT),
	CMD_OPTION_SAMPLE_TYPE(OPT_SAMPLE_TYPE),
	{"event-filter", 0, true, OPT_EVENT_FILTER, "EVENT", "perf: keep only samples of EVENT (default: the first seen)"},
	{"threads", 'j', true, OPT_THREADS, "N", "parse text input on N threads (default 1)"},
	CMD_OPTION_QUIET(OPT_QUIET),
	CMD_NAMING_OPTIONS("perf: "),
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit top [options] [FILE...]\n\n"
		     "Reads profiles in any format flamekit knows (perf script text, perf.data, pprof,\n"
		     "speedscope, .cpuprofile, DTrace, folded; told by content) and prints one row per\n"
		     "function (frame name): flat (samples where it is the leaf), flat%%, sum%% (flat%%\n"
		     "of this row and those above), cum (samples whose stack contains it, once per\n"
		     "sample even when it recurses) and cum%%, sorted by flat. Percentages are of the\n"
		     "total after --focus/--ignore. Root frames (perf's process names) are functions\n"
		     "like any other.\n\n");
	fk_options_print(out, top_options, FK_ARRAY_LEN(top_options));
	fprintf(out, "\nexamples:\n  flamekit top perf.data\n"
		     "  flamekit top -n 0 --sort cum cpu.pb.gz\n"
		     "  perf script | flamekit top --focus '^parse' --ignore 'memcpy'\n");
}

struct report {
	const fk_profile *profile;
	const fk_top *top;
	const fk_top_options *options;
};

static int write_report(FILE *out, void *ctx, fk_error *err)
{
	struct report *r = ctx;
	return fk_top_write(out, r->profile, r->top, r->options, err);
}

/* "--focus 'a' --ignore 'b'" for the header. */
static char *describe_filter(const char *focus, const char *ignore)
{
	size_t len = 32 + (focus ? strlen(focus) : 0) + (ignore ? strlen(ignore) : 0);
	char *s = fk_xmalloc(len);
	int n = 0;
	if (focus)
		n = snprintf(s, len, "--focus '%s'", focus);
	if (ignore)
		snprintf(s + n, len - (size_t)n, "%s--ignore '%s'", focus ? " " : "", ignore);
	return s;
}

int cmd_top(int argc, char **argv)
{
	const char *prog = "flamekit top";
	fk_load_options lo = {.format = FK_FORMAT_AUTO, .threads = 1};
	const char *output = NULL, *focus = NULL, *ignore = NULL;
	bool quiet = false;
	unsigned long rows = TOP_DEFAULT_ROWS, n;
	fk_top_sort sort = FK_TOP_SORT_FLAT;
	const char **paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npaths = 0;
	int status = 2;
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, top_options, FK_ARRAY_LEN(top_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			goto out;
		case FK_OPT_OPERAND:
			paths[npaths++] = op.operand;
			break;
		case OPT_HELP:
			usage(stdout);
			status = 0;
			goto out;
		case OPT_OUTPUT:
			output = op.arg;
			break;
		case OPT_FORMAT:
			if (cmd_parse_format(prog, op.arg, &lo.format) < 0)
				goto out;
			break;
		case OPT_SAMPLE_TYPE:
			lo.sample_type = op.arg;
			break;
		case OPT_EVENT_FILTER:
			lo.perf.event_filter = op.arg;
			break;
		case OPT_THREADS:
			if (fk_parse_uint(op.arg, 1, 256, &n) < 0) {
				status = cmd_bad_value(prog, "-j", op.arg, "a number of threads from 1 to 256");
				goto out;
			}
			lo.threads = (unsigned)n;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_ROWS:
			if (fk_parse_uint(op.arg, 0, SIZE_MAX, &rows) < 0) {
				status = cmd_bad_value(prog, "-n", op.arg, "a number of rows (0: all)");
				goto out;
			}
			break;
		case OPT_SORT:
			if (strcmp(op.arg, "flat") == 0) {
				sort = FK_TOP_SORT_FLAT;
			} else if (strcmp(op.arg, "cum") == 0) {
				sort = FK_TOP_SORT_CUM;
			} else {
				status = cmd_bad_value(prog, "--sort", op.arg, "flat or cum");
				goto out;
			}
			break;
		case OPT_FOCUS:
			focus = op.arg;
			break;
		case OPT_IGNORE:
			ignore = op.arg;
			break;
		default:
			cmd_naming_option(id, &lo.perf);
			break;
		}
	}
	fk_sample_filter filter;
	if (fk_sample_filter_init(&filter, focus, ignore, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		goto out;
	}
	if (npaths == 0)
		paths[npaths++] = "-";

	fk_profile *profile = fk_profile_new();
	fk_load_stats stats;
	status = 1;
	if (cmd_load(prog, paths, npaths, &lo, quiet, profile, &stats) == 0) {
		fk_top_options to = {.max_rows = rows};
		char *desc = NULL;
		if (fk_sample_filter_active(&filter)) {
			fk_profile *kept = fk_sample_filter_apply(profile, &filter);
			to.before_filter = fk_profile_total(profile);
			to.filter = desc = describe_filter(focus, ignore);
			fk_profile_free(profile);
			profile = kept;
		}
		fk_top top;
		fk_top_compute(profile, sort, &top);
		struct report r = {profile, &top, &to};
		if (cmd_write_output(prog, output, write_report, &r) >= 0)
			status = 0;
		fk_top_free(&top);
		free(desc);
	}
	fk_profile_free(profile);
	fk_sample_filter_free(&filter);
out:
	free(paths);
	return status;
}
