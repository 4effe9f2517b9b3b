/* graph_options.h: flamegraph.pl's drawing options (--title, --colors, --minwidth, ...),
 * shared by the subcommands that draw flame graphs (flamegraph, record): one option
 * table, one parser. */
#ifndef FK_GRAPH_OPTIONS_H
#define FK_GRAPH_OPTIONS_H

#include "../output/flamegraph.h"
#include "../util/options.h"

enum {
	CMD_GRAPH_FIRST = 1000, /* ids above every subcommand's own */
	CMD_GRAPH_TITLE,
	CMD_GRAPH_SUBTITLE,
	CMD_GRAPH_WIDTH,
	CMD_GRAPH_HEIGHT,
	CMD_GRAPH_MINWIDTH,
	CMD_GRAPH_FONTTYPE,
	CMD_GRAPH_FONTSIZE,
	CMD_GRAPH_FONTWIDTH,
	CMD_GRAPH_COUNTNAME,
	CMD_GRAPH_NAMETYPE,
	CMD_GRAPH_COLORS,
	CMD_GRAPH_BGCOLORS,
	CMD_GRAPH_HASH,
	CMD_GRAPH_RANDOM,
	CMD_GRAPH_CP,
	CMD_GRAPH_REVERSE,
	CMD_GRAPH_INVERTED,
	CMD_GRAPH_FLAMECHART,
	CMD_GRAPH_NEGATE,
	CMD_GRAPH_NOTES,
	CMD_GRAPH_TOTAL,
	CMD_GRAPH_FACTOR,
	CMD_GRAPH_NAMEATTR,
	CMD_GRAPH_ENCODING,
	CMD_GRAPH_DETERMINISTIC,
	CMD_GRAPH_BASE,
	CMD_GRAPH_FOCUS,
	CMD_GRAPH_IGNORE,
	CMD_GRAPH_LAST,
};

/* The option table entries, to put in a subcommand's table. */
#define CMD_GRAPH_OPTIONS \
	{"title", 0, true, CMD_GRAPH_TITLE, "TEXT", "title (default \"Flame Graph\")"}, \
	{"subtitle", 0, true, CMD_GRAPH_SUBTITLE, "TEXT", "second title line"}, \
	{"width", 0, true, CMD_GRAPH_WIDTH, "NUM", "image width in pixels (default 1200)"}, \
	{"height", 0, true, CMD_GRAPH_HEIGHT, "NUM", "height of each frame (default 16)"}, \
	{"minwidth", 0, true, CMD_GRAPH_MINWIDTH, "NUM[%]", "omit frames narrower than NUM pixels, or NUM% of the total (default 0.1)"}, \
	{"fonttype", 0, true, CMD_GRAPH_FONTTYPE, "FONT", "font family (default \"Verdana\")"}, \
	{"fontsize", 0, true, CMD_GRAPH_FONTSIZE, "NUM", "font size (default 12)"}, \
	{"fontwidth", 0, true, CMD_GRAPH_FONTWIDTH, "NUM", "average character width relative to the font size (default 0.59)"}, \
	{"countname", 0, true, CMD_GRAPH_COUNTNAME, "TEXT", "what the counts are (default \"samples\")"}, \
	{"nametype", 0, true, CMD_GRAPH_NAMETYPE, "TEXT", "what the names are (default \"Function:\")"}, \
	{"colors", 0, true, CMD_GRAPH_COLORS, "PALETTE", "hot (default), mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, purple, orange"}, \
	{"color", 0, true, CMD_GRAPH_COLORS, "PALETTE", NULL}, \
	{"bgcolors", 0, true, CMD_GRAPH_BGCOLORS, "COLOR", "background: yellow, blue, green, grey (gradients) or #rrggbb"}, \
	{"hash", 0, false, CMD_GRAPH_HASH, NULL, "colors from a hash of the function name"}, \
	{"random", 0, false, CMD_GRAPH_RANDOM, NULL, "random colors (fixed seed; FLAMEKIT_RANDOM_SEED=N picks another)"}, \
	{"cp", 0, false, CMD_GRAPH_CP, NULL, "consistent palette: reuse and extend ./palette.map"}, \
	{"reverse", 0, false, CMD_GRAPH_REVERSE, NULL, "reverse the stacks (merge from the leaves)"}, \
	{"inverted", 0, false, CMD_GRAPH_INVERTED, NULL, "icicle graph (root at the top)"}, \
	{"flamechart", 0, false, CMD_GRAPH_FLAMECHART, NULL, "flame chart: stacks in input (time) order, not merged"}, \
	{"negate", 0, false, CMD_GRAPH_NEGATE, NULL, "differential: switch red and blue"}, \
	{"notes", 0, true, CMD_GRAPH_NOTES, "TEXT", "notes put in a comment in the SVG"}, \
	{"total", 0, true, CMD_GRAPH_TOTAL, "NUM", "draw as if the counts summed to NUM"}, \
	{"factor", 0, true, CMD_GRAPH_FACTOR, "NUM", "multiply the counts shown by NUM"}, \
	{"nameattr", 0, true, CMD_GRAPH_NAMEATTR, "FILE", "extra SVG attributes per function (NAME<TAB>key=value...)"}, \
	{"encoding", 0, true, CMD_GRAPH_ENCODING, "NAME", "the encoding named in the XML declaration"}, \
	{"deterministic", 0, false, CMD_GRAPH_DETERMINISTIC, NULL, "same input, same bytes (always the case)"}, \
	{"base", 0, true, CMD_GRAPH_BASE, "FUNC", "keep only stacks containing frame FUNC, drawn from there up (repeatable)"}, \
	{"focus", 0, true, CMD_GRAPH_FOCUS, "REGEX", "keep only stacks with a frame matching REGEX (POSIX extended)"}, \
	{"ignore", 0, true, CMD_GRAPH_IGNORE, "REGEX", "drop stacks with a frame matching REGEX (POSIX extended)"}

typedef struct cmd_graph_options {
	fk_flamegraph_options fg;
	const char *total_text; /* --total as typed */
	const char **bases;     /* --base values (room for argc) */
	size_t nbases;
} cmd_graph_options;

/* flamegraph.pl's defaults; room for argc --base values. */
void cmd_graph_options_init(cmd_graph_options *g, int argc);
void cmd_graph_options_free(cmd_graph_options *g);
static inline bool cmd_graph_option_id(int id)
{
	return id > CMD_GRAPH_FIRST && id < CMD_GRAPH_LAST;
}
/* Takes one option (cmd_graph_option_id(id)). Returns 0, or 2 after printing an error. */
int cmd_graph_option(const char *prog, cmd_graph_options *g, int id, const char *arg);
/* After all options: environment (FLAMEKIT_RANDOM_SEED) and checks. Returns 0 or 2. */
int cmd_graph_options_finish(const char *prog, cmd_graph_options *g);

#endif
