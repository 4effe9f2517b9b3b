/* python.h: the CPython frame reader. Finds the interpreter of a running process
 * (_PyRuntime in the ELF symbols of libpython or the executable, the version from
 * Py_Version, 3.13's _Py_DebugOffsets or the library's name and version string), then
 * reads its threads and each thread's Python call stack straight from the process's
 * memory (process_vm_readv: the process is not stopped). Supports CPython 3.9 to 3.13
 * (python_offsets.h). Everything read is treated as untrusted: chains are bounded, sizes
 * capped, and a read that fails or makes no sense ends the stack, never the reader. */
#ifndef FK_PYTHON_H
#define FK_PYTHON_H

#include "../util/common.h"
#include "python_offsets.h"

/* Reads len bytes at addr of the target into buf: 0, or -1 (not mapped, gone). */
typedef int (*fk_py_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

typedef struct fk_py_frame {
	const char *function; /* co_name; the reader keeps it (valid until fk_python_free) */
	const char *filename; /* co_filename, likewise */
	int line;             /* 0 when not known */
	bool entry;           /* the first frame its _PyEval_EvalFrameDefault call ran: each
			       * such frame is one evaluation frame in the native stack */
} fk_py_frame;

typedef struct fk_py_thread {
	uint64_t tstate;    /* PyThreadState address */
	uint64_t thread_id; /* pthread_t */
	int tid;            /* the kernel's thread id; 0 when not known */
	bool holds_gil;
} fk_py_thread;

typedef struct fk_python fk_python;

/* Finds the interpreter in process pid. Errors: not a Python process, a version other
 * than 3.9-3.13, no permission to read its memory. */
fk_python *fk_python_attach(int pid, fk_error *err);

/* A reader over any memory (tests, fuzzing): runtime is _PyRuntime's address; minor
 * selects the table (13: the _Py_DebugOffsets found at runtime); code_type, if not 0, is
 * PyCode_Type's address (frames whose code is of another type are skipped). */
fk_python *fk_python_from_memory(fk_py_read_fn read, void *ctx, int minor, uint64_t runtime,
				 uint64_t code_type, fk_error *err);

void fk_python_free(fk_python *py);

/* "3.11.7" (or "3.9" when only the minor version is known). */
const char *fk_python_version(const fk_python *py);
/* The file _PyRuntime was found in. */
const char *fk_python_binary(const fk_python *py);
int fk_python_pid(const fk_python *py);

/* The interpreters' threads (up to cap; the count is returned, -1 with err if the
 * runtime could not be read, e.g. the process exited). 0 before Python has started. */
int fk_python_threads(fk_python *py, fk_py_thread *out, size_t cap, fk_error *err);

/* The Python stack of the thread whose PyThreadState is at tstate, leaf first (up to
 * cap frames). Returns the count (0: the thread runs no Python code now). */
size_t fk_python_stack(fk_python *py, uint64_t tstate, fk_py_frame *out, size_t cap);

/* The frame as py-spy names it: "function (file:line)" ("function (file)" without
 * lineno; "function (file)" too when the line is not known), the file shortened to its
 * path below the outermost Python package that holds it (py-spy's rule: ".../http/
 * server.py" becomes "http/server.py", "/srv/app.py" "app.py"), unless full_filenames.
 * Characters that would break folded stacks (";", newlines) become ":" and " ".
 * Returns buf. */
const char *fk_python_frame_name(fk_python *py, const fk_py_frame *f, bool full_filenames,
				 bool lineno, char *buf, size_t cap);

/* Line number decoders, exposed for tests: byte offset addr into the code of a code
 * object whose first line is firstlineno, with its line table (co_lnotab of 3.9,
 * co_linetable of 3.10, the location table of 3.11+). 0 when the table has no line
 * there. */
int fk_py_line_39(const uint8_t *table, size_t len, int firstlineno, int addr);
int fk_py_line_310(const uint8_t *table, size_t len, int firstlineno, int addr);
int fk_py_line_311(const uint8_t *table, size_t len, int firstlineno, int addr);

#endif
