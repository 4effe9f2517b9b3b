/* test_symbol.c: process maps (src/symbol/maps.c: overlap and split, fork, exec, thread
 * names, /proc/PID/maps reading and its odd lines) and the symbolizer
 * (src/symbol/symbolizer.c): functions of this test binary, libc, the vDSO, the kernel
 * (/proc/kallsyms), JIT maps (/tmp/perf-PID.map, appended while in use), C++
 * demangling, separate debug info through .gnu_debuglink, perf's choice among aliases,
 * and files that are not (whole) ELF. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/symbol/elf_symbols.h"
#include "../../src/symbol/jitmap.h"
#include "../../src/symbol/kallsyms.h"
#include "../../src/symbol/maps.h"
#include "../../src/symbol/proc_maps.h"
#include "../../src/symbol/symbolizer.h"
#include "../../src/symbol/symtab.h"

/* ---- functions to find ------------------------------------------------------------- */

static volatile int sink;

/* Big enough that +3 (and more) stays inside it. */
__attribute__((noinline, used)) static int fk_test_target_function(int n)
{
	int total = 0;
	for (int i = 0; i < n; i++)
		total += i * sink + (i ^ n);
	sink = total;
	return total;
}

/* A C function that carries a C++ mangled name: foo::bar(int). */
__attribute__((noinline, used)) static int cpp_named_function(int x) __asm__("_ZN3foo3barEi");
__attribute__((noinline, used)) static int cpp_named_function(int x)
{
	for (int i = 0; i < x; i++)
		sink += i;
	return sink;
}

/* ---- helpers ------------------------------------------------------------------------ */

static void self_exe(char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);
	assert_true(n > 0);
	out[n] = '\0';
}

static fk_processes *self_processes(void)
{
	fk_processes *ps = fk_processes_new();
	fk_error err = { { 0 } };
	if (fk_processes_read_proc(ps, getpid(), &err) != 0)
		fail_msg("reading /proc/self: %s", err.msg);
	return ps;
}

static fk_mapping mapping(uint64_t start, uint64_t end, uint64_t pgoff, const char *path)
{
	fk_mapping m = { .start = start, .end = end, .pgoff = pgoff, .prot = PROT_READ | PROT_EXEC, .path = path };
	return m;
}

static void expect_mapping(const fk_mapping *m, uint64_t start, uint64_t end, uint64_t pgoff, const char *path)
{
	assert_non_null(m);
	assert_int_equal(m->start, start);
	assert_int_equal(m->end, end);
	assert_int_equal(m->pgoff, pgoff);
	assert_string_equal(m->path, path);
}

/* A pid that no process can have (above the largest pid_max, 2^22). */
static int fake_pid(int n)
{
	return (1 << 22) + 1000 + (int)(getpid() % 100000) * 8 + n;
}

static void write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- maps ---------------------------------------------------------------------------- */

static void test_maps_overlap_and_split(void **state)
{
	(void)state;
	fk_processes *ps = fk_processes_new();
	assert_false(fk_processes_known(ps, 1));
	assert_int_equal(fk_processes_maps_version(ps, 1), 0);
	size_t count = 99;
	assert_null(fk_processes_mappings(ps, 1, &count));
	assert_int_equal(count, 0);
	assert_null(fk_processes_find(ps, 1, 0x1000));

	char path_a[] = "/lib/a.so";
	fk_mapping m = mapping(0x1000, 0x5000, 0, path_a);
	fk_processes_mmap(ps, 1, &m);
	path_a[1] = 'X'; /* the path was copied */
	uint64_t v1 = fk_processes_maps_version(ps, 1);
	assert_true(v1 != 0);
	assert_true(fk_processes_known(ps, 1));

	/* In the middle: split in three, the right part's file offset moved along. */
	m = mapping(0x2000, 0x3000, 0x10000, "/lib/b.so");
	fk_processes_mmap(ps, 1, &m);
	uint64_t v2 = fk_processes_maps_version(ps, 1);
	assert_true(v2 != v1);
	const fk_mapping *all = fk_processes_mappings(ps, 1, &count);
	assert_int_equal(count, 3);
	expect_mapping(&all[0], 0x1000, 0x2000, 0, "/lib/a.so");
	expect_mapping(&all[1], 0x2000, 0x3000, 0x10000, "/lib/b.so");
	expect_mapping(&all[2], 0x3000, 0x5000, 0x2000, "/lib/a.so");
	assert_ptr_equal(all[0].path, all[2].path); /* stored once */

	/* Across all three: the ends are cut, the middle one goes. */
	m = mapping(0x1800, 0x4000, 0, "");
	fk_processes_mmap(ps, 1, &m);
	all = fk_processes_mappings(ps, 1, &count);
	assert_int_equal(count, 3);
	expect_mapping(&all[0], 0x1000, 0x1800, 0, "/lib/a.so");
	expect_mapping(&all[1], 0x1800, 0x4000, 0, "");
	expect_mapping(&all[2], 0x4000, 0x5000, 0x3000, "/lib/a.so");

	/* Exactly over one; touching ones are left alone. */
	m = mapping(0x1800, 0x4000, 0x7000, "/lib/c.so");
	fk_processes_mmap(ps, 1, &m);
	all = fk_processes_mappings(ps, 1, &count);
	assert_int_equal(count, 3);
	expect_mapping(&all[1], 0x1800, 0x4000, 0x7000, "/lib/c.so");
	expect_mapping(&all[0], 0x1000, 0x1800, 0, "/lib/a.so");

	/* Covering everything and more. */
	m = mapping(0x800, 0x6000, 0, "/lib/d.so");
	fk_processes_mmap(ps, 1, &m);
	all = fk_processes_mappings(ps, 1, &count);
	assert_int_equal(count, 1);
	expect_mapping(&all[0], 0x800, 0x6000, 0, "/lib/d.so");

	/* Lookups: start inclusive, end exclusive, gaps. */
	m = mapping(0x8000, 0x9000, 0, "/lib/e.so");
	fk_processes_mmap(ps, 1, &m);
	assert_null(fk_processes_find(ps, 1, 0x7ff));
	assert_string_equal(fk_processes_find(ps, 1, 0x800)->path, "/lib/d.so");
	assert_string_equal(fk_processes_find(ps, 1, 0x5fff)->path, "/lib/d.so");
	assert_null(fk_processes_find(ps, 1, 0x6000));
	assert_null(fk_processes_find(ps, 1, 0x7fff));
	assert_string_equal(fk_processes_find(ps, 1, 0x8000)->path, "/lib/e.so");
	assert_null(fk_processes_find(ps, 1, 0x9000));
	assert_null(fk_processes_find(ps, 2, 0x8000));

	/* An empty mapping changes nothing. */
	uint64_t v3 = fk_processes_maps_version(ps, 1);
	m = mapping(0x8800, 0x8800, 0, "/lib/f.so");
	fk_processes_mmap(ps, 1, &m);
	assert_int_equal(fk_processes_maps_version(ps, 1), v3);
	/* A NULL path is anonymous memory. */
	m = mapping(0x10000, 0x11000, 0, NULL);
	fk_processes_mmap(ps, 1, &m);
	assert_string_equal(fk_processes_find(ps, 1, 0x10000)->path, "");
	assert_true(fk_processes_maps_version(ps, 1) != v3);
	fk_processes_free(ps);
}

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void test_maps_many_mappings_and_threads(void **state)
{
	(void)state;
	fk_processes *ps = fk_processes_new();
	enum { N = 5000 };
	/* Slots of 0x10000 bytes in shuffled order; each mapping is its slot's first half. */
	static uint32_t order[N];
	for (uint32_t i = 0; i < N; i++)
		order[i] = i;
	uint64_t rnd = 88172645463325252ULL;
	for (uint32_t i = N - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next_random(&rnd) % (i + 1));
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	char path[64];
	for (uint32_t i = 0; i < N; i++) {
		uint64_t base = 0x100000000ULL + (uint64_t)order[i] * 0x10000;
		snprintf(path, sizeof(path), "/lib/lib%u.so", order[i] % 100);
		fk_mapping m = mapping(base, base + 0x8000, order[i], path);
		fk_processes_mmap(ps, 7, &m);
	}
	size_t count;
	const fk_mapping *all = fk_processes_mappings(ps, 7, &count);
	assert_int_equal(count, N);
	for (size_t i = 1; i < count; i++)
		assert_true(all[i - 1].end <= all[i].start);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t base = 0x100000000ULL + (uint64_t)i * 0x10000;
		const fk_mapping *m = fk_processes_find(ps, 7, base + 0x7fff);
		assert_non_null(m);
		assert_int_equal(m->pgoff, i);
		assert_null(fk_processes_find(ps, 7, base + 0x8000));
	}
	/* One mapping over the middle thousand slots. */
	uint64_t from = 0x100000000ULL + 2000 * 0x10000 + 0x4000, to = 0x100000000ULL + 3000 * 0x10000 + 0x4000;
	fk_mapping big = mapping(from, to, 0, "/big");
	fk_processes_mmap(ps, 7, &big);
	all = fk_processes_mappings(ps, 7, &count);
	assert_int_equal(count, N - 999 + 1); /* 999 gone, two cut, one new */
	expect_mapping(fk_processes_find(ps, 7, from - 1), from - 0x4000, from, 2000, "/lib/lib0.so");
	expect_mapping(fk_processes_find(ps, 7, to), to, to + 0x4000, 3000 + 0x4000, "/lib/lib0.so");
	assert_string_equal(fk_processes_find(ps, 7, from + 0x123456)->path, "/big");

	/* Many threads, each with its own name. */
	char name[32];
	for (int tid = 8; tid < 8 + 3000; tid++) {
		snprintf(name, sizeof(name), "worker-%d", tid);
		fk_processes_comm(ps, 7, tid, name, false);
	}
	for (int tid = 8; tid < 8 + 3000; tid++) {
		snprintf(name, sizeof(name), "worker-%d", tid);
		assert_string_equal(fk_processes_comm_of(ps, 7, tid), name);
	}
	/* The process's name: the first one seen until the main thread names itself. */
	assert_string_equal(fk_processes_comm_of(ps, 7, 7), "worker-8");
	fk_processes_comm(ps, 7, 7, "main", false);
	assert_string_equal(fk_processes_comm_of(ps, 7, 7), "main");
	assert_string_equal(fk_processes_comm_of(ps, 7, 99999), "main");
	assert_string_equal(fk_processes_comm_of(ps, 7, 10), "worker-10");
	fk_processes_free(ps);
}

