/* diff.c: `flamekit diff`, comparing two profiles as difffolded.pl does: every stack of
 * either with its count before and after. Options and orchestration only. */
#include "../input/load.h"
#include "../output/flamegraph.h"
#include "../output/folded.h"
#include "../stack/compare.h"
#include "../util/options.h"
#include "../util/outfile.h"
#include "cmd.h"

enum {
	OPT_HELP = 1,
	OPT_NORMALIZE,
	OPT_STRIP_HEX,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_QUIET,
	OPT_SVG,
	OPT_NEGATE,
	OPT_TITLE,
	OPT_WIDTH,
};

static const fk_option diff_options[] = {
	{"normalize", 'n', false, OPT_NORMALIZE, NULL, "scale BEFORE's counts to AFTER's total"},
	{"strip-hex", 's', false, OPT_STRIP_HEX, NULL, "replace hex addresses (0x...) in frame names"},
	{"output", 'o', true, OPT_OUTPUT, "FILE", "write to FILE instead of stdout; FILE.svg draws the graph"},
	{"svg", 0, false, OPT_SVG, NULL, "draw the differential flame graph (SVG) whatever the name"},
	{"negate", 0, false, OPT_NEGATE, NULL, "SVG: swap the hues (blue grew, red shrank)"},
	{"title", 0, true, OPT_TITLE, "TEXT", "SVG: the title (default: Differential Flame Graph)"},
	{"width", 0, true, OPT_WIDTH, "PIXELS", "SVG: image width (default 1200)"},
	{"format", 0, true, OPT_FORMAT, "FMT", "input format: auto (default), perf, dtrace, folded"},
	{"quiet", 'q', false, OPT_QUIET, NULL, "no warnings about the input"},
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

static int load_one(const char *prog, const char *path, const fk_load_options *lo, bool quiet,
		    fk_profile *profile)
{
	fk_diag diag;
	fk_diag_init(&diag);
	fk_load_stats stats;
	fk_error err;
	const char *paths[1] = {path};
	int rc = fk_load_files(paths, 1, lo, profile, &diag, &stats, &err);
	if (!quiet)
		fk_diag_print(&diag, stderr, prog, paths);
	fk_diag_free(&diag);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	return rc;
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
		case OPT_FORMAT:
			lo.format = fk_format_from_name(op.arg);
			if (lo.format == FK_FORMAT_UNKNOWN) {
				fprintf(stderr, "%s: unknown format '%s'\n", prog, op.arg);
				return 2;
			}
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
	if (load_one(prog, files[0], &lo, quiet, before) < 0 ||
	    load_one(prog, files[1], &lo, quiet, after) < 0) {
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
		fk_outfile out;
		int rc = fk_outfile_open(&out, output, &err);
		if (rc == 0)
			rc = svg ? fk_flamegraph_write(diff, &fo, out.fp, &err) : fk_write_folded(diff, out.fp, &err);
		if (rc == FK_FLAMEGRAPH_EMPTY) {
			fprintf(stderr, "%s: no stacks in either profile\n", prog);
			status = 2;
			rc = 0;
		}
		if (rc < 0 || fk_outfile_commit(&out, &err) < 0) {
			if (out.fp)
				fk_outfile_abort(&out);
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			status = 1;
		}
	}
	fk_profile_free(diff);
	fk_profile_free(before);
	fk_profile_free(after);
	return status;
}
