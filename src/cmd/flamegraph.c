/* flamegraph.c: `flamekit flamegraph`, drawing folded stacks as an interactive SVG flame
 * graph with flamegraph.pl's options and frames. Options and orchestration only; the
 * drawing is src/output/flamegraph.c. */
#include <math.h>
#include <unistd.h>

#include "../output/flamegraph.h"
#include "cmd.h"
#include "cmd_io.h"

enum {
	OPT_HELP = 1,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_THREADS,
	OPT_QUIET,
	OPT_TITLE,
	OPT_SUBTITLE,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_MINWIDTH,
	OPT_FONTTYPE,
	OPT_FONTSIZE,
	OPT_FONTWIDTH,
	OPT_COUNTNAME,
	OPT_NAMETYPE,
	OPT_COLORS,
	OPT_BGCOLORS,
	OPT_HASH,
	OPT_RANDOM,
	OPT_CP,
	OPT_REVERSE,
	OPT_INVERTED,
	OPT_FLAMECHART,
	OPT_NEGATE,
	OPT_NOTES,
	OPT_TOTAL,
	OPT_FACTOR,
	OPT_NAMEATTR,
	OPT_ENCODING,
	OPT_DETERMINISTIC,
	OPT_BASE,
	OPT_FOCUS,
	OPT_IGNORE,
};

