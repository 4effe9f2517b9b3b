/* python.c: the CPython frame reader of python.h. */
#define _GNU_SOURCE
#include "python.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../util/arena.h"
#include "../util/hash.h"
#include "proc_maps.h"
#include "sym_util.h"

enum {
	MAX_FRAMES_WALKED = 4096, /* a longer chain is a cycle or garbage */
	MAX_STRING = 4096,        /* characters of a name or file name */
	MAX_LINETABLE = 1 << 20,
	MAX_THREADS_WALKED = 100000,
	MAX_INTERPRETERS = 256,
	CODE_HEADER = 256, /* bytes read of a code object: every field used lies below */
	MAX_CODE_CACHE = 1 << 16,
	FRAME_OWNED_BY_GENERATOR = 1,
	FRAME_OWNED_BY_CSTACK = 3,
	TORN_RETRIES = 3,
};

struct code_entry {
	uint64_t addr; /* 0: empty slot */
	uint64_t name_ptr, filename_ptr, linetable_ptr;
	int32_t firstlineno;
	const char *function, *filename;
	uint8_t *linetable;
	size_t linetable_len;
};

struct fk_python {
	int pid;
	fk_py_read_fn read;
	void *read_ctx;
	fk_py_offsets off;
	uint64_t runtime, code_type;
	char version[32];
	char *binary;
	fk_arena strings;
	struct code_entry *codes;
	size_t codes_mask, codes_count;
	/* 3.9/3.10 keep no kernel thread id: it is read from glibc's struct pthread (at
	 * pthread_tid_offset of the pthread_t), found once by matching /proc/PID/task */
	int pthread_tid_offset; /* -1: not known yet; -2: not found */
	fk_u64map short_names; /* filename (arena pointer) -> shortened (arena) */
};

/* ---- memory ---- */

static int read_remote(void *ctx, uint64_t addr, void *buf, size_t len)
{
	int pid = (int)(intptr_t)ctx;
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -1;
}

static int rd(fk_python *py, uint64_t addr, void *buf, size_t len)
{
	if (addr < 4096 || addr + len < addr)
		return -1;
	return py->read(py->read_ctx, addr, buf, len);
}

static int rd_ptr(fk_python *py, uint64_t addr, uint64_t *out)
{
	return rd(py, addr, out, sizeof(*out));
}

static uint64_t u64_at(const uint8_t *buf, int32_t off)
{
	uint64_t v;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static int32_t i32_at(const uint8_t *buf, int32_t off)
{
	int32_t v;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* ---- strings ---- */

static void put_utf8(char *out, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		out[(*n)++] = (char)c;
	} else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | c >> 6);
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*n)++] = (char)(0xe0 | c >> 12);
		out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x110000) {
		out[(*n)++] = (char)(0xf0 | c >> 18);
		out[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*n)++] = '?';
	}
}

/* A str object as UTF-8, kept in the arena; NULL if it cannot be read. */
static const char *read_string(fk_python *py, uint64_t addr)
{
	const fk_py_offsets *o = &py->off;
	uint8_t head[128];
	size_t head_len = (size_t)o->unicode_ascii_size; /* state and length lie in it */
	if (head_len > sizeof(head) || rd(py, addr, head, head_len) < 0)
		return NULL;
	uint32_t state;
	memcpy(&state, head + o->unicode_state, sizeof(state));
	int64_t length = (int64_t)u64_at(head, o->unicode_length);
	unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
	if (!compact || (kind != 1 && kind != 2 && kind != 4) || length < 0)
		return NULL;
	if (length > MAX_STRING)
		length = MAX_STRING;
	uint64_t data = addr + (uint64_t)(ascii ? o->unicode_ascii_size : o->unicode_compact_size);
	uint8_t raw[MAX_STRING * 4];
	if (length && rd(py, data, raw, (size_t)length * kind) < 0)
		return NULL;
	char text[MAX_STRING * 4 + 1];
	size_t n = 0;
	for (int64_t i = 0; i < length; i++) {
		uint32_t c;
		if (kind == 1) {
			c = raw[i];
		} else if (kind == 2) {
			uint16_t v;
			memcpy(&v, raw + i * 2, 2);
			c = v;
		} else {
			memcpy(&c, raw + i * 4, 4);
		}
		if (c == 0)
			c = '?';
		put_utf8(text, &n, c);
	}
	return fk_arena_strndup(&py->strings, text, n);
}

