/* flamekit.c: the program's entry point; dispatches to a subcommand (src/cmd/). */
#include <stdio.h>
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
	{"collapse", cmd_collapse, "fold perf script / dtrace / folded text into folded stacks"},
	{"diff", cmd_diff, "compare two profiles (difffolded.pl): stack BEFORE AFTER"},
};

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
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(cmd, subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "flamekit: '%s' is not a flamekit command\n\n", cmd);
	usage(stderr);
	return 2;
}