static void test_maps_fork_exec_comm(void **state)
{
	(void)state;
	fk_processes *ps = fk_processes_new();
	assert_null(fk_processes_comm_of(ps, 100, 100));
	fk_processes_comm(ps, 100, 100, "parent", false);
	fk_processes_comm(ps, 100, 101, "worker", false);
	fk_mapping m = mapping(0x1000, 0x2000, 0, "/bin/parent");
	fk_processes_mmap(ps, 100, &m);
	m = mapping(0x3000, 0x4000, 0x1000, "/lib/libc.so.6");
	fk_processes_mmap(ps, 100, &m);
	uint64_t parent_version = fk_processes_maps_version(ps, 100);

	/* A new thread: its name, nothing else. */
	fk_processes_fork(ps, 100, 100, 100, 102);
	assert_string_equal(fk_processes_comm_of(ps, 100, 102), "parent");
	assert_int_equal(fk_processes_maps_version(ps, 100), parent_version);
	fk_processes_fork(ps, 100, 101, 100, 103);
	assert_string_equal(fk_processes_comm_of(ps, 100, 103), "worker");

	/* A new process, forked by thread 101: the mappings and that thread's name. */
	fk_processes_fork(ps, 100, 101, 200, 200);
	assert_true(fk_processes_known(ps, 200));
	size_t count;
	const fk_mapping *child = fk_processes_mappings(ps, 200, &count);
	assert_int_equal(count, 2);
	expect_mapping(&child[0], 0x1000, 0x2000, 0, "/bin/parent");
	expect_mapping(&child[1], 0x3000, 0x4000, 0x1000, "/lib/libc.so.6");
	assert_string_equal(fk_processes_comm_of(ps, 200, 200), "worker");
	assert_string_equal(fk_processes_comm_of(ps, 200, 12345), "worker");
	assert_true(fk_processes_maps_version(ps, 200) != parent_version);

	/* The child's changes stay the child's. */
	m = mapping(0x1000, 0x2000, 0, "/bin/other");
	fk_processes_mmap(ps, 200, &m);
	assert_string_equal(fk_processes_find(ps, 100, 0x1000)->path, "/bin/parent");
	assert_string_equal(fk_processes_find(ps, 200, 0x1000)->path, "/bin/other");
	assert_int_equal(fk_processes_maps_version(ps, 100), parent_version);

	/* exec: the old mappings go, the name changes. */
	uint64_t before_exec = fk_processes_maps_version(ps, 200);
	fk_processes_comm(ps, 200, 200, "newprog", true);
	fk_processes_mappings(ps, 200, &count);
	assert_int_equal(count, 0);
	assert_null(fk_processes_find(ps, 200, 0x3000));
	assert_true(fk_processes_maps_version(ps, 200) != before_exec);
	assert_string_equal(fk_processes_comm_of(ps, 200, 200), "newprog");
	assert_string_equal(fk_processes_comm_of(ps, 200, 777), "newprog");
	m = mapping(0x5000, 0x6000, 0, "/bin/newprog");
	fk_processes_mmap(ps, 200, &m);
	assert_string_equal(fk_processes_find(ps, 200, 0x5000)->path, "/bin/newprog");
	/* A thread renaming itself: not the process. */
	fk_processes_comm(ps, 200, 201, "helper", false);
	assert_string_equal(fk_processes_comm_of(ps, 200, 201), "helper");
	assert_string_equal(fk_processes_comm_of(ps, 200, 200), "newprog");
	/* The parent is untouched. */
	assert_string_equal(fk_processes_find(ps, 100, 0x3000)->path, "/lib/libc.so.6");
	assert_string_equal(fk_processes_comm_of(ps, 100, 100), "parent");

	/* exit: everything stays for the samples recorded before it. */
	fk_processes_exit(ps, 200, 201);
	fk_processes_exit(ps, 200, 200);
	assert_true(fk_processes_known(ps, 200));
	assert_string_equal(fk_processes_find(ps, 200, 0x5000)->path, "/bin/newprog");
	assert_string_equal(fk_processes_comm_of(ps, 200, 201), "helper");

	/* The pid reused by a new fork: the new parent's mappings, not the old ones. */
	fk_processes_fork(ps, 100, 100, 200, 200);
	child = fk_processes_mappings(ps, 200, &count);
	assert_int_equal(count, 2);
	assert_null(fk_processes_find(ps, 200, 0x5000));
	assert_string_equal(fk_processes_comm_of(ps, 200, 200), "parent");

	/* Fork from an unknown parent: known, empty. */
	fk_processes_fork(ps, 300, 300, 301, 301);
	assert_true(fk_processes_known(ps, 301));
	fk_processes_mappings(ps, 301, &count);
	assert_int_equal(count, 0);
	assert_null(fk_processes_comm_of(ps, 301, 301));
	fk_processes_free(ps);
}

