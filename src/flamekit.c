/* flamekit.c: the program's entry point; dispatches to a subcommand (src/cmd/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

#ifndef FK_VERSION
#define FK_VERSION "dev"
#endif

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"collapse", cmd_collapse, "fold perf script / perf.data / pprof / ... into folded stacks"},
	{"convert", cmd_convert, "convert a profile to folded, SVG, pprof or speedscope"},
	{"diff", cmd_diff, "compare two profiles (difffolded.pl): stack BEFORE AFTER"},
	{"record", cmd_record, "sample a command, processes, a cgroup or the system; write a flame graph"},
	{"dump", cmd_dump, "print the Python stack of every thread of a running process (py-spy dump)"},
	{"top", cmd_top, "print the functions with the most samples, flat and cumulative (pprof -top)"},
	{"flamegraph", cmd_flamegraph, "draw folded stacks as an interactive SVG flame graph (flamegraph.pl)"},
	{"serve", cmd_serve, "continuous profiling server: Pyroscope-compatible ingest, store, query API, web UI"},
	{"agent", cmd_agent, "profile continuously and push each window to a Pyroscope-compatible server"},
};

/* Installed links named after the Perl scripts run the matching subcommand, so scripts
 * and Makefiles that call them keep working. */
struct alias {
	const char *program;
	const char *subcommand;
	const char *forced_option; /* put before the user's arguments, or NULL */
};

static const struct alias aliases[] = {
	{"stackcollapse-perf", "collapse", "--format=perf"},
	{"stackcollapse-perf.pl", "collapse", "--format=perf"},
	{"stackcollapse", "collapse", "--format=dtrace"},
	{"stackcollapse.pl", "collapse", "--format=dtrace"},
	{"flamegraph", "flamegraph", NULL},
	{"flamegraph.pl", "flamegraph", NULL},
	{"difffolded", "diff", NULL},
	{"difffolded.pl", "diff", NULL},
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

/* argv[0]'s base name, if it is one of the aliases. */
static const struct alias *find_alias(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(base, aliases[i].program) == 0)
			return &aliases[i];
	return NULL;
}

static int run_alias(const struct alias *a, int argc, char **argv)
{
	const struct subcommand *sc = find_subcommand(a->subcommand);
	if (!sc) {
		fprintf(stderr, "flamekit: '%s' is not available in this build\n", a->subcommand);
		return 2;
	}
	/* argv becomes: NAME [forced option] ARGS... */
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	if (!args)
		return 1;
	int n = 0;
	args[n++] = argv[0];
	if (a->forced_option)
		args[n++] = (char *)a->forced_option;
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	int rc = sc->run(n, args);
	free(args);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit [--version] [--help] COMMAND [ARGS]\n\n"
		     "flamekit: sample, fold, draw and keep CPU profiles. Commands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n`flamekit COMMAND --help` shows a command's options.\n");
}

int main(int argc, char **argv)
{
	const struct alias *a = argc > 0 ? find_alias(argv[0]) : NULL;
	if (a)
		return run_alias(a, argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("flamekit %s\n", FK_VERSION);
		return 0;
	}
	const struct subcommand *sc = find_subcommand(cmd);
	if (sc)
		return sc->run(argc - 1, argv + 1);
	fprintf(stderr, "flamekit: '%s' is not a flamekit command\n\n", cmd);
	usage(stderr);
	return 2;
}