/* A bytes object's contents (malloc'd), or NULL. */
static uint8_t *read_bytes(fk_python *py, uint64_t addr, size_t *len)
{
	const fk_py_offsets *o = &py->off;
	uint64_t size;
	if (rd(py, addr + (uint64_t)o->bytes_size, &size, sizeof(size)) < 0 || size > MAX_LINETABLE)
		return NULL;
	uint8_t *buf = fk_xmalloc(size ? size : 1);
	if (size && rd(py, addr + (uint64_t)o->bytes_data, buf, size) < 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

/* ---- line numbers ---- */

int fk_py_line_39(const uint8_t *table, size_t len, int firstlineno, int addr)
{
	/* co_lnotab: (bytecode offset increment, signed line increment) pairs */
	int64_t line = firstlineno, at = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		at += table[i];
		if (at > addr)
			break;
		line += (int8_t)table[i + 1];
	}
	return line > 0 && line <= INT32_MAX ? (int)line : 0;
}

int fk_py_line_310(const uint8_t *table, size_t len, int firstlineno, int addr)
{
	/* co_linetable (PEP 626): (bytes covered, signed line delta; -128: no line) pairs */
	int64_t line = firstlineno, end = 0;
	if (addr < 0)
		return firstlineno;
	for (size_t i = 0; i + 1 < len; i += 2) {
		int64_t start = end;
		end += table[i];
		int delta = (int8_t)table[i + 1];
		int64_t here = -1;
		if (delta != -128) {
			line += delta;
			here = line;
		}
		if (addr >= start && addr < end)
			return here > 0 && here <= INT32_MAX ? (int)here : 0;
	}
	return 0;
}

struct loc_cursor {
	const uint8_t *p, *end;
};

static bool loc_byte(struct loc_cursor *c, unsigned *b)
{
	if (c->p >= c->end)
		return false;
	*b = *c->p++;
	return true;
}

static bool loc_varint(struct loc_cursor *c, unsigned *out)
{
	unsigned b, v, shift = 0;
	if (!loc_byte(c, &b))
		return false;
	v = b & 63;
	while (b & 64) {
		if (!loc_byte(c, &b) || shift > 24)
			return false;
		shift += 6;
		v |= (b & 63) << shift;
	}
	*out = v;
	return true;
}

static bool loc_svarint(struct loc_cursor *c, int *out)
{
	unsigned v;
	if (!loc_varint(c, &v))
		return false;
	*out = (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
	return true;
}

int fk_py_line_311(const uint8_t *table, size_t len, int firstlineno, int addr)
{
	/* the location table (Objects/locations.md): entries of 1-8 code units; the first
	 * byte is 1, a 4-bit code and the length - 1; codes 0-9 short form (same line),
	 * 10-12 one-line form (line delta code - 10), 13 no column (svarint line delta), 14
	 * long form (svarint line delta, then end line, column, end column), 15 no location */
	if (addr < 0)
		return firstlineno;
	int64_t unit = addr / 2, at = 0, line = firstlineno;
	struct loc_cursor c = {table, table + len};
	unsigned b;
	while (loc_byte(&c, &b)) {
		if (!(b & 0x80))
			return 0; /* not the start of an entry */
		int code = (b >> 3) & 15, length = (int)(b & 7) + 1, delta = 0;
		bool has_line = true;
		unsigned skip;
		switch (code) {
		case 15:
			has_line = false;
			break;
		case 14:
			if (!loc_svarint(&c, &delta) || !loc_varint(&c, &skip) || !loc_varint(&c, &skip) ||
			    !loc_varint(&c, &skip))
				return 0;
			break;
		case 13:
			if (!loc_svarint(&c, &delta))
				return 0;
			break;
		case 10:
		case 11:
		case 12:
			delta = code - 10;
			if (!loc_byte(&c, &skip) || !loc_byte(&c, &skip))
				return 0;
			break;
		default:
			if (!loc_byte(&c, &skip))
				return 0;
			break;
		}
		line += delta; /* at most 2^31 per entry: int64_t holds any table's sum */
		if (unit >= at && unit < at + length)
			return has_line && line > 0 && line <= INT32_MAX ? (int)line : 0;
		at += length;
	}
	return 0;
}

/* ---- code objects ---- */

static void codes_clear(fk_python *py)
{
	for (size_t i = 0; py->codes && i <= py->codes_mask; i++)
		free(py->codes[i].linetable);
	free(py->codes);
	py->codes = NULL;
	py->codes_mask = 0;
	py->codes_count = 0;
}

static struct code_entry *code_slot(fk_python *py, uint64_t addr)
{
	if (!py->codes || (py->codes_count + 1) * 2 > py->codes_mask + 1) {
		size_t old_cap = py->codes ? py->codes_mask + 1 : 0;
		if (old_cap >= MAX_CODE_CACHE) {
			codes_clear(py); /* bounded: start again */
			old_cap = 0;
		}
		struct code_entry *old = py->codes;
		size_t cap = old_cap ? old_cap * 2 : 256;
		py->codes = fk_xcalloc(cap, sizeof(*py->codes));
		py->codes_mask = cap - 1;
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i].addr)
				continue;
			size_t j = fk_hash_mix(old[i].addr) & py->codes_mask;
			while (py->codes[j].addr)
				j = (j + 1) & py->codes_mask;
			py->codes[j] = old[i];
		}
		free(old);
	}
	size_t j = fk_hash_mix(addr) & py->codes_mask;
	while (py->codes[j].addr && py->codes[j].addr != addr)
		j = (j + 1) & py->codes_mask;
	return &py->codes[j];
}