static void expect_line(const char *line, bool ok, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t prot,
			const char *path)
{
	fk_mapping m;
	const char *p = NULL;
	size_t n = 0;
	bool got = fk_proc_maps_parse_line(line, strlen(line), &m, &p, &n);
	if (got != ok)
		fail_msg("\"%s\": parsed %d, expected %d", line, got, ok);
	if (!ok)
		return;
	assert_int_equal(m.start, start);
	assert_int_equal(m.end, end);
	assert_int_equal(m.pgoff, pgoff);
	assert_int_equal(m.prot, prot);
	if (n != strlen(path) || memcmp(p, path, n) != 0)
		fail_msg("\"%s\": path \"%.*s\", expected \"%s\"", line, (int)n, p, path);
}

static void test_proc_maps_lines(void **state)
{
	(void)state;
	const uint32_t RX = PROT_READ | PROT_EXEC, RW = PROT_READ | PROT_WRITE;
	expect_line("7f0000001000-7f0000002000 r-xp 00003000 fd:01 1234                       /usr/lib/libc.so.6",
		    true, 0x7f0000001000, 0x7f0000002000, 0x3000, RX, "/usr/lib/libc.so.6");
	fk_mapping m;
	const char *p;
	size_t n;
	const char *shared = "00400000-00401000 r--s 00000000 103:0a 98765 /x";
	assert_true(fk_proc_maps_parse_line(shared, strlen(shared), &m, &p, &n));
	assert_int_equal(m.maj, 0x103);
	assert_int_equal(m.min, 0xa);
	assert_int_equal(m.ino, 98765);
	expect_line("1000-2000 rw-p 00000000 00:00 0 ", true, 0x1000, 0x2000, 0, RW, "");
	expect_line("1000-2000 rw-p 00000000 00:00 0", true, 0x1000, 0x2000, 0, RW, "");
	expect_line("1000-2000 ---p 00000000 00:00 0   [anon:some name]", true, 0x1000, 0x2000, 0, 0,
		    "[anon:some name]");
	expect_line("1000-2000 r-xp 00000000 08:01 42   /home/me/my lib (v2).so", true, 0x1000, 0x2000, 0, RX,
		    "/home/me/my lib (v2).so");
	expect_line("1000-2000 r-xp 00000000 08:01 42   /tmp/gone.so (deleted)", true, 0x1000, 0x2000, 0, RX,
		    "/tmp/gone.so");
	expect_line("1000-2000 r-xp 00000000 08:01 42   /tmp/two spaces  .so (deleted)", true, 0x1000, 0x2000,
		    0, RX, "/tmp/two spaces  .so");
	expect_line("1000-2000 r-xp 00000000 08:01 42   /tmp/ (deleted)", true, 0x1000, 0x2000, 0, RX, "/tmp/");
	expect_line("1000-2000 r-xp 00000000 08:01 42   [vdso]", true, 0x1000, 0x2000, 0, RX, "[vdso]");
	expect_line("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]", true,
		    0xffffffffff600000ULL, 0xffffffffff601000ULL, 0, PROT_EXEC, "[vsyscall]");
	/* Not maps lines. */
	const char *bad[] = {
		"",
		"garbage",
		"1000-",
		"1000-2000",
		"1000-2000 r-xp",
		"1000-2000 r-xp 0 08:01",
		"1000-2000 r-xp 00000000 08:01 x /a",
		"2000-1000 r-xp 00000000 08:01 1 /a",
		"1000-2000 q-xp 00000000 08:01 1 /a",
		"1000-2000 r-xp 00000000 0801 1 /a",
		"11111111111111111-2000 r-xp 00000000 08:01 1 /a",
		"1000-2000 r-xp 00000000 08:01 99999999999999999999999 /a",
		"1000 2000 r-xp 00000000 08:01 1 /a",
		"1000-2000 r-xp 00000000 08:01 1x /a",
		"-1000-2000 r-xp 00000000 08:01 1 /a",
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(bad); i++)
		expect_line(bad[i], false, 0, 0, 0, 0, "");
	/* Leading zeros are fine. */
	expect_line("00000000000000000000001000-2000 r-xp 00000000 08:01 1 /a", true, 0x1000, 0x2000, 0, RX, "/a");
	/* Bytes after a NUL are still part of the length given. */
	assert_true(fk_proc_maps_parse_line("1000-2000 r-xp 0 1:2 3 /a\0b", 27, &m, &p, &n));
	assert_int_equal(n, 4);
}

