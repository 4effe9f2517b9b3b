/* test_python.c: the CPython frame reader (src/symbol/python.c) and its offsets
 * (src/symbol/python_offsets.c), without a Python process:
 *   - the line table decoders of 3.9 (co_lnotab), 3.10 (co_linetable, PEP 626) and 3.11+
 *     (the location table, Objects/locations.md) on hand-built tables whose results are
 *     derived here from the documented formats, on a real 3.11 table, and on every
 *     truncation of them (each table is handed over in an exactly sized heap block, so
 *     SAN=1 catches a read past its end);
 *   - fk_py_offsets_from_debug on a 3.13 _Py_DebugOffsets image made from the table's
 *     3.13 entry, and on broken ones;
 *   - a synthetic process: a byte buffer plays the target's memory (from IMG_BASE up),
 *     holding a _PyRuntime, an interpreter, two thread states, frame chains, code objects,
 *     str and bytes objects laid out with fk_py_offsets_table(minor) for 3.9 to 3.12, and
 *     for 3.13 with a _Py_DebugOffsets image at the runtime's address;
 *   - frame names as py-spy writes them;
 *   - hostile memory: cycles, huge lengths, unmapped and absurd pointers, layouts whose
 *     offsets fall outside what the reader copies, line numbers that would overflow, a
 *     stack cut short (no entry flag made up for its last frame).
 * FK_TEST_ONLY=name runs one test alone. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/symbol/python.h"
#include "../../src/symbol/python_offsets.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef int (*line_fn)(const uint8_t *table, size_t len, int firstlineno, int addr);

/* fn on a copy of table[0..len) in a block of exactly len bytes. */
static int line_exact(line_fn fn, const uint8_t *table, size_t len, int firstlineno, int addr)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, table, len);
	int line = fn(len ? copy : NULL, len, firstlineno, addr);
	free(copy);
	return line;
}

struct line_case {
	int addr, line;
};

static void check_lines(line_fn fn, const uint8_t *table, size_t len, int firstlineno,
			const struct line_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = line_exact(fn, table, len, firstlineno, cases[i].addr);
		if (got != cases[i].line)
			fail_msg("addr %d: line %d, expected %d", cases[i].addr, got, cases[i].line);
	}
}

/* ---- 3.9: co_lnotab ----------------------------------------------------------------- */

/* Pairs (bytecode offset increment, signed line increment); the line of addr is
 * firstlineno plus the increments of every pair whose cumulative offset is <= addr
 * (PyCode_Addr2Line of 3.9). The compiler splits an offset increment over 255 into
 * (255, 0) pairs, and a line increment over 127 into (0, 127) pairs. */
static const uint8_t T39[] = {
	6, 1,      /* offsets 6..: line 6 */
	8, 2,      /* 14..: 8 */
	4, 0xff,   /* 18..: 7 (-1) */
	255, 0,    /* 273..: 7 (an offset increment of 300 split in two pairs) */
	45, 3,     /* 318..: 10 */
	0, 127,    /* 318..: 137 (a line increment of 137 split in two pairs) */
	0, 10,     /* 318..: 147 */
};

static void test_line_39(void **state)
{
	(void)state;
	static const struct line_case cases[] = {
		{-1, 5}, {-1000, 5}, {0, 5}, {5, 5}, {6, 6}, {13, 6}, {14, 8}, {17, 8}, {18, 7},
		{100, 7}, {272, 7}, {273, 7}, {317, 7}, {318, 147}, {319, 147},
		/* past the table: co_lnotab has no end, the last line holds (as in CPython) */
		{5000, 147}, {INT_MAX, 147},
	};
	check_lines(fk_py_line_39, T39, sizeof(T39), 5, cases, FK_ARRAY_LEN(cases));
	/* an empty table: the first line everywhere */
	assert_int_equal(line_exact(fk_py_line_39, T39, 0, 9, 0), 9);
	assert_int_equal(line_exact(fk_py_line_39, T39, 0, 9, 400), 9);
	/* a line <= 0 is "not known" */
	static const uint8_t down[] = {2, 0xfb};
	assert_int_equal(line_exact(fk_py_line_39, down, sizeof(down), 3, 0), 3);
	assert_int_equal(line_exact(fk_py_line_39, down, sizeof(down), 3, 2), 0);
	/* truncated: a half pair at the end is not used; no read past the end (exact
	 * blocks) for every prefix */
	assert_int_equal(line_exact(fk_py_line_39, T39, 3, 5, 20), 6);
	assert_int_equal(line_exact(fk_py_line_39, T39, 4, 5, 20), 8);
	for (size_t len = 0; len <= sizeof(T39); len++)
		for (int addr = -2; addr < 400; addr += 3)
			assert_int_equal(line_exact(fk_py_line_39, T39, len, 5, addr),
					 line_exact(fk_py_line_39, T39, len & ~(size_t)1, 5, addr));
}

/* ---- 3.10: co_linetable (PEP 626) --------------------------------------------------- */

/* Pairs (bytes covered, signed line delta); delta -128 is "no line" and leaves the
 * running line as it was; zero-length pairs only move the line (the compiler's way of
 * writing a delta over 127); a range over 254 bytes is split as (254, delta), (n, 0). */
static const uint8_t T310[] = {
	6, 0,     /* [0,6)     20 */
	0, 127,   /* empty:    147 */
	4, 1,     /* [6,10)    148 */
	4, 0x80,  /* [10,14)   no line */
	8, 0xfd,  /* [14,22)   145 */
	254, 1,   /* [22,276)  146 */
	254, 0,   /* [276,530) 146 */
	2, 0x80,  /* [530,532) no line */
	2, 2,     /* [532,534) 148 */
};

static void test_line_310(void **state)
{
	(void)state;
	static const struct line_case cases[] = {
		{-1, 20}, {-100, 20}, {0, 20}, {5, 20}, {6, 148}, {9, 148}, {10, 0}, {13, 0},
		{14, 145}, {21, 145}, {22, 146}, {275, 146}, {276, 146}, {529, 146}, {530, 0},
		{531, 0}, {532, 148}, {533, 148},
		/* past the table */
		{534, 0}, {10000, 0}, {INT_MAX, 0},
	};
	check_lines(fk_py_line_310, T310, sizeof(T310), 20, cases, FK_ARRAY_LEN(cases));
	assert_int_equal(line_exact(fk_py_line_310, T310, 0, 20, 0), 0);
	assert_int_equal(line_exact(fk_py_line_310, T310, 0, 20, -1), 20);
	static const uint8_t down[] = {4, 0xfb};
	assert_int_equal(line_exact(fk_py_line_310, down, sizeof(down), 1, 0), 0);
	/* truncated: the half pair (4, ...) is not used */
	assert_int_equal(line_exact(fk_py_line_310, T310, 5, 20, 3), 20);
	assert_int_equal(line_exact(fk_py_line_310, T310, 5, 20, 6), 0);
	assert_int_equal(line_exact(fk_py_line_310, T310, 6, 20, 6), 148);
	/* every prefix: the ranges of its whole pairs as in the full table, 0 elsewhere */
	for (size_t len = 0; len <= sizeof(T310); len++) {
		int end = 0;
		for (size_t i = 0; i + 1 < len; i += 2)
			end += T310[i];
		for (int addr = 0; addr < 540; addr++) {
			int want = addr < end ? line_exact(fk_py_line_310, T310, sizeof(T310), 20, addr) : 0;
			assert_int_equal(line_exact(fk_py_line_310, T310, len, 20, addr), want);
		}
	}
}

/* ---- 3.11+: the location table ------------------------------------------------------- */

/* Entries of 1 to 8 code units. The first byte: bit 7 set, a 4-bit code, the length - 1.
 * Codes 0-9: short form (same line, one column byte); 10-12: one-line form (line delta
 * code - 10, two column bytes); 13: no columns (svarint line delta); 14: long form
 * (svarint line delta, varint end line delta, column + 1, end column + 1); 15: no
 * location. varint: 6-bit chunks, least significant first, bit 6 = more follow; svarint:
 * a varint v, the value v >> 1, negative when v & 1. addr is in bytes (2 per unit). */
static const uint8_t T311[] = {
	0xe8, 0x00,                               /* 13, 1 unit, +0:      unit 0      100 */
	0x81, 0x05,                               /* 0 (short), 2 units:  units 1-2   100 */
	0xc8, 0x21,                               /* 9 (short), 1 unit:   unit 3      100 */
	0xd0, 0x04, 0x09,                         /* 10 (one line, +0):   unit 4      100 */
	0xda, 0x01, 0x02,                         /* 11 (+1), 3 units:    units 5-7   101 */
	0xe7, 0x00, 0x03,                         /* 12 (+2), 8 units:    units 8-15  103 */
	0xe9, 0x07,                               /* 13, -3 (v 7):        units 16-17 100 */
	0xf3, 0x50, 0x06, 0x00, 0x05, 0x46, 0x01, /* 14, +200 (v 400 in two bytes), end
						   * line +0, column 4, end column 69:
						   * units 18-21 300 */
	0xf9,                                     /* 15, 2 units:         units 22-23 none */
	0xf0, 0x75, 0x07, 0x00, 0x00, 0x00,       /* 14, -250 (v 501):    unit 24     50 */
	0xe8, 0x50, 0x5c, 0x02,                   /* 13, +5000 (v 10000 in three bytes):
						   * unit 25 5050 */
	0xe8, 0x51, 0x5c, 0x02,                   /* 13, -5000 (v 10001): unit 26     50 */
};

static void test_line_311(void **state)
{
	(void)state;
	static const int per_unit[] = {
		100, 100, 100, 100, 100, 101, 101, 101, 103, 103, 103, 103, 103, 103, 103, 103,
		100, 100, 300, 300, 300, 300, 0, 0, 50, 5050, 50,
	};
	for (int u = 0; u < (int)FK_ARRAY_LEN(per_unit); u++) {
		assert_int_equal(line_exact(fk_py_line_311, T311, sizeof(T311), 100, u * 2), per_unit[u]);
		assert_int_equal(line_exact(fk_py_line_311, T311, sizeof(T311), 100, u * 2 + 1),
				 per_unit[u]);
	}
	static const struct line_case cases[] = {
		{-1, 100}, {-2, 100}, {INT_MIN, 100}, {54, 0}, {55, 0}, {1000, 0}, {INT_MAX, 0},
	};
	check_lines(fk_py_line_311, T311, sizeof(T311), 100, cases, FK_ARRAY_LEN(cases));
	/* every short-form code 0-9 keeps the line */
	uint8_t shorts[20];
	for (int c = 0; c < 10; c++) {
		shorts[2 * c] = (uint8_t)(0x80 | c << 3);
		shorts[2 * c + 1] = 0x10;
	}
	for (int u = 0; u < 10; u++)
		assert_int_equal(line_exact(fk_py_line_311, shorts, sizeof(shorts), 7, u * 2), 7);
	assert_int_equal(line_exact(fk_py_line_311, shorts, sizeof(shorts), 7, 20), 0);
	/* a line <= 0 is "not known" */
	static const uint8_t down[] = {0xe8, 0x0b};
	assert_int_equal(line_exact(fk_py_line_311, down, sizeof(down), 1, 0), 0);
	/* an empty table */
	assert_int_equal(line_exact(fk_py_line_311, T311, 0, 100, 0), 0);
	assert_int_equal(line_exact(fk_py_line_311, T311, 0, 100, -1), 100);
	/* malformed: a byte without bit 7 where an entry starts; a varint that runs off the
	 * end */
	static const uint8_t bad1[] = {0x05, 0xe8, 0x00};
	assert_int_equal(line_exact(fk_py_line_311, bad1, sizeof(bad1), 1, 0), 0);
	static const uint8_t bad2[] = {0xe8, 0x40};
	assert_int_equal(line_exact(fk_py_line_311, bad2, sizeof(bad2), 1, 0), 0);
	static const uint8_t bad3[] = {0xe8, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x01};
	assert_int_equal(line_exact(fk_py_line_311, bad3, sizeof(bad3), 1, 0), 0);
}