/* The code object at addr, read or found again (checked against its current fields). */
static const struct code_entry *code_at(fk_python *py, uint64_t addr)
{
	const fk_py_offsets *o = &py->off;
	uint8_t head[CODE_HEADER];
	if (rd(py, addr, head, CODE_HEADER) < 0)
		return NULL;
	if (py->code_type && u64_at(head, o->object_type) != py->code_type)
		return NULL;
	uint64_t name_ptr = u64_at(head, o->code_name), filename_ptr = u64_at(head, o->code_filename);
	uint64_t linetable_ptr = u64_at(head, o->code_linetable);
	int32_t firstlineno = i32_at(head, o->code_firstlineno);
	struct code_entry *e = code_slot(py, addr);
	if (e->addr == addr && e->name_ptr == name_ptr && e->filename_ptr == filename_ptr &&
	    e->linetable_ptr == linetable_ptr && e->firstlineno == firstlineno)
		return e;
	const char *function = read_string(py, name_ptr);
	const char *filename = read_string(py, filename_ptr);
	if (!function || !filename)
		return NULL;
	size_t lt_len = 0;
	uint8_t *lt = read_bytes(py, linetable_ptr, &lt_len);
	if (e->addr != addr)
		py->codes_count++;
	free(e->linetable);
	*e = (struct code_entry){addr, name_ptr, filename_ptr, linetable_ptr, firstlineno,
				 function, filename, lt, lt_len};
	return e;
}

static int code_line(const fk_python *py, const struct code_entry *e, int64_t lasti)
{
	if (!e->linetable)
		return 0;
	if (lasti < 0)
		return e->firstlineno > 0 ? e->firstlineno : 0;
	if (lasti > INT32_MAX / 2)
		return 0;
	switch (py->off.minor) {
	case 9:
		return fk_py_line_39(e->linetable, e->linetable_len, e->firstlineno, (int)lasti);
	case 10:
		return fk_py_line_310(e->linetable, e->linetable_len, e->firstlineno, (int)lasti * 2);
	default:
		return fk_py_line_311(e->linetable, e->linetable_len, e->firstlineno, (int)lasti * 2);
	}
}

/* ---- stacks ---- */

struct raw_frame {
	uint64_t code;
	int64_t lasti; /* code units (3.10+) or bytes (3.9) */
	bool entry;
};

/* One walk of the thread's frames into raw (see fk_python_stack); *torn: it ended at a
 * generator's frame with no caller (3.11+), which happens when the generator yields
 * while being read: its caller link is cleared at each suspension. */
