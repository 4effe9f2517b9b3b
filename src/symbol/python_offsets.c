/* python_offsets.c: CPython's struct layouts, per minor version (see python_offsets.h).
 *
 * Every number is offsetof() or sizeof() in the release named, x86_64, default build
 * (no --with-pydebug, GIL enabled), taken from these headers:
 *   _PyRuntimeState         Include/internal/pycore_runtime.h
 *   struct _gil_runtime_state  Include/internal/pycore_gil.h
 *   PyInterpreterState      Include/internal/pycore_interp.h (ceval: pycore_ceval_state.h)
 *   PyThreadState, _PyCFrame  Include/cpython/pystate.h
 *   PyFrameObject           Include/cpython/frameobject.h (3.9, 3.10)
 *   _PyInterpreterFrame     Include/internal/pycore_frame.h (3.11+)
 *   PyCodeObject            Include/cpython/code.h
 *   PyBytesObject           Include/cpython/bytesobject.h
 *   PyASCIIObject, PyCompactUnicodeObject  Include/cpython/unicodeobject.h
 * of 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0. t/t0060-python.sh compiles a probe
 * (tests/fixtures/py_offsets_probe.c) against each installed interpreter's headers and
 * compares its output with fk_py_offsets_print of this table. */
#include "python_offsets.h"

#include <string.h>

#define N FK_PY_NONE

static const fk_py_offsets table[] = {
	{
		.minor = 9,
		/* _PyRuntimeState: interpreters.head; ceval.gil.{locked,last_holder} */
		.runtime_interpreters_head = 32, .runtime_gil_locked = 368, .runtime_gil_holder = 360,
		/* PyInterpreterState: next, tstate_head */
		.interp_next = 0, .interp_threads_head = 8, .interp_ceval_gil = N,
		.gil_locked = N, .gil_holder = N,
		/* PyThreadState: next, interp, frame, thread_id (no native_thread_id) */
		.tstate_next = 8, .tstate_interp = 16, .tstate_frame = 24, .cframe_current_frame = N,
		.tstate_thread_id = 176, .tstate_native_thread_id = N,
		/* PyFrameObject: f_back, f_code, f_lasti (bytes) */
		.frame_previous = 24, .frame_code = 32, .frame_instr = 104, .frame_is_entry = N,
		.frame_owner = N,
		/* PyCodeObject: co_filename, co_name, co_firstlineno, co_lnotab */
		.code_filename = 104, .code_name = 112, .code_firstlineno = 40, .code_linetable = 120,
		.code_adaptive = N,
		.object_type = 8, .bytes_size = 16, .bytes_data = 32,
		.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 48,
		.unicode_compact_size = 72,
	},
	{
		.minor = 10,
		.runtime_interpreters_head = 32, .runtime_gil_locked = 368, .runtime_gil_holder = 360,
		.interp_next = 0, .interp_threads_head = 8, .interp_ceval_gil = N,
		.gil_locked = N, .gil_holder = N,
		.tstate_next = 8, .tstate_interp = 16, .tstate_frame = 24, .cframe_current_frame = N,
		.tstate_thread_id = 176, .tstate_native_thread_id = N,
		/* PyFrameObject: f_lasti counts code units from 3.10 on */
		.frame_previous = 24, .frame_code = 32, .frame_instr = 96, .frame_is_entry = N,
		.frame_owner = N,
		/* PyCodeObject: co_linetable (PEP 626) */
		.code_filename = 104, .code_name = 112, .code_firstlineno = 40, .code_linetable = 120,
		.code_adaptive = N,
		.object_type = 8, .bytes_size = 16, .bytes_data = 32,
		.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 48,
		.unicode_compact_size = 72,
	},
	{
		.minor = 11,
		.runtime_interpreters_head = 40, .runtime_gil_locked = 376, .runtime_gil_holder = 368,
		/* PyInterpreterState: next, threads.head */
		.interp_next = 0, .interp_threads_head = 16, .interp_ceval_gil = N,
		.gil_locked = N, .gil_holder = N,
		/* PyThreadState: cframe; _PyCFrame: current_frame; native_thread_id */
		.tstate_next = 8, .tstate_interp = 16, .tstate_frame = 56, .cframe_current_frame = 8,
		.tstate_thread_id = 152, .tstate_native_thread_id = 160,
		/* _PyInterpreterFrame: previous, f_code, prev_instr, is_entry, owner */
		.frame_previous = 48, .frame_code = 32, .frame_instr = 56, .frame_is_entry = 68,
		.frame_owner = 69,
		/* PyCodeObject: co_linetable (PEP 657 locations), co_code_adaptive */
		.code_filename = 112, .code_name = 120, .code_firstlineno = 72, .code_linetable = 136,
		.code_adaptive = 184,
		.object_type = 8, .bytes_size = 16, .bytes_data = 32,
		.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 48,
		.unicode_compact_size = 72,
	},
	{
		.minor = 12,
		/* the GIL moved into each interpreter: ceval.gil points at it */
		.runtime_interpreters_head = 40, .runtime_gil_locked = N, .runtime_gil_holder = N,
		.interp_next = 0, .interp_threads_head = 72, .interp_ceval_gil = 384,
		.gil_locked = 16, .gil_holder = 8,
		.tstate_next = 8, .tstate_interp = 16, .tstate_frame = 56, .cframe_current_frame = 0,
		.tstate_thread_id = 136, .tstate_native_thread_id = 144,
		/* _PyInterpreterFrame: f_code, previous, prev_instr, owner */
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_is_entry = N,
		.frame_owner = 70,
		.code_filename = 112, .code_name = 120, .code_firstlineno = 68, .code_linetable = 136,
		.code_adaptive = 192,
		/* PyASCIIObject lost wstr */
		.object_type = 8, .bytes_size = 16, .bytes_data = 32,
		.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 40,
		.unicode_compact_size = 56,
	},
	{
		.minor = 13,
		.runtime_interpreters_head = 632, .runtime_gil_locked = N, .runtime_gil_holder = N,
		.interp_next = 7264, .interp_threads_head = 7344, .interp_ceval_gil = 16,
		.gil_locked = 16, .gil_holder = 8,
		/* PyThreadState: current_frame (no _PyCFrame) */
		.tstate_next = 8, .tstate_interp = 16, .tstate_frame = 72, .cframe_current_frame = N,
		.tstate_thread_id = 152, .tstate_native_thread_id = 160,
		/* _PyInterpreterFrame: f_executable, previous, instr_ptr, owner */
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_is_entry = N,
		.frame_owner = 70,
		.code_filename = 112, .code_name = 120, .code_firstlineno = 68, .code_linetable = 136,
		.code_adaptive = 200,
		.object_type = 8, .bytes_size = 16, .bytes_data = 32,
		.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 40,
		.unicode_compact_size = 56,
	},
};