/* Every prefix of a location table: a unit whose entry lies wholly inside the prefix
 * keeps its line, the others give 0 (entry starts: the bytes with bit 7 set). */
static void check_311_prefixes(const uint8_t *table, size_t len, int firstlineno)
{
	for (size_t cut = 0; cut <= len; cut++) {
		int unit = 0;
		size_t i = 0;
		while (i < len) {
			size_t next = i + 1;
			while (next < len && !(table[next] & 0x80))
				next++;
			int units = (table[i] & 7) + 1;
			for (int u = unit; u < unit + units; u++) {
				int want = next <= cut ? line_exact(fk_py_line_311, table, len, firstlineno, u * 2)
						       : 0;
				assert_int_equal(line_exact(fk_py_line_311, table, cut, firstlineno, u * 2), want);
			}
			unit += units;
			i = next;
		}
		assert_int_equal(line_exact(fk_py_line_311, table, cut, firstlineno, unit * 2), 0);
	}
}

/* A real table: produced once, offline, by CPython 3.11.7 (python3 on the machine that
 * wrote this test) from this function, compiled as "sample.py" (first line 1):
 *
 *	def sample(n):
 *	    total = 0
 *	    for i in range(n):
 *	        if i % 3 == 0:
 *	            total += i
 *	        else:
 *	            total -= 1
 *	    data = [
 *	        x * 2
 *	        for x in range(n)
 *	    ]
 *	    try:
 *	        total += len(data) // (n - n)
 *	    except ZeroDivisionError:
 *	        total = -total
 *	    very_long_name_..._twenty_seven = total + 1; result = very_long_name_..._seven
 *	    while result > 100:
 *	        result = result - 7
 *	    return (result,
 *	            total)
 *
 * (line 16 spells the name very_long_name_to_push_columns_past_one_hundred_and_twenty_
 * seven, twice). REAL_LT is sample.__code__.co_linetable, REAL_LINES the line of each code
 * unit from sample.__code__.co_lines() (None as 0). The table uses codes 0-4, 8-12, 14
 * and 15, with negative line deltas (the loops). */
static const uint8_t REAL_LT[] = {
	0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c, 0x58,
	0xf0, 0x00, 0x04, 0x05, 0x17, 0xf0, 0x00, 0x04, 0x05, 0x17, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88,
	0x71, 0x89, 0x35, 0x90, 0x41, 0x8a, 0x3a, 0x88, 0x3a, 0xd8, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a,
	0x88, 0x45, 0x88, 0x45, 0xe0, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x88, 0x45, 0x88, 0x45, 0xf0,
	0x02, 0x03, 0x0c, 0x06, 0xf0, 0x00, 0x03, 0x0c, 0x06, 0xe5, 0x11, 0x16, 0x90, 0x71, 0x91, 0x18,
	0x94, 0x18, 0xf0, 0x05, 0x03, 0x0c, 0x06, 0xf1, 0x00, 0x03, 0x0c, 0x06, 0xf4, 0x00, 0x03, 0x0c,
	0x06, 0x80, 0x44, 0xf0, 0x08, 0x03, 0x05, 0x17, 0xd8, 0x08, 0x0d, 0x95, 0x13, 0x90, 0x54, 0x91,
	0x19, 0x94, 0x19, 0x98, 0x71, 0xa0, 0x31, 0x99, 0x75, 0xd1, 0x11, 0x25, 0xd1, 0x08, 0x25, 0x88,
	0x05, 0x88, 0x05, 0xf8, 0xdd, 0x0b, 0x1c, 0xf0, 0x00, 0x01, 0x05, 0x17, 0xf0, 0x00, 0x01, 0x05,
	0x17, 0xf0, 0x00, 0x01, 0x05, 0x17, 0xd8, 0x11, 0x16, 0x90, 0x06, 0x88, 0x05, 0x88, 0x05, 0x88,
	0x05, 0xf0, 0x03, 0x01, 0x05, 0x17, 0xf8, 0xf8, 0xf8, 0xe0, 0x47, 0x4c, 0xc8, 0x71, 0xc1, 0x79,
	0xd0, 0x04, 0x44, 0xf0, 0x00, 0x00, 0x5c, 0x01, 0x5c, 0x02, 0xd0, 0x52, 0x58, 0xd8, 0x0a, 0x10,
	0x90, 0x33, 0x8a, 0x2c, 0x88, 0x2c, 0xd8, 0x11, 0x17, 0x98, 0x21, 0x91, 0x1a, 0x88, 0x06, 0xf0,
	0x03, 0x00, 0x0b, 0x11, 0x90, 0x33, 0x8a, 0x2c, 0x88, 0x2c, 0xe0, 0x0c, 0x12, 0xd8, 0x0c, 0x11,
	0xf0, 0x03, 0x01, 0x0c, 0x13, 0xf0, 0x00, 0x01, 0x05, 0x13,
};
static const int REAL_LINES[] = {
	1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5,
	5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 8, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,
	10, 8, 8, 8, 8, 8, 8, 8, 8, 8, 12, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13,
	13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 0, 14, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15,
	15, 15, 15, 14, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 18, 18, 18,
	18, 18, 17, 17, 17, 17, 17, 17, 19, 20, 19, 19,
};

static void test_line_311_real(void **state)
{
	(void)state;
	assert_int_equal(sizeof(REAL_LT), 234);
	assert_int_equal(FK_ARRAY_LEN(REAL_LINES), 139);
	for (int u = 0; u < (int)FK_ARRAY_LEN(REAL_LINES); u++)
		if (line_exact(fk_py_line_311, REAL_LT, sizeof(REAL_LT), 1, u * 2) != REAL_LINES[u])
			fail_msg("unit %d: line %d, CPython says %d", u,
				 line_exact(fk_py_line_311, REAL_LT, sizeof(REAL_LT), 1, u * 2), REAL_LINES[u]);
	assert_int_equal(line_exact(fk_py_line_311, REAL_LT, sizeof(REAL_LT), 1, 139 * 2), 0);
	assert_int_equal(line_exact(fk_py_line_311, REAL_LT, sizeof(REAL_LT), 1, -1), 1);
}

static void test_line_311_truncated(void **state)
{
	(void)state;
	check_311_prefixes(T311, sizeof(T311), 100);
	check_311_prefixes(REAL_LT, sizeof(REAL_LT), 1);
	/* cut inside the long form of T311 (after 0xf3 0x50): units before it stay */
	size_t in_long = 15 + 2 + 2;
	assert_int_equal(T311[in_long - 2], 0xf3);
	assert_int_equal(line_exact(fk_py_line_311, T311, in_long, 100, 17 * 2), 100);
	assert_int_equal(line_exact(fk_py_line_311, T311, in_long, 100, 18 * 2), 0);
}

/* ---- 3.13: _Py_DebugOffsets --------------------------------------------------------- */

/* The layout fk_py_offsets_from_debug reads (the D_* enum of python_offsets.c, after
 * 3.13's Include/internal/pycore_runtime.h): an 8-byte cookie, then uint64_t fields. */
enum {
	DO_VERSION = 1, DO_FREE_THREADED,
	DO_RUNTIME_SIZE, DO_RUNTIME_FINALIZING, DO_RUNTIME_INTERPRETERS_HEAD,
	DO_INTERP_SIZE, DO_INTERP_ID, DO_INTERP_NEXT, DO_INTERP_THREADS_HEAD, DO_INTERP_GC,
	DO_INTERP_IMPORTS_MODULES, DO_INTERP_SYSDICT, DO_INTERP_BUILTINS, DO_INTERP_CEVAL_GIL,
	DO_INTERP_GIL_STATE, DO_INTERP_GIL_ENABLED, DO_INTERP_GIL_LOCKED, DO_INTERP_GIL_HOLDER,
	DO_TSTATE_SIZE, DO_TSTATE_PREV, DO_TSTATE_NEXT, DO_TSTATE_INTERP, DO_TSTATE_CURRENT_FRAME,
	DO_TSTATE_THREAD_ID, DO_TSTATE_NATIVE_THREAD_ID, DO_TSTATE_DATASTACK_CHUNK, DO_TSTATE_STATUS,
	DO_FRAME_SIZE, DO_FRAME_PREVIOUS, DO_FRAME_EXECUTABLE, DO_FRAME_INSTR_PTR,
	DO_FRAME_LOCALSPLUS, DO_FRAME_OWNER,
	DO_CODE_SIZE, DO_CODE_FILENAME, DO_CODE_NAME, DO_CODE_QUALNAME, DO_CODE_LINETABLE,
	DO_CODE_FIRSTLINENO, DO_CODE_ARGCOUNT, DO_CODE_LOCALSPLUSNAMES, DO_CODE_LOCALSPLUSKINDS,
	DO_CODE_ADAPTIVE,
	DO_OBJECT_SIZE, DO_OBJECT_TYPE,
	DO_TYPE_SIZE, DO_TYPE_NAME, DO_TYPE_REPR, DO_TYPE_FLAGS,
	DO_TUPLE_SIZE, DO_TUPLE_ITEM, DO_TUPLE_OB_SIZE,
	DO_LIST_SIZE, DO_LIST_ITEM, DO_LIST_OB_SIZE,
	DO_DICT_SIZE, DO_DICT_KEYS, DO_DICT_VALUES,
	DO_FLOAT_SIZE, DO_FLOAT_VAL,
	DO_LONG_SIZE, DO_LONG_TAG, DO_LONG_DIGIT,
	DO_BYTES_SIZE, DO_BYTES_OB_SIZE, DO_BYTES_SVAL,
	DO_UNICODE_SIZE, DO_UNICODE_STATE, DO_UNICODE_LENGTH, DO_UNICODE_ASCII_SIZE,
	DO_GC_SIZE, DO_GC_COLLECTING,
	DO_COUNT
};
_Static_assert(DO_COUNT == 73, "the _Py_DebugOffsets fields read");
_Static_assert(DO_COUNT * 8 <= FK_PY_DEBUG_OFFSETS_SIZE, "fits what is read");

enum { GIL_STATE_AT = 3000 }; /* where the image puts interp._gil */

/* The values of a 3.13.0 _Py_DebugOffsets whose fields the reader uses are those of
 * fk_py_offsets_table(13); the others are plausible numbers inside their structs. */