static size_t walk_frames(fk_python *py, uint64_t tstate, struct raw_frame *raw, size_t cap,
			  bool *torn)
{
	const fk_py_offsets *o = &py->off;
	*torn = false;
	uint64_t frame;
	if (rd_ptr(py, tstate + (uint64_t)o->tstate_frame, &frame) < 0)
		return 0;
	if (o->cframe_current_frame != FK_PY_NONE &&
	    (!frame || rd_ptr(py, frame + (uint64_t)o->cframe_current_frame, &frame) < 0))
		return 0;
	int32_t span = o->frame_previous;
	if (o->frame_code > span)
		span = o->frame_code;
	if (o->frame_instr > span)
		span = o->frame_instr;
	if (o->frame_is_entry > span)
		span = o->frame_is_entry;
	if (o->frame_owner > span)
		span = o->frame_owner;
	size_t want = (size_t)span + 8;
	bool modern = o->minor >= 11;
	size_t n = 0;
	bool cut = false; /* the walk stopped before the outermost frame */
	for (int walked = 0; frame; walked++) {
		uint8_t buf[128];
		if (walked == MAX_FRAMES_WALKED || n == cap || want > sizeof(buf) ||
		    rd(py, frame, buf, want) < 0) {
			cut = true;
			break;
		}
		uint64_t code = u64_at(buf, o->frame_code);
		uint64_t previous = u64_at(buf, o->frame_previous);
		if (previous == frame) {
			cut = true;
			break;
		}
		if (modern && o->frame_owner != FK_PY_NONE && buf[o->frame_owner] == FRAME_OWNED_BY_CSTACK) {
			/* an entry shim (3.12+): the frame run after it began a new evaluation */
			if (n > 0)
				raw[n - 1].entry = true;
			frame = previous;
			continue;
		}
		if (modern && o->frame_owner != FK_PY_NONE && !previous &&
		    buf[o->frame_owner] == FRAME_OWNED_BY_GENERATOR)
			*torn = true;
		if (code) {
			int64_t lasti;
			if (modern) {
				uint64_t instr = u64_at(buf, o->frame_instr);
				uint64_t start = code + (uint64_t)o->code_adaptive;
				lasti = instr < start ? -1
					: instr - start > (uint64_t)INT32_MAX ? INT32_MAX
									      : (int64_t)((instr - start) / 2);
			} else {
				lasti = i32_at(buf, o->frame_instr);
			}
			raw[n++] = (struct raw_frame){
				code, lasti,
				!modern || (o->frame_is_entry != FK_PY_NONE && buf[o->frame_is_entry])};
		}
		frame = previous;
	}
	if (n > 0 && !cut && modern && o->frame_is_entry == FK_PY_NONE)
		raw[n - 1].entry = true; /* the outermost began the thread's first evaluation */
	return n;
}

size_t fk_python_stack(fk_python *py, uint64_t tstate, fk_py_frame *out, size_t cap)
{
	if (cap > MAX_FRAMES_WALKED)
		cap = MAX_FRAMES_WALKED;
	/* First the chain alone, quickly (the thread runs on: the shorter the walk, the
	 * likelier a consistent stack), then the code objects; a walk torn by a generator's
	 * suspension is made again. */
	struct raw_frame *raw = fk_xmalloc((cap ? cap : 1) * sizeof(*raw));
	bool torn = false;
	size_t n = 0;
	for (int tries = 0; tries < TORN_RETRIES; tries++) {
		n = walk_frames(py, tstate, raw, cap, &torn);
		if (!torn)
			break;
	}
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		const struct code_entry *e = code_at(py, raw[i].code);
		if (!e)
			continue; /* not a code object (any more): skipped */
		out[got].function = e->function;
		out[got].filename = e->filename;
		out[got].line = code_line(py, e, raw[i].lasti);
		out[got].entry = raw[i].entry;
		got++;
	}
	free(raw);
	return got;
}

/* ---- threads ---- */

static bool in_list(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* 3.9/3.10: where glibc's struct pthread keeps the thread id (0x2d0 in glibc 2.x on
 * x86_64): the offset at which every thread's pthread_t holds one of the process's
 * thread ids. */