static void test_read_proc_self(void **state)
{
	(void)state;
	/* A file with spaces in its name, mapped, then deleted. */
	char path[] = "/tmp/flamekit test map XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	void *mem = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
	assert_true(mem != MAP_FAILED);
	close(fd);
	char path2[] = "/tmp/flamekit deleted XXXXXX";
	int fd2 = mkstemp(path2);
	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, 4096), 0);
	void *mem2 = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd2, 0);
	assert_true(mem2 != MAP_FAILED);
	close(fd2);
	assert_int_equal(unlink(path2), 0);

	fk_processes *ps = self_processes();
	char exe[PATH_MAX];
	self_exe(exe, sizeof(exe));
	const fk_mapping *m = fk_processes_find(ps, getpid(), (uint64_t)(uintptr_t)&fk_test_target_function);
	assert_non_null(m);
	assert_string_equal(m->path, exe);
	assert_true(m->prot & PROT_EXEC);
	assert_true(m->ino != 0);
	m = fk_processes_find(ps, getpid(), (uint64_t)(uintptr_t)mem);
	assert_non_null(m);
	assert_string_equal(m->path, path);
	/* The file is 8 KiB; mapping 8 KiB from offset 4 KiB: the kernel still shows 8 KiB. */
	assert_int_equal(m->pgoff, 4096);
	assert_int_equal(m->prot, PROT_READ);
	m = fk_processes_find(ps, getpid(), (uint64_t)(uintptr_t)mem2);
	assert_non_null(m);
	assert_string_equal(m->path, path2);
	/* Stack, vdso, heap-ish names are there. */
	int local = 0;
	m = fk_processes_find(ps, getpid(), (uint64_t)(uintptr_t)&local);
	assert_non_null(m);
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
	if (vdso)
		assert_string_equal(fk_processes_find(ps, getpid(), vdso)->path, "[vdso]");
	/* Thread and process names. */
	char comm[64] = { 0 };
	FILE *f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_string_equal(fk_processes_comm_of(ps, getpid(), getpid()), comm);
	size_t count;
	fk_processes_mappings(ps, getpid(), &count);
	assert_true(count > 5);

	/* Read again: the same picture, not doubled. */
	fk_error err = { { 0 } };
	assert_int_equal(fk_processes_read_proc(ps, getpid(), &err), 0);
	size_t count2;
	fk_processes_mappings(ps, getpid(), &count2);
	assert_true(count2 >= count - 2 && count2 <= count + 2);

	/* No such process. */
	assert_int_equal(fk_processes_read_proc(ps, fake_pid(0), &err), -1);
	assert_non_null(strstr(err.msg, "process"));
	assert_int_equal(fk_processes_read_proc(ps, -5, &err), -1);
	assert_false(fk_processes_known(ps, fake_pid(0)));

	fk_processes_free(ps);
	munmap(mem, 8192);
	munmap(mem2, 4096);
	unlink(path);
}

/* ---- symbolizer: user space ------------------------------------------------------------ */

static void test_symbolize_own_function(void **state)
{
	(void)state;
	fk_processes *ps = self_processes();
	fk_symbolizer *s = fk_symbolizer_new(true);
	char exe[PATH_MAX];
	self_exe(exe, sizeof(exe));
	uint64_t fn = (uint64_t)(uintptr_t)&fk_test_target_function;
	fk_symbol sym;
	for (uint64_t off = 0; off < 8; off++) {
		fk_symbolize_user(s, ps, getpid(), fn + off, &sym);
		assert_non_null(sym.name);
		assert_string_equal(sym.name, "fk_test_target_function");
		assert_int_equal(sym.offset, off);
		assert_string_equal(sym.module, exe);
		assert_int_equal(sym.kind, FK_FRAME_USER);
	}
	/* The file address: what dladdr's load base gives for this PIE (or the address
	 * itself for a fixed-address executable). */
	Dl_info info;
	assert_true(dladdr((void *)(uintptr_t)fn, &info) != 0);
	const Elf64_Ehdr *eh = info.dli_fbase;
	uint64_t expected = eh->e_type == ET_DYN ? fn + 3 - (uint64_t)(uintptr_t)info.dli_fbase : fn + 3;
	fk_symbolize_user(s, ps, getpid(), fn + 3, &sym);
	assert_int_equal(sym.file_addr, expected);

	/* C++ name, demangled with its parameters. */
	uint64_t cpp = (uint64_t)(uintptr_t)&cpp_named_function;
	fk_symbolize_user(s, ps, getpid(), cpp + 1, &sym);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "foo::bar(int)");
	assert_int_equal(sym.offset, 1);
	fk_symbolize_user(s, ps, getpid(), cpp, &sym); /* second time: cached, same */
	assert_string_equal(sym.name, "foo::bar(int)");
	fk_symbolizer *raw = fk_symbolizer_new(false);
	fk_symbolize_user(raw, ps, getpid(), cpp + 1, &sym);
	assert_string_equal(sym.name, "_ZN3foo3barEi");
	fk_symbolizer_free(raw);

	/* Names stay valid while the symbolizer lives (many more lookups in between). */
	fk_symbolize_user(s, ps, getpid(), fn, &sym);
	const char *kept = sym.name;
	for (int i = 0; i < 1000; i++) {
		fk_symbol other;
		fk_symbolize_user(s, ps, getpid(), cpp + (uint64_t)(i % 4), &other);
	}
	assert_string_equal(kept, "fk_test_target_function");
	fk_symbolizer_free(s);
	fk_processes_free(ps);
}

static void test_symbolize_libc(void **state)
{
	(void)state;
	fk_processes *ps = self_processes();
	fk_symbolizer *s = fk_symbolizer_new(true);
	void *addr = dlsym(RTLD_DEFAULT, "getpid");
	assert_non_null(addr);
	fk_symbol sym;
	fk_symbolize_user(s, ps, getpid(), (uint64_t)(uintptr_t)addr, &sym);
	assert_non_null(sym.name);
	if (!strstr(sym.name, "getpid"))
		fail_msg("getpid resolved to %s in %s", sym.name, sym.module);
	assert_int_equal(sym.offset, 0);
	assert_non_null(strstr(sym.module, "libc"));
	assert_int_equal(sym.kind, FK_FRAME_USER);
	/* Another libc function, inside it. */
	addr = dlsym(RTLD_DEFAULT, "qsort");
	assert_non_null(addr);
	fk_symbolize_user(s, ps, getpid(), (uint64_t)(uintptr_t)addr + 2, &sym);
	assert_non_null(sym.name);
	if (!strstr(sym.name, "qsort"))
		fail_msg("qsort+2 resolved to %s in %s", sym.name, sym.module);
	assert_int_equal(sym.offset, 2);
	fk_symbolizer_free(s);
	fk_processes_free(ps);
}

static void test_symbolize_vdso(void **state)
{
	(void)state;
	if (!getauxval(AT_SYSINFO_EHDR))
		skip();
	void *h = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
	void *addr = h ? dlvsym(h, "__vdso_clock_gettime", "LINUX_2.6") : NULL;
	if (!addr)
		fail_msg("no __vdso_clock_gettime through dlopen(linux-vdso.so.1): %s", dlerror());
	fk_processes *ps = self_processes();
	fk_symbolizer *s = fk_symbolizer_new(true);
	fk_symbol sym;
	fk_symbolize_user(s, ps, getpid(), (uint64_t)(uintptr_t)addr + 4, &sym);
	assert_string_equal(sym.module, "[vdso]");
	assert_non_null(sym.name);
	/* perf prefers the global __vdso_ name over the weak alias. */
	assert_string_equal(sym.name, "__vdso_clock_gettime");
	assert_int_equal(sym.offset, 4);
	assert_int_equal(sym.kind, FK_FRAME_USER);

	/* Another process's [vdso] at another address: the same image. */
	const fk_mapping *self_vdso = fk_processes_find(ps, getpid(), (uint64_t)(uintptr_t)addr);
	assert_non_null(self_vdso);
	fk_mapping other = *self_vdso;
	other.start = 0x7ff000000000ULL;
	other.end = other.start + (self_vdso->end - self_vdso->start);
	int pid = fake_pid(1);
	fk_processes_mmap(ps, pid, &other);
	uint64_t moved = other.start + ((uint64_t)(uintptr_t)addr - self_vdso->start);
	fk_symbolize_user(s, ps, pid, moved + 4, &sym);
	assert_string_equal(sym.module, "[vdso]");
	assert_string_equal(sym.name, "__vdso_clock_gettime");
	assert_int_equal(sym.offset, 4);
	dlclose(h);
	fk_symbolizer_free(s);
	fk_processes_free(ps);
}

