/* convert.c: `flamekit convert`, turning a profile from any format flamekit reads into
 * folded stacks, a flame graph, pprof or speedscope. Options and orchestration only. */
#include "../output/output_format.h"
#include "../stack/filter.h"
#include "cmd.h"
#include "cmd_io.h"
#include "graph_options.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_TO,
	OPT_SAMPLE_TYPE,
	OPT_EVENT_FILTER,
	OPT_NAME,
	OPT_QUIET,
	OPT_FOCUS,
	OPT_IGNORE,
};

static const fk_option convert_options[] = {
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	{"to", 't', true, OPT_TO, "FMT", "output format: folded, svg, pprof, speedscope (default: by -o's name: .svg, .pb.gz, .pb, .json; else folded)"},
	CMD_OPTION_FORMAT(OPT_FORMAT),
	CMD_OPTION_SAMPLE_TYPE(OPT_SAMPLE_TYPE),
	{"event-filter", 0, true, OPT_EVENT_FILTER, "EVENT", "perf: keep only samples of EVENT (default: the first seen)"},
	{"name", 0, true, OPT_NAME, "NAME", "the profile's name (speedscope; the SVG's title)"},
	{"focus", 0, true, OPT_FOCUS, "REGEX", "keep only samples with a frame matching REGEX (POSIX extended)"},
	{"ignore", 0, true, OPT_IGNORE, "REGEX", "drop samples with a frame matching REGEX (after --focus)"},
	CMD_OPTION_QUIET(OPT_QUIET),
	CMD_NAMING_OPTIONS("perf: "),
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit convert [options] [FILE...] [-o OUT]\n\n"
		     "Reads profiles in any format flamekit knows (perf script text, perf.data, pprof,\n"
		     "speedscope, .cpuprofile, DTrace, folded; told by content) and writes them merged\n"
		     "as folded stacks, an SVG flame graph, a pprof profile (gzipped protobuf, for `go\n"
		     "tool pprof`) or a speedscope file.\n\n");
	fk_options_print(out, convert_options, FK_ARRAY_LEN(convert_options));
	fprintf(out, "\nexamples:\n  flamekit convert perf.data -o cpu.pb.gz\n"
		     "  flamekit convert cpu.pb.gz -o cpu.speedscope.json\n"
		     "  flamekit convert --to folded profile.cpuprofile\n"
		     "  flamekit convert --focus '^compress' perf.data -o compress.svg\n");
}

int cmd_convert(int argc, char **argv)
{
	const char *prog = "flamekit convert";
	fk_load_options lo = {.format = FK_FORMAT_AUTO, .threads = 1};
	const char *output = NULL, *to = NULL, *name = NULL, *focus = NULL, *ignore = NULL;
	bool quiet = false;
	const char **paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npaths = 0;
	int status = 2;
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, convert_options, FK_ARRAY_LEN(convert_options), argc, argv);
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
		case OPT_TO:
			to = op.arg;
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
		case OPT_NAME:
			name = op.arg;
			break;
		case OPT_QUIET:
			quiet = true;
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
	fk_output_options oo = {0};
	if (to) {
		oo.format = fk_output_format_from_name(to);
		if (oo.format == FK_OUT_UNKNOWN) {
			status = cmd_bad_value(prog, "--to", to, "folded, svg, pprof or speedscope");
			goto out;
		}
	} else {
		oo.format = output ? fk_output_format_from_path(output) : FK_OUT_FOLDED;
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
		if (fk_sample_filter_active(&filter)) {
			fk_profile *kept = fk_sample_filter_apply(profile, &filter);
			fk_profile_free(profile);
			profile = kept;
		}
		fk_flamegraph_options fg;
		fk_flamegraph_options_init(&fg);
		if (name)
			fg.title = name;
		oo.flamegraph = &fg;
		oo.name = name ? name : npaths == 1 && strcmp(paths[0], "-") != 0 ? paths[0] : "flamekit";
		if (cmd_write_profile(prog, output, profile, &oo) == 0)
			status = 0;
	}
	fk_profile_free(profile);
	fk_sample_filter_free(&filter);
out:
	free(paths);
	return status;
}
