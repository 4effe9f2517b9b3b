/* graph_options.c: flamegraph.pl's drawing options, parsed once for every subcommand that
 * draws (see graph_options.h). */
#include <math.h>

#include "cmd_io.h"
#include "graph_options.h"

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

void cmd_graph_options_init(cmd_graph_options *g, int argc)
{
	memset(g, 0, sizeof(*g));
	fk_flamegraph_options_init(&g->fg);
	g->bases = fk_xcalloc((size_t)argc + 1, sizeof(char *));
}

void cmd_graph_options_free(cmd_graph_options *g)
{
	free(g->bases);
	g->bases = NULL;
}

int cmd_graph_option(const char *prog, cmd_graph_options *g, int id, const char *a)
{
	unsigned long n;
	double v;
	switch (id) {
		case CMD_GRAPH_TITLE:
			g->fg.title = a;
			break;
		case CMD_GRAPH_SUBTITLE:
			g->fg.subtitle = a;
			break;
		case CMD_GRAPH_WIDTH:
			if (fk_parse_uint(a, 21, 10000000, &n) < 0)
				return cmd_bad_value(prog, "--width", a, "a whole number of pixels above 20");
			g->fg.width = (unsigned)n;
			break;
		case CMD_GRAPH_HEIGHT:
			if (fk_parse_uint(a, 1, 100000, &n) < 0)
				return cmd_bad_value(prog, "--height", a, "a whole number of pixels");
			g->fg.frame_height = (double)n;
			break;
		case CMD_GRAPH_MINWIDTH:
			if (parse_minwidth(a, &g->fg) < 0)
				return cmd_bad_value(prog, "--minwidth", a, "a number of pixels or a percentage (N%)");
			break;
		case CMD_GRAPH_FONTTYPE:
			g->fg.font_type = a;
			break;
		case CMD_GRAPH_FONTSIZE:
			if (parse_double(a, &v) < 0 || v <= 0)
				return cmd_bad_value(prog, "--fontsize", a, "a positive number");
			g->fg.font_size = v;
			break;
		case CMD_GRAPH_FONTWIDTH:
			if (parse_double(a, &v) < 0 || v <= 0)
				return cmd_bad_value(prog, "--fontwidth", a, "a positive number");
			g->fg.font_width = v;
			break;
		case CMD_GRAPH_COUNTNAME:
			g->fg.count_name = a;
			break;
		case CMD_GRAPH_NAMETYPE:
			g->fg.name_type = a;
			break;
		case CMD_GRAPH_COLORS:
			if (!fk_palette_from_name(a, &g->fg.palette)) {
				fprintf(stderr, "%s: unknown palette '%s' (%s)\n", prog, a, fk_palette_names());
				return 2;
			}
			break;
		case CMD_GRAPH_BGCOLORS:
			g->fg.bgcolors = a;
			break;
		case CMD_GRAPH_HASH:
			g->fg.hash = true;
			break;
		case CMD_GRAPH_RANDOM:
			g->fg.random = true;
			break;
		case CMD_GRAPH_CP:
			g->fg.palette_map = "palette.map";
			break;
		case CMD_GRAPH_REVERSE:
			g->fg.reverse = true;
			break;
		case CMD_GRAPH_INVERTED:
			g->fg.inverted = true;
			break;
		case CMD_GRAPH_FLAMECHART:
			g->fg.flamechart = true;
			break;
		case CMD_GRAPH_NEGATE:
			g->fg.negate = true;
			break;
		case CMD_GRAPH_NOTES:
			g->fg.notes = a;
			break;
		case CMD_GRAPH_TOTAL:
			if (parse_double(a, &v) < 0 || v < 0)
				return cmd_bad_value(prog, "--total", a, "a number");
			g->fg.total = v;
			g->total_text = a;
			break;
		case CMD_GRAPH_FACTOR:
			if (parse_double(a, &v) < 0 || v <= 0)
				return cmd_bad_value(prog, "--factor", a, "a positive number");
			g->fg.factor = v;
			break;
		case CMD_GRAPH_NAMEATTR:
			g->fg.nameattr = a;
			break;
		case CMD_GRAPH_ENCODING:
			g->fg.encoding = a;
			break;
		case CMD_GRAPH_DETERMINISTIC:
			break; /* always */
		case CMD_GRAPH_BASE:
			g->bases[g->nbases++] = a;
			break;
		case CMD_GRAPH_FOCUS:
			g->fg.focus = a;
			break;
		case CMD_GRAPH_IGNORE:
			g->fg.ignore = a;
			break;
	}
	return 0;
}

int cmd_graph_options_finish(const char *prog, cmd_graph_options *g)
{
	fk_error err;
	if (g->fg.random) {
		const char *seed = getenv("FLAMEKIT_RANDOM_SEED");
		unsigned long n;
		if (seed && *seed) {
			if (fk_parse_uint(seed, 0, UINT32_MAX, &n) < 0) {
				fprintf(stderr, "%s: FLAMEKIT_RANDOM_SEED wants a number, not '%s'\n", prog, seed);
				return 2;
			}
			g->fg.random_seed = (uint32_t)n;
		}
	}
	g->fg.bases = g->bases;
	g->fg.nbases = g->nbases;
	if (fk_flamegraph_check_options(&g->fg, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return 2;
	}
	return 0;
}