static void find_pthread_tid_offset(fk_python *py, const fk_py_thread *t, size_t n)
{
	if (py->pid <= 0 || n == 0) {
		py->pthread_tid_offset = -2;
		return;
	}
	int *tids = NULL;
	size_t ntids = 0, tids_cap = 0;
	fk_proc_task_ids(py->pid, &tids, &ntids, &tids_cap);
	enum { SPAN = 2048, MAX_CHECKED = 8 };
	size_t nb = n < MAX_CHECKED ? n : MAX_CHECKED;
	uint8_t(*blocks)[SPAN] = fk_xmalloc(nb * SPAN);
	for (size_t i = 0; i < nb; i++)
		if (rd(py, t[i].thread_id, blocks[i], SPAN) < 0) {
			free(blocks);
			free(tids);
			return; /* try again later */
		}
	for (int k = -1; k < SPAN; k += 4) {
		int off = k < 0 ? 0x2d0 : k;
		bool ok = true;
		for (size_t i = 0; i < nb && ok; i++) {
			int32_t v = i32_at(blocks[i], off);
			ok = v > 0 && in_list(tids, ntids, v);
			for (size_t j = 0; j < i && ok; j++)
				ok = i32_at(blocks[j], off) != v;
		}
		if (ok) {
			py->pthread_tid_offset = off;
			break;
		}
	}
	if (py->pthread_tid_offset < 0)
		py->pthread_tid_offset = -2;
	free(blocks);
	free(tids);
}

int fk_python_threads(fk_python *py, fk_py_thread *out, size_t cap, fk_error *err)
{
	const fk_py_offsets *o = &py->off;
	uint64_t interp;
	if (rd_ptr(py, py->runtime + (uint64_t)o->runtime_interpreters_head, &interp) < 0)
		return fk_error_set(err, "cannot read the Python runtime of process %d (it exited?)", py->pid);
	/* the GIL (3.9-3.11: one for the runtime) */
	uint64_t holder = 0;
	int32_t locked = 0;
	if (o->runtime_gil_locked != FK_PY_NONE) {
		rd(py, py->runtime + (uint64_t)o->runtime_gil_locked, &locked, sizeof(locked));
		rd_ptr(py, py->runtime + (uint64_t)o->runtime_gil_holder, &holder);
	}
	size_t n = 0;
	size_t walked = 0;
	for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
		uint64_t gil_holder = holder;
		int32_t gil_locked = locked;
		if (o->interp_ceval_gil != FK_PY_NONE) {
			uint64_t gil;
			gil_holder = 0;
			gil_locked = 0;
			if (rd_ptr(py, interp + (uint64_t)o->interp_ceval_gil, &gil) == 0 && gil) {
				rd(py, gil + (uint64_t)o->gil_locked, &gil_locked, sizeof(gil_locked));
				rd_ptr(py, gil + (uint64_t)o->gil_holder, &gil_holder);
			}
		}
		uint64_t ts;
		if (rd_ptr(py, interp + (uint64_t)o->interp_threads_head, &ts) < 0)
			break;
		while (ts && walked++ < MAX_THREADS_WALKED && n < cap) {
			uint64_t next, thread_id = 0, native = 0;
			if (rd_ptr(py, ts + (uint64_t)o->tstate_next, &next) < 0)
				break;
			rd_ptr(py, ts + (uint64_t)o->tstate_thread_id, &thread_id);
			if (o->tstate_native_thread_id != FK_PY_NONE)
				rd_ptr(py, ts + (uint64_t)o->tstate_native_thread_id, &native);
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = out[j].tstate == ts;
			if (dup)
				break; /* a cycle */
			out[n++] = (fk_py_thread){ts, thread_id, native <= INT32_MAX ? (int)native : 0,
						  gil_locked && gil_holder == ts};
			ts = next;
		}
		uint64_t next_interp;
		if (rd_ptr(py, interp + (uint64_t)o->interp_next, &next_interp) < 0 || next_interp == interp)
			break;
		interp = next_interp;
	}
	if (o->tstate_native_thread_id == FK_PY_NONE && n > 0) {
		if (py->pthread_tid_offset == -1)
			find_pthread_tid_offset(py, out, n);
		for (size_t i = 0; i < n && py->pthread_tid_offset >= 0; i++) {
			int32_t tid = 0;
			if (out[i].thread_id &&
			    rd(py, out[i].thread_id + (uint64_t)py->pthread_tid_offset, &tid, sizeof(tid)) == 0 &&
			    tid > 0)
				out[i].tid = tid;
		}
	}
	return (int)n;
}

/* ---- finding the interpreter ---- */