static void debug_fill(uint64_t *d, const fk_py_offsets *t)
{
	memset(d, 0, DO_COUNT * sizeof(*d));
	d[DO_VERSION] = 0x030d00f0; /* 3.13.0 final */
	d[DO_FREE_THREADED] = 0;
	d[DO_RUNTIME_SIZE] = 1024;
	d[DO_RUNTIME_FINALIZING] = 600;
	d[DO_RUNTIME_INTERPRETERS_HEAD] = (uint64_t)t->runtime_interpreters_head;
	d[DO_INTERP_SIZE] = 8192;
	d[DO_INTERP_ID] = 7272;
	d[DO_INTERP_NEXT] = (uint64_t)t->interp_next;
	d[DO_INTERP_THREADS_HEAD] = (uint64_t)t->interp_threads_head;
	d[DO_INTERP_GC] = 1000;
	d[DO_INTERP_IMPORTS_MODULES] = 2000;
	d[DO_INTERP_SYSDICT] = 2008;
	d[DO_INTERP_BUILTINS] = 2016;
	d[DO_INTERP_CEVAL_GIL] = (uint64_t)t->interp_ceval_gil;
	d[DO_INTERP_GIL_STATE] = GIL_STATE_AT;
	d[DO_INTERP_GIL_ENABLED] = GIL_STATE_AT + 40;
	d[DO_INTERP_GIL_LOCKED] = GIL_STATE_AT + (uint64_t)t->gil_locked;
	d[DO_INTERP_GIL_HOLDER] = GIL_STATE_AT + (uint64_t)t->gil_holder;
	d[DO_TSTATE_SIZE] = 512;
	d[DO_TSTATE_PREV] = 0;
	d[DO_TSTATE_NEXT] = (uint64_t)t->tstate_next;
	d[DO_TSTATE_INTERP] = (uint64_t)t->tstate_interp;
	d[DO_TSTATE_CURRENT_FRAME] = (uint64_t)t->tstate_frame;
	d[DO_TSTATE_THREAD_ID] = (uint64_t)t->tstate_thread_id;
	d[DO_TSTATE_NATIVE_THREAD_ID] = (uint64_t)t->tstate_native_thread_id;
	d[DO_TSTATE_DATASTACK_CHUNK] = 200;
	d[DO_TSTATE_STATUS] = 208;
	d[DO_FRAME_SIZE] = 80;
	d[DO_FRAME_PREVIOUS] = (uint64_t)t->frame_previous;
	d[DO_FRAME_EXECUTABLE] = (uint64_t)t->frame_code;
	d[DO_FRAME_INSTR_PTR] = (uint64_t)t->frame_instr;
	d[DO_FRAME_LOCALSPLUS] = 72;
	d[DO_FRAME_OWNER] = (uint64_t)t->frame_owner;
	d[DO_CODE_SIZE] = 224;
	d[DO_CODE_FILENAME] = (uint64_t)t->code_filename;
	d[DO_CODE_NAME] = (uint64_t)t->code_name;
	d[DO_CODE_QUALNAME] = 128;
	d[DO_CODE_LINETABLE] = (uint64_t)t->code_linetable;
	d[DO_CODE_FIRSTLINENO] = (uint64_t)t->code_firstlineno;
	d[DO_CODE_ARGCOUNT] = 48;
	d[DO_CODE_LOCALSPLUSNAMES] = 96;
	d[DO_CODE_LOCALSPLUSKINDS] = 104;
	d[DO_CODE_ADAPTIVE] = (uint64_t)t->code_adaptive;
	d[DO_OBJECT_SIZE] = 16;
	d[DO_OBJECT_TYPE] = (uint64_t)t->object_type;
	d[DO_TYPE_SIZE] = 416;
	d[DO_TYPE_NAME] = 24;
	d[DO_TYPE_REPR] = 88;
	d[DO_TYPE_FLAGS] = 168;
	d[DO_TUPLE_SIZE] = 32;
	d[DO_TUPLE_ITEM] = 24;
	d[DO_TUPLE_OB_SIZE] = 16;
	d[DO_LIST_SIZE] = 40;
	d[DO_LIST_ITEM] = 24;
	d[DO_LIST_OB_SIZE] = 16;
	d[DO_DICT_SIZE] = 48;
	d[DO_DICT_KEYS] = 32;
	d[DO_DICT_VALUES] = 40;
	d[DO_FLOAT_SIZE] = 24;
	d[DO_FLOAT_VAL] = 16;
	d[DO_LONG_SIZE] = 32;
	d[DO_LONG_TAG] = 16;
	d[DO_LONG_DIGIT] = 24;
	d[DO_BYTES_SIZE] = 40;
	d[DO_BYTES_OB_SIZE] = (uint64_t)t->bytes_size;
	d[DO_BYTES_SVAL] = (uint64_t)t->bytes_data;
	d[DO_UNICODE_SIZE] = (uint64_t)t->unicode_compact_size;
	d[DO_UNICODE_STATE] = (uint64_t)t->unicode_state;
	d[DO_UNICODE_LENGTH] = (uint64_t)t->unicode_length;
	d[DO_UNICODE_ASCII_SIZE] = (uint64_t)t->unicode_ascii_size;
	d[DO_GC_SIZE] = 400;
	d[DO_GC_COLLECTING] = 300;
}

/* The bytes of the struct: cookie, then d[1..DO_COUNT). raw holds
 * FK_PY_DEBUG_OFFSETS_SIZE bytes; the rest stays zero. */
static void debug_bytes(uint8_t *raw, const uint64_t *d, const char *cookie)
{
	memset(raw, 0, FK_PY_DEBUG_OFFSETS_SIZE);
	memcpy(raw, cookie, 8);
	for (int i = 1; i < DO_COUNT; i++)
		memcpy(raw + 8 * i, &d[i], 8);
}

/* Every field of fk_py_offsets, for comparisons (the static assert notices a new one). */
#define PY_FIELDS(X)                                                                          \
	X(minor) X(runtime_interpreters_head) X(runtime_gil_locked) X(runtime_gil_holder)     \
	X(interp_next) X(interp_threads_head) X(interp_ceval_gil) X(gil_locked) X(gil_holder) \
	X(tstate_next) X(tstate_interp) X(tstate_frame) X(cframe_current_frame)               \
	X(tstate_thread_id) X(tstate_native_thread_id) X(frame_previous) X(frame_code)        \
	X(frame_instr) X(frame_is_entry) X(frame_owner) X(code_filename) X(code_name)         \
	X(code_firstlineno) X(code_linetable) X(code_adaptive) X(object_type) X(bytes_size)   \
	X(bytes_data) X(unicode_length) X(unicode_state) X(unicode_ascii_size)                \
	X(unicode_compact_size)
#define PY_COUNT_FIELD(f) +1
_Static_assert(sizeof(fk_py_offsets) == 4 * (0 PY_FIELDS(PY_COUNT_FIELD)),
	       "PY_FIELDS lists every field of fk_py_offsets");

