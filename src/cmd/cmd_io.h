/* cmd_io.h: what the subcommands share around their own work: the options for input and
 * output, reading inputs into a profile with the warnings printed, and writing an output
 * whole or not at all. */
#ifndef FK_CMD_IO_H
#define FK_CMD_IO_H

#include "../input/load.h"
#include "../util/options.h"

#define CMD_OPTION_OUTPUT(id) \
	{"output", 'o', true, (id), "FILE", "write to FILE (whole or not at all) instead of stdout"}
#define CMD_OPTION_FORMAT(id) \
	{"format", 0, true, (id), "FMT", "input format: auto (default), perf, dtrace, folded"}
#define CMD_OPTION_QUIET(id) {"quiet", 'q', false, (id), NULL, "no warnings about the input"}

/* --format's value. Unknown: prints a message and returns -1. */
int cmd_parse_format(const char *prog, const char *arg, fk_format *format);

/* Reads paths into profile. Prints the input warnings (unless quiet) and, on failure, the
 * error naming the file. Returns 0 or -1. */
int cmd_load(const char *prog, const char *const *paths, size_t npaths,
	     const fk_load_options *options, bool quiet, fk_profile *profile,
	     fk_load_stats *stats);

/* Writes to path (NULL or "-": stdout) with write(out, ctx, err), through a temporary file
 * renamed into place. Returns write's result (>= 0), or -1 after printing the error (the
 * destination is then untouched). */
typedef int (*cmd_write_fn)(FILE *out, void *ctx, fk_error *err);
int cmd_write_output(const char *prog, const char *path, cmd_write_fn write, void *ctx);

#endif
