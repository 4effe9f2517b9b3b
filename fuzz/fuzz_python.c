/* fuzz_python.c: libFuzzer target for the CPython frame reader (src/symbol/python.c,
 * src/symbol/python_offsets.c). The input is a process's memory: a 6-byte header, then
 * the image, copied to an exactly sized buffer and mapped at FZ_BASE (every other
 * address is unmapped). The header:
 *   byte 0     the version: 3.(9 + byte % 5); 3.13 reads _Py_DebugOffsets at the runtime
 *   bytes 1-2  the runtime's offset in the image (little-endian)
 *   byte 3     flags: 1: PyCode_Type at the offset of bytes 4-5 (frames whose code object
 *              is of another type are skipped); 2: (3.13) a valid _Py_DebugOffsets is
 *              written at the runtime over the image's bytes, so that the walk itself is
 *              fuzzed (without it the fuzzer has to build one); 4: frame names with the
 *              file name shortened (looked up in the file system) instead of in full;
 *              8: frame names without line numbers
 *   bytes 4-5  PyCode_Type's offset in the image
 * The reader lists the threads and each thread's stack and names every frame; the line
 * decoders also run on the image's bytes. Checked: counts within their caps, every
 * frame with a function and a file name, names NUL-terminated inside their buffer and
 * free of ';' and newlines. Anything else aborts, as a crash would. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/symbol/python.h"
#include "../src/symbol/python_offsets.h"

#define FZ_BASE 0x10000u

enum { FZ_HEADER = 6, FZ_MAX_THREADS = 16, FZ_MAX_FRAMES = 256 };

typedef struct fz_memory {
	const uint8_t *p;
	size_t len;
} fz_memory;

static int fz_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const fz_memory *m = ctx;
	if (addr < FZ_BASE)
		return -1;
	uint64_t off = addr - FZ_BASE;
	if (off > m->len || len > m->len - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* A valid _Py_DebugOffsets of 3.13.0: the cookie, then these uint64_t fields in the
 * order fk_py_offsets_from_debug reads them (src/symbol/python_offsets.c, D_*), with the
 * offsets of the 3.13 table entry where the reader uses them. */
static const uint64_t fz_debug_offsets[] = {
	0,          /* the cookie's place */
	0x030d00f0, /* version */
	0,          /* free_threaded */
	1024, 600, 632,  /* runtime: size, finalizing, interpreters.head */
	8192, 7272, 7264, 7344, 1000, 2000, 2008, 2016, 16, 3000, 3040, 3016, 3008,
	/* interpreter: size, id, next, threads.head, gc, imports.modules, sysdict, builtins,
	 * ceval.gil, _gil, _gil.enabled, _gil.locked, _gil.last_holder */
	512, 0, 8, 16, 72, 152, 160, 200, 208,
	/* thread state: size, prev, next, interp, current_frame, thread_id,
	 * native_thread_id, datastack_chunk, status */
	80, 8, 0, 56, 72, 70, /* frame: size, previous, executable, instr_ptr, localsplus, owner */
	224, 112, 120, 128, 136, 68, 48, 96, 104, 200,
	/* code: size, filename, name, qualname, linetable, firstlineno, argcount,
	 * localsplusnames, localspluskinds, co_code_adaptive */
	16, 8,           /* object: size, ob_type */
	416, 24, 88, 168, /* type */
	32, 24, 16,      /* tuple */
	40, 24, 16,      /* list */
	48, 32, 40,      /* dict */
	24, 16,          /* float */
	32, 16, 24,      /* long */
	40, 16, 32,      /* bytes: size, ob_size, ob_sval */
	56, 32, 16, 40,  /* unicode: size, state, length, asciiobject_size */
	400, 300,        /* gc */
};

_Static_assert(sizeof(fz_debug_offsets) == 73 * sizeof(uint64_t), "every field of _Py_DebugOffsets read");
_Static_assert(sizeof(fz_debug_offsets) <= FK_PY_DEBUG_OFFSETS_SIZE, "inside what is read");

static void fz_check_name(const char *name, size_t cap)
{
	size_t len = strnlen(name, cap);
	if (len == cap)
		abort(); /* not terminated inside the buffer */
	for (size_t i = 0; i < len; i++)
		if (name[i] == ';' || name[i] == '\n' || name[i] == '\r')
			abort(); /* would break a folded stack */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FZ_HEADER)
		return 0;
	int minor = 9 + data[0] % 5;
	uint64_t runtime_off = (uint64_t)data[1] | (uint64_t)data[2] << 8;
	unsigned flags = data[3];
	uint64_t code_type_off = (uint64_t)data[4] | (uint64_t)data[5] << 8;
	size_t len = size - FZ_HEADER;
	uint8_t *image = malloc(len ? len : 1);
	if (!image)
		abort();
	if (len)
		memcpy(image, data + FZ_HEADER, len);
	if (minor == 13 && (flags & 2) && runtime_off <= len &&
	    len - runtime_off >= sizeof(fz_debug_offsets)) {
		memcpy(image + runtime_off, fz_debug_offsets, sizeof(fz_debug_offsets));
		memcpy(image + runtime_off, "xdebugpy", 8);
	}
	fz_memory mem = {image, len};

	/* the line decoders on the raw bytes */
	int first = (int)(runtime_off & 0x3fff) - 8;
	int addr = (int)code_type_off - 16;
	(void)fk_py_line_39(image, len, first, addr);
	(void)fk_py_line_310(image, len, first, addr);
	(void)fk_py_line_311(image, len, first, addr);

	fk_error err;
	uint64_t code_type = (flags & 1) ? FZ_BASE + code_type_off : 0;
	fk_python *py = fk_python_from_memory(fz_read, &mem, minor, FZ_BASE + runtime_off, code_type, &err);
	if (!py) {
		if (!err.msg[0])
			abort(); /* a failure says why */
		free(image);
		return 0;
	}
	fk_py_thread threads[FZ_MAX_THREADS];
	int n = fk_python_threads(py, threads, FZ_MAX_THREADS, &err);
	if (n > FZ_MAX_THREADS)
		abort();
	fk_py_frame frames[FZ_MAX_FRAMES];
	char name[512];
	for (int i = 0; i < n; i++) {
		size_t depth = fk_python_stack(py, threads[i].tstate, frames, FZ_MAX_FRAMES);
		if (depth > FZ_MAX_FRAMES)
			abort();
		for (size_t d = 0; d < depth; d++) {
			if (!frames[d].function || !frames[d].filename || frames[d].line < 0)
				abort();
			fk_python_frame_name(py, &frames[d], !(flags & 4), !(flags & 8), name, sizeof(name));
			fz_check_name(name, sizeof(name));
		}
		/* a small cap: the first frames again */
		if (fk_python_stack(py, threads[i].tstate, frames, 2) > 2)
			abort();
	}
	fk_python_free(py);
	free(image);
	return 0;
}
