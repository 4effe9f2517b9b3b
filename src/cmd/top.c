/* top.c: `flamekit top`, a text report of the functions with the most samples (flat and
 * cumulative), like `go tool pprof -top` and `perf report --stdio`, from any input format,
 * optionally after --focus / --ignore. Options and orchestration only. */
#include "../output/top.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_ROWS,
	OPT_SORT,
};

#define TOP_DEFAULT_ROWS 20

static const fk_option top_options[] = {
	{"rows", 'n', true, OPT_ROWS, "N", "show the first N functions (default 20; 0: all)"},
	{"sort", 's', true, OPT_SORT, "KEY", "flat (default: self count) or cum (cumulative)"},
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	CMD_INPUT_OPTIONS,
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
	const char *output = NULL;
	unsigned long rows = TOP_DEFAULT_ROWS;
	fk_top_sort sort = FK_TOP_SORT_FLAT;
	cmd_input in;
	cmd_input_init(&in, argc);
	int status = 2;
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, top_options, FK_ARRAY_LEN(top_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		int taken = cmd_input_option(prog, &in, id, id == FK_OPT_OPERAND ? op.operand : op.arg);
		if (taken < 0)
			goto out;
		if (taken)
			continue;
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			goto out;
		case OPT_HELP:
			usage(stdout);
			status = 0;
			goto out;
		case OPT_OUTPUT:
			output = op.arg;
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
		}
	}
	fk_top_options to = {.max_rows = rows};
	double before_filter;
	fk_profile *profile = cmd_input_load(prog, &in, &before_filter, &status);
	if (!profile)
		goto out;
	char *desc = NULL;
	if (in.focus || in.ignore) {
		to.before_filter = before_filter;
		to.filter = desc = describe_filter(in.focus, in.ignore);
	}
	fk_top top;
	fk_top_compute(profile, sort, &top);
	struct report r = {profile, &top, &to};
	status = cmd_write_output(prog, output, write_report, &r) >= 0 ? 0 : 1;
	fk_top_free(&top);
	free(desc);
	fk_profile_free(profile);
out:
	cmd_input_free(&in);
	return status;
}
