/* diff.c: `flamekit diff`, comparing two profiles as difffolded.pl does: every stack of
 * either with its count before and after. Options and orchestration only. */
#include "../output/flamegraph.h"
#include "../output/folded.h"
#include "../stack/compare.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_NORMALIZE,
	OPT_STRIP_HEX,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_SAMPLE_TYPE,
	OPT_QUIET,
	OPT_SVG,
	OPT_NEGATE,
	OPT_TITLE,
	OPT_WIDTH,
};

static const fk_option diff_options[] = {
	{"normalize", 'n', false, OPT_NORMALIZE, NULL, "scale BEFORE's counts to AFTER's total"},
	{"strip-hex", 's', false, OPT_STRIP_HEX, NULL, "replace hex addresses (0x...) in frame names"},
	{"output", 'o', true, OPT_OUTPUT, "FILE", "write to FILE (whole or not at all); FILE.svg draws the graph"},
	{"svg", 0, false, OPT_SVG, NULL, "draw the differential flame graph (SVG) whatever the name"},
	{"negate", 0, false, OPT_NEGATE, NULL, "SVG: swap the hues (blue grew, red shrank)"},
	{"title", 0, true, OPT_TITLE, "TEXT", "SVG: the title (default: Differential Flame Graph)"},
	{"width", 0, true, OPT_WIDTH, "PIXELS", "SVG: image width (default 1200)"},
	CMD_OPTION_FORMAT(OPT_FORMAT),
	CMD_OPTION_SAMPLE_TYPE(OPT_SAMPLE_TYPE),
	CMD_OPTION_QUIET(OPT_QUIET),
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit diff [options] BEFORE AFTER\n\n"
		     "Prints every stack of either profile as \"stack BEFORE_COUNT AFTER_COUNT\" (0 where\n"
		     "missing), sorted: the input of a differential flame graph (difffolded.pl). The\n"
		     "inputs may be folded stacks, perf script text or DTrace output, plain or gzip.\n\n");
	fk_options_print(out, diff_options, FK_ARRAY_LEN(diff_options));
	fprintf(out, "\nexamples:\n  flamekit diff before.folded after.folded > diff.folded\n"
		     "  flamekit diff -n before.folded after.folded -o diff.svg   # red grew, blue shrank\n");
}

/* What diff writes: the comparison as folded lines, or drawn. */
struct diff_output {
	const fk_profile *diff;
	const fk_flamegraph_options *graph; /* NULL: folded lines */
};

static int write_diff(FILE *out, void *ctx, fk_error *err)
{
	const struct diff_output *d = ctx;
	if (d->graph)
		return fk_flamegraph_write(d->diff, d->graph, out, err);
	return fk_write_folded(d->diff, out, err);
}

int cmd_diff(int argc, char **argv)
{
	const char *prog = "flamekit diff";
	fk_load_options lo = {.format = FK_FORMAT_AUTO, .threads = 1};
	fk_compare_options co = {0};
	const char *output = NULL, *files[2];
	size_t nfiles = 0;
	bool quiet = false, svg = false;
	fk_flamegraph_options fo;
	fk_flamegraph_options_init(&fo);
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, diff_options, FK_ARRAY_LEN(diff_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			return 2;
		case FK_OPT_OPERAND:
			if (nfiles == 2) {
				fprintf(stderr, "%s: too many files (want BEFORE AFTER)\n", prog);
				return 2;
			}
			files[nfiles++] = op.operand;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_NORMALIZE:
			co.normalize = true;
			break;
		case OPT_STRIP_HEX:
			co.strip_hex = true;
			break;
		case OPT_OUTPUT:
			output = op.arg;
			break;
		case OPT_SAMPLE_TYPE:
			lo.sample_type = op.arg;
			break;
		case OPT_FORMAT:
			if (cmd_parse_format(prog, op.arg, &lo.format) < 0)
				return 2;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_SVG:
			svg = true;
			break;
		case OPT_NEGATE:
			fo.negate = true;
			break;
		case OPT_TITLE:
			fo.title = op.arg;
			break;
		case OPT_WIDTH: {
			unsigned long w;
			if (fk_parse_uint(op.arg, 21, 1000000, &w) < 0) {
				fprintf(stderr, "%s: --width wants pixels (over 20), not '%s'\n", prog, op.arg);
				return 2;
			}
			fo.width = (unsigned)w;
			break;
		}
		}
	}
	if (nfiles != 2) {
		fprintf(stderr, "%s: want two files, BEFORE and AFTER\n", prog);
		usage(stderr);
		return 2;
	}
	fk_profile *before = fk_profile_new(), *after = fk_profile_new(), *diff = NULL;
	int status = 0;
	fk_load_stats stats;
	if (cmd_load(prog, &files[0], 1, &lo, quiet, before, &stats) < 0 ||
	    cmd_load(prog, &files[1], 1, &lo, quiet, after, &stats) < 0) {
		status = 1;
	} else {
		diff = fk_profile_compare(before, after, &co);
		size_t olen = output ? strlen(output) : 0;
		if (olen > 4 && strcmp(output + olen - 4, ".svg") == 0)
			svg = true;
		char subtitle[512];
		if (svg) {
			if (!fo.title)
				fo.title = "Differential Flame Graph";
			snprintf(subtitle, sizeof(subtitle), "%s → %s: widths are %s; %s", files[0], files[1],
				 files[1], fo.negate ? "blue grew, red shrank" : "red grew, blue shrank");
			fo.subtitle = subtitle;
		}
		struct diff_output d = {diff, svg ? &fo : NULL};
		int rc = cmd_write_output(prog, output, write_diff, &d);
		if (rc < 0) {
			status = 1;
		} else if (rc == FK_FLAMEGRAPH_EMPTY) {
			fprintf(stderr, "%s: no stacks in either profile\n", prog);
			status = 2;
		}
	}
	fk_profile_free(diff);
	fk_profile_free(before);
	fk_profile_free(after);
	return status;
}