static const fk_option flamegraph_options[] = {
	CMD_OPTION_OUTPUT(OPT_OUTPUT),
	{"title", 0, true, OPT_TITLE, "TEXT", "title (default \"Flame Graph\")"},
	{"subtitle", 0, true, OPT_SUBTITLE, "TEXT", "second title line"},
	{"width", 0, true, OPT_WIDTH, "NUM", "image width in pixels (default 1200)"},
	{"height", 0, true, OPT_HEIGHT, "NUM", "height of each frame (default 16)"},
	{"minwidth", 0, true, OPT_MINWIDTH, "NUM[%]", "omit frames narrower than NUM pixels, or NUM% of the total (default 0.1)"},
	{"fonttype", 0, true, OPT_FONTTYPE, "FONT", "font family (default \"Verdana\")"},
	{"fontsize", 0, true, OPT_FONTSIZE, "NUM", "font size (default 12)"},
	{"fontwidth", 0, true, OPT_FONTWIDTH, "NUM", "average character width relative to the font size (default 0.59)"},
	{"countname", 0, true, OPT_COUNTNAME, "TEXT", "what the counts are (default \"samples\")"},
	{"nametype", 0, true, OPT_NAMETYPE, "TEXT", "what the names are (default \"Function:\")"},
	{"colors", 0, true, OPT_COLORS, "PALETTE", "hot (default), mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, purple, orange"},
	{"color", 0, true, OPT_COLORS, "PALETTE", NULL},
	{"bgcolors", 0, true, OPT_BGCOLORS, "COLOR", "background: yellow, blue, green, grey (gradients) or #rrggbb"},
	{"hash", 0, false, OPT_HASH, NULL, "colors from a hash of the function name"},
	{"random", 0, false, OPT_RANDOM, NULL, "random colors (fixed seed; FLAMEKIT_RANDOM_SEED=N picks another)"},
	{"cp", 0, false, OPT_CP, NULL, "consistent palette: reuse and extend ./palette.map"},
	{"reverse", 0, false, OPT_REVERSE, NULL, "reverse the stacks (merge from the leaves)"},
	{"inverted", 0, false, OPT_INVERTED, NULL, "icicle graph (root at the top)"},
	{"flamechart", 0, false, OPT_FLAMECHART, NULL, "flame chart: stacks in input (time) order, not merged"},
	{"negate", 0, false, OPT_NEGATE, NULL, "differential: switch red and blue"},
	{"notes", 0, true, OPT_NOTES, "TEXT", "notes put in a comment in the SVG"},
	{"total", 0, true, OPT_TOTAL, "NUM", "draw as if the counts summed to NUM"},
	{"factor", 0, true, OPT_FACTOR, "NUM", "multiply the counts shown by NUM"},
	{"nameattr", 0, true, OPT_NAMEATTR, "FILE", "extra SVG attributes per function (NAME<TAB>key=value...)"},
	{"encoding", 0, true, OPT_ENCODING, "NAME", "the encoding named in the XML declaration"},
	{"deterministic", 0, false, OPT_DETERMINISTIC, NULL, "same input, same bytes (always the case)"},
	{"base", 0, true, OPT_BASE, "FUNC", "keep only stacks containing frame FUNC, drawn from there up (repeatable)"},
	{"focus", 0, true, OPT_FOCUS, "REGEX", "keep only stacks with a frame matching REGEX (POSIX extended)"},
	{"ignore", 0, true, OPT_IGNORE, "REGEX", "drop stacks with a frame matching REGEX (POSIX extended)"},
	{"format", 0, true, OPT_FORMAT, "FMT", "input format: folded (default), auto, perf, dtrace"},
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

static int parse_double(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* flamegraph.pl's --minwidth: digits and dots, optionally followed by "%" */
static int parse_minwidth(const char *s, fk_flamegraph_options *o)
{
	size_t n = strspn(s, "0123456789.");
	if (n == 0 || (s[n] && strcmp(s + n, "%") != 0))
		return -1;
	o->min_width = strtod(s, NULL); /* "1.5.2" reads as 1.5, as Perl numifies it */
	o->min_width_percent = s[n] == '%';
	return 0;
}

struct cli {
	const char *prog;
	fk_flamegraph_options fg;
	fk_load_options load;
	const char *output;
	const char *total_text;
	bool quiet;
	const char **paths;
	size_t npaths;
	const char **bases;
	size_t nbases;
};

static int bad_value(const struct cli *c, const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "%s: --%s wants %s, not '%s'\n", c->prog, opt, want, value);
	return 2;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, flamegraph_options, FK_ARRAY_LEN(flamegraph_options), argc, argv);
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		unsigned long n;
		double v;
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
			if (c->load.format == FK_FORMAT_UNKNOWN)
				return bad_value(c, "format", a, "auto, perf, dtrace or folded");
			break;
		case OPT_THREADS:
			if (fk_parse_uint(a, 1, 256, &n) < 0)
				return bad_value(c, "threads", a, "a number of threads from 1 to 256");
			c->load.threads = (unsigned)n;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_TITLE:
			c->fg.title = a;
			break;
		case OPT_SUBTITLE:
			c->fg.subtitle = a;
			break;
		case OPT_WIDTH:
			if (fk_parse_uint(a, 21, 10000000, &n) < 0)
				return bad_value(c, "width", a, "a whole number of pixels above 20");
			c->fg.width = (unsigned)n;
			break;
		case OPT_HEIGHT:
			if (fk_parse_uint(a, 1, 100000, &n) < 0)
				return bad_value(c, "height", a, "a whole number of pixels");
			c->fg.frame_height = (double)n;
			break;
		case OPT_MINWIDTH:
			if (parse_minwidth(a, &c->fg) < 0)
				return bad_value(c, "minwidth", a, "a number of pixels or a percentage (N%)");
			break;
		case OPT_FONTTYPE:
			c->fg.font_type = a;
			break;
		case OPT_FONTSIZE:
			if (parse_double(a, &v) < 0 || v <= 0)
				return bad_value(c, "fontsize", a, "a positive number");
			c->fg.font_size = v;
			break;
		case OPT_FONTWIDTH:
			if (parse_double(a, &v) < 0 || v <= 0)
				return bad_value(c, "fontwidth", a, "a positive number");
			c->fg.font_width = v;
			break;
		case OPT_COUNTNAME:
			c->fg.count_name = a;
			break;
		case OPT_NAMETYPE:
			c->fg.name_type = a;
			break;
		case OPT_COLORS:
			if (!fk_palette_from_name(a, &c->fg.palette)) {
				fprintf(stderr, "%s: unknown palette '%s' (%s)\n", c->prog, a, fk_palette_names());
				return 2;
			}
			break;
		case OPT_BGCOLORS:
			c->fg.bgcolors = a;
			break;
		case OPT_HASH:
			c->fg.hash = true;
			break;
		case OPT_RANDOM:
			c->fg.random = true;
			break;
		case OPT_CP:
			c->fg.palette_map = "palette.map";
			break;
		case OPT_REVERSE:
			c->fg.reverse = true;
			break;
		case OPT_INVERTED:
			c->fg.inverted = true;
			break;
		case OPT_FLAMECHART:
			c->fg.flamechart = true;
			break;
		case OPT_NEGATE:
			c->fg.negate = true;
			break;
		case OPT_NOTES:
			c->fg.notes = a;
			break;
		case OPT_TOTAL:
			if (parse_double(a, &v) < 0 || v < 0)
				return bad_value(c, "total", a, "a number");
			c->fg.total = v;
			c->total_text = a;
			break;
		case OPT_FACTOR:
			if (parse_double(a, &v) < 0 || v <= 0)
				return bad_value(c, "factor", a, "a positive number");
			c->fg.factor = v;
			break;
		case OPT_NAMEATTR:
			c->fg.nameattr = a;
			break;
		case OPT_ENCODING:
			c->fg.encoding = a;
			break;
		case OPT_DETERMINISTIC:
			break; /* always */
		case OPT_BASE:
			c->bases[c->nbases++] = a;
			break;
		case OPT_FOCUS:
			c->fg.focus = a;
			break;
		case OPT_IGNORE:
			c->fg.ignore = a;
			break;
		}
	}
	if (c->fg.random) {
		const char *seed = getenv("FLAMEKIT_RANDOM_SEED");
		unsigned long n;
		if (seed && *seed) {
			if (fk_parse_uint(seed, 0, UINT32_MAX, &n) < 0) {
				fprintf(stderr, "%s: FLAMEKIT_RANDOM_SEED wants a number, not '%s'\n", c->prog, seed);
				return 2;
			}
			c->fg.random_seed = (uint32_t)n;
		}
	}
	c->fg.bases = c->bases;
	c->fg.nbases = c->nbases;
	if (fk_flamegraph_check_options(&c->fg, &err) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		return 2;
	}
	return -1;
}