struct elf_facts {
	uint64_t runtime, py_version, code_type; /* symbol values (ELF addresses), 0 if absent */
	uint64_t base_vaddr; /* vaddr - offset of the PT_LOAD at file offset 0 */
	bool has_base;
};

/* Reads what attaching needs from the ELF file at path; false if it is not ELF. */
static bool read_elf_facts(const char *path, struct elf_facts *f)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return false;
	}
	size_t phnum = 0;
	if (elf_getphdrnum(elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_offset == 0) {
				f->base_vaddr = ph.p_vaddr;
				f->has_base = true;
				break;
			}
		}
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && sh.sh_entsize) {
			Elf_Data *data = elf_getdata(scn, NULL);
			size_t count = data ? data->d_size / sh.sh_entsize : 0;
			for (size_t i = 0; i < count; i++) {
				GElf_Sym sym;
				if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
					continue;
				const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (!name || (name[0] != '_' && name[0] != 'P'))
					continue;
				if (strcmp(name, "_PyRuntime") == 0)
					f->runtime = sym.st_value;
				else if (strcmp(name, "Py_Version") == 0)
					f->py_version = sym.st_value;
				else if (strcmp(name, "PyCode_Type") == 0)
					f->code_type = sym.st_value;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return true;
}

/* The minor version in a name like "libpython3.10.so.1.0" or "python3.9". */
static int minor_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *p = strstr(base, "python3.");
	if (!p)
		return 0;
	p += 8;
	int minor = 0;
	while (*p >= '0' && *p <= '9' && minor < 1000)
		minor = minor * 10 + (*p++ - '0');
	return minor;
}

struct candidate {
	char *path;
	uint64_t base; /* where file offset 0 is mapped */
};

/* The file-backed mappings worth looking at: libpython first, then the executable. */
static size_t find_candidates(int pid, struct candidate *out, size_t cap, fk_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		fk_error_set(err, errno == ENOENT ? "no such process: %d" : "cannot read /proc/%d/maps: %s",
			     pid, strerror(errno));
		return 0;
	}
	char exe[4096];
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	ssize_t el = readlink(path, exe, sizeof(exe) - 1);
	exe[el > 0 ? el : 0] = '\0';
	fk_line_reader lr;
	fk_line_reader_init(&lr, f, 8192);
	size_t n = 0;
	while (fk_line_reader_next(&lr)) {
		fk_mapping m;
		const char *mpath;
		size_t plen;
		if (!fk_proc_maps_parse_line(lr.buf, lr.len, &m, &mpath, &plen) || plen == 0 ||
		    mpath[0] != '/' || m.pgoff != 0)
			continue;
		char *p = fk_xstrndup(mpath, plen);
		const char *base = strrchr(p, '/') + 1;
		bool lib = strncmp(base, "libpython", 9) == 0;
		bool is_exe = strcmp(p, exe) == 0;
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(out[i].path, p) == 0;
		if ((!lib && !is_exe) || seen || n == cap) {
			free(p);
			continue;
		}
		struct candidate c = {p, m.start};
		if (lib) {
			/* libpython before the executable */
			memmove(out + 1, out, n * sizeof(*out));
			out[0] = c;
		} else {
			out[n] = c;
		}
		n++;
	}
	fk_line_reader_free(&lr);
	fclose(f);
	if (n == 0)
		fk_error_set(err, "process %d is not a Python process (no libpython or python executable "
				  "in its memory map)",
			     pid);
	return n;
}

static void unreadable(int pid, int e, fk_error *err)
{
	fk_error_set(err, "cannot read the memory of process %d: %s", pid,
		     e == EPERM ? "permission denied (needs the same user and "
				  "kernel.yama.ptrace_scope 0, or root / CAP_SYS_PTRACE)"
				: strerror(e));
}

static fk_python *new_reader(fk_py_read_fn read, void *ctx, int pid)
{
	fk_python *py = fk_xcalloc(1, sizeof(*py));
	py->read = read;
	py->read_ctx = ctx;
	py->pid = pid;
	py->pthread_tid_offset = -1;
	return py;
}

/* The reader copies fixed-size headers of frames (128 bytes), code objects (CODE_HEADER)
 * and strings (their PyASCIIObject part): every offset it uses must lie inside them. */
