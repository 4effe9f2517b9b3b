#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_MINOR_VERSION >= 11
#include "internal/pycore_frame.h"
#else
#include <frameobject.h>
#endif
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#define P(k, v) printf("%s %ld\n", k, (long)(v))
int main(void) {
	P("runtime_interpreters_head", offsetof(_PyRuntimeState, interpreters.head));
#if PY_MINOR_VERSION <= 10
	P("runtime_gil_locked", offsetof(_PyRuntimeState, ceval.gil.locked));
	P("runtime_gil_holder", offsetof(_PyRuntimeState, ceval.gil.last_holder));
	P("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
#elif PY_MINOR_VERSION == 11
	P("runtime_gil_locked", offsetof(_PyRuntimeState, ceval.gil.locked));
	P("runtime_gil_holder", offsetof(_PyRuntimeState, ceval.gil.last_holder));
	P("interp_threads_head", offsetof(PyInterpreterState, threads.head));
#else
	P("interp_threads_head", offsetof(PyInterpreterState, threads.head));
	P("interp_ceval_gil", offsetof(PyInterpreterState, ceval.gil));
	P("gil_locked", offsetof(struct _gil_runtime_state, locked));
	P("gil_holder", offsetof(struct _gil_runtime_state, last_holder));
#endif
	P("interp_next", offsetof(PyInterpreterState, next));
	P("tstate_next", offsetof(PyThreadState, next));
	P("tstate_interp", offsetof(PyThreadState, interp));
#if PY_MINOR_VERSION <= 10
	P("tstate_frame", offsetof(PyThreadState, frame));
	P("frame_previous", offsetof(PyFrameObject, f_back));
	P("frame_code", offsetof(PyFrameObject, f_code));
	P("frame_instr", offsetof(PyFrameObject, f_lasti));
#else
#if PY_MINOR_VERSION <= 12
	P("tstate_frame", offsetof(PyThreadState, cframe));
	P("cframe_current_frame", offsetof(_PyCFrame, current_frame));
#else
	P("tstate_frame", offsetof(PyThreadState, current_frame));
#endif
	P("frame_previous", offsetof(_PyInterpreterFrame, previous));
#if PY_MINOR_VERSION <= 12
	P("frame_code", offsetof(_PyInterpreterFrame, f_code));
	P("frame_instr", offsetof(_PyInterpreterFrame, prev_instr));
#else
	P("frame_code", offsetof(_PyInterpreterFrame, f_executable));
	P("frame_instr", offsetof(_PyInterpreterFrame, instr_ptr));
#endif
#if PY_MINOR_VERSION == 11
	P("frame_is_entry", offsetof(_PyInterpreterFrame, is_entry));
#endif
	P("frame_owner", offsetof(_PyInterpreterFrame, owner));
	P("code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
#endif
	P("tstate_thread_id", offsetof(PyThreadState, thread_id));
#if PY_MINOR_VERSION >= 11
	P("tstate_native_thread_id", offsetof(PyThreadState, native_thread_id));
#endif
	P("code_filename", offsetof(PyCodeObject, co_filename));
	P("code_name", offsetof(PyCodeObject, co_name));
	P("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
#if PY_MINOR_VERSION == 9
	P("code_linetable", offsetof(PyCodeObject, co_lnotab));
#else
	P("code_linetable", offsetof(PyCodeObject, co_linetable));
#endif
	P("object_type", offsetof(PyObject, ob_type));
	P("bytes_size", offsetof(PyVarObject, ob_size));
	P("bytes_data", offsetof(PyBytesObject, ob_sval));
	P("unicode_length", offsetof(PyASCIIObject, length));
	P("unicode_state", offsetof(PyASCIIObject, state));
	P("unicode_ascii_size", sizeof(PyASCIIObject));
	P("unicode_compact_size", sizeof(PyCompactUnicodeObject));
	return 0;
}