static void assert_same_offsets(const fk_py_offsets *a, const fk_py_offsets *b)
{
#define PY_CMP_FIELD(f)                                                                        \
	if ((long)a->f != (long)b->f)                                                          \
		fail_msg("field %s: %ld, expected %ld", #f, (long)a->f, (long)b->f);
	PY_FIELDS(PY_CMP_FIELD)
#undef PY_CMP_FIELD
}

static void test_debug_offsets(void **state)
{
	(void)state;
	const fk_py_offsets *t = fk_py_offsets_table(13);
	assert_non_null(t);
	uint64_t d[DO_COUNT];
	debug_fill(d, t);
	uint8_t raw[FK_PY_DEBUG_OFFSETS_SIZE];
	debug_bytes(raw, d, "xdebugpy");
	fk_py_offsets o;
	memset(&o, 0x5a, sizeof(o));
	uint32_t version = 0;
	fk_error err = {{0}};
	if (fk_py_offsets_from_debug(raw, sizeof(raw), &o, &version, &err) != 0)
		fail_msg("fk_py_offsets_from_debug: %s", err.msg);
	assert_int_equal(version, 0x030d00f0);
	assert_same_offsets(&o, t);
	/* exactly the fields read are enough */
	assert_int_equal(fk_py_offsets_from_debug(raw, DO_COUNT * 8, &o, &version, &err), 0);
	assert_same_offsets(&o, t);
	/* 3.13.5 is 3.13 too */
	d[DO_VERSION] = 0x030d05f0;
	debug_bytes(raw, d, "xdebugpy");
	assert_int_equal(fk_py_offsets_from_debug(raw, sizeof(raw), &o, &version, &err), 0);
	assert_int_equal(version, 0x030d05f0);
	/* the other table entries */
	for (int minor = 9; minor <= 13; minor++) {
		const fk_py_offsets *e = fk_py_offsets_table(minor);
		assert_non_null(e);
		assert_int_equal(e->minor, minor);
	}
	assert_null(fk_py_offsets_table(8));
	assert_null(fk_py_offsets_table(14));
	assert_null(fk_py_offsets_table(0));
	assert_null(fk_py_offsets_table(-1));
}

/* fk_py_offsets_from_debug fails on raw (len bytes) with a message containing want. */
static void expect_debug_error(const uint8_t *raw, size_t len, const char *want)
{
	fk_py_offsets o;
	uint32_t version = 0;
	fk_error err = {{0}};
	assert_int_equal(fk_py_offsets_from_debug(raw, len, &o, &version, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\", expected one with \"%s\"", err.msg, want);
}

/* As expect_debug_error, with d[field] = value in the good image. */
static void expect_debug_field_error(int field, uint64_t value, const char *want)
{
	uint64_t d[DO_COUNT];
	debug_fill(d, fk_py_offsets_table(13));
	d[field] = value;
	uint8_t raw[FK_PY_DEBUG_OFFSETS_SIZE];
	debug_bytes(raw, d, "xdebugpy");
	expect_debug_error(raw, sizeof(raw), want);
}

static void test_debug_offsets_errors(void **state)
{
	(void)state;
	uint64_t d[DO_COUNT];
	debug_fill(d, fk_py_offsets_table(13));
	uint8_t raw[FK_PY_DEBUG_OFFSETS_SIZE];
	debug_bytes(raw, d, "xdebugpz");
	expect_debug_error(raw, sizeof(raw), "no _Py_DebugOffsets");
	debug_bytes(raw, d, "\0\0\0\0\0\0\0\0");
	expect_debug_error(raw, sizeof(raw), "no _Py_DebugOffsets");
	/* too short to hold the fields */
	debug_bytes(raw, d, "xdebugpy");
	expect_debug_error(raw, DO_COUNT * 8 - 1, "no _Py_DebugOffsets");
	expect_debug_error(raw, 8, "no _Py_DebugOffsets");
	/* other versions */
	expect_debug_field_error(DO_VERSION, 0x030c01f0, "3.12");
	expect_debug_field_error(DO_VERSION, 0x030e00a1, "3.14");
	expect_debug_field_error(DO_VERSION, 0x020d00f0, "2.13");
	expect_debug_field_error(DO_VERSION, 0, "0.0");
	expect_debug_field_error(DO_FREE_THREADED, 1, "free-threaded");
	/* an offset past its struct */
	expect_debug_field_error(DO_CODE_NAME, 225, "past its struct");
	expect_debug_field_error(DO_RUNTIME_INTERPRETERS_HEAD, 1025, "past its struct");
	expect_debug_field_error(DO_TSTATE_NATIVE_THREAD_ID, UINT64_MAX, "past its struct");
	expect_debug_field_error(DO_FRAME_OWNER, 81, "past its struct");
	expect_debug_field_error(DO_INTERP_GIL_HOLDER, 8193, "past its struct");
	expect_debug_field_error(DO_UNICODE_ASCII_SIZE, 1u << 30, "past its struct");
	expect_debug_field_error(DO_BYTES_SVAL, 41, "past its struct");
	expect_debug_field_error(DO_OBJECT_TYPE, 17, "past its struct");
	/* struct sizes: zero, huge */
	expect_debug_field_error(DO_FRAME_SIZE, 0, "struct size");
	expect_debug_field_error(DO_TSTATE_SIZE, 1ull << 40, "struct size");
	expect_debug_field_error(DO_CODE_SIZE, UINT64_MAX, "struct size");
	expect_debug_field_error(DO_UNICODE_SIZE, 0, "struct size");
	expect_debug_field_error(DO_RUNTIME_SIZE, (1u << 20) + 1, "struct size");
	/* the GIL's fields before the GIL */
	expect_debug_field_error(DO_INTERP_GIL_LOCKED, GIL_STATE_AT - 8, "GIL");
	expect_debug_field_error(DO_INTERP_GIL_HOLDER, 0, "GIL");
}

/* ---- a synthetic process image -------------------------------------------------------- */

enum { IMG_BASE = 0x10000, IMG_SIZE = 256 * 1024 };

typedef struct img {
	uint8_t *mem;
	uint64_t base;
	size_t size;
	uint64_t next; /* bump allocator */
	unsigned long reads;
} img;

static int img_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	img *m = ctx;
	m->reads++;
	if (addr < m->base)
		return -1;
	uint64_t off = addr - m->base;
	if (off > m->size || len > m->size - off)
		return -1;
	memcpy(buf, m->mem + off, len);
	return 0;
}

static uint8_t *img_ptr(img *m, uint64_t addr, size_t len)
{
	assert_true(addr >= m->base && addr - m->base <= m->size && len <= m->size - (addr - m->base));
	return m->mem + (addr - m->base);
}

static uint64_t img_alloc(img *m, size_t size)
{
	uint64_t a = (m->next + 15) & ~(uint64_t)15;
	assert_true(a + size <= m->base + m->size);
	m->next = a + size;
	return a;
}

static void w64(img *m, uint64_t addr, uint64_t v)
{
	memcpy(img_ptr(m, addr, 8), &v, 8);
}

static void w32(img *m, uint64_t addr, uint32_t v)
{
	memcpy(img_ptr(m, addr, 4), &v, 4);
}

static void w8(img *m, uint64_t addr, uint8_t v)
{
	*img_ptr(m, addr, 1) = v;
}

static void wraw(img *m, uint64_t addr, const void *p, size_t n)
{
	if (n)
		memcpy(img_ptr(m, addr, n), p, n);
}

/* The process: its memory, and where things are in it. */
typedef struct scene {
	img m;
	int minor;
	fk_py_offsets o;
	uint64_t runtime, interp, gil, code_type, str_type, bytes_type;
} scene;

/* An address the image does not map. */
#define UNMAPPED_ADDR ((uint64_t)0x7f1234560000ull)

/* 3.13's _Py_DebugOffsets (fields d) at the runtime. */
static void scene_write_debug(scene *s, const uint64_t *d)
{
	uint8_t raw[FK_PY_DEBUG_OFFSETS_SIZE];
	debug_bytes(raw, d, "xdebugpy");
	/* only the fields: interpreters.head (632) lies inside the 640 bytes read */
	wraw(&s->m, s->runtime, raw, DO_COUNT * 8);
}

/* An image with a runtime and one interpreter (no threads yet); d: the 3.13 debug
 * offsets to write (NULL: from the table). */
static void scene_init_sized(scene *s, int minor, const uint64_t *d, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->minor = minor;
	s->o = *fk_py_offsets_table(minor);
	s->m.mem = calloc(1, size);
	assert_non_null(s->m.mem);
	s->m.base = IMG_BASE;
	s->m.size = size;
	s->m.next = IMG_BASE;
	s->runtime = img_alloc(&s->m, 1024);
	assert_int_equal(s->runtime, IMG_BASE);
	if (minor == 13) {
		uint64_t dd[DO_COUNT];
		if (!d) {
			debug_fill(dd, &s->o);
			d = dd;
		}
		scene_write_debug(s, d);
	}
	s->code_type = img_alloc(&s->m, 64);
	s->str_type = img_alloc(&s->m, 64);
	s->bytes_type = img_alloc(&s->m, 64);
	s->interp = img_alloc(&s->m, 8192);
	w64(&s->m, s->runtime + (uint64_t)s->o.runtime_interpreters_head, s->interp);
	if (s->o.interp_ceval_gil != FK_PY_NONE) {
		s->gil = img_alloc(&s->m, 64);
		w64(&s->m, s->interp + (uint64_t)s->o.interp_ceval_gil, s->gil);
	}
}

static void scene_init_with(scene *s, int minor, const uint64_t *d)
{
	scene_init_sized(s, minor, d, IMG_SIZE);
}

static void scene_init(scene *s, int minor)
{
	scene_init_with(s, minor, NULL);
}

static void scene_free(scene *s)
{
	free(s->m.mem);
	s->m.mem = NULL;
}

static fk_python *scene_reader(scene *s, bool check_type)
{
	fk_error err = {{0}};
	fk_python *py = fk_python_from_memory(img_read, &s->m, s->minor, s->runtime,
					      check_type ? s->code_type : 0, &err);
	if (!py)
		fail_msg("fk_python_from_memory(3.%d): %s", s->minor, err.msg);
	return py;
}

/* The GIL: locked, held by tstate holder. */
static void scene_gil(scene *s, bool locked, uint64_t holder)
{
	if (s->o.runtime_gil_locked != FK_PY_NONE) {
		w32(&s->m, s->runtime + (uint64_t)s->o.runtime_gil_locked, locked);
		w64(&s->m, s->runtime + (uint64_t)s->o.runtime_gil_holder, holder);
	} else {
		w32(&s->m, s->gil + (uint64_t)s->o.gil_locked, locked);
		w64(&s->m, s->gil + (uint64_t)s->o.gil_holder, holder);
	}
}

static uint32_t str_state(unsigned kind, bool compact, bool ascii)
{
	/* interned:2, kind:3, compact:1, ascii:1, ready (3.9-3.11) or statically_allocated */
	return kind << 2 | (compact ? 1u << 5 : 0) | (ascii ? 1u << 6 : 0) | 1u << 7;
}

/* A compact ASCII str. */
static uint64_t mk_ascii(scene *s, const char *text)
{
	const fk_py_offsets *o = &s->o;
	size_t n = strlen(text);
	uint64_t a = img_alloc(&s->m, (size_t)o->unicode_compact_size + n + 1);
	w64(&s->m, a, 1); /* ob_refcnt */
	w64(&s->m, a + (uint64_t)o->object_type, s->str_type);
	w64(&s->m, a + (uint64_t)o->unicode_length, n);
	w64(&s->m, a + 24, (uint64_t)-1); /* hash */
	w32(&s->m, a + (uint64_t)o->unicode_state, str_state(1, true, true));
	wraw(&s->m, a + (uint64_t)o->unicode_ascii_size, text, n + 1);
	return a;
}

/* A compact non-ASCII str of kind 1, 2 or 4 (code points cps[0..n)). */
static uint64_t mk_wide(scene *s, unsigned kind, const uint32_t *cps, size_t n)
{
	const fk_py_offsets *o = &s->o;
	uint64_t a = img_alloc(&s->m, (size_t)o->unicode_compact_size + (n + 1) * kind);
	w64(&s->m, a, 1);
	w64(&s->m, a + (uint64_t)o->object_type, s->str_type);
	w64(&s->m, a + (uint64_t)o->unicode_length, n);
	w32(&s->m, a + (uint64_t)o->unicode_state, str_state(kind, true, false));
	uint64_t data = a + (uint64_t)o->unicode_compact_size;
	for (size_t i = 0; i < n; i++) {
		if (kind == 1)
			w8(&s->m, data + i, (uint8_t)cps[i]);
		else if (kind == 2)
			wraw(&s->m, data + 2 * i, &(uint16_t){(uint16_t)cps[i]}, 2);
		else
			w32(&s->m, data + 4 * i, cps[i]);
	}
	return a;
}

static uint64_t mk_bytes(scene *s, const uint8_t *p, size_t n)
{
	const fk_py_offsets *o = &s->o;
	uint64_t a = img_alloc(&s->m, (size_t)o->bytes_data + n + 1);
	w64(&s->m, a, 1);
	w64(&s->m, a + (uint64_t)o->object_type, s->bytes_type);
	w64(&s->m, a + (uint64_t)o->bytes_size, n);
	wraw(&s->m, a + (uint64_t)o->bytes_data, p, n);
	return a;
}

/* A line table of the scene's version in which code units [0,2) are on the first line,
 * [2,4) on the next and [4,20) two below the first. */
static uint64_t mk_std_linetable(scene *s)
{
	static const uint8_t lnotab39[] = {4, 1, 4, 1};
	static const uint8_t linetable310[] = {4, 0, 4, 1, 32, 1};
	static const uint8_t locations311[] = {0xe9, 0x00, 0xd9, 0, 0, 0xdf, 0, 0, 0xd7, 0, 0};
	if (s->minor == 9)
		return mk_bytes(s, lnotab39, sizeof(lnotab39));
	if (s->minor == 10)
		return mk_bytes(s, linetable310, sizeof(linetable310));
	return mk_bytes(s, locations311, sizeof(locations311));
}

/* A code object: name and filename are str addresses, linetable a bytes address. */
static uint64_t mk_code_str(scene *s, uint64_t name, uint64_t filename, int firstlineno,
			    uint64_t linetable)
{
	const fk_py_offsets *o = &s->o;
	size_t size = 256;
	if (o->code_adaptive != FK_PY_NONE && (size_t)o->code_adaptive + 64 > size)
		size = (size_t)o->code_adaptive + 64;
	uint64_t c = img_alloc(&s->m, size);
	w64(&s->m, c, 1);
	w64(&s->m, c + (uint64_t)o->object_type, s->code_type);
	w64(&s->m, c + (uint64_t)o->code_name, name);
	w64(&s->m, c + (uint64_t)o->code_filename, filename);
	w32(&s->m, c + (uint64_t)o->code_firstlineno, (uint32_t)firstlineno);
	w64(&s->m, c + (uint64_t)o->code_linetable, linetable);
	return c;
}

static uint64_t mk_code(scene *s, const char *name, const char *filename, int firstlineno)
{
	return mk_code_str(s, mk_ascii(s, name), mk_ascii(s, filename), firstlineno, mk_std_linetable(s));
}

/* Sets a frame's instruction to code unit `unit` of code (-1: not started). */
static void set_instr(scene *s, uint64_t frame, uint64_t code, int unit)
{
	const fk_py_offsets *o = &s->o;
	if (s->minor == 9)
		w32(&s->m, frame + (uint64_t)o->frame_instr, (uint32_t)(unit < 0 ? -1 : unit * 2));
	else if (s->minor == 10)
		w32(&s->m, frame + (uint64_t)o->frame_instr, (uint32_t)unit);
	else
		w64(&s->m, frame + (uint64_t)o->frame_instr,
		    code + (uint64_t)o->code_adaptive + (uint64_t)(int64_t)(unit * 2));
}

enum { OWNED_BY_THREAD = 0, OWNED_BY_CSTACK = 3 };

/* A frame: PyFrameObject (3.9/3.10) or _PyInterpreterFrame (3.11+). */
static uint64_t mk_frame(scene *s, uint64_t code, uint64_t previous, int unit, bool is_entry,
			 int owner)
{
	const fk_py_offsets *o = &s->o;
	uint64_t f = img_alloc(&s->m, 128);
	w64(&s->m, f + (uint64_t)o->frame_previous, previous);
	w64(&s->m, f + (uint64_t)o->frame_code, code);
	set_instr(s, f, code, unit);
	if (o->frame_is_entry != FK_PY_NONE)
		w8(&s->m, f + (uint64_t)o->frame_is_entry, is_entry);
	if (o->frame_owner != FK_PY_NONE)
		w8(&s->m, f + (uint64_t)o->frame_owner, (uint8_t)owner);
	return f;
}

/* The C-stack shim frame of 3.12+ (its code: the interpreter's trampoline). */
static uint64_t mk_shim(scene *s, uint64_t previous)
{
	uint64_t code = mk_code(s, "<trampoline>", "<shim>", 0);
	return mk_frame(s, code, previous, 0, false, OWNED_BY_CSTACK);
}

/* Points tstate's frame field at leaf (through a _PyCFrame in 3.11/3.12). */
static void set_tstate_frame(scene *s, uint64_t ts, uint64_t leaf)
{
	const fk_py_offsets *o = &s->o;
	if (o->cframe_current_frame != FK_PY_NONE) {
		uint64_t cframe = img_alloc(&s->m, 32);
		w64(&s->m, cframe + (uint64_t)o->cframe_current_frame, leaf);
		w64(&s->m, ts + (uint64_t)o->tstate_frame, cframe);
	} else {
		w64(&s->m, ts + (uint64_t)o->tstate_frame, leaf);
	}
}

static uint64_t mk_tstate(scene *s, uint64_t next, uint64_t leaf, uint64_t thread_id, uint64_t native)
{
	const fk_py_offsets *o = &s->o;
	uint64_t ts = img_alloc(&s->m, 512);
	w64(&s->m, ts + (uint64_t)o->tstate_next, next);
	w64(&s->m, ts + (uint64_t)o->tstate_interp, s->interp);
	set_tstate_frame(s, ts, leaf);
	w64(&s->m, ts + (uint64_t)o->tstate_thread_id, thread_id);
	if (o->tstate_native_thread_id != FK_PY_NONE)
		w64(&s->m, ts + (uint64_t)o->tstate_native_thread_id, native);
	return ts;
}

static void set_threads_head(scene *s, uint64_t interp, uint64_t ts)
{
	w64(&s->m, interp + (uint64_t)s->o.interp_threads_head, ts);
}

/* ---- the standard process ---- */

#define FILE_MOD "/nonexistent-flamekit-test/pkg/mod.py"
#define FILE_APP "/nonexistent-flamekit-test/app.py"
/* "wörk€r" */
static const uint32_t WORKER_CPS[] = {'w', 0xf6, 'r', 'k', 0x20ac, 'r'};
#define WORKER_UTF8 "w\xc3\xb6rk\xe2\x82\xacr"

typedef struct std_process {
	uint64_t ts1, ts2;
} std_process;

/* Thread 1 runs <module> (app.py, line 1) -> middle (mod.py, line 21) -> inner (mod.py,
 * line 12), leaf first; a frame whose code object is of another type sits between middle
 * and <module>; in 3.12+ C-stack shims sit below inner and below <module>. Thread 2 runs
 * one frame "wörk€r" (a kind-2 name) that has not started (line: its first, 40) and holds
 * the GIL. */
static std_process std_build(scene *s)
{
	std_process p;
	bool shims = s->minor >= 12;
	uint64_t c_module = mk_code(s, "<module>", FILE_APP, 1);
	uint64_t c_middle = mk_code(s, "middle", FILE_MOD, 20);
	uint64_t c_inner = mk_code(s, "inner", FILE_MOD, 10);
	uint64_t c_other = mk_code(s, "not_code", FILE_MOD, 30);
	w64(&s->m, c_other + (uint64_t)s->o.object_type, s->str_type);
	uint64_t f = shims ? mk_shim(s, 0) : 0;
	f = mk_frame(s, c_module, f, 0, true, OWNED_BY_THREAD);
	f = mk_frame(s, c_other, f, 3, false, OWNED_BY_THREAD);
	f = mk_frame(s, c_middle, f, 2, false, OWNED_BY_THREAD);
	if (shims)
		f = mk_shim(s, f);
	f = mk_frame(s, c_inner, f, 5, true, OWNED_BY_THREAD);
	uint64_t leaf1 = f;
	uint64_t c_worker = mk_code_str(s, mk_wide(s, 2, WORKER_CPS, FK_ARRAY_LEN(WORKER_CPS)),
					mk_ascii(s, "worker.py"), 40, mk_std_linetable(s));
	uint64_t leaf2 = mk_frame(s, c_worker, 0, -1, true, OWNED_BY_THREAD);
	p.ts2 = mk_tstate(s, 0, leaf2, 0x7f00000022ull, 5678);
	p.ts1 = mk_tstate(s, p.ts2, leaf1, 0x7f00000011ull, 1234);
	set_threads_head(s, s->interp, p.ts1);
	scene_gil(s, true, p.ts2);
	return p;
}

/* FK_TEST_PY_IMAGES=DIR: writes the image as an input of fuzz/fuzz_python.c (its 6-byte
 * header: version, runtime offset, flags 1 = check PyCode_Type, PyCode_Type's offset),
 * DIR/std-3.MINOR, for a seed corpus. */
static void dump_fuzz_input(const scene *s)
{
	const char *dir = getenv("FK_TEST_PY_IMAGES");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/std-3.%d", dir, s->minor);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	uint64_t rt = s->runtime - s->m.base, ct = s->code_type - s->m.base;
	uint8_t head[6] = {(uint8_t)(s->minor - 9), (uint8_t)rt, (uint8_t)(rt >> 8), 1, (uint8_t)ct,
			   (uint8_t)(ct >> 8)};
	assert_int_equal(fwrite(head, 1, sizeof(head), fp), sizeof(head));
	size_t len = (size_t)(s->m.next - s->m.base);
	assert_int_equal(fwrite(s->m.mem, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void assert_frame(const fk_py_frame *f, const char *function, const char *filename, int line,
			 bool entry)
{
	assert_string_equal(f->function, function);
	assert_string_equal(f->filename, filename);
	assert_int_equal(f->line, line);
	if (f->entry != entry)
		fail_msg("%s: entry %d, expected %d", function, f->entry, entry);
}

static void check_process(int minor)
{
	scene s;
	scene_init(&s, minor);
	std_process p = std_build(&s);
	dump_fuzz_input(&s);
	fk_python *py = scene_reader(&s, true);
	char want_version[8];
	snprintf(want_version, sizeof(want_version), "3.%d", minor);
	assert_string_equal(fk_python_version(py), want_version);
	assert_string_equal(fk_python_binary(py), "(memory)");
	assert_int_equal(fk_python_pid(py), 0);

	fk_py_thread t[8];
	fk_error err = {{0}};
	assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
	assert_int_equal(t[0].tstate, p.ts1);
	assert_int_equal(t[1].tstate, p.ts2);
	assert_int_equal(t[0].thread_id, 0x7f00000011ull);
	assert_int_equal(t[1].thread_id, 0x7f00000022ull);
	/* 3.11+ keep the kernel's id; 3.9/3.10's comes from glibc's struct pthread of a
	 * live process only */
	assert_int_equal(t[0].tid, minor >= 11 ? 1234 : 0);
	assert_int_equal(t[1].tid, minor >= 11 ? 5678 : 0);
	assert_false(t[0].holds_gil);
	assert_true(t[1].holds_gil);
	/* cap */
	assert_int_equal(fk_python_threads(py, t, 1, &err), 1);
	assert_int_equal(t[0].tstate, p.ts1);
	assert_int_equal(fk_python_threads(py, t, 0, &err), 0);

	fk_py_frame fr[16];
	size_t n = fk_python_stack(py, p.ts1, fr, FK_ARRAY_LEN(fr));
	assert_int_equal(n, 3);
	/* 3.9/3.10: every frame is its own _PyEval_EvalFrameDefault call; 3.11: is_entry;
	 * 3.12+: the frame above a shim, and the outermost */
	bool old = minor <= 10;
	assert_frame(&fr[0], "inner", FILE_MOD, 12, true);
	assert_frame(&fr[1], "middle", FILE_MOD, 21, old);
	assert_frame(&fr[2], "<module>", FILE_APP, 1, true);
	n = fk_python_stack(py, p.ts2, fr, FK_ARRAY_LEN(fr));
	assert_int_equal(n, 1);
	assert_frame(&fr[0], WORKER_UTF8, "worker.py", 40, true);
	/* a second time: from the code cache */
	n = fk_python_stack(py, p.ts1, fr, FK_ARRAY_LEN(fr));
	assert_int_equal(n, 3);
	assert_frame(&fr[1], "middle", FILE_MOD, 21, old);
	/* the cap */
	assert_int_equal(fk_python_stack(py, p.ts1, fr, 1), 1);
	assert_string_equal(fr[0].function, "inner");
	assert_int_equal(fk_python_stack(py, p.ts1, fr, 0), 0);

	char buf[256];
	assert_string_equal(fk_python_frame_name(py, &(fk_py_frame){"inner", FILE_MOD, 12, true}, false,
						 true, buf, sizeof(buf)),
			    "inner (mod.py:12)");
	fk_python_free(py);

	/* without the type check the other object is read as code too */
	py = scene_reader(&s, false);
	n = fk_python_stack(py, p.ts1, fr, FK_ARRAY_LEN(fr));
	assert_int_equal(n, 4);
	assert_frame(&fr[2], "not_code", FILE_MOD, 31, old);
	fk_python_free(py);

	/* the GIL not held / held by the first thread */
	scene_gil(&s, false, p.ts2);
	py = scene_reader(&s, true);
	assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
	assert_false(t[0].holds_gil);
	assert_false(t[1].holds_gil);
	scene_gil(&s, true, p.ts1);
	assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
	assert_true(t[0].holds_gil);
	assert_false(t[1].holds_gil);
	fk_python_free(py);
	scene_free(&s);
}

static void test_process_39(void **state)
{
	(void)state;
	check_process(9);
}

static void test_process_310(void **state)
{
	(void)state;
	check_process(10);
}

static void test_process_311(void **state)
{
	(void)state;
	check_process(11);
}

static void test_process_312(void **state)
{
	(void)state;
	check_process(12);
}

static void test_process_313(void **state)
{
	(void)state;
	check_process(13);
}

/* A frame's code object that changes in place is read again (the cache checks it). */
static void test_code_cache(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		uint64_t code = mk_code(&s, "before", "a.py", 10);
		uint64_t f = mk_frame(&s, code, 0, 2, true, OWNED_BY_THREAD);
		uint64_t ts = mk_tstate(&s, 0, f, 1, 1);
		set_threads_head(&s, s.interp, ts);
		fk_python *py = scene_reader(&s, true);
		fk_py_frame fr[4];
		assert_int_equal(fk_python_stack(py, ts, fr, 4), 1);
		assert_frame(&fr[0], "before", "a.py", 11, true);
		w64(&s.m, code + (uint64_t)s.o.code_name, mk_ascii(&s, "after"));
		w32(&s.m, code + (uint64_t)s.o.code_firstlineno, 100);
		set_instr(&s, f, code, 4);
		assert_int_equal(fk_python_stack(py, ts, fr, 4), 1);
		assert_frame(&fr[0], "after", "a.py", 102, true);
		/* many code objects (past the first cache size) */
		uint64_t prev = 0, file_b = mk_ascii(&s, "b.py");
		for (int i = 0; i < 300; i++) {
			char name[16];
			snprintf(name, sizeof(name), "f%d", i);
			uint64_t c = mk_code_str(&s, mk_ascii(&s, name), file_b, i + 1, 0);
			prev = mk_frame(&s, c, prev, 0, false, OWNED_BY_THREAD);
		}
		set_tstate_frame(&s, ts, prev);
		fk_py_frame many[400];
		assert_int_equal(fk_python_stack(py, ts, many, FK_ARRAY_LEN(many)), 300);
		assert_string_equal(many[0].function, "f299");
		assert_string_equal(many[299].function, "f0");
		/* no line table: line 0 */
		assert_int_equal(many[0].line, 0);
		assert_int_equal(fk_python_stack(py, ts, many, FK_ARRAY_LEN(many)), 300);
		assert_string_equal(many[150].function, "f149");
		fk_python_free(py);
		scene_free(&s);
	}
}

/* More code objects than the cache holds (64 Ki slots, kept at most half full): it starts
 * again, and every frame is still right (the strings stay valid). */
static void test_code_cache_bound(void **state)
{
	(void)state;
	enum { CODES = 40000, CHAIN = 4000 };
	scene s;
	scene_init_sized(&s, 12, NULL, 24u << 20);
	uint64_t name = mk_ascii(&s, "f"), file = mk_ascii(&s, "c.py"), lt = mk_std_linetable(&s);
	uint64_t ts[CODES / CHAIN];
	for (int t = 0; t < CODES / CHAIN; t++) {
		uint64_t prev = 0;
		for (int i = 0; i < CHAIN; i++) {
			uint64_t c = mk_code_str(&s, name, file, t * CHAIN + i + 1, lt);
			prev = mk_frame(&s, c, prev, 5, false, OWNED_BY_THREAD);
		}
		ts[t] = mk_tstate(&s, 0, prev, 1, 1);
	}
	fk_python *py = scene_reader(&s, true);
	fk_py_frame *fr = calloc(CHAIN, sizeof(*fr));
	assert_non_null(fr);
	for (int round = 0; round < 2; round++)
		for (int t = 0; t < CODES / CHAIN; t++) {
			assert_int_equal(fk_python_stack(py, ts[t], fr, CHAIN), CHAIN);
			for (int i = 0; i < CHAIN; i++) {
				/* leaf first: the last made; line: first + 2 */
				int first = t * CHAIN + (CHAIN - 1 - i) + 1;
				assert_string_equal(fr[i].function, "f");
				assert_string_equal(fr[i].filename, "c.py");
				assert_int_equal(fr[i].line, first + 2);
			}
		}
	free(fr);
	fk_python_free(py);
	scene_free(&s);
}

/* fk_py_offsets_print: "name value" lines, none for the fields a version lacks. */
static void test_offsets_print(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		const fk_py_offsets *o = fk_py_offsets_table(minor);
		char *text = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&text, &len);
		assert_non_null(fp);
		fk_py_offsets_print(o, fp);
		assert_int_equal(fclose(fp), 0);
		char want[64];
		snprintf(want, sizeof(want), "runtime_interpreters_head %d\n", o->runtime_interpreters_head);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), "code_name %d\n", o->code_name);
		assert_non_null(strstr(text, want));
		assert_true((strstr(text, "tstate_native_thread_id ") != NULL) == (minor >= 11));
		assert_true((strstr(text, "cframe_current_frame ") != NULL) == (minor == 11 || minor == 12));
		assert_true((strstr(text, "runtime_gil_locked ") != NULL) == (minor <= 11));
		assert_null(strstr(text, " -1\n"));
		free(text);
	}
}

