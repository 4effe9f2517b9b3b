/* cmd_io.h: what the subcommands share around their own work: the options for input and
 * output, reading inputs into a profile with the warnings printed, and writing an output
 * whole or not at all. */
#ifndef FK_CMD_IO_H
#define FK_CMD_IO_H

#include <signal.h>

#include "../input/load.h"
#include "../output/output_format.h"
#include "../util/options.h"

#define CMD_OPTION_OUTPUT(id) \
	{"output", 'o', true, (id), "FILE", "write to FILE (whole or not at all) instead of stdout"}
#define CMD_OPTION_FORMAT(id) \
	{"format", 0, true, (id), "FMT", "input format: auto (default: by content), perf, dtrace, folded, perf-data, pprof, speedscope, cpuprofile"}
#define CMD_OPTION_SAMPLE_TYPE(id) \
	{"sample-type", 0, true, (id), "NAME", "pprof input: the sample type to read (default: the profile's default, else the first)"}
#define CMD_OPTION_QUIET(id) {"quiet", 'q', false, (id), NULL, "no warnings about the input"}

/* How frames from perf samples are named (stackcollapse-perf.pl's options), shared by
 * collapse (perf script text) and record: ids from CMD_NAMING_FIRST, help text prefixed
 * with prefix (a string literal). */
enum {
	CMD_NAMING_FIRST = 900,
	CMD_NAMING_PID,
	CMD_NAMING_TID,
	CMD_NAMING_KERNEL,
	CMD_NAMING_JIT,
	CMD_NAMING_ALL,
	CMD_NAMING_ADDRS,
	CMD_NAMING_INLINE,
	CMD_NAMING_CONTEXT,
	CMD_NAMING_LAST,
};
#define CMD_NAMING_OPTIONS(prefix) \
	{"pid", 0, false, CMD_NAMING_PID, NULL, prefix "include the PID with process names"}, \
	{"tid", 0, false, CMD_NAMING_TID, NULL, prefix "include the PID and TID with process names"}, \
	{"kernel", 0, false, CMD_NAMING_KERNEL, NULL, prefix "annotate kernel functions with _[k]"}, \
	{"jit", 0, false, CMD_NAMING_JIT, NULL, prefix "annotate JIT functions with _[j]"}, \
	{"all", 0, false, CMD_NAMING_ALL, NULL, prefix "all annotations (--kernel --jit)"}, \
	{"addrs", 0, false, CMD_NAMING_ADDRS, NULL, prefix "include raw addresses where symbols are unknown"}, \
	{"inline", 0, false, CMD_NAMING_INLINE, NULL, prefix "expand inlined functions (DWARF, via libdw)"}, \
	{"context", 0, false, CMD_NAMING_CONTEXT, NULL, prefix "with --inline, add source file:line"}

/* The inputs of the commands that read profiles of any format and may filter them
 * (convert, top): the options below (ids from CMD_INPUT_FIRST, with the naming options)
 * fill a cmd_input; cmd_input_load reads and filters. */
enum {
	CMD_INPUT_FIRST = 800,
	CMD_INPUT_FORMAT,
	CMD_INPUT_SAMPLE_TYPE,
	CMD_INPUT_EVENT_FILTER,
	CMD_INPUT_THREADS,
	CMD_INPUT_QUIET,
	CMD_INPUT_FOCUS,
	CMD_INPUT_IGNORE,
	CMD_INPUT_LAST,
};
#define CMD_INPUT_OPTIONS \
	CMD_OPTION_FORMAT(CMD_INPUT_FORMAT), \
	CMD_OPTION_SAMPLE_TYPE(CMD_INPUT_SAMPLE_TYPE), \
	{"event-filter", 0, true, CMD_INPUT_EVENT_FILTER, "EVENT", "perf: keep only samples of EVENT (default: the first seen)"}, \
	{"threads", 'j', true, CMD_INPUT_THREADS, "N", "parse text input on N threads (default 1)"}, \
	{"focus", 0, true, CMD_INPUT_FOCUS, "REGEX", "keep only samples with a frame matching REGEX (POSIX extended)"}, \
	{"ignore", 0, true, CMD_INPUT_IGNORE, "REGEX", "drop samples with a frame matching REGEX (after --focus)"}, \
	CMD_OPTION_QUIET(CMD_INPUT_QUIET), \
	CMD_NAMING_OPTIONS("perf: ")

typedef struct cmd_input {
	fk_load_options load;
	bool quiet;
	const char *focus, *ignore;
	const char **paths; /* the operands ("-" if none, once loaded) */
	size_t npaths;
} cmd_input;

/* Ready for argc arguments. */
void cmd_input_init(cmd_input *in, int argc);
void cmd_input_free(cmd_input *in);
/* Takes option id (an input or naming option, or an operand: FK_OPT_OPERAND). Returns 1
 * if taken, 0 if id is none of them, or -1 after printing why arg is bad (exit 2). */
int cmd_input_option(const char *prog, cmd_input *in, int id, const char *arg);
/* Reads the inputs into a new profile and applies --focus/--ignore. Returns it, or NULL
 * after printing the error (*status: 2 for a bad regex, 1 for an input that cannot be
 * read). *before_filter (may be NULL) receives the total before filtering. */
fk_profile *cmd_input_load(const char *prog, cmd_input *in, double *before_filter,
			   int *status);

/* Takes a naming option; false if id is not one. */
bool cmd_naming_option(int id, fk_perf_options *naming);

/* Says that option opt (as typed: "--width", "-F") wants want, not value. Returns 2, the
 * usage-error exit status. */
int cmd_bad_value(const char *prog, const char *opt, const char *value, const char *want);

/* -p's value, "PID[,PID...]": *pids (malloc'd) and *npids. Returns 0, or 2 after saying
 * what is wrong (the usage-error exit status). */
int cmd_parse_pids(const char *prog, const char *text, int **pids, size_t *npids);

/* An fk_log_fn printing "PROG: message" on stderr; ctx is the program name (a string). */
void cmd_log_line(void *prog, const char *message);

/* The signal that asked a sampling command to stop (SIGINT, SIGTERM), 0 until then. */
extern volatile sig_atomic_t cmd_stop_signal;
/* SIGINT and SIGTERM set cmd_stop_signal; child: SIGCHLD interrupts waits too (the loop
 * then reaps the command); ignore_pipe: SIGPIPE is ignored (a peer closing a connection
 * must not kill the process). */
void cmd_catch_stop_signals(bool child, bool ignore_pipe);

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

/* Writes profile to path (NULL or "-": stdout) in options->format, whole or not at all.
 * Returns 0, or -1 after printing the error. */
int cmd_write_profile(const char *prog, const char *path, const fk_profile *profile,
		      const fk_output_options *options);

#endif
