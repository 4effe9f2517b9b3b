/* collapse.c: `flamekit collapse`, folding perf script / dtrace / folded text into folded
 * stacks (stackcollapse-perf.pl and stackcollapse.pl). Options and orchestration only. */
#include <unistd.h>

#include "../output/folded.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_SAMPLE_TYPE,
	OPT_THREADS,
	OPT_QUIET,
	OPT_EVENT_FILTER,
	OPT_SRCLINE,
	OPT_CHUNK_SIZE,
};

static const fk_option collapse_options[] = {
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	CMD_OPTION_FORMAT(OPT_FORMAT),
	CMD_OPTION_SAMPLE_TYPE(OPT_SAMPLE_TYPE),
	{"threads", 'j', true, OPT_THREADS, "N", "parse on N threads (default 1); same output"},
	CMD_OPTION_QUIET(OPT_QUIET),
	CMD_NAMING_OPTIONS("perf: "),
	{"event-filter", 0, true, OPT_EVENT_FILTER, "EVENT", "perf: keep only samples of EVENT (default: the first seen)"},
	{"srcline", 0, false, OPT_SRCLINE, NULL, "perf: input is `perf script -F+srcline`; add file:line"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
	{"chunk-size", 0, true, OPT_CHUNK_SIZE, "BYTES", NULL}, /* tests: force many chunks */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit collapse [options] [FILE...]\n\n"
		     "Folds stack samples into one line per distinct stack, \"frame;frame;...;leaf COUNT\",\n"
		     "sorted. Reads FILEs (gzip or plain; \"-\" or none: stdin): the text of `perf script`\n"
		     "(as stackcollapse-perf.pl), DTrace stack aggregations (as stackcollapse.pl) or folded\n"
		     "stacks (merged again).\n\n");
	fk_options_print(out, collapse_options, FK_ARRAY_LEN(collapse_options));
	fprintf(out, "\nexample:\n  perf script | flamekit collapse > out.folded\n"
		     "  flamekit collapse --pid -j 2 -o out.folded perf.txt.gz\n");
}

static int write_folded(FILE *out, void *profile, fk_error *err)
{
	return fk_write_folded(profile, out, err);
}

int cmd_collapse(int argc, char **argv)
{
	const char *prog = "flamekit collapse";
	fk_load_options lo = {.format = FK_FORMAT_AUTO, .threads = 1};
	const char *output = NULL;
	bool quiet = false;
	const char **paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npaths = 0;
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, collapse_options, FK_ARRAY_LEN(collapse_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		unsigned long n;
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			free(paths);
			return 2;
		case FK_OPT_OPERAND:
			paths[npaths++] = op.operand;
			break;
		case OPT_HELP:
			usage(stdout);
			free(paths);
			return 0;
		case OPT_OUTPUT:
			output = op.arg;
			break;
		case OPT_SAMPLE_TYPE:
			lo.sample_type = op.arg;
			break;
		case OPT_FORMAT:
			if (cmd_parse_format(prog, op.arg, &lo.format) < 0) {
				free(paths);
				return 2;
			}
			break;
		case OPT_THREADS:
			if (fk_parse_uint(op.arg, 1, 256, &n) < 0) {
				fprintf(stderr, "%s: -j wants a number of threads from 1 to 256, not '%s'\n",
					prog, op.arg);
				free(paths);
				return 2;
			}
			lo.threads = (unsigned)n;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_EVENT_FILTER:
			lo.perf.event_filter = op.arg;
			break;
		case OPT_SRCLINE:
			lo.perf.srcline = true;
			break;
		case OPT_CHUNK_SIZE:
			if (fk_parse_uint(op.arg, 1, 1UL << 30, &n) < 0) {
				fprintf(stderr, "%s: bad --chunk-size '%s'\n", prog, op.arg);
				free(paths);
				return 2;
			}
			lo.chunk_size = n;
			break;
		default:
			cmd_naming_option(id, &lo.perf);
			break;
		}
	}
	if (npaths == 0)
		paths[npaths++] = "-";
	if (npaths == 1 && strcmp(paths[0], "-") == 0 && isatty(0)) {
		fprintf(stderr, "%s: reading perf script text from the terminal (see --help)\n", prog);
	}

	fk_profile *profile = fk_profile_new();
	fk_load_stats stats;
	int status = 0;
	if (cmd_load(prog, paths, npaths, &lo, quiet, profile, &stats) < 0)
		status = 1;
	else if (!quiet && stats.filtered && stats.event_defaulted)
		fprintf(stderr,
			"%s: filtering for events of type: %s (%llu samples of other events "
			"skipped; choose with --event-filter)\n",
			prog, stats.event, (unsigned long long)stats.filtered);
	if (status == 0 && cmd_write_output(prog, output, write_folded, profile) < 0)
		status = 1;
	fk_profile_free(profile);
	free(paths);
	return status;
}