/* Strings: compact kinds 1 (Latin-1), 2 and 4, NUL characters, code points past
 * U+10FFFF, and strings the reader does not take (not compact, kind 3). */
static void test_strings(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		static const uint32_t latin1[] = {'c', 'a', 'f', 0xe9};
		static const uint32_t wide4[] = {'x', 0x1f600, 0x10ffff, 0x110000, 0xffffffff, 0x7f};
		static const uint32_t nul[] = {'a', 0, 'b'};
		uint64_t names[] = {
			mk_wide(&s, 1, latin1, FK_ARRAY_LEN(latin1)),
			mk_wide(&s, 4, wide4, FK_ARRAY_LEN(wide4)),
			mk_wide(&s, 2, nul, FK_ARRAY_LEN(nul)),
			mk_ascii(&s, ""),
		};
		static const char *const want[] = {
			"caf\xc3\xa9",
			"x\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" "?" "?" "\x7f",
			"a?b",
			"",
		};
		uint64_t prev = 0;
		for (size_t i = FK_ARRAY_LEN(names); i-- > 0;) {
			uint64_t c = mk_code_str(&s, names[i], mk_ascii(&s, "s.py"), 5, mk_std_linetable(&s));
			prev = mk_frame(&s, c, prev, 0, true, OWNED_BY_THREAD);
		}
		/* not taken: not compact, kind 3, kind 0 */
		uint64_t bad[3];
		bad[0] = mk_ascii(&s, "legacy");
		w32(&s.m, bad[0] + (uint64_t)s.o.unicode_state, str_state(1, false, true));
		bad[1] = mk_ascii(&s, "kind3");
		w32(&s.m, bad[1] + (uint64_t)s.o.unicode_state, str_state(3, true, false));
		bad[2] = mk_ascii(&s, "kind0");
		w32(&s.m, bad[2] + (uint64_t)s.o.unicode_state, str_state(0, true, true));
		for (size_t i = 0; i < FK_ARRAY_LEN(bad); i++) {
			uint64_t c = mk_code_str(&s, mk_ascii(&s, "good"), bad[i], 5, 0);
			prev = mk_frame(&s, c, prev, 0, true, OWNED_BY_THREAD);
			c = mk_code_str(&s, bad[i], mk_ascii(&s, "good.py"), 5, 0);
			prev = mk_frame(&s, c, prev, 0, true, OWNED_BY_THREAD);
		}
		uint64_t ts = mk_tstate(&s, 0, prev, 1, 1);
		set_threads_head(&s, s.interp, ts);
		fk_python *py = scene_reader(&s, true);
		fk_py_frame fr[16];
		size_t n = fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr));
		assert_int_equal(n, FK_ARRAY_LEN(names));
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(fr[i].function, want[i]);
			assert_int_equal(fr[i].line, 5);
		}
		fk_python_free(py);
		scene_free(&s);
	}
}