static void test_symbolize_unknown(void **state)
{
	(void)state;
	fk_processes *ps = self_processes();
	fk_symbolizer *s = fk_symbolizer_new(true);
	fk_symbol sym;
	/* Outside every mapping, no JIT map: [unknown]. */
	fk_symbolize_user(s, ps, getpid(), 0x10, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, "[unknown]");
	assert_int_equal(sym.kind, FK_FRAME_USER);
	assert_int_equal(sym.file_addr, 0x10);
	/* An unknown process, or no processes at all. */
	fk_symbolize_user(s, ps, fake_pid(2), 0x401000, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, "[unknown]");
	fk_symbolize_user(s, NULL, fake_pid(2), 0x401000, &sym);
	assert_string_equal(sym.module, "[unknown]");
	/* The stack: module "[stack]", no name. */
	int local = 0;
	fk_symbolize_user(s, ps, getpid(), (uint64_t)(uintptr_t)&local, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, "[stack]");
	/* A mapped file that is not ELF: its path, no name. */
	int pid = fake_pid(3);
	fk_mapping m = mapping(0x400000, 0x500000, 0, "/etc/passwd");
	fk_processes_mmap(ps, pid, &m);
	m = mapping(0x600000, 0x700000, 0, "/nonexistent/flamekit/lib.so");
	fk_processes_mmap(ps, pid, &m);
	m = mapping(0x800000, 0x900000, 0, "/dev/null");
	fk_processes_mmap(ps, pid, &m);
	m = mapping(0xa00000, 0xb00000, 0, "/tmp");
	fk_processes_mmap(ps, pid, &m);
	const uint64_t addrs[] = { 0x400010, 0x600010, 0x800010, 0xa00010 };
	const char *mods[] = { "/etc/passwd", "/nonexistent/flamekit/lib.so", "/dev/null", "/tmp" };
	for (size_t i = 0; i < FK_ARRAY_LEN(addrs); i++) {
		fk_symbolize_user(s, ps, pid, addrs[i], &sym);
		assert_null(sym.name);
		assert_string_equal(sym.module, mods[i]);
		assert_int_equal(sym.file_addr, 0x10);
	}
	/* Past the end of the function's size: unknown even though it is the nearest. */
	fk_symbolizer_free(s);
	fk_processes_free(ps);
}

/* Maps this test binary's own mappings into a fake process under another path. */
static int mirror_self(fk_processes *ps, const char *path, int n)
{
	fk_processes *self = self_processes();
	char exe[PATH_MAX];
	self_exe(exe, sizeof(exe));
	size_t count;
	const fk_mapping *all = fk_processes_mappings(self, getpid(), &count);
	int pid = fake_pid(n);
	size_t mirrored = 0;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(all[i].path, exe) != 0)
			continue;
		fk_mapping m = all[i];
		m.path = path;
		fk_processes_mmap(ps, pid, &m);
		mirrored++;
	}
	assert_true(mirrored > 0);
	fk_processes_free(self);
	return pid;
}

static bool run(const char *cmd)
{
	int rc = system(cmd);
	return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

static void test_debuglink_and_stripped(void **state)
{
	(void)state;
	if (!run("command -v objcopy >/dev/null && command -v strip >/dev/null"))
		skip();
	char dir[] = "/tmp/flamekit-debuglink-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char exe[PATH_MAX], cmd[4 * PATH_MAX + 256], stripped[PATH_MAX], plain[PATH_MAX];
	self_exe(exe, sizeof(exe));
	snprintf(stripped, sizeof(stripped), "%s/with-link", dir);
	snprintf(plain, sizeof(plain), "%s/no-link", dir);
	/* The debug info in .debug/ beside the binary, named by its .gnu_debuglink. */
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; mkdir .debug; objcopy --only-keep-debug '%s' .debug/with-link.dbg; "
		 "strip --strip-all -o no-link '%s'; "
		 "objcopy --remove-section .gnu_debuglink --add-gnu-debuglink=.debug/with-link.dbg no-link with-link",
		 dir, exe, exe);
	if (!run(cmd))
		fail_msg("could not make the stripped copies: %s", cmd);

	fk_processes *ps = fk_processes_new();
	fk_symbolizer *s = fk_symbolizer_new(true);
	int with_link = mirror_self(ps, stripped, 4);
	int no_link = mirror_self(ps, plain, 5);
	fk_processes *self = self_processes();
	const fk_mapping *own = fk_processes_find(self, getpid(), (uint64_t)(uintptr_t)&fk_test_target_function);
	uint64_t addr = (uint64_t)(uintptr_t)&fk_test_target_function + 5;
	fk_symbol sym;
	fk_symbolize_user(s, ps, with_link, addr, &sym);
	assert_string_equal(sym.module, stripped);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "fk_test_target_function");
	assert_int_equal(sym.offset, 5);
	/* Stripped without a link: .dynsym only, where this static function is not. */
	fk_symbolize_user(s, ps, no_link, addr, &sym);
	assert_string_equal(sym.module, plain);
	assert_true(sym.name == NULL || strcmp(sym.name, "fk_test_target_function") != 0);
	(void)own;
	fk_processes_free(self);
	fk_symbolizer_free(s);
	fk_processes_free(ps);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_true(run(cmd));
}

static void test_truncated_and_corrupt_binaries(void **state)
{
	(void)state;
	char dir[] = "/tmp/flamekit-corrupt-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char exe[PATH_MAX];
	self_exe(exe, sizeof(exe));
	FILE *in = fopen(exe, "rb");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	long size = ftell(in);
	fseek(in, 0, SEEK_SET);
	unsigned char *bytes = malloc((size_t)size);
	assert_non_null(bytes);
	assert_int_equal(fread(bytes, 1, (size_t)size, in), (size_t)size);
	fclose(in);

	fk_processes *ps = fk_processes_new();
	fk_symbolizer *s = fk_symbolizer_new(true);
	const long cuts[] = { 0, 1, 16, 63, 64, 65, 200, 4096, size / 3, size / 2, size - 100, size - 1 };
	uint64_t rnd = 0x1234567;
	for (size_t i = 0; i < FK_ARRAY_LEN(cuts) + 8; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/case%zu", dir, i);
		FILE *out = fopen(path, "wb");
		assert_non_null(out);
		if (i < FK_ARRAY_LEN(cuts)) {
			fwrite(bytes, 1, (size_t)cuts[i], out); /* truncated */
		} else {
			/* Whole, with random bytes overwritten (headers included). */
			unsigned char *copy = malloc((size_t)size);
			memcpy(copy, bytes, (size_t)size);
			for (int k = 0; k < 64; k++) {
				uint64_t r = next_random(&rnd);
				size_t at = i % 2 ? (size_t)(r % 256) : (size_t)(r % (uint64_t)size);
				copy[at] = (unsigned char)(r >> 32);
			}
			fwrite(copy, 1, (size_t)size, out);
			free(copy);
		}
		fclose(out);
		int pid = mirror_self(ps, path, 10 + (int)i);
		fk_symbol sym;
		for (uint64_t off = 0; off < 64; off += 7) {
			fk_symbolize_user(s, ps, pid, (uint64_t)(uintptr_t)&fk_test_target_function + off, &sym);
			assert_string_equal(sym.module, path);
			if (sym.name)
				assert_true(strlen(sym.name) < 100000);
		}
	}
	free(bytes);
	fk_symbolizer_free(s);
	fk_processes_free(ps);
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_true(run(cmd));
}