#undef N

const fk_py_offsets *fk_py_offsets_table(int minor)
{
	for (size_t i = 0; i < FK_ARRAY_LEN(table); i++)
		if (table[i].minor == minor)
			return &table[i];
	return NULL;
}

/* _Py_DebugOffsets of 3.13 (Include/internal/pycore_runtime.h): a cookie, then uint64_t
 * fields in this order. */
enum {
	D_VERSION = 1, D_FREE_THREADED,
	D_RUNTIME_SIZE, D_RUNTIME_FINALIZING, D_RUNTIME_INTERPRETERS_HEAD,
	D_INTERP_SIZE, D_INTERP_ID, D_INTERP_NEXT, D_INTERP_THREADS_HEAD, D_INTERP_GC,
	D_INTERP_IMPORTS_MODULES, D_INTERP_SYSDICT, D_INTERP_BUILTINS, D_INTERP_CEVAL_GIL,
	D_INTERP_GIL_STATE, D_INTERP_GIL_ENABLED, D_INTERP_GIL_LOCKED, D_INTERP_GIL_HOLDER,
	D_TSTATE_SIZE, D_TSTATE_PREV, D_TSTATE_NEXT, D_TSTATE_INTERP, D_TSTATE_CURRENT_FRAME,
	D_TSTATE_THREAD_ID, D_TSTATE_NATIVE_THREAD_ID, D_TSTATE_DATASTACK_CHUNK, D_TSTATE_STATUS,
	D_FRAME_SIZE, D_FRAME_PREVIOUS, D_FRAME_EXECUTABLE, D_FRAME_INSTR_PTR, D_FRAME_LOCALSPLUS,
	D_FRAME_OWNER,
	D_CODE_SIZE, D_CODE_FILENAME, D_CODE_NAME, D_CODE_QUALNAME, D_CODE_LINETABLE,
	D_CODE_FIRSTLINENO, D_CODE_ARGCOUNT, D_CODE_LOCALSPLUSNAMES, D_CODE_LOCALSPLUSKINDS,
	D_CODE_ADAPTIVE,
	D_OBJECT_SIZE, D_OBJECT_TYPE,
	D_TYPE_SIZE, D_TYPE_NAME, D_TYPE_REPR, D_TYPE_FLAGS,
	D_TUPLE_SIZE, D_TUPLE_ITEM, D_TUPLE_OB_SIZE,
	D_LIST_SIZE, D_LIST_ITEM, D_LIST_OB_SIZE,
	D_DICT_SIZE, D_DICT_KEYS, D_DICT_VALUES,
	D_FLOAT_SIZE, D_FLOAT_VAL,
	D_LONG_SIZE, D_LONG_TAG, D_LONG_DIGIT,
	D_BYTES_SIZE, D_BYTES_OB_SIZE, D_BYTES_SVAL,
	D_UNICODE_SIZE, D_UNICODE_STATE, D_UNICODE_LENGTH, D_UNICODE_ASCII_SIZE,
	D_GC_SIZE, D_GC_COLLECTING,
	D_COUNT
};