/* ---- frame names ---- */

static void test_frame_name(void **state)
{
	(void)state;
	scene s;
	scene_init(&s, 12);
	fk_python *py = scene_reader(&s, false);
	char buf[256];
	fk_py_frame f = {"f", "file.py", 12, false};
	assert_string_equal(fk_python_frame_name(py, &f, true, true, buf, sizeof(buf)), "f (file.py:12)");
	assert_string_equal(fk_python_frame_name(py, &f, false, true, buf, sizeof(buf)), "f (file.py:12)");
	assert_string_equal(fk_python_frame_name(py, &f, true, false, buf, sizeof(buf)), "f (file.py)");
	f.line = 0;
	assert_string_equal(fk_python_frame_name(py, &f, true, true, buf, sizeof(buf)), "f (file.py)");
	/* characters that would break folded stacks */
	fk_py_frame g = {"a;b\nc\td", "x;y\r\n.py", 3, false};
	assert_string_equal(fk_python_frame_name(py, &g, true, true, buf, sizeof(buf)),
			    "a:b c d (x:y  .py:3)");
	/* full file names */
	fk_py_frame h = {"run", FILE_MOD, 7, true};
	assert_string_equal(fk_python_frame_name(py, &h, true, true, buf, sizeof(buf)),
			    "run (" FILE_MOD ":7)");
	assert_string_equal(fk_python_frame_name(py, &h, false, true, buf, sizeof(buf)), "run (mod.py:7)");
	/* truncation: always terminated */
	memset(buf, 'X', sizeof(buf));
	assert_string_equal(fk_python_frame_name(py, &h, true, true, buf, 9), "run (/no");
	assert_string_equal(fk_python_frame_name(py, &h, true, true, buf, 1), "");
	buf[0] = 'X';
	fk_python_frame_name(py, &h, true, true, buf, 0);
	assert_int_equal(buf[0], 'X');
	/* long names */
	char *longname = malloc(5000);
	assert_non_null(longname);
	memset(longname, 'n', 4999);
	longname[4999] = '\0';
	fk_py_frame l = {longname, "/" , 1, false};
	const char *out = fk_python_frame_name(py, &l, false, true, buf, sizeof(buf));
	assert_int_equal(strlen(out), sizeof(buf) - 1);
	free(longname);
	fk_python_free(py);
	scene_free(&s);
}

