/* dump.c: `flamekit dump -p PID`: prints every thread's current Python stack once, as
 * py-spy dump does, read from outside the process (src/symbol/python.h). Options and
 * printing only. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sample/pythreads.h"
#include "../symbol/python.h"
#include "../util/options.h"
#include "cmd.h"
#include "cmd_io.h"

enum { OPT_HELP = 1, OPT_PID, OPT_FULL_FILENAMES, OPT_NO_LINENO, OPT_BLOCKING };

static const fk_option dump_options[] = {
	{"pid", 'p', true, OPT_PID, "PID", "the Python process"},
	{"full-filenames", 0, false, OPT_FULL_FILENAMES, NULL, "show whole file paths"},
	{"no-lineno", 0, false, OPT_NO_LINENO, NULL, "no line numbers"},
	{"blocking", 0, false, OPT_BLOCKING, NULL, "stop the threads while reading (exact stacks)"},
	{"help", 'h', false, OPT_HELP, NULL, "show this help"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flamekit dump -p PID\n\n"
		     "Prints the Python call stack of every thread of a running CPython 3.9-3.13\n"
		     "process once, innermost frame first (as py-spy dump does). The process is not\n"
		     "stopped unless --blocking.\n\n");
	fk_options_print(out, dump_options, FK_ARRAY_LEN(dump_options));
}

static void read_text(const char *path, char *buf, size_t cap, bool spaces)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0' || (buf[i] == '\n' && spaces))
			buf[i] = ' ';
}

int cmd_dump(int argc, char **argv)
{
	const char *prog = "flamekit dump";
	fk_error err = {{0}};
	fk_option_parser op;
	fk_options_init(&op, dump_options, FK_ARRAY_LEN(dump_options), argc, argv);
	unsigned long pid = 0;
	bool full = false, lineno = true, blocking = false;
	int id;
	while ((id = fk_options_next(&op, &err)) != FK_OPT_END) {
		switch (id) {
		case FK_OPT_ERROR:
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			usage(stderr);
			return 2;
		case FK_OPT_OPERAND:
			fprintf(stderr, "%s: unexpected argument '%s'\n", prog, op.arg);
			usage(stderr);
			return 2;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_PID:
			if (fk_parse_uint(op.arg, 1, 0x3fffffff, &pid) < 0)
				return cmd_bad_value(prog, "-p", op.arg, "a process id");
			break;
		case OPT_FULL_FILENAMES:
			full = true;
			break;
		case OPT_NO_LINENO:
			lineno = false;
			break;
		case OPT_BLOCKING:
			blocking = true;
			break;
		}
	}
	if (!pid) {
		fprintf(stderr, "%s: give the process: -p PID\n", prog);
		usage(stderr);
		return 2;
	}
	fk_python *py = fk_python_attach((int)pid, &err);
	if (!py) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return 1;
	}
	enum { MAX_THREADS = 4096, MAX_DEPTH = 512 };
	fk_py_thread *threads = fk_xcalloc(MAX_THREADS, sizeof(*threads));
	fk_py_frame *frames = fk_xcalloc(MAX_DEPTH, sizeof(*frames));
	fk_thread_stopper stopper;
	fk_thread_stopper_init(&stopper);
	int status = 0;
	int n = fk_python_threads(py, threads, MAX_THREADS, &err);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		status = 1;
		goto out;
	}
	/* states first: a stopped thread looks idle */
	fk_thread_state *states = fk_xcalloc((size_t)n + 1, sizeof(*states));
	for (int i = 0; i < n; i++)
		states[i] = threads[i].tid > 0 ? fk_thread_state_read((int)pid, threads[i].tid)
					       : FK_THREAD_UNKNOWN;
	if (blocking && fk_thread_stopper_stop(&stopper, (int)pid, &err) < 0) {
		free(states);
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		status = 1;
		goto out;
	}
	/* every stack is read before anything is printed (and the threads, with
	 * --blocking, let go) */
	char path[96], cmdline[1024], comm[64], name[4096];
	char *text = NULL;
	size_t text_len = 0;
	FILE *mem = open_memstream(&text, &text_len);
	if (!mem) {
		free(states);
		fk_thread_stopper_resume(&stopper);
		fprintf(stderr, "%s: out of memory\n", prog);
		status = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		size_t depth = fk_python_stack(py, threads[i].tstate, frames, MAX_DEPTH);
		int tid = threads[i].tid;
		fk_thread_state ts = states[i];
		comm[0] = '\0';
		if (tid > 0) {
			snprintf(path, sizeof(path), "/proc/%lu/task/%d/comm", pid, tid);
			read_text(path, comm, sizeof(comm), true);
		}
		fprintf(mem, "\nThread %d (%s%s)%s%s%s\n", tid,
		       ts == FK_THREAD_RUNNING ? "active" : ts == FK_THREAD_UNKNOWN ? "unknown" : "idle",
		       threads[i].holds_gil ? "+gil" : "", comm[0] ? ": \"" : "", comm, comm[0] ? "\"" : "");
		for (size_t d = 0; d < depth; d++)
			fprintf(mem, "    %s\n",
				fk_python_frame_name(py, &frames[d], full, lineno, name, sizeof(name)));
	}
	fclose(mem);
	free(states);
	fk_thread_stopper_resume(&stopper);
	snprintf(path, sizeof(path), "/proc/%lu/cmdline", pid);
	read_text(path, cmdline, sizeof(cmdline), true);
	printf("Process %lu: %s\n", pid, cmdline);
	printf("Python v%s (%s)\n", fk_python_version(py), fk_python_binary(py));
	fwrite(text, 1, text_len, stdout);
	free(text);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output: %s\n", prog, strerror(errno));
		status = 1;
	}
out:
	fk_thread_stopper_free(&stopper);
	free(threads);
	free(frames);
	fk_python_free(py);
	return status;
}