static int check_offsets(const fk_py_offsets *o, fk_error *err)
{
	const struct {
		int32_t value, limit;
	} fields[] = {
		{o->frame_previous, 128}, {o->frame_code, 128}, {o->frame_instr, 128},
		{o->frame_is_entry, 128}, {o->frame_owner, 128},
		{o->code_filename, CODE_HEADER}, {o->code_name, CODE_HEADER},
		{o->code_firstlineno, CODE_HEADER}, {o->code_linetable, CODE_HEADER},
		{o->object_type, CODE_HEADER},
		{o->unicode_length, o->unicode_ascii_size}, {o->unicode_state, o->unicode_ascii_size},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(fields); i++)
		if (fields[i].value != FK_PY_NONE && (fields[i].value < 0 || fields[i].value + 8 > fields[i].limit))
			return fk_error_set(err, "unexpected struct layout (an offset of %d bytes)",
					    (int)fields[i].value);
	if (o->unicode_ascii_size > 128 || o->unicode_compact_size > 1024 ||
	    (o->code_adaptive != FK_PY_NONE && (o->code_adaptive < 0 || o->code_adaptive > (1 << 20))))
		return fk_error_set(err, "unexpected struct layout (object sizes)");
	return 0;
}

/* Sets the offsets for 3.minor (13: from _Py_DebugOffsets at the runtime). */
static int set_offsets(fk_python *py, int minor, uint32_t *hex, fk_error *err)
{
	if (minor >= 13) {
		uint8_t raw[FK_PY_DEBUG_OFFSETS_SIZE];
		if (rd(py, py->runtime, raw, sizeof(raw)) < 0)
			return fk_error_set(err, "cannot read _PyRuntime");
		if (fk_py_offsets_from_debug(raw, sizeof(raw), &py->off, hex, err) < 0)
			return -1;
		return check_offsets(&py->off, err);
	}
	const fk_py_offsets *t = fk_py_offsets_table(minor);
	if (!t)
		return fk_error_set(err, "Python 3.%d is not supported (flamekit reads CPython 3.9 to "
					 "3.13)",
				    minor);
	py->off = *t;
	return 0;
}

fk_python *fk_python_from_memory(fk_py_read_fn read, void *ctx, int minor, uint64_t runtime,
				 uint64_t code_type, fk_error *err)
{
	fk_python *py = new_reader(read, ctx, 0);
	py->runtime = runtime;
	py->code_type = code_type;
	uint32_t hex = 0;
	if (set_offsets(py, minor, &hex, err) < 0) {
		fk_python_free(py);
		return NULL;
	}
	snprintf(py->version, sizeof(py->version), "3.%d", py->off.minor);
	py->binary = fk_xstrdup("(memory)");
	return py;
}