/* py-spy's short file names: the path below the outermost package. */
static void test_short_filename(void **state)
{
	(void)state;
	char root[] = "/tmp/fk-test-python-XXXXXX";
	assert_non_null(mkdtemp(root));
	char path[512], file[512];
	snprintf(path, sizeof(path), "%s/pkg", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/pkg/sub", root);
	assert_int_equal(mkdir(path, 0700), 0);
	static const char *const inits[] = {"pkg/__init__.py", "pkg/sub/__init__.py"};
	for (size_t i = 0; i < FK_ARRAY_LEN(inits); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, inits[i]);
		FILE *fp = fopen(path, "w");
		assert_non_null(fp);
		fclose(fp);
	}
	scene s;
	scene_init(&s, 11);
	fk_python *py = scene_reader(&s, false);
	char buf[600];
	snprintf(file, sizeof(file), "%s/pkg/sub/mod.py", root);
	fk_py_frame f = {"g", file, 4, false};
	assert_string_equal(fk_python_frame_name(py, &f, false, true, buf, sizeof(buf)),
			    "g (pkg/sub/mod.py:4)");
	/* the same again (remembered) */
	assert_string_equal(fk_python_frame_name(py, &f, false, true, buf, sizeof(buf)),
			    "g (pkg/sub/mod.py:4)");
	char file2[512];
	snprintf(file2, sizeof(file2), "%s/pkg/__init__.py", root);
	fk_py_frame f2 = {"<module>", file2, 1, false};
	assert_string_equal(fk_python_frame_name(py, &f2, false, true, buf, sizeof(buf)),
			    "<module> (pkg/__init__.py:1)");
	char file3[512];
	snprintf(file3, sizeof(file3), "%s/plain.py", root);
	fk_py_frame f3 = {"h", file3, 2, false};
	assert_string_equal(fk_python_frame_name(py, &f3, false, true, buf, sizeof(buf)), "h (plain.py:2)");
	fk_py_frame f4 = {"r", "rel/dir/x.py", 2, false};
	assert_string_equal(fk_python_frame_name(py, &f4, false, true, buf, sizeof(buf)),
			    "r (rel/dir/x.py:2)");
	fk_py_frame f5 = {"e", "", 2, false};
	assert_string_equal(fk_python_frame_name(py, &f5, false, true, buf, sizeof(buf)), "e (:2)");
	fk_py_frame f6 = {"s", "/", 2, false};
	assert_string_equal(fk_python_frame_name(py, &f6, false, true, buf, sizeof(buf)), "s (:2)");
	fk_python_free(py);
	scene_free(&s);
	for (size_t i = FK_ARRAY_LEN(inits); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", root, inits[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/pkg/sub", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/pkg", root);
	rmdir(path);
	rmdir(root);
}

/* ---- fk_python_from_memory errors ---- */

static void test_from_memory_errors(void **state)
{
	(void)state;
	scene s;
	scene_init(&s, 12);
	fk_error err = {{0}};
	static const int bad[] = {0, 2, 8, -1};
	for (size_t i = 0; i < FK_ARRAY_LEN(bad); i++) {
		err.msg[0] = '\0';
		assert_null(fk_python_from_memory(img_read, &s.m, bad[i], s.runtime, 0, &err));
		assert_non_null(strstr(err.msg, "not supported"));
	}
	/* past 13 the reader looks for _Py_DebugOffsets (and checks their version) */
	static const int later[] = {14, 99};
	for (size_t i = 0; i < FK_ARRAY_LEN(later); i++) {
		err.msg[0] = '\0';
		assert_null(fk_python_from_memory(img_read, &s.m, later[i], s.runtime, 0, &err));
		assert_true(err.msg[0] != '\0');
	}
	/* 3.13 without _Py_DebugOffsets at the runtime, or an unreadable runtime */
	err.msg[0] = '\0';
	assert_null(fk_python_from_memory(img_read, &s.m, 13, s.runtime, 0, &err));
	assert_non_null(strstr(err.msg, "_Py_DebugOffsets"));
	err.msg[0] = '\0';
	assert_null(fk_python_from_memory(img_read, &s.m, 13, UNMAPPED_ADDR, 0, &err));
	assert_non_null(strstr(err.msg, "cannot read"));
	err.msg[0] = '\0';
	assert_null(fk_python_from_memory(img_read, &s.m, 13, IMG_BASE + IMG_SIZE - 100, 0, &err));
	assert_true(err.msg[0] != '\0');
	/* an unreadable runtime for 3.9-3.12: found when reading threads */
	for (int minor = 9; minor <= 12; minor++) {
		fk_python *py = fk_python_from_memory(img_read, &s.m, minor, UNMAPPED_ADDR, 0, &err);
		assert_non_null(py);
		fk_py_thread t[4];
		err.msg[0] = '\0';
		assert_int_equal(fk_python_threads(py, t, 4, &err), -1);
		assert_non_null(strstr(err.msg, "cannot read"));
		fk_python_free(py);
	}
	fk_python_free(NULL);
	/* 3.13: the wrong _Py_DebugOffsets */
	scene s13;
	uint64_t d[DO_COUNT];
	debug_fill(d, fk_py_offsets_table(13));
	d[DO_FREE_THREADED] = 1;
	scene_init_with(&s13, 13, d);
	err.msg[0] = '\0';
	assert_null(fk_python_from_memory(img_read, &s13.m, 13, s13.runtime, 0, &err));
	assert_non_null(strstr(err.msg, "free-threaded"));
	scene_free(&s13);
	scene_free(&s);
}

/* ---- hostile images ---------------------------------------------------------------------- */

/* Frame chains that cycle: bounded. */
static void test_hostile_frame_cycles(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		uint64_t ca = mk_code(&s, "a", "a.py", 1), cb = mk_code(&s, "b", "b.py", 1);
		/* a -> b -> a -> ... */
		uint64_t fa = mk_frame(&s, ca, 0, 0, false, OWNED_BY_THREAD);
		uint64_t fb = mk_frame(&s, cb, fa, 0, false, OWNED_BY_THREAD);
		w64(&s.m, fa + (uint64_t)s.o.frame_previous, fb);
		uint64_t ts = mk_tstate(&s, 0, fa, 1, 1);
		set_threads_head(&s, s.interp, ts);
		fk_python *py = scene_reader(&s, true);
		enum { CAP = 10000 };
		fk_py_frame *fr = calloc(CAP, sizeof(*fr));
		assert_non_null(fr);
		unsigned long reads = s.m.reads;
		size_t n = fk_python_stack(py, ts, fr, CAP);
		assert_true(n >= 2 && n <= 4096);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(fr[i].function, i % 2 ? "b" : "a");
		assert_true(s.m.reads - reads < 20 * 4096);
		assert_int_equal(fk_python_stack(py, ts, fr, 7), 7);
		/* a frame that is its own previous: the reader drops it as corrupt (0), or
		 * gives it once */
		w64(&s.m, fa + (uint64_t)s.o.frame_previous, fa);
		assert_true(fk_python_stack(py, ts, fr, CAP) <= 1);
		/* 3.11+: a cycle of shim frames (no frame to give) */
		if (s.o.frame_owner != FK_PY_NONE) {
			w8(&s.m, fa + (uint64_t)s.o.frame_owner, OWNED_BY_CSTACK);
			w8(&s.m, fb + (uint64_t)s.o.frame_owner, OWNED_BY_CSTACK);
			w64(&s.m, fa + (uint64_t)s.o.frame_previous, fb);
			reads = s.m.reads;
			assert_int_equal(fk_python_stack(py, ts, fr, CAP), 0);
			assert_true(s.m.reads - reads <= 4096 + 16);
		}
		free(fr);
		fk_python_free(py);
		scene_free(&s);
	}
}

/* Thread lists and interpreter lists that cycle, and long ones. */
static void test_hostile_thread_cycles(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		uint64_t t2 = mk_tstate(&s, 0, 0, 2, 2);
		uint64_t t1 = mk_tstate(&s, t2, 0, 1, 1);
		w64(&s.m, t2 + (uint64_t)s.o.tstate_next, t1); /* t1 -> t2 -> t1 */
		set_threads_head(&s, s.interp, t1);
		fk_python *py = scene_reader(&s, true);
		fk_py_thread t[64];
		fk_error err = {{0}};
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
		assert_int_equal(t[0].tstate, t1);
		assert_int_equal(t[1].tstate, t2);
		/* t1 -> t1 */
		w64(&s.m, t1 + (uint64_t)s.o.tstate_next, t1);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 1);
		/* t1 -> t2 -> t2 */
		w64(&s.m, t1 + (uint64_t)s.o.tstate_next, t2);
		w64(&s.m, t2 + (uint64_t)s.o.tstate_next, t2);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
		/* the next of t2 unmapped: the walk ends after t2 */
		w64(&s.m, t2 + (uint64_t)s.o.tstate_next, UNMAPPED_ADDR);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
		/* two interpreters that are each other's next, each with its thread */
		uint64_t interp2 = img_alloc(&s.m, 8192);
		uint64_t t3 = mk_tstate(&s, 0, 0, 3, 3);
		w64(&s.m, t2 + (uint64_t)s.o.tstate_next, 0);
		set_threads_head(&s, interp2, t3);
		w64(&s.m, s.interp + (uint64_t)s.o.interp_next, interp2);
		w64(&s.m, interp2 + (uint64_t)s.o.interp_next, s.interp);
		unsigned long reads = s.m.reads;
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 3);
		assert_int_equal(t[2].tstate, t3);
		assert_true(s.m.reads - reads < 256 * 16);
		/* an interpreter that is its own next */
		w64(&s.m, s.interp + (uint64_t)s.o.interp_next, s.interp);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 2);
		/* a long list: up to cap */
		uint64_t head = 0;
		for (int i = 0; i < 100; i++)
			head = mk_tstate(&s, head, 0, (uint64_t)i, (uint64_t)i);
		set_threads_head(&s, s.interp, head);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 64);
		/* the interpreter unmapped, or none */
		w64(&s.m, s.runtime + (uint64_t)s.o.runtime_interpreters_head, UNMAPPED_ADDR);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 0);
		w64(&s.m, s.runtime + (uint64_t)s.o.runtime_interpreters_head, 0);
		assert_int_equal(fk_python_threads(py, t, FK_ARRAY_LEN(t), &err), 0);
		fk_python_free(py);
		scene_free(&s);
	}
}

/* Huge, negative and unreadable string lengths. */
static void test_hostile_strings(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		/* 5000 'x' mapped after the header: a length of 2^40 is cut to 4096 chars */
		uint64_t big = mk_ascii(&s, "");
		uint64_t data = img_alloc(&s.m, 5000);
		assert_true(data - big <= 256);
		memset(img_ptr(&s.m, big + (uint64_t)s.o.unicode_ascii_size, 5000), 'x', 5000);
		w64(&s.m, big + (uint64_t)s.o.unicode_length, 1ull << 40);
		uint64_t c_big = mk_code_str(&s, big, mk_ascii(&s, "f.py"), 1, 0);
		uint64_t neg = mk_ascii(&s, "neg");
		w64(&s.m, neg + (uint64_t)s.o.unicode_length, (uint64_t)-5);
		uint64_t c_neg = mk_code_str(&s, neg, mk_ascii(&s, "f.py"), 1, 0);
		/* a kind-4 file name of length INT64_MAX: 4096 * 4 bytes are not there */
		uint64_t huge = IMG_BASE + IMG_SIZE - 8192;
		w64(&s.m, huge + (uint64_t)s.o.unicode_length, (uint64_t)INT64_MAX);
		w32(&s.m, huge + (uint64_t)s.o.unicode_state, str_state(4, true, false));
		uint64_t c_huge4 = mk_code_str(&s, mk_ascii(&s, "ok"), huge, 1, 0);
		/* a str at the very end of memory: its length runs past it */
		uint64_t end_str = IMG_BASE + IMG_SIZE - (uint64_t)s.o.unicode_compact_size - 8;
		w64(&s.m, end_str + (uint64_t)s.o.unicode_length, 100);
		w32(&s.m, end_str + (uint64_t)s.o.unicode_state, str_state(1, true, true));
		uint64_t c_end = mk_code_str(&s, end_str, mk_ascii(&s, "f.py"), 1, 0);
		/* a code object at the very end of memory (its header runs past it) */
		uint64_t c_tail = IMG_BASE + IMG_SIZE - 64;
		/* a line table whose size is huge, negative, or runs past the end */
		uint64_t lt_huge = mk_bytes(&s, (const uint8_t *)"ab", 2);
		w64(&s.m, lt_huge + (uint64_t)s.o.bytes_size, (uint64_t)-1);
		uint64_t c_lt_huge = mk_code_str(&s, mk_ascii(&s, "lt_huge"), mk_ascii(&s, "f.py"), 7, lt_huge);
		uint64_t lt_end = mk_bytes(&s, (const uint8_t *)"ab", 2);
		w64(&s.m, lt_end + (uint64_t)s.o.bytes_size, 1u << 20);
		uint64_t c_lt_end = mk_code_str(&s, mk_ascii(&s, "lt_end"), mk_ascii(&s, "f.py"), 7, lt_end);

		uint64_t prev = 0;
		uint64_t codes[] = {c_big, c_neg, c_huge4, c_end, c_tail, c_lt_huge, c_lt_end};
		for (size_t i = FK_ARRAY_LEN(codes); i-- > 0;)
			prev = mk_frame(&s, codes[i], prev, 0, true, OWNED_BY_THREAD);
		uint64_t ts = mk_tstate(&s, 0, prev, 1, 1);
		set_threads_head(&s, s.interp, ts);
		fk_python *py = scene_reader(&s, false);
		fk_py_frame fr[16];
		size_t n = fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr));
		assert_int_equal(n, 3);
		assert_int_equal(strlen(fr[0].function), 4096);
		assert_int_equal(strspn(fr[0].function, "x"), 4096);
		assert_string_equal(fr[1].function, "lt_huge");
		assert_int_equal(fr[1].line, 0);
		assert_string_equal(fr[2].function, "lt_end");
		assert_int_equal(fr[2].line, 0);
		char buf[8192];
		fk_python_frame_name(py, &fr[0], false, true, buf, sizeof(buf));
		assert_int_equal(strlen(buf), 4096 + strlen(" (f.py)"));
		fk_python_free(py);
		scene_free(&s);
	}
}