/* ---- JIT maps ------------------------------------------------------------------------ */

static void test_jit_map(void **state)
{
	(void)state;
	int pid = fake_pid(6);
	char map[64];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", pid);
	unlink(map);
	fk_processes *ps = fk_processes_new();
	fk_symbolizer *s = fk_symbolizer_new(true);
	fk_mapping m = mapping(0x10000000, 0x10100000, 0, "//anon");
	fk_processes_mmap(ps, pid, &m);
	m = mapping(0x20000000, 0x20100000, 0, "");
	fk_processes_mmap(ps, pid, &m);
	m = mapping(0x30000000, 0x30100000, 0, "[anon:v8 code]");
	fk_processes_mmap(ps, pid, &m);

	/* No map file (yet): the map is the module, no name. */
	fk_symbol sym;
	fk_symbolize_user(s, ps, pid, 0x10000010, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, map);

	write_file(map,
		   "10000000 40 LazyCompile:*foo /srv/app.js:10\n"
		   "0x20000000 0x100 py::main:/srv/x.py\r\n"
		   "30000000 10 _ZN3foo3barEi\n"
		   "not a line\n"
		   "40000000\n"
		   "40000000 10\n"
		   "50000000 10 beyond every mapping\n",
		   "w");
	/* Absent a moment ago: looked for again only after a while. */
	sleep_ms(FK_JITMAP_RECHECK_MS + 100);
	fk_symbolize_user(s, ps, pid, 0x10000010, &sym);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "LazyCompile:*foo /srv/app.js:10");
	assert_int_equal(sym.offset, 0x10);
	assert_string_equal(sym.module, map);
	assert_int_equal(sym.kind, FK_FRAME_JIT);
	assert_int_equal(sym.file_addr, 0x10000010);
	fk_symbolize_user(s, ps, pid, 0x200000ff, &sym);
	assert_string_equal(sym.name, "py::main:/srv/x.py");
	fk_symbolize_user(s, ps, pid, 0x30000001, &sym);
	assert_string_equal(sym.name, "_ZN3foo3barEi"); /* as written: perf does not demangle these */
	/* In no mapping at all, but in the map. */
	fk_symbolize_user(s, ps, pid, 0x50000002, &sym);
	assert_string_equal(sym.name, "beyond every mapping");
	assert_int_equal(sym.kind, FK_FRAME_JIT);
	/* Past an entry's size. */
	fk_symbolize_user(s, ps, pid, 0x10000040, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, map);
	fk_symbolize_user(s, ps, pid, 0x40000000, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, "[unknown]");

	/* The JIT appends; a line still being written counts once it is whole. */
	const char *kept = NULL;
	fk_symbolize_user(s, ps, pid, 0x10000000, &sym);
	kept = sym.name;
	write_file(map, "10000100 20 LazyCompile:*bar /srv/app.js:20\n10000200 10 Lazy", "a");
	sleep_ms(FK_JITMAP_RECHECK_MS + 100);
	fk_symbolize_user(s, ps, pid, 0x10000105, &sym);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "LazyCompile:*bar /srv/app.js:20");
	assert_int_equal(sym.offset, 5);
	fk_symbolize_user(s, ps, pid, 0x10000201, &sym); /* not whole yet */
	assert_null(sym.name);
	write_file(map, "Compile:*baz /srv/app.js:30\n10000000 8 LazyCompile:*foo2 /srv/app.js:11\n", "a");
	sleep_ms(FK_JITMAP_RECHECK_MS + 100);
	fk_symbolize_user(s, ps, pid, 0x10000201, &sym);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "LazyCompile:*baz /srv/app.js:30");
	/* Code memory reused: the later entry wins; names handed out before stay valid. */
	fk_symbolize_user(s, ps, pid, 0x10000003, &sym);
	assert_string_equal(sym.name, "LazyCompile:*foo2 /srv/app.js:11");
	assert_string_equal(kept, "LazyCompile:*foo /srv/app.js:10");

	/* A new file in its place (smaller): read from the start. */
	unlink(map);
	write_file(map, "10000300 10 fresh\n", "w");
	sleep_ms(FK_JITMAP_RECHECK_MS + 100);
	fk_symbolize_user(s, ps, pid, 0x10000301, &sym);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "fresh");
	assert_string_equal(kept, "LazyCompile:*foo /srv/app.js:10");

	/* A file mapping is not looked up in the JIT map. */
	m = mapping(0x50000000, 0x50001000, 0, "/nonexistent/lib.so");
	fk_processes_mmap(ps, pid, &m);
	fk_symbolize_user(s, ps, pid, 0x50000002, &sym);
	assert_null(sym.name);
	assert_string_equal(sym.module, "/nonexistent/lib.so");
	unlink(map);
	fk_symbolizer_free(s);
	fk_processes_free(ps);
}

/* Removes the map test_jit_map writes, also when it failed half-way. */
static int remove_jit_map(void **state)
{
	(void)state;
	char map[64];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", fake_pid(6));
	unlink(map);
	return 0;
}