/* flamegraph.pl's warnings, in its order. */
static void report(const struct cli *c, const fk_load_stats *ls, const fk_flamegraph_stats *fs,
		   int rc)
{
	char num[32];
	if (c->quiet)
		return;
	if (strcmp(c->fg.count_name, "samples") == 0 && fs->total < 100) {
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
			c->prog, c->total_text, num);
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
	fk_flamegraph_options_init(&c.fg);
	c.load = (fk_load_options){.format = FK_FORMAT_FOLDED, .threads = 1,
				   .folded_drop_trailing_empty = true};
	c.paths = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	c.bases = fk_xcalloc((size_t)argc + 1, sizeof(char *));
	int status = parse_args(&c, argc, argv);
	if (status >= 0)
		goto out;
	status = 0;
	if (c.npaths == 0)
		c.paths[c.npaths++] = "-";
	if (c.npaths == 1 && strcmp(c.paths[0], "-") == 0 && isatty(0))
		fprintf(stderr, "%s: reading folded stacks from the terminal (see --help)\n", c.prog);
	c.load.keep_order = c.fg.flamechart;

	fk_profile *profile = fk_profile_new();
	fk_load_stats ls;
	if (cmd_load(c.prog, c.paths, c.npaths, &c.load, c.quiet, profile, &ls) < 0)
		status = 1;
	if (status == 0) {
		struct graph_output g = {.profile = profile, .options = &c.fg};
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
	free(c.bases);
	return status;
}
