/* convert.c: `flamekit convert`, turning a profile from any format flamekit reads into
 * folded stacks, a flame graph, pprof or speedscope. Options and orchestration only. */
#include "../output/output_format.h"
#include "cmd.h"
#include "cmd_io.h"
#include "graph_options.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_TO,
	OPT_NAME,
};

static const fk_option convert_options[] = {
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	{"to", 't', true, OPT_TO, "FMT", "output format: folded, svg, pprof, speedscope (default: by -o's name: .svg, .pb.gz, .pb, .json; else folded)"},
	{"name", 0, true, OPT_NAME, "NAME", "the profile's name (speedscope; the SVG's title)"},
	CMD_INPUT_OPTIONS,
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
	const char *output = NULL, *to = NULL, *name = NULL;
	cmd_input in;
	cmd_input_init(&in, argc);
	int status = 2;
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, convert_options, FK_ARRAY_LEN(convert_options), argc, argv);
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
		case OPT_TO:
			to = op.arg;
			break;
		case OPT_NAME:
			name = op.arg;
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
	fk_profile *profile = cmd_input_load(prog, &in, NULL, &status);
	if (!profile)
		goto out;
	fk_flamegraph_options fg;
	fk_flamegraph_options_init(&fg);
	if (name)
		fg.title = name;
	oo.flamegraph = &fg;
	oo.name = name ? name : in.npaths == 1 && strcmp(in.paths[0], "-") != 0 ? in.paths[0] : "flamekit";
	status = cmd_write_profile(prog, output, profile, &oo) == 0 ? 0 : 1;
	fk_profile_free(profile);
out:
	cmd_input_free(&in);
	return status;
}