static void test_jit_map_direct(void **state)
{
	(void)state;
	char dir[] = "/tmp/flamekit-jit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	fk_jitmap *j = fk_jitmap_new(dir, 42);
	char path[128];
	snprintf(path, sizeof(path), "%s/perf-42.map", dir);
	assert_string_equal(fk_jitmap_path(j), path);
	uint64_t now = 1000000;
	assert_null(fk_jitmap_lookup(j, 0x1000, now));
	/* Appears: not looked for again before the interval. */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "1000 10 first\n");
	/* A long name, a line over the limit (skipped), a zero-size entry. */
	char *longname = malloc(70000);
	memset(longname, 'x', 69999);
	longname[69999] = '\0';
	fprintf(f, "2000 10 %s\n", longname);
	fprintf(f, "3000 10 %.*s\n", 1000, longname);
	fprintf(f, "4000 0 zero\n");
	fclose(f);
	free(longname);
	assert_null(fk_jitmap_lookup(j, 0x1000, now + 10));
	const fk_sym *sym = fk_jitmap_lookup(j, 0x1000, now + FK_JITMAP_RECHECK_MS);
	assert_non_null(sym);
	assert_string_equal(sym->name, "first");
	assert_null(fk_jitmap_lookup(j, 0x2000, now + FK_JITMAP_RECHECK_MS));
	sym = fk_jitmap_lookup(j, 0x3005, now + FK_JITMAP_RECHECK_MS);
	assert_non_null(sym);
	assert_int_equal(strlen(sym->name), 1000);
	sym = fk_jitmap_lookup(j, 0x4000, now + FK_JITMAP_RECHECK_MS);
	assert_non_null(sym);
	assert_string_equal(sym->name, "zero");
	/* An unterminated last line: taken once the file has stopped changing. */
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "5000 10 no newline");
	fclose(f);
	now += 10 * FK_JITMAP_RECHECK_MS;
	assert_null(fk_jitmap_lookup(j, 0x5000, now));
	sym = fk_jitmap_lookup(j, 0x5000, now + FK_JITMAP_RECHECK_MS);
	assert_non_null(sym);
	assert_string_equal(sym->name, "no newline");
	/* ... and read again, whole, if it grows after all. */
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, " after all\n");
	fclose(f);
	sym = fk_jitmap_lookup(j, 0x5000, now + 2 * FK_JITMAP_RECHECK_MS);
	assert_string_equal(sym->name, "no newline"); /* found: no reason to look again */
	assert_null(fk_jitmap_lookup(j, 0x6000, now + 2 * FK_JITMAP_RECHECK_MS));
	sym = fk_jitmap_lookup(j, 0x5000, now + 2 * FK_JITMAP_RECHECK_MS);
	assert_string_equal(sym->name, "no newline after all");
	fk_jitmap_free(j);
	unlink(path);
	rmdir(dir);
}

/* ---- kernel ------------------------------------------------------------------------------ */

static void test_symbolize_kernel(void **state)
{
	(void)state;
	fk_symbolizer *s = fk_symbolizer_new(true);
	fk_symbol sym;
	if (!fk_symbolizer_kernel_available(s)) {
		/* kptr_restrict: no names, but the module is still the kernel. */
		fk_symbolize_kernel(s, 0xffffffff81000010ULL, &sym);
		assert_null(sym.name);
		assert_string_equal(sym.module, "[kernel.kallsyms]");
		assert_int_equal(sym.kind, FK_FRAME_KERNEL);
		fk_symbolizer_free(s);
		skip();
	}
	/* A text symbol with an address of its own and room after it. */
	FILE *f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	char line[512], prev_name[256] = "", name[256], type;
	unsigned long long addr, prev_addr = 0, chosen = 0, prev_prev_addr = 0;
	char chosen_name[256] = "";
	char prev_type = 0;
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || strchr(line, '\t'))
			continue;
		if (prev_type == 'T' && prev_addr != prev_prev_addr && addr > prev_addr + 16 &&
		    strncmp(prev_name, "__pfx_", 6) != 0 && ++found == 100) {
			chosen = prev_addr;
			snprintf(chosen_name, sizeof(chosen_name), "%s", prev_name);
			break;
		}
		prev_prev_addr = prev_addr;
		prev_addr = addr;
		prev_type = type;
		snprintf(prev_name, sizeof(prev_name), "%s", name);
	}
	fclose(f);
	assert_true(chosen != 0);
	fk_symbolize_kernel(s, chosen + 1, &sym);
	assert_non_null(sym.name);
	if (strcmp(sym.name, chosen_name) != 0)
		fail_msg("%llx+1: got %s, expected %s", chosen, sym.name, chosen_name);
	assert_int_equal(sym.offset, 1);
	assert_string_equal(sym.module, "[kernel.kallsyms]");
	assert_int_equal(sym.kind, FK_FRAME_KERNEL);
	assert_int_equal(sym.file_addr, chosen + 1);
	fk_symbolizer_free(s);
}

static void test_kallsyms_file(void **state)
{
	(void)state;
	char path[] = "/tmp/flamekit-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path,
		   "ffffffff81000000 T _text\n"
		   "ffffffff81000000 T _stext\n"
		   "ffffffff81000000 t srso_alias\n"
		   "ffffffff81000100 W weak_fn\n"
		   "ffffffff81000100 t local_fn\n"
		   "ffffffff81000200 T ksys_read\n"
		   "ffffffff81000200 T __x64_sys_read\n"
		   "ffffffff81000300 D some_data\n"
		   "ffffffff81000400 T last_kernel\n"
		   "garbage line\n"
		   "ffffffffc0000000 t mod_fn\t[mymod]\n"
		   "ffffffffc0000040 T mod_fn2\t[mymod]\n"
		   "ffffffffc0100000 t other_fn\t[other]\n",
		   "w");
	fk_kallsyms *k = fk_kallsyms_load(path);
	assert_true(fk_kallsyms_available(k));
	/* Same address: perf's choice. Sizes are fixed before duplicates are removed, so
	 * the last of the sizeless aliases is the only one with a size: it wins, whatever
	 * its binding or name (as perf names memcpy "__pi_memcpy"). */
	const fk_sym *sym = fk_kallsyms_lookup(k, 0xffffffff81000010ULL);
	assert_non_null(sym);
	assert_string_equal(sym->name, "srso_alias");
	assert_null(sym->module);
	sym = fk_kallsyms_lookup(k, 0xffffffff81000100ULL);
	assert_string_equal(sym->name, "local_fn");
	sym = fk_kallsyms_lookup(k, 0xffffffff81000234ULL);
	assert_string_equal(sym->name, "__x64_sys_read");
	/* Data symbols are not functions: the previous one extends over it. */
	sym = fk_kallsyms_lookup(k, 0xffffffff81000300ULL);
	assert_string_equal(sym->name, "__x64_sys_read");
	/* The kernel's last symbol ends at a page, not at the first module. */
	sym = fk_kallsyms_lookup(k, 0xffffffff81001fffULL);
	assert_string_equal(sym->name, "last_kernel");
	assert_null(fk_kallsyms_lookup(k, 0xffffffff81002000ULL));
	assert_null(fk_kallsyms_lookup(k, 0xffffffffbfffffffULL));
	sym = fk_kallsyms_lookup(k, 0xffffffffc0000041ULL);
	assert_string_equal(sym->name, "mod_fn2");
	assert_string_equal(sym->module, "[mymod]");
	sym = fk_kallsyms_lookup(k, 0xffffffffc0100001ULL);
	assert_string_equal(sym->name, "other_fn");
	assert_string_equal(sym->module, "[other]");
	assert_null(fk_kallsyms_lookup(k, 0xffffffff80000000ULL));
	fk_kallsyms_free(k);

	/* kptr_restrict: all zeros. */
	write_file(path, "0000000000000000 T _text\n0000000000000000 t foo\t[mod]\n", "w");
	k = fk_kallsyms_load(path);
	assert_false(fk_kallsyms_available(k));
	assert_null(fk_kallsyms_lookup(k, 0));
	assert_null(fk_kallsyms_lookup(k, 0x10));
	fk_kallsyms_free(k);
	unlink(path);
	/* Missing file. */
	k = fk_kallsyms_load("/nonexistent/kallsyms");
	assert_false(fk_kallsyms_available(k));
	fk_kallsyms_free(k);
}