fk_python *fk_python_attach(int pid, fk_error *err)
{
	struct candidate cands[8];
	size_t n = find_candidates(pid, cands, FK_ARRAY_LEN(cands), err);
	fk_python *py = NULL;
	size_t i;
	struct elf_facts facts;
	for (i = 0; i < n; i++) {
		if (read_elf_facts(cands[i].path, &facts) && facts.runtime && facts.has_base)
			break;
	}
	if (i == n) {
		const char *name = n ? strrchr(cands[0].path, '/') + 1 : "";
		const char *v = strstr(name, "python");
		if (v && v[6] >= '2' && v[6] <= '3' && v[7] == '.') {
			/* libpython2.7.so, python3.6: before _PyRuntime (3.7) */
			int len = (int)strspn(v + 6, "0123456789.");
			while (len > 0 && v[6 + len - 1] == '.')
				len--;
			fk_error_set(err, "process %d runs Python %.*s, which is not supported (flamekit "
					  "reads CPython 3.9 to 3.13)",
				     pid, len, v + 6);
		} else if (n) {
			fk_error_set(err, "process %d is not a Python process (no _PyRuntime symbol in %s)",
				     pid, cands[0].path);
		}
		goto out;
	}
	py = new_reader(read_remote, (void *)(intptr_t)pid, pid);
	py->binary = fk_xstrdup(cands[i].path);
	uint64_t bias = cands[i].base - facts.base_vaddr;
	py->runtime = bias + facts.runtime;
	py->code_type = facts.code_type ? bias + facts.code_type : 0;
	int minor = 0, micro = -1;
	uint32_t hex = 0;
	if (facts.py_version) {
		if (rd(py, bias + facts.py_version, &hex, sizeof(hex)) < 0) {
			unreadable(pid, errno, err);
			goto fail;
		}
		if ((hex >> 24) != 3) {
			fk_error_set(err, "%s: unrecognised Python version 0x%08x", py->binary, hex);
			goto fail;
		}
		minor = (int)((hex >> 16) & 0xff);
		micro = (int)((hex >> 8) & 0xff);
	} else {
		/* 3.9, 3.10: the name says (libpython3.9.so, python3.10) */
		minor = minor_from_name(py->binary);
		if (minor == 0) {
			fk_error_set(err, "%s: cannot tell which Python version this is (no Py_Version, "
					  "and the file name says none)",
				     py->binary);
			goto fail;
		}
		/* a readable runtime, or the reason it is not */
		uint64_t probe;
		if (rd(py, py->runtime, &probe, sizeof(probe)) < 0) {
			unreadable(pid, errno, err);
			goto fail;
		}
	}
	if (set_offsets(py, minor, &hex, err) < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		fk_error_set(err, "%s: %s", py->binary, msg);
		goto fail;
	}
	if (micro >= 0)
		snprintf(py->version, sizeof(py->version), "3.%d.%d", minor, micro);
	else
		snprintf(py->version, sizeof(py->version), "3.%d", minor);
	goto out;
fail:
	fk_python_free(py);
	py = NULL;
out:
	for (size_t k = 0; k < n; k++)
		free(cands[k].path);
	return py;
}

/* ---- names ---- */

/* py-spy's short file name: the path below the outermost directory that is a package
 * (holds __init__.py), looked up in the process's view of the file system. */
static const char *short_filename(fk_python *py, const char *filename)
{
	const char *known = fk_u64map_get(&py->short_names, (uint64_t)(uintptr_t)filename);
	if (known)
		return known;
	const char *result = filename;
	size_t len = strlen(filename);
	if (filename[0] == '/' && len < 3000) {
		char dir[3072], probe[4096];
		memcpy(dir, filename, len + 1);
		char *slash = strrchr(dir, '/');
		for (;;) {
			*slash = '\0';
			if (slash == dir)
				break;
			if (py->pid > 0)
				snprintf(probe, sizeof(probe), "/proc/%d/root%s/__init__.py", py->pid, dir);
			else
				snprintf(probe, sizeof(probe), "%s/__init__.py", dir);
			if (access(probe, F_OK) != 0)
				break;
			slash = strrchr(dir, '/');
		}
		/* dir is now the directory above the outermost package */
		result = filename + strlen(dir) + 1;
	}
	result = fk_arena_strndup(&py->strings, result, strlen(result));
	fk_u64map_put(&py->short_names, (uint64_t)(uintptr_t)filename, (void *)result);
	return result;
}

static size_t put_clean(char *buf, size_t at, size_t cap, const char *s)
{
	for (; *s && at + 1 < cap; s++) {
		char c = *s;
		buf[at++] = c == ';' ? ':' : (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	buf[at] = '\0';
	return at;
}

const char *fk_python_frame_name(fk_python *py, const fk_py_frame *f, bool full_filenames,
				 bool lineno, char *buf, size_t cap)
{
	if (cap == 0)
		return buf;
	const char *file = full_filenames ? f->filename : short_filename(py, f->filename);
	size_t n = put_clean(buf, 0, cap, f->function);
	n = put_clean(buf, n, cap, " (");
	n = put_clean(buf, n, cap, file);
	if (lineno && f->line > 0) {
		char num[16];
		snprintf(num, sizeof(num), ":%d", f->line);
		n = put_clean(buf, n, cap, num);
	}
	put_clean(buf, n, cap, ")");
	return buf;
}

void fk_python_free(fk_python *py)
{
	if (!py)
		return;
	fk_u64map_free(&py->short_names);
	codes_clear(py);
	fk_arena_free(&py->strings);
	free(py->binary);
	free(py);
}

const char *fk_python_version(const fk_python *py)
{
	return py->version;
}

const char *fk_python_binary(const fk_python *py)
{
	return py->binary;
}

int fk_python_pid(const fk_python *py)
{
	return py->pid;
}