int fk_py_offsets_from_debug(const void *raw, size_t len, fk_py_offsets *o, uint32_t *version,
			     fk_error *err)
{
	uint64_t d[D_COUNT];
	if (len < sizeof(d) || memcmp(raw, "xdebugpy", 8) != 0)
		return fk_error_set(err, "no _Py_DebugOffsets at the start of _PyRuntime");
	memcpy(d, raw, sizeof(d));
	uint32_t hex = (uint32_t)d[D_VERSION];
	*version = hex;
	if ((hex >> 24) != 3 || ((hex >> 16) & 0xff) != 13)
		return fk_error_set(err, "_Py_DebugOffsets of Python %u.%u: flamekit reads the "
					 "layout of 3.13",
				    hex >> 24, (hex >> 16) & 0xff);
	if (d[D_FREE_THREADED])
		return fk_error_set(err, "free-threaded Python (3.13t) is not supported");
	/* every offset must lie inside its struct, and the structs be of sane sizes */
	static const struct {
		int size, first, last;
	} groups[] = {
		{D_RUNTIME_SIZE, D_RUNTIME_FINALIZING, D_RUNTIME_INTERPRETERS_HEAD},
		{D_INTERP_SIZE, D_INTERP_ID, D_INTERP_GIL_HOLDER},
		{D_TSTATE_SIZE, D_TSTATE_PREV, D_TSTATE_STATUS},
		{D_FRAME_SIZE, D_FRAME_PREVIOUS, D_FRAME_OWNER},
		{D_CODE_SIZE, D_CODE_FILENAME, D_CODE_ADAPTIVE},
		{D_OBJECT_SIZE, D_OBJECT_TYPE, D_OBJECT_TYPE},
		{D_BYTES_SIZE, D_BYTES_OB_SIZE, D_BYTES_SVAL},
		{D_UNICODE_SIZE, D_UNICODE_STATE, D_UNICODE_ASCII_SIZE},
	};
	for (size_t g = 0; g < FK_ARRAY_LEN(groups); g++) {
		uint64_t size = d[groups[g].size];
		if (size == 0 || size > (1u << 20))
			return fk_error_set(err, "_Py_DebugOffsets: a struct size of %llu bytes",
					    (unsigned long long)size);
		for (int i = groups[g].first; i <= groups[g].last; i++)
			if (d[i] > size)
				return fk_error_set(err, "_Py_DebugOffsets: offset %llu past its struct "
							 "(%llu bytes)",
						    (unsigned long long)d[i], (unsigned long long)size);
	}
	if (d[D_INTERP_GIL_LOCKED] < d[D_INTERP_GIL_STATE] ||
	    d[D_INTERP_GIL_HOLDER] < d[D_INTERP_GIL_STATE])
		return fk_error_set(err, "_Py_DebugOffsets: GIL fields outside the GIL");
	*o = (fk_py_offsets){
		.minor = 13,
		.runtime_interpreters_head = (int32_t)d[D_RUNTIME_INTERPRETERS_HEAD],
		.runtime_gil_locked = FK_PY_NONE,
		.runtime_gil_holder = FK_PY_NONE,
		.interp_next = (int32_t)d[D_INTERP_NEXT],
		.interp_threads_head = (int32_t)d[D_INTERP_THREADS_HEAD],
		.interp_ceval_gil = (int32_t)d[D_INTERP_CEVAL_GIL],
		.gil_locked = (int32_t)(d[D_INTERP_GIL_LOCKED] - d[D_INTERP_GIL_STATE]),
		.gil_holder = (int32_t)(d[D_INTERP_GIL_HOLDER] - d[D_INTERP_GIL_STATE]),
		.tstate_next = (int32_t)d[D_TSTATE_NEXT],
		.tstate_interp = (int32_t)d[D_TSTATE_INTERP],
		.tstate_frame = (int32_t)d[D_TSTATE_CURRENT_FRAME],
		.cframe_current_frame = FK_PY_NONE,
		.tstate_thread_id = (int32_t)d[D_TSTATE_THREAD_ID],
		.tstate_native_thread_id = (int32_t)d[D_TSTATE_NATIVE_THREAD_ID],
		.frame_previous = (int32_t)d[D_FRAME_PREVIOUS],
		.frame_code = (int32_t)d[D_FRAME_EXECUTABLE],
		.frame_instr = (int32_t)d[D_FRAME_INSTR_PTR],
		.frame_is_entry = FK_PY_NONE,
		.frame_owner = (int32_t)d[D_FRAME_OWNER],
		.code_filename = (int32_t)d[D_CODE_FILENAME],
		.code_name = (int32_t)d[D_CODE_NAME],
		.code_firstlineno = (int32_t)d[D_CODE_FIRSTLINENO],
		.code_linetable = (int32_t)d[D_CODE_LINETABLE],
		.code_adaptive = (int32_t)d[D_CODE_ADAPTIVE],
		.object_type = (int32_t)d[D_OBJECT_TYPE],
		.bytes_size = (int32_t)d[D_BYTES_OB_SIZE],
		.bytes_data = (int32_t)d[D_BYTES_SVAL],
		.unicode_length = (int32_t)d[D_UNICODE_LENGTH],
		.unicode_state = (int32_t)d[D_UNICODE_STATE],
		.unicode_ascii_size = (int32_t)d[D_UNICODE_ASCII_SIZE],
		/* PyCompactUnicodeObject adds utf8_length and utf8 */
		.unicode_compact_size = (int32_t)d[D_UNICODE_ASCII_SIZE] + 16,
	};
	return 0;
}

void fk_py_offsets_print(const fk_py_offsets *o, FILE *out)
{
#define P(field)                                                                                  \
	do {                                                                                      \
		if (o->field != FK_PY_NONE)                                                       \
			fprintf(out, "%s %ld\n", #field, (long)o->field);                         \
	} while (0)
	P(runtime_interpreters_head);
	P(runtime_gil_locked);
	P(runtime_gil_holder);
	P(interp_threads_head);
	P(interp_ceval_gil);
	P(gil_locked);
	P(gil_holder);
	P(interp_next);
	P(tstate_next);
	P(tstate_interp);
	P(tstate_frame);
	P(cframe_current_frame);
	P(frame_previous);
	P(frame_code);
	P(frame_instr);
	P(frame_is_entry);
	P(frame_owner);
	P(code_adaptive);
	P(tstate_thread_id);
	P(tstate_native_thread_id);
	P(code_filename);
	P(code_name);
	P(code_firstlineno);
	P(code_linetable);
	P(object_type);
	P(bytes_size);
	P(bytes_data);
	P(unicode_length);
	P(unicode_state);
	P(unicode_ascii_size);
	P(unicode_compact_size);
#undef P
}