/* ---- symbol table rules -------------------------------------------------------------------- */

static void add(fk_symtab *t, uint64_t start, uint64_t size, const char *name, uint8_t binding, uint8_t type)
{
	fk_symtab_add(t, start, size, name, strlen(name), binding, type, NULL);
}

static const char *name_at(fk_symtab *t, uint64_t addr)
{
	fk_sym *s = fk_symtab_lookup(t, addr, false);
	return s ? s->name : NULL;
}

static void test_symtab_rules(void **state)
{
	(void)state;
	fk_symtab t;
	fk_symtab_init(&t, FK_SYMTAB_ELF);
	/* 0x1000: sized over sizeless, whatever the binding. */
	add(&t, 0x1000, 0, "sizeless_global", STB_GLOBAL, STT_FUNC);
	add(&t, 0x1000, 0x10, "sized_local", STB_LOCAL, STT_FUNC);
	/* 0x2000: a function over a label. */
	add(&t, 0x2000, 0x10, "label", STB_GLOBAL, STT_NOTYPE);
	add(&t, 0x2000, 0x10, "func", STB_LOCAL, STT_FUNC);
	/* 0x3000: global over weak over local... but non-weak first: local beats weak. */
	add(&t, 0x3000, 0x10, "weak_with_a_longer_name", STB_WEAK, STT_FUNC);
	add(&t, 0x3000, 0x10, "local", STB_LOCAL, STT_FUNC);
	add(&t, 0x4000, 0x10, "weak2", STB_WEAK, STT_FUNC);
	add(&t, 0x4000, 0x10, "global2", STB_GLOBAL, STT_FUNC);
	add(&t, 0x4000, 0x10, "local2", STB_LOCAL, STT_FUNC);
	/* 0x5000: fewer leading underscores, then the longer name. */
	add(&t, 0x5000, 0x10, "__libc_read", STB_GLOBAL, STT_FUNC);
	add(&t, 0x5000, 0x10, "read", STB_GLOBAL, STT_FUNC);
	add(&t, 0x5000, 0x10, "readx", STB_GLOBAL, STT_FUNC);
	/* 0x6000: sizeless, extends to the next symbol (0x6100). */
	add(&t, 0x6000, 0, "asm_entry", STB_GLOBAL, STT_FUNC);
	add(&t, 0x6100, 0x10, "next", STB_GLOBAL, STT_FUNC);
	/* 0x7000: a big function with a smaller one inside. */
	add(&t, 0x7000, 0x100, "outer", STB_GLOBAL, STT_FUNC);
	add(&t, 0x7010, 0x10, "inner", STB_LOCAL, STT_FUNC);
	/* 0x8000: sizeless aliases: the last one gets the extent, and so wins. */
	add(&t, 0x8000, 0, "alias_global", STB_GLOBAL, STT_FUNC);
	add(&t, 0x8000, 0, "__alias_weak", STB_WEAK, STT_FUNC);
	/* The last one, sizeless: up to the page after. */
	add(&t, 0x9010, 0, "last", STB_GLOBAL, STT_FUNC);
	fk_symtab_finish(&t);
	assert_string_equal(name_at(&t, 0x1005), "sized_local");
	assert_null(name_at(&t, 0x1010));
	assert_string_equal(name_at(&t, 0x2000), "func");
	assert_string_equal(name_at(&t, 0x3000), "local");
	assert_string_equal(name_at(&t, 0x4000), "global2");
	assert_string_equal(name_at(&t, 0x5000), "readx");
	assert_string_equal(name_at(&t, 0x60ff), "asm_entry");
	assert_string_equal(name_at(&t, 0x6100), "next");
	assert_null(name_at(&t, 0x6110));
	assert_string_equal(name_at(&t, 0x7015), "inner");
	assert_string_equal(name_at(&t, 0x7025), "outer");
	assert_null(name_at(&t, 0x7100));
	assert_string_equal(name_at(&t, 0x8005), "__alias_weak");
	assert_string_equal(name_at(&t, 0x900f), "__alias_weak");
	assert_string_equal(name_at(&t, 0xafff), "last");
	assert_null(name_at(&t, 0xb000));
	assert_null(name_at(&t, 0xfff));
	assert_null(name_at(&t, 0));
	assert_null(name_at(&t, UINT64_MAX));
	fk_symtab_free(&t);

	/* An empty table. */
	fk_symtab_init(&t, FK_SYMTAB_ELF);
	fk_symtab_finish(&t);
	assert_null(name_at(&t, 0x1000));
	fk_symtab_free(&t);

	/* Segments: file offset to ELF address. */
	fk_binary b = { 0 };
	fk_elf_segment segs[] = {
		{ .offset = 0, .filesz = 0x1000, .memsz = 0x1000, .vaddr = 0x400000, .exec = false },
		{ .offset = 0x1000, .filesz = 0x2000, .memsz = 0x2000, .vaddr = 0x401000, .exec = true },
		{ .offset = 0x2f00, .filesz = 0x200, .memsz = 0x5000, .vaddr = 0x603f00, .exec = false },
	};
	b.segments = segs;
	b.segment_count = FK_ARRAY_LEN(segs);
	uint64_t addr;
	assert_true(fk_binary_file_addr(&b, 0x1234, true, &addr));
	assert_int_equal(addr, 0x401234);
	assert_true(fk_binary_file_addr(&b, 0x10, false, &addr));
	assert_int_equal(addr, 0x400010);
	/* Offset in two segments: the executable one for an executable mapping. */
	assert_true(fk_binary_file_addr(&b, 0x2f10, true, &addr));
	assert_int_equal(addr, 0x402f10);
	assert_true(fk_binary_file_addr(&b, 0x2f10, false, &addr));
	assert_int_equal(addr, 0x603f10);
	assert_true(fk_binary_file_addr(&b, 0x3000, false, &addr));
	assert_int_equal(addr, 0x604000);
	assert_false(fk_binary_file_addr(&b, 0x9000, true, &addr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_overlap_and_split),
		cmocka_unit_test(test_maps_many_mappings_and_threads),
		cmocka_unit_test(test_maps_fork_exec_comm),
		cmocka_unit_test(test_proc_maps_lines),
		cmocka_unit_test(test_read_proc_self),
		cmocka_unit_test(test_symbolize_own_function),
		cmocka_unit_test(test_symbolize_libc),
		cmocka_unit_test(test_symbolize_vdso),
		cmocka_unit_test(test_symbolize_unknown),
		cmocka_unit_test(test_debuglink_and_stripped),
		cmocka_unit_test(test_truncated_and_corrupt_binaries),
		cmocka_unit_test_teardown(test_jit_map, remove_jit_map),
		cmocka_unit_test(test_jit_map_direct),
		cmocka_unit_test(test_symbolize_kernel),
		cmocka_unit_test(test_kallsyms_file),
		cmocka_unit_test(test_symtab_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