/* Pointers to nowhere, below 4096, and near the top of the address space. */
static void test_hostile_pointers(void **state)
{
	(void)state;
	static const uint64_t wild[] = {
		0, 8, 4095, UNMAPPED_ADDR, UINT64_MAX, UINT64_MAX - 7, UINT64_MAX - 300,
		IMG_BASE + IMG_SIZE - 4, IMG_BASE + IMG_SIZE,
	};
	for (int minor = 9; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		uint64_t code = mk_code(&s, "ok", "ok.py", 10);
		fk_python *py = scene_reader(&s, false);
		fk_py_frame fr[8];
		fk_py_thread t[8];
		fk_error err = {{0}};
		for (size_t i = 0; i < FK_ARRAY_LEN(wild); i++) {
			uint64_t w = wild[i];
			/* tstate itself */
			fk_python_stack(py, w, fr, FK_ARRAY_LEN(fr));
			/* the tstate's frame (or cframe) */
			uint64_t ts = mk_tstate(&s, 0, 0, 1, 1);
			w64(&s.m, ts + (uint64_t)s.o.tstate_frame, w);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 0);
			/* the leaf's code; the leaf's previous */
			uint64_t f2 = mk_frame(&s, code, 0, 4, true, OWNED_BY_THREAD);
			uint64_t f1 = mk_frame(&s, w, f2, 4, true, OWNED_BY_THREAD);
			set_tstate_frame(&s, ts, f1);
			size_t n = fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr));
			assert_int_equal(n, 1);
			assert_frame(&fr[0], "ok", "ok.py", 12, true);
			w64(&s.m, f1 + (uint64_t)s.o.frame_code, code);
			w64(&s.m, f1 + (uint64_t)s.o.frame_previous, w);
			n = fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr));
			assert_true(n >= 1 && n <= 2);
			assert_string_equal(fr[0].function, "ok");
			/* a code object's name, file name, line table */
			uint64_t c = mk_code_str(&s, w, mk_ascii(&s, "x.py"), 1, 0);
			w64(&s.m, f1 + (uint64_t)s.o.frame_code, c);
			w64(&s.m, f1 + (uint64_t)s.o.frame_previous, 0);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 0);
			c = mk_code_str(&s, mk_ascii(&s, "y"), w, 1, 0);
			w64(&s.m, f1 + (uint64_t)s.o.frame_code, c);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 0);
			c = mk_code_str(&s, mk_ascii(&s, "z"), mk_ascii(&s, "z.py"), 9, w);
			w64(&s.m, f1 + (uint64_t)s.o.frame_code, c);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 1);
			assert_frame(&fr[0], "z", "z.py", 0, true);
			/* 3.11+: an instruction pointer anywhere */
			if (minor >= 11) {
				w64(&s.m, f1 + (uint64_t)s.o.frame_instr, w);
				c = mk_code(&s, "ip", "ip.py", 50);
				w64(&s.m, f1 + (uint64_t)s.o.frame_code, c);
				assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 1);
				assert_true(fr[0].line == 0 || fr[0].line == 50 || fr[0].line == 52);
			}
			/* the thread list */
			set_threads_head(&s, s.interp, w);
			int nt = fk_python_threads(py, t, FK_ARRAY_LEN(t), &err);
			assert_true(nt >= 0 && nt <= 1);
			w64(&s.m, ts + (uint64_t)s.o.tstate_next, w);
			set_threads_head(&s, s.interp, ts);
			nt = fk_python_threads(py, t, FK_ARRAY_LEN(t), &err);
			assert_true(nt >= 1 && nt <= 2);
			assert_int_equal(t[0].tstate, ts);
			/* 3.11/3.12: the _PyCFrame's frame; 3.12+: the GIL pointer */
			if (s.o.interp_ceval_gil != FK_PY_NONE) {
				w64(&s.m, s.interp + (uint64_t)s.o.interp_ceval_gil, w);
				nt = fk_python_threads(py, t, FK_ARRAY_LEN(t), &err);
				assert_true(nt >= 1);
				assert_false(t[0].holds_gil);
				w64(&s.m, s.interp + (uint64_t)s.o.interp_ceval_gil, s.gil);
			}
			set_threads_head(&s, s.interp, 0);
		}
		/* 3.9/3.10: f_lasti anywhere; 3.11+: before the code (not started) */
		uint64_t ts = mk_tstate(&s, 0, 0, 1, 1);
		uint64_t f = mk_frame(&s, code, 0, 0, true, OWNED_BY_THREAD);
		set_tstate_frame(&s, ts, f);
		/* f_lasti: bytes (3.9) or code units (3.10); 3.9's co_lnotab has no end (its
		 * last line holds), 3.10's has; an absurd f_lasti has no line */
		static const int32_t lastis[] = {INT32_MIN, -1, 0, 1, 5, 1000, INT32_MAX};
		static const int want39[] = {10, 10, 10, 10, 11, 12, 0};
		static const int want310[] = {10, 10, 10, 10, 12, 0, 0};
		for (size_t i = 0; i < FK_ARRAY_LEN(lastis) && minor <= 10; i++) {
			w32(&s.m, f + (uint64_t)s.o.frame_instr, (uint32_t)lastis[i]);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 1);
			assert_int_equal(fr[0].line, minor == 9 ? want39[i] : want310[i]);
		}
		if (minor >= 11) {
			w64(&s.m, f + (uint64_t)s.o.frame_instr, code + (uint64_t)s.o.code_adaptive - 2);
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 1);
			assert_int_equal(fr[0].line, 10);
			w64(&s.m, f + (uint64_t)s.o.frame_instr, code + (uint64_t)s.o.code_adaptive + (1ull << 40));
			assert_int_equal(fk_python_stack(py, ts, fr, FK_ARRAY_LEN(fr)), 1);
			assert_int_equal(fr[0].line, 0);
		}
		fk_python_free(py);
		scene_free(&s);
	}
}

/* ---- layouts, overflows, cut stacks --------------------------------------------------- */

/* code_at() copies CODE_HEADER (256) bytes of a code object and takes its fields at the
 * offsets in use; for 3.13 these come from the target's _Py_DebugOffsets. A layout that
 * puts a field past the copied header (code.name = 1000 in a 2048-byte code object) is
 * refused when the reader is made. */
static void test_debug_code_offsets_past_header(void **state)
{
	(void)state;
	uint64_t d[DO_COUNT];
	debug_fill(d, fk_py_offsets_table(13));
	d[DO_CODE_SIZE] = 2048;
	d[DO_CODE_NAME] = 1000;
	scene s;
	scene_init_with(&s, 13, d);
	s.o.code_name = 1000;
	uint64_t c = mk_code(&s, "far", "far.py", 1); /* 256 + 200 bytes */
	img_alloc(&s.m, 2048);                        /* room for the name at 1000 */
	w64(&s.m, c + 1000, mk_ascii(&s, "far"));
	uint64_t f = mk_frame(&s, c, 0, 0, true, OWNED_BY_THREAD);
	uint64_t ts = mk_tstate(&s, 0, f, 1, 1);
	(void)ts;
	/* the reader copies 256 bytes of a code object: such a layout is refused */
	fk_error err = {{0}};
	assert_null(fk_python_from_memory(img_read, &s.m, 13, s.runtime, 0, &err));
	assert_non_null(strstr(err.msg, "unexpected struct layout"));
	scene_free(&s);
}

/* read_string() copies the PyASCIIObject part of a str and takes state and length in
 * it: a 3.13 layout with unicode.state = 1000 is refused when the reader is made. */
static void test_debug_unicode_offsets_past_header(void **state)
{
	(void)state;
	uint64_t d[DO_COUNT];
	debug_fill(d, fk_py_offsets_table(13));
	d[DO_UNICODE_SIZE] = 4096;
	d[DO_UNICODE_STATE] = 1000;
	scene s;
	scene_init_with(&s, 13, d);
	uint64_t c = mk_code(&s, "n", "n.py", 1);
	uint64_t f = mk_frame(&s, c, 0, 0, true, OWNED_BY_THREAD);
	uint64_t ts = mk_tstate(&s, 0, f, 1, 1);
	(void)ts;
	/* state and length must lie in the PyASCIIObject part that is read: refused */
	fk_error err = {{0}};
	assert_null(fk_python_from_memory(img_read, &s.m, 13, s.runtime, 0, &err));
	assert_non_null(strstr(err.msg, "unexpected struct layout"));
	scene_free(&s);
}

/* The line decoders add deltas to a first line read from the target (any int32) and,
 * for 3.11+, svarint deltas of up to +-2^31: no overflow (SAN=1 would abort), a line
 * out of range is 0. E.g. fk_py_line_310({2, 1}, 2, INT_MAX, 0), or three 3.11 long-form
 * entries of +2^30 - 1. */
static void test_line_overflow(void **state)
{
	(void)state;
	static const uint8_t t39[] = {2, 1};
	int l = line_exact(fk_py_line_39, t39, sizeof(t39), INT_MAX, 4);
	assert_true(l >= 0);
	static const uint8_t t310[] = {2, 1};
	l = line_exact(fk_py_line_310, t310, sizeof(t310), INT_MAX, 0);
	assert_true(l >= 0);
	/* 13, +(2^30 - 1) three times: v = 2^31 - 2 = six 6-bit chunks */
	static const uint8_t t311[] = {
		0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x01,
		0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x01,
		0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x01,
	};
	l = line_exact(fk_py_line_311, t311, sizeof(t311), 1, 4);
	assert_true(l >= 0);
}

/* 3.12+: the outermost frame of a whole stack began the thread's first evaluation
 * (entry), but a stack cut at cap does not end in its outermost frame: with the standard
 * process and cap 2, inner (entry, above a shim) and middle (not an entry). */
static void test_entry_when_cut(void **state)
{
	(void)state;
	for (int minor = 12; minor <= 13; minor++) {
		scene s;
		scene_init(&s, minor);
		std_process p = std_build(&s);
		fk_python *py = scene_reader(&s, true);
		fk_py_frame fr[4];
		assert_int_equal(fk_python_stack(py, p.ts1, fr, 2), 2);
		assert_frame(&fr[0], "inner", FILE_MOD, 12, true);
		assert_frame(&fr[1], "middle", FILE_MOD, 21, false);
		fk_python_free(py);
		scene_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_39),
		cmocka_unit_test(test_line_310),
		cmocka_unit_test(test_line_311),
		cmocka_unit_test(test_line_311_real),
		cmocka_unit_test(test_line_311_truncated),
		cmocka_unit_test(test_debug_offsets),
		cmocka_unit_test(test_debug_offsets_errors),
		cmocka_unit_test(test_process_39),
		cmocka_unit_test(test_process_310),
		cmocka_unit_test(test_process_311),
		cmocka_unit_test(test_process_312),
		cmocka_unit_test(test_process_313),
		cmocka_unit_test(test_code_cache),
		cmocka_unit_test(test_code_cache_bound),
		cmocka_unit_test(test_offsets_print),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_frame_name),
		cmocka_unit_test(test_short_filename),
		cmocka_unit_test(test_from_memory_errors),
		cmocka_unit_test(test_hostile_frame_cycles),
		cmocka_unit_test(test_hostile_thread_cycles),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_hostile_pointers),
		cmocka_unit_test(test_debug_code_offsets_past_header),
		cmocka_unit_test(test_debug_unicode_offsets_past_header),
		cmocka_unit_test(test_line_overflow),
		cmocka_unit_test(test_entry_when_cut),
	};
	/* FK_TEST_ONLY=pattern runs the matching tests alone (e.g. one known-bug test) */
	if (getenv("FK_TEST_ONLY"))
		cmocka_set_test_filter(getenv("FK_TEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
