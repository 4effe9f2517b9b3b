/* flamegraph.c: `flamekit flamegraph`, drawing folded stacks as an interactive SVG flame
 * graph with flamegraph.pl's options and frames. Options and orchestration only; the
 * drawing is src/output/flamegraph.c. */
#include <unistd.h>

#include "../output/flamegraph.h"
#include "graph_options.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_SAMPLE_TYPE,
	OPT_THREADS,
	OPT_QUIET,
};

static const fk_option flamegraph_options[] = {
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	CMD_GRAPH_OPTIONS,
	{"format", 0, true, OPT_FORMAT, "FMT", "input format (default: folded text, or perf.data, pprof, speedscope, cpuprofile by content): auto, perf, dtrace, folded, perf-data, pprof, speedscope, cpuprofile"},
	CMD_OPTION_SAMPLE_TYPE(OPT_SAMPLE_TYPE),
	{"threads", 'j', true, OPT_THREADS, "N", "parse on N threads (default 1); same output"},
	CMD_OPTION_QUIET(OPT_QUIET),
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit flamegraph [options] [FILE...] > graph.svg\n\n"
		     "Draws folded stacks (\"frame;frame;...;leaf COUNT\", as `flamekit collapse` and the\n"
		     "stackcollapse scripts write them) as an interactive SVG flame graph, with the frames\n"
		     "flamegraph.pl draws. Lines with two counts (\"stack BEFORE AFTER\", as `flamekit diff`\n"
		     "writes) make a differential graph. Reads FILEs (gzip or plain; \"-\" or none: stdin).\n\n");
	fk_options_print(out, flamegraph_options, FK_ARRAY_LEN(flamegraph_options));
	fprintf(out, "\nexamples:\n"
		     "  perf script | flamekit collapse | flamekit flamegraph > cpu.svg\n"
		     "  flamekit flamegraph --title=\"malloc()\" --countname=bytes --colors=mem out.folded > mem.svg\n"
		     "  flamekit flamegraph --format auto -o cpu.svg perf.txt.gz\n");
}

struct cli {
	const char *prog;
	cmd_graph_options graph;
	fk_load_options load;
	const char *output;
	bool quiet;
	const char **paths;
	size_t npaths;
};

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, flamegraph_options, FK_ARRAY_LEN(flamegraph_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		unsigned long n;
		const char *a = op.arg;
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", c->prog, err.msg);
			usage(stderr);
			return 2;
		case FK_OPT_OPERAND:
			c->paths[c->npaths++] = op.operand;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_OUTPUT:
			c->output = a;
			break;
		case OPT_FORMAT:
			c->load.format = fk_format_from_name(a);
			c->load.text_is_folded = false;
			if (c->load.format == FK_FORMAT_UNKNOWN)
				return cmd_bad_value(c->prog, "--format", a, "auto, perf, dtrace, folded, perf-data, pprof, speedscope or cpuprofile");
			break;
		case OPT_SAMPLE_TYPE:
			c->load.sample_type = a;
			break;
		case OPT_THREADS:
			if (fk_parse_uint(a, 1, 256, &n) < 0)
				return cmd_bad_value(c->prog, "--threads", a, "a number of threads from 1 to 256");
			c->load.threads = (unsigned)n;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		default:
			if (cmd_graph_option_id(id)) {
				int rc = cmd_graph_option(c->prog, &c->graph, id, a);
				if (rc)
					return rc;
			}
			break;
		}
	}
	if (cmd_graph_options_finish(c->prog, &c->graph))
		return 2;
	return -1;
}

/* flamegraph.pl's warnings, in its order. */
static void report(const struct cli *c, const fk_load_stats *ls, const fk_flamegraph_stats *fs,
		   int rc)
{
	char num[32];
	if (c->quiet)
		return;
	if (strcmp(c->graph.fg.count_name, "samples") == 0 && fs->total < 100) {
		fk_format_count(fs->total, num);
		fprintf(stderr, "%s: Stack count is low (%s). Did something go wrong?\n", c->prog, num);
	}
	/* flamegraph.pl counts empty lines among the invalid ones */
	uint64_t ignored = ls->invalid + ls->blank;
	if (ignored)
		fprintf(stderr, "%s: Ignored %llu lines with invalid format\n", c->prog,
			(unsigned long long)ignored);
	if (rc == FK_FLAMEGRAPH_EMPTY)
		fprintf(stderr, "%s: ERROR: No stack counts found\n", c->prog);
	if (fs->total_ignored) {
		fk_format_count(fs->total, num);
		fprintf(stderr, "%s: Specified --total %s is less than actual total %s, so ignored\n",
			c->prog, c->graph.total_text, num);
	}
}

/* What flamegraph writes, and what it drew. */
struct graph_output {
	const fk_profile *profile;
	const fk_flamegraph_options *options;
	fk_flamegraph_stats stats;
};

static int write_graph(FILE *out, void *ctx, fk_error *err)
{
	struct graph_output *g = ctx;
	return fk_flamegraph_write_stats(g->profile, g->options, out, &g->stats, err);
}

int cmd_flamegraph(int argc, char **argv)
{
	struct cli c = {.prog = "flamekit flamegraph"};
	cmd_graph_options_init(&c.graph, argc);
	c.load = (fk_load_options){.format = FK_FORMAT_AUTO, .text_is_folded = true, .threads = 1,
				   .folded_drop_trailing_empty = true};
	c.paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	int status = parse_args(&c, argc, argv);
	if (status >= 0)
		goto out;
	status = 0;
	if (c.npaths == 0)
		c.paths[c.npaths++] = "-";
	if (c.npaths == 1 && strcmp(c.paths[0], "-") == 0 && isatty(0))
		fprintf(stderr, "%s: reading folded stacks from the terminal (see --help)\n", c.prog);
	c.load.keep_order = c.graph.fg.flamechart;

	fk_profile *profile = fk_profile_new();
	fk_load_stats ls;
	if (cmd_load(c.prog, c.paths, c.npaths, &c.load, c.quiet, profile, &ls) < 0)
		status = 1;
	if (status == 0) {
		struct graph_output g = {.profile = profile, .options = &c.graph.fg};
		int rc = cmd_write_output(c.prog, c.output, write_graph, &g);
		if (rc < 0) {
			status = 1;
		} else {
			report(&c, &ls, &g.stats, rc);
			status = rc == FK_FLAMEGRAPH_EMPTY ? 2 : 0;
		}
	}
	fk_profile_free(profile);
out:
	free(c.paths);
	cmd_graph_options_free(&c.graph);
	return status;
}
