/* python_offsets.h: where CPython keeps what a sampler needs (the interpreter list, each
 * thread's current frame, a frame's code object and instruction, a code object's names
 * and line table, strings), as byte offsets into its structs, per minor version. 3.9 to
 * 3.12 come from a table written from those releases' headers (python_offsets.c says
 * which header and field each number is); 3.13 publishes its own offsets at the start of
 * _PyRuntime (_Py_DebugOffsets), which are read from the process and checked. */
#ifndef FK_PYTHON_OFFSETS_H
#define FK_PYTHON_OFFSETS_H

#include "../util/common.h"

enum { FK_PY_NONE = -1 }; /* a field this version does not have */

typedef struct fk_py_offsets {
	int minor; /* 3.minor */
	/* _PyRuntimeState */
	int32_t runtime_interpreters_head; /* interpreters.head */
	int32_t runtime_gil_locked, runtime_gil_holder; /* ceval.gil (3.9-3.11) */
	/* PyInterpreterState */
	int32_t interp_next, interp_threads_head;
	int32_t interp_ceval_gil;      /* ceval.gil: the GIL this interpreter uses (3.12+) */
	int32_t gil_locked, gil_holder; /* in struct _gil_runtime_state (3.12+) */
	/* PyThreadState */
	int32_t tstate_next, tstate_interp;
	int32_t tstate_frame; /* frame (PyFrameObject *, 3.9/3.10), cframe (_PyCFrame *,
			       * 3.11/3.12), current_frame (_PyInterpreterFrame *, 3.13) */
	int32_t cframe_current_frame; /* _PyCFrame.current_frame (3.11/3.12) */
	int32_t tstate_thread_id, tstate_native_thread_id; /* native: 3.11+ */
	/* the frame: PyFrameObject (3.9/3.10) or _PyInterpreterFrame (3.11+) */
	int32_t frame_previous; /* f_back / previous */
	int32_t frame_code;     /* f_code / f_executable */
	int32_t frame_instr;    /* f_lasti (int: bytes in 3.9, code units in 3.10),
				 * prev_instr (3.11/3.12), instr_ptr (3.13) */
	int32_t frame_is_entry; /* 3.11: first frame of its _PyEval_EvalFrameDefault call */
	int32_t frame_owner;    /* 3.11+: FRAME_OWNED_BY_CSTACK (3) marks an entry shim */
	/* PyCodeObject */
	int32_t code_filename, code_name, code_firstlineno;
	int32_t code_linetable; /* co_lnotab (3.9), co_linetable (3.10+) */
	int32_t code_adaptive;  /* co_code_adaptive: the instructions (3.11+) */
	/* objects */
	int32_t object_type;      /* ob_type */
	int32_t bytes_size, bytes_data;   /* ob_size, ob_sval */
	int32_t unicode_length, unicode_state;
	int32_t unicode_ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data follows */
	int32_t unicode_compact_size; /* sizeof(PyCompactUnicodeObject): other compact data */
} fk_py_offsets;

/* The table's entry for 3.minor (9 to 12; 13 as the headers of 3.13.0 give it, for
 * checking what _Py_DebugOffsets says), or NULL. */
const fk_py_offsets *fk_py_offsets_table(int minor);

/* Fills o from the _Py_DebugOffsets at the start of a 3.13 _PyRuntime (raw: its bytes,
 * len of them). Returns 0, or -1 with err (not the cookie, another layout, values out of
 * range). *version receives its PY_VERSION_HEX. */
int fk_py_offsets_from_debug(const void *raw, size_t len, fk_py_offsets *o, uint32_t *version,
			     fk_error *err);

/* Bytes of _Py_DebugOffsets to read for fk_py_offsets_from_debug. */
enum { FK_PY_DEBUG_OFFSETS_SIZE = 8 * 80 };

/* Prints the table's entry as "name value" lines (for the check against the headers). */
void fk_py_offsets_print(const fk_py_offsets *o, FILE *out);

#endif
