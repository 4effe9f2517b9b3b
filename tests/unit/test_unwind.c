/* test_unwind.c: checks src/sample/unwind.c on this test process's own stack. A chain of
 * functions compiled without frame pointers (one of them leaves garbage in rbp, so only
 * DWARF CFI can walk through it) captures its registers with inline asm and copies the
 * stack above its stack pointer, as the kernel does for a `--call-graph dwarf` sample;
 * the unwinder must return the chain's return addresses in order, through cmocka, up to
 * main and into libc. Also: truncated and empty stack copies, max 0/1/n, garbage
 * registers and stacks, unusable mappings (missing file, other inode), mapping changes
 * (kept and rebuilt sessions), a sample interrupted in the vDSO, other processes running
 * a non-PIE executable and an lld-linked PIE (compiled by the test with $CC, else cc;
 * skipped when that fails), and the per-sample cost (printed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/sample/unwind.h"

/* Functions of the captured chain: never inlined, cloned or frame-pointer based. */
#if defined(__clang__)
#define CHAIN_FN __attribute__((noinline, used))
#else
#define CHAIN_FN __attribute__((noipa, used, optimize("omit-frame-pointer")))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define FK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FK_ASAN 1
#endif
#endif

#define NREGS 17 /* popcount(FK_UNWIND_REGS_MASK) */
#define R_BP 6
#define R_SP 7
#define R_IP 8
#define GARBAGE_RBP UINT64_C(0x5eed)
#define STACK_COPY (64 * 1024)
#define MAX_PCS 128

/* One sample: registers in FK_UNWIND_REGS_MASK order (AX BX CX DX SI DI BP SP IP
 * R8..R15) and the bytes from SP up. */
typedef struct sample {
	uint64_t regs[NREGS];
	uint8_t stack[STACK_COPY];
	size_t stack_size;
	uint64_t stack_end; /* end of the stack mapping: copies stop there */
} sample;

/* ---- capturing ---- */

/* Copies the live stack, which holds other frames' redzones under ASan. */
#if defined(FK_ASAN)
__attribute__((no_sanitize_address))
#endif
static void copy_stack(sample *s, uint64_t sp)
{
	size_t n = STACK_COPY;
	if (s->stack_end > sp && s->stack_end - sp < n)
		n = (size_t)(s->stack_end - sp);
	const volatile uint8_t *from = (const volatile uint8_t *)(uintptr_t)sp;
	for (size_t i = 0; i < n; i++)
		s->stack[i] = from[i];
	s->stack_size = n;
}

static CHAIN_FN void capture_here(sample *s)
{
	uint64_t *r = s->regs;
	__asm__ volatile("movq %%rax, 0(%0)\n\t"
			 "movq %%rbx, 8(%0)\n\t"
			 "movq %%rcx, 16(%0)\n\t"
			 "movq %%rdx, 24(%0)\n\t"
			 "movq %%rsi, 32(%0)\n\t"
			 "movq %%rdi, 40(%0)\n\t"
			 "movq %%rbp, 48(%0)\n\t"
			 "movq %%rsp, 56(%0)\n\t"
			 "leaq 0(%%rip), %%rax\n\t"
			 "movq %%rax, 64(%0)\n\t"
			 "movq %%r8, 72(%0)\n\t"
			 "movq %%r9, 80(%0)\n\t"
			 "movq %%r10, 88(%0)\n\t"
			 "movq %%r11, 96(%0)\n\t"
			 "movq %%r12, 104(%0)\n\t"
			 "movq %%r13, 112(%0)\n\t"
			 "movq %%r14, 120(%0)\n\t"
			 "movq %%r15, 128(%0)\n\t"
			 :
			 : "r"(r)
			 : "rax", "memory");
	copy_stack(s, r[R_SP]);
}

static CHAIN_FN uint64_t level3(sample *s, int depth)
{
	volatile uint64_t pad[5];
	pad[0] = (uint64_t)depth;
	capture_here(s);
	pad[1] = s->regs[0];
	return pad[0] + pad[1];
}

static CHAIN_FN uint64_t level2(sample *s, int depth)
{
	volatile uint64_t pad[37];
	pad[0] = (uint64_t)depth;
	pad[36] = level3(s, depth + 1);
	return pad[0] + pad[36];
}

/* Leaves garbage in rbp (saved and restored, with CFI) while its callees run. */
static CHAIN_FN uint64_t level1(sample *s, int depth)
{
	volatile uint64_t pad[3];
	pad[0] = (uint64_t)depth;
	__asm__ volatile("movq %0, %%rbp" : : "i"(GARBAGE_RBP) : "rbp");
	pad[2] = level2(s, depth + 1);
	return pad[0] + pad[2];
}

static CHAIN_FN uint64_t deep(sample *s, int n)
{
	volatile uint64_t pad[3];
	pad[0] = (uint64_t)n;
	if (n == 0)
		capture_here(s);
	else
		pad[1] = deep(s, n - 1);
	return pad[0] + pad[1];
}

/* ---- this binary's symbols ---- */

int main(void); /* its address gives the load bias */

typedef struct func {
	char *name;
	uint64_t start, end; /* runtime addresses */
} func;

typedef struct symbols {
	func *funcs;
	size_t count;
} symbols;

/* The functions of an ELF file's .symtab, at their file addresses; *main_value gets
 * main's. */
static void read_symbols_of(const char *path, symbols *syms, uint64_t *main_value)
{
	memset(syms, 0, sizeof(*syms));
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	Elf_Scn *scn = NULL;
	size_t cap = 0;
	*main_value = 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(scn, &sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		assert_non_null(data);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			assert_non_null(gelf_getsym(data, (int)i, &sym));
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name == NULL)
				continue;
			fk_grow((void **)&syms->funcs, sizeof(func), &cap, syms->count + 1);
			func *f = &syms->funcs[syms->count++];
			f->name = fk_xstrdup(name);
			f->start = sym.st_value;
			f->end = sym.st_value + (sym.st_size ? sym.st_size : 1);
			if (strcmp(name, "main") == 0)
				*main_value = sym.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(*main_value != 0);
}

/* This test binary's functions at their runtime addresses. */
static void read_symbols(symbols *syms)
{
	uint64_t main_value;
	read_symbols_of("/proc/self/exe", syms, &main_value);
	/* PIE or not: the bias is where main really is minus its symbol value. */
	uint64_t bias = (uint64_t)(uintptr_t)&main - main_value;
	for (size_t i = 0; i < syms->count; i++) {
		syms->funcs[i].start += bias;
		syms->funcs[i].end += bias;
	}
}

static void free_symbols(symbols *syms)
{
	for (size_t i = 0; i < syms->count; i++)
		free(syms->funcs[i].name);
	free(syms->funcs);
}

static const func *func_named(const symbols *syms, const char *name)
{
	for (size_t i = 0; i < syms->count; i++)
		if (strcmp(syms->funcs[i].name, name) == 0)
			return &syms->funcs[i];
	fail_msg("no symbol %s", name);
	return NULL;
}

static const char *func_at(const symbols *syms, uint64_t addr)
{
	for (size_t i = 0; i < syms->count; i++)
		if (addr >= syms->funcs[i].start && addr < syms->funcs[i].end)
			return syms->funcs[i].name;
	return NULL;
}

/* The function (of this binary) or the mapping containing addr, for messages. */
static const char *where(const symbols *syms, const fk_processes *ps, uint64_t addr)
{
	const char *name = func_at(syms, addr);
	if (name)
		return name;
	const fk_mapping *m = fk_processes_find(ps, getpid(), addr);
	return m && m->path ? m->path : "?";
}

/* ---- fixture ---- */

typedef struct fixture {
	fk_processes *ps;
	fk_unwinder *u;
	symbols syms;
	sample *s;
	int pid;
} fixture;

static int setup(void **state)
{
	fixture *f = fk_xcalloc(1, sizeof(*f));
	f->pid = getpid();
	f->ps = fk_processes_new();
	fk_error err;
	if (fk_processes_read_proc(f->ps, f->pid, &err) != 0)
		fail_msg("fk_processes_read_proc: %s", err.msg);
	f->u = fk_unwinder_new();
	read_symbols(&f->syms);
	f->s = fk_xcalloc(1, sizeof(sample));
	uint64_t local = (uint64_t)(uintptr_t)&local;
	const fk_mapping *stack = fk_processes_find(f->ps, f->pid, local);
	assert_non_null(stack);
	f->s->stack_end = stack->end;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	fk_unwinder_free(f->u);
	fk_processes_free(f->ps);
	free_symbols(&f->syms);
	free(f->s);
	free(f);
	return 0;
}

static size_t unwind(fixture *f, const uint64_t *regs, const uint8_t *stack, size_t size,
		     uint64_t *pcs, size_t max)
{
	return fk_unwind(f->u, f->ps, f->pid, f->pid, regs, FK_UNWIND_REGS_MASK, stack, size, pcs,
			 max);
}

static void print_stack(const fixture *f, const uint64_t *pcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("    #%zu %#llx %s\n", i, (unsigned long long)pcs[i],
		       where(&f->syms, f->ps, i ? pcs[i] - 1 : pcs[i]));
}

/* Asserts pcs[i] (the IP for i == 0, else a return address) lies in function name. */
static void assert_frame_in(const fixture *f, const uint64_t *pcs, size_t n, size_t i,
			    const char *name)
{
	if (i >= n) {
		print_stack(f, pcs, n);
		fail_msg("frame #%zu (%s) missing: only %zu frames", i, name, n);
	}
	const func *fn = func_named(&f->syms, name);
	uint64_t a = i ? pcs[i] - 1 : pcs[i];
	if (a < fn->start || a >= fn->end) {
		print_stack(f, pcs, n);
		fail_msg("frame #%zu is %#llx (%s), not in %s", i, (unsigned long long)pcs[i],
			 where(&f->syms, f->ps, a), name);
	}
}

/* Captures in level3 <- level2 <- level1 <- caller, unwinds the full copy. */
static CHAIN_FN size_t capture_chain(fixture *f, uint64_t *pcs)
{
	level1(f->s, 0);
	return unwind(f, f->s->regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS);
}

/* True if the code of fn sets up rbp as a frame pointer (mov %rsp,%rbp). */
static bool uses_frame_pointer(const func *fn)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)fn->start;
	for (uint64_t i = 0; i + 3 <= fn->end - fn->start; i++)
		if (p[i] == 0x48 && p[i + 1] == 0x89 && p[i + 2] == 0xe5)
			return true;
	return false;
}

/* ---- tests ---- */

static void test_chain_without_frame_pointers(void **state)
{
	fixture *f = *state;
	static const char *const chain[] = {"capture_here", "level3", "level2", "level1"};
	for (size_t i = 0; i < FK_ARRAY_LEN(chain); i++)
		if (uses_frame_pointer(func_named(&f->syms, chain[i])))
			fail_msg("%s was compiled with a frame pointer", chain[i]);

	uint64_t pcs[MAX_PCS];
	size_t n = capture_chain(f, pcs);
	/* Frame pointer walking cannot get through level1. */
	assert_int_equal(f->s->regs[R_BP], GARBAGE_RBP);
	printf("  unwound %zu frames from a %zu-byte stack copy:\n", n, f->s->stack_size);
	print_stack(f, pcs, n);
	assert_int_equal(pcs[0], f->s->regs[R_IP]);
	for (size_t i = 0; i < FK_ARRAY_LEN(chain); i++)
		assert_frame_in(f, pcs, n, i, chain[i]);
	assert_frame_in(f, pcs, n, 4, "capture_chain");
	assert_frame_in(f, pcs, n, 5, "test_chain_without_frame_pointers");
	/* cmocka's frames, then main, then libc's start code. */
	size_t main_at = 0;
	for (size_t i = 6; i < n && !main_at; i++) {
		const char *name = func_at(&f->syms, pcs[i] - 1);
		if (name && strcmp(name, "main") == 0)
			main_at = i;
	}
	if (!main_at)
		fail_msg("main is not among the %zu frames", n);
	for (size_t i = 6; i < main_at; i++) {
		const fk_mapping *m = fk_processes_find(f->ps, f->pid, pcs[i] - 1);
		assert_non_null(m);
		assert_non_null(strstr(m->path, "cmocka"));
	}
	assert_true(main_at + 1 < n);
	const fk_mapping *libc = fk_processes_find(f->ps, f->pid, pcs[main_at + 1] - 1);
	assert_non_null(libc);
	assert_non_null(strstr(libc->path, "libc"));

	/* The same sample again, through the cached session: the same frames. */
	uint64_t again[MAX_PCS];
	assert_int_equal(unwind(f, f->s->regs, f->s->stack, f->s->stack_size, again, MAX_PCS), n);
	assert_memory_equal(again, pcs, n * sizeof(*pcs));
}

static void test_truncated_and_empty_stacks(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	assert_true(n_full >= 8);
	/* Copies up to 1 KiB: a prefix of the frames, growing with the copy. */
	size_t prev = 0;
	for (size_t size = 0; size <= 1024; size += 8) {
		size_t n = unwind(f, f->s->regs, f->s->stack, size, pcs, MAX_PCS);
		assert_true(n >= 1 && n < n_full);
		assert_memory_equal(pcs, full, n * sizeof(*pcs));
		assert_true(n >= prev); /* more stack never loses frames */
		prev = n;
	}
	assert_true(prev >= 3);
	assert_int_equal(unwind(f, f->s->regs, f->s->stack, 0, pcs, MAX_PCS), 1);
	assert_int_equal(unwind(f, f->s->regs, NULL, 0, pcs, MAX_PCS), 1);
	assert_int_equal(pcs[0], f->s->regs[R_IP]);
	/* 4 KiB: the chain's frames, not main's. */
	size_t n = unwind(f, f->s->regs, f->s->stack, 4096, pcs, MAX_PCS);
	assert_true(n >= 5 && n < n_full);
	assert_memory_equal(pcs, full, n * sizeof(*pcs));
}

static void test_max(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	const sample *s = f->s;
	pcs[0] = 42;
	assert_int_equal(unwind(f, s->regs, s->stack, s->stack_size, pcs, 0), 0);
	assert_int_equal(pcs[0], 42);
	assert_int_equal(unwind(f, s->regs, s->stack, s->stack_size, pcs, 1), 1);
	assert_int_equal(pcs[0], s->regs[R_IP]);
	for (size_t max = 2; max <= n_full; max++) {
		uint64_t out[MAX_PCS + 1];
		out[max] = 42;
		assert_int_equal(unwind(f, s->regs, s->stack, s->stack_size, out, max), max);
		assert_memory_equal(out, full, max * sizeof(*out));
		assert_int_equal(out[max], 42);
	}
	/* No IP: nothing; no SP: only the IP. */
	assert_int_equal(fk_unwind(f->u, f->ps, f->pid, f->pid, s->regs, 0, s->stack,
				   s->stack_size, pcs, MAX_PCS),
			 0);
	uint64_t no_sp[NREGS - 1];
	memcpy(no_sp, s->regs, R_SP * sizeof(uint64_t));
	memcpy(no_sp + R_SP, s->regs + R_SP + 1, (NREGS - R_SP - 1) * sizeof(uint64_t));
	assert_int_equal(fk_unwind(f->u, f->ps, f->pid, f->pid, no_sp,
				   FK_UNWIND_REGS_MASK & ~(UINT64_C(1) << 7), s->stack, s->stack_size,
				   pcs, MAX_PCS),
			 1);
	assert_int_equal(pcs[0], s->regs[R_IP]);
	assert_int_equal(fk_unwind(f->u, f->ps, f->pid, f->pid, NULL, FK_UNWIND_REGS_MASK, NULL, 0,
				   pcs, MAX_PCS),
			 0);
}

/* A mask with extra registers (FLAGS, segment registers) shifts the values; the
 * unwinder must pick them by bit. */
static void test_other_register_masks(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	uint64_t regs[24];
	for (unsigned bit = 0; bit < 24; bit++) {
		if (bit <= 8)
			regs[bit] = f->s->regs[bit];
		else if (bit >= 16)
			regs[bit] = f->s->regs[9 + bit - 16];
		else
			regs[bit] = 0xdeadbeef; /* FLAGS, segment registers */
	}
	assert_int_equal(fk_unwind(f->u, f->ps, f->pid, f->pid, regs, 0xffffffULL, f->s->stack,
				   f->s->stack_size, pcs, MAX_PCS),
			 n_full);
	assert_memory_equal(pcs, full, n_full * sizeof(*pcs));
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_garbage(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	sample *s = f->s;
	static uint8_t junk[8192];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	const fk_mapping *text = fk_processes_find(f->ps, f->pid, s->regs[R_IP]);
	assert_non_null(text);
	size_t total = 0, most = 0;
	for (int iter = 0; iter < 3000; iter++) {
		uint64_t regs[NREGS];
		for (size_t i = 0; i < NREGS; i++)
			regs[i] = xorshift(&rng);
		for (size_t i = 0; i < sizeof(junk); i += 8) {
			uint64_t w = xorshift(&rng);
			/* Some words that look like code or stack addresses. */
			if (w % 7 == 0)
				w = text->start + w % (text->end - text->start);
			else if (w % 7 == 1)
				w = s->regs[R_SP] + w % sizeof(junk);
			memcpy(junk + i, &w, 8);
		}
		switch (iter % 5) {
		case 0: /* everything random */
			break;
		case 1: /* the real IP and SP over a random stack */
			regs[R_IP] = s->regs[R_IP];
			regs[R_SP] = s->regs[R_SP];
			break;
		case 2: /* an IP somewhere in the code, SP nowhere near the copy */
			regs[R_IP] = text->start + regs[R_IP] % (text->end - text->start);
			regs[R_SP] = 0x10;
			break;
		case 3: /* the real registers over a corrupted copy of the real stack */
			memcpy(regs, s->regs, sizeof(regs));
			memcpy(junk, s->stack, 256);
			break;
		default: /* an IP in the code, the real stack pointer and rbp into the copy */
			regs[R_IP] = text->start + regs[R_IP] % (text->end - text->start);
			regs[R_SP] = s->regs[R_SP];
			regs[R_BP] = s->regs[R_SP] + regs[R_BP] % sizeof(junk);
			break;
		}
		size_t max = 1 + (size_t)(xorshift(&rng) % MAX_PCS);
		size_t size = iter % 11 == 0 ? 0 : sizeof(junk) - (size_t)(xorshift(&rng) % 64);
		size_t n = unwind(f, regs, junk, size, pcs, max);
		assert_true(n >= 1 && n <= max);
		assert_int_equal(pcs[0], regs[R_IP]);
		total += n;
		if (n > most)
			most = n;
	}
	printf("  garbage: 3000 samples, %zu frames in all, at most %zu\n", total, most);
	/* The real sample still unwinds the same way afterwards. */
	assert_int_equal(unwind(f, s->regs, s->stack, s->stack_size, pcs, MAX_PCS), n_full);
	assert_memory_equal(pcs, full, n_full * sizeof(*pcs));
}

/* Mappings whose file cannot be used: only the IP comes back. */
static void test_unusable_mappings(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	capture_chain(f, full);
	uint64_t regs[NREGS];
	memcpy(regs, f->s->regs, sizeof(regs));
	regs[R_BP] = 0; /* no frame pointer for libdwfl's fallback either */

	fk_mapping gone = {.start = UINT64_C(0x100000000000),
			   .end = UINT64_C(0x100000010000),
			   .prot = PROT_READ | PROT_EXEC,
			   .path = "/nonexistent/libgone.so"};
	fk_processes_mmap(f->ps, f->pid, &gone);
	regs[R_IP] = gone.start + 0x1234;
	assert_int_equal(unwind(f, regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS), 1);
	assert_int_equal(pcs[0], regs[R_IP]);

	/* The test binary itself, but claimed to be another inode on its device. */
	struct stat st;
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	fk_mapping other = {.start = UINT64_C(0x200000000000),
			    .end = UINT64_C(0x200000100000),
			    .prot = PROT_READ | PROT_EXEC,
			    .maj = major(st.st_dev),
			    .min = minor(st.st_dev),
			    .ino = st.st_ino + 1,
			    .path = "/proc/self/exe"};
	fk_processes_mmap(f->ps, f->pid, &other);
	regs[R_IP] = other.start + 0x1234;
	assert_int_equal(unwind(f, regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS), 1);

	/* Not an ELF file. */
	fk_mapping text = {.start = UINT64_C(0x300000000000),
			   .end = UINT64_C(0x300000001000),
			   .prot = PROT_READ | PROT_EXEC,
			   .path = "/proc/self/maps"};
	fk_processes_mmap(f->ps, f->pid, &text);
	regs[R_IP] = text.start + 0x10;
	assert_int_equal(unwind(f, regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS), 1);
}

/* New mappings elsewhere keep the session; replacing a mapping a module came from drops
 * it (the replaced code cannot be unwound any more). */
static void test_mapping_changes(void **state)
{
	fixture *f = *state;
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	uint64_t v0 = fk_processes_maps_version(f->ps, f->pid);
	fk_mapping anon = {.start = UINT64_C(0x400000000000),
			   .end = UINT64_C(0x400000001000),
			   .prot = PROT_READ | PROT_WRITE,
			   .path = ""};
	fk_processes_mmap(f->ps, f->pid, &anon);
	assert_true(fk_processes_maps_version(f->ps, f->pid) != v0);
	size_t n = unwind(f, f->s->regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS);
	assert_int_equal(n, n_full);
	assert_memory_equal(pcs, full, n_full * sizeof(*pcs));

	const fk_mapping *m = fk_processes_find(f->ps, f->pid, f->s->regs[R_IP]);
	assert_non_null(m);
	fk_mapping original = *m; /* its path stays valid while f->ps lives */
	fk_mapping replaced = *m;
	replaced.path = "/nonexistent/replacement";
	replaced.ino = 0;
	fk_processes_mmap(f->ps, f->pid, &replaced);
	uint64_t regs[NREGS];
	memcpy(regs, f->s->regs, sizeof(regs));
	regs[R_BP] = 0;
	assert_int_equal(unwind(f, regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS), 1);

	/* And back: unwinds fully again. */
	fk_processes_mmap(f->ps, f->pid, &original);
	n = unwind(f, f->s->regs, f->s->stack, f->s->stack_size, pcs, MAX_PCS);
	assert_int_equal(n, n_full);
	assert_memory_equal(pcs, full, n_full * sizeof(*pcs));
}

/* The vDSO's address of one of its functions, from its dynamic symbols. */
static uint64_t vdso_function(const char *name)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	if (base == 0)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	Elf *elf = elf_memory((char *)base, eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize);
	assert_non_null(elf);
	uint64_t addr = 0;
	Elf_Scn *scn = NULL;
	while (!addr && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;
			if (gelf_getsym(data, (int)i, &sym) && sym.st_value &&
			    (s = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    strcmp(s, name) == 0) {
				addr = base + sym.st_value;
				break;
			}
		}
	}
	elf_end(elf);
	return addr;
}

/* A sample taken on the first instruction of a vDSO function called from capture_here:
 * the return address on top of the stack, then capture_here's frame. */
static void test_vdso(void **state)
{
	fixture *f = *state;
	uint64_t entry = vdso_function("__vdso_clock_gettime");
	if (entry == 0)
		skip();
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	size_t n_full = capture_chain(f, full);
	uint64_t regs[NREGS];
	memcpy(regs, f->s->regs, sizeof(regs));
	regs[R_IP] = entry;
	regs[R_SP] = f->s->regs[R_SP] - 8;
	uint8_t *stack = fk_xmalloc(f->s->stack_size + 8);
	memcpy(stack, &f->s->regs[R_IP], 8);
	memcpy(stack + 8, f->s->stack, f->s->stack_size);
	size_t n = unwind(f, regs, stack, f->s->stack_size + 8, pcs, MAX_PCS);
	free(stack);
	printf("  from the vDSO: %zu frames\n", n);
	if (n != n_full + 1)
		print_stack(f, pcs, n);
	assert_int_equal(n, n_full + 1);
	assert_int_equal(pcs[0], entry);
	assert_memory_equal(pcs + 1, full, n_full * sizeof(*pcs));
}

/* ---- other processes, other linkers ---- */

/* A program that captures its stack like capture_here, writes main's address, the
 * registers, the copy's size and the copy to stdout, and waits for stdin to close so
 * that its mappings can be read. */
static const char child_source[] =
	"#include <stdint.h>\n"
	"#include <stdio.h>\n"
	"#include <string.h>\n"
	"#include <unistd.h>\n"
	"static uint64_t regs[17], stack_size, stack_end;\n"
	"static unsigned char stack[32768];\n"
	"static uint64_t end_of_mapping(uint64_t addr)\n"
	"{\n"
	"	FILE *f = fopen(\"/proc/self/maps\", \"r\");\n"
	"	char line[512];\n"
	"	unsigned long long a, b, end = addr;\n"
	"	while (f && fgets(line, sizeof line, f))\n"
	"		if (sscanf(line, \"%llx-%llx\", &a, &b) == 2 && addr >= a && addr < b)\n"
	"			end = b;\n"
	"	if (f)\n"
	"		fclose(f);\n"
	"	return end;\n"
	"}\n"
	"__attribute__((noinline)) static void capture(void)\n"
	"{\n"
	"	uint64_t *r = regs;\n"
	"	__asm__ volatile(\"movq %%rax, 0(%0)\\n\\tmovq %%rbx, 8(%0)\\n\\t\"\n"
	"			 \"movq %%rcx, 16(%0)\\n\\tmovq %%rdx, 24(%0)\\n\\t\"\n"
	"			 \"movq %%rsi, 32(%0)\\n\\tmovq %%rdi, 40(%0)\\n\\t\"\n"
	"			 \"movq %%rbp, 48(%0)\\n\\tmovq %%rsp, 56(%0)\\n\\t\"\n"
	"			 \"leaq 0(%%rip), %%rax\\n\\tmovq %%rax, 64(%0)\\n\\t\"\n"
	"			 \"movq %%r8, 72(%0)\\n\\tmovq %%r9, 80(%0)\\n\\t\"\n"
	"			 \"movq %%r10, 88(%0)\\n\\tmovq %%r11, 96(%0)\\n\\t\"\n"
	"			 \"movq %%r12, 104(%0)\\n\\tmovq %%r13, 112(%0)\\n\\t\"\n"
	"			 \"movq %%r14, 120(%0)\\n\\tmovq %%r15, 128(%0)\\n\\t\"\n"
	"			 : : \"r\"(r) : \"rax\", \"memory\");\n"
	"	stack_size = stack_end - r[7] < sizeof stack ? stack_end - r[7] : sizeof stack;\n"
	"	memcpy(stack, (const void *)(uintptr_t)r[7], stack_size);\n"
	"}\n"
	"__attribute__((noinline)) static int f3(int x)\n"
	"{\n"
	"	volatile int pad[9];\n"
	"	pad[0] = x;\n"
	"	capture();\n"
	"	return pad[0] + 1;\n"
	"}\n"
	"__attribute__((noinline)) static int f2(int x)\n"
	"{\n"
	"	volatile int pad[30];\n"
	"	pad[0] = x;\n"
	"	pad[1] = f3(x + 1);\n"
	"	return pad[0] + pad[1];\n"
	"}\n"
	"__attribute__((noinline)) static int f1(int x)\n"
	"{\n"
	"	volatile int pad[3];\n"
	"	pad[0] = x;\n"
	"	__asm__ volatile(\"movq $0x5eed, %%rbp\" : : : \"rbp\");\n"
	"	pad[1] = f2(x + 1);\n"
	"	return pad[0] + pad[1];\n"
	"}\n"
	"int main(void)\n"
	"{\n"
	"	volatile int local = 0;\n"
	"	stack_end = end_of_mapping((uint64_t)(uintptr_t)&local);\n"
	"	int v = f1(local);\n"
	"	uint64_t main_at = (uint64_t)(uintptr_t)&main;\n"
	"	fwrite(&main_at, 8, 1, stdout);\n"
	"	fwrite(regs, 8, 17, stdout);\n"
	"	fwrite(&stack_size, 8, 1, stdout);\n"
	"	fwrite(stack, 1, stack_size, stdout);\n"
	"	fflush(stdout);\n"
	"	char c;\n"
	"	while (read(0, &c, 1) > 0)\n"
	"		;\n"
	"	return v == 12345;\n"
	"}\n";

static bool read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t got = read(fd, p, n);
		if (got <= 0)
			return false;
		p += got;
		n -= (size_t)got;
	}
	return true;
}

/* Builds child_source with the given link flags, runs it, and unwinds its sample: the
 * frames of its chain, main, then libc. */
static void unwind_child(fixture *f, const char *flags)
{
	char dir[] = "/tmp/fk_unwind_XXXXXX", src[64], bin[64], cmd[256];
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/child.c", dir);
	snprintf(bin, sizeof(bin), "%s/child", dir);
	FILE *out = fopen(src, "w");
	assert_non_null(out);
	fputs(child_source, out);
	assert_int_equal(fclose(out), 0);
	snprintf(cmd, sizeof(cmd),
		 "${CC:-cc} -O2 -g -fomit-frame-pointer %s -o %s %s >/dev/null 2>&1", flags, bin,
		 src);
	bool built = system(cmd) == 0;
	unlink(src);
	if (!built) {
		rmdir(dir);
		printf("  cannot build the program with %s: skipped\n", flags);
		skip();
	}

	int to_child[2], from_child[2];
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	uint64_t main_at = 0, regs[NREGS], size = 0;
	uint8_t *stack = fk_xmalloc(32768);
	bool got = read_full(from_child[0], &main_at, 8) &&
		   read_full(from_child[0], regs, sizeof(regs)) &&
		   read_full(from_child[0], &size, 8) && size <= 32768 &&
		   read_full(from_child[0], stack, (size_t)size);
	fk_error err;
	int read_maps = got ? fk_processes_read_proc(f->ps, pid, &err) : -1;
	close(to_child[1]);
	close(from_child[0]);
	int status;
	waitpid(pid, &status, 0);

	symbols syms;
	uint64_t main_value;
	read_symbols_of(bin, &syms, &main_value);
	assert_true(got);
	for (size_t i = 0; i < syms.count; i++) {
		syms.funcs[i].start += main_at - main_value;
		syms.funcs[i].end += main_at - main_value;
	}
	assert_int_equal(read_maps, 0);
	assert_int_equal(regs[R_BP], GARBAGE_RBP);

	uint64_t pcs[MAX_PCS];
	size_t n = fk_unwind(f->u, f->ps, pid, pid, regs, FK_UNWIND_REGS_MASK, stack, (size_t)size,
			     pcs, MAX_PCS);
	/* Once the file is deleted, a new session cannot use it; the one that has the
	 * module open still can. */
	unlink(bin);
	rmdir(dir);
	uint64_t pcs2[MAX_PCS];
	fk_unwinder *fresh = fk_unwinder_new();
	assert_int_equal(fk_unwind(fresh, f->ps, pid, pid, regs, FK_UNWIND_REGS_MASK, stack,
				   (size_t)size, pcs2, MAX_PCS),
			 1);
	fk_unwinder_free(fresh);
	assert_int_equal(fk_unwind(f->u, f->ps, pid, pid, regs, FK_UNWIND_REGS_MASK, stack,
				   (size_t)size, pcs2, MAX_PCS),
			 n);
	free(stack);
	printf("  child built with %s: %zu frames\n", flags, n);
	static const char *const expect[] = {"capture", "f3", "f2", "f1", "main"};
	for (size_t i = 0; i < n; i++) {
		uint64_t a = i ? pcs[i] - 1 : pcs[i];
		const char *name = func_at(&syms, a);
		const fk_mapping *m = fk_processes_find(f->ps, pid, a);
		printf("    #%zu %#llx %s\n", i, (unsigned long long)pcs[i],
		       name ? name : m && m->path ? m->path : "?");
	}
	assert_true(n > FK_ARRAY_LEN(expect));
	for (size_t i = 0; i < FK_ARRAY_LEN(expect); i++) {
		const char *name = func_at(&syms, i ? pcs[i] - 1 : pcs[i]);
		assert_non_null(name);
		assert_string_equal(name, expect[i]);
	}
	const fk_mapping *libc = fk_processes_find(f->ps, pid, pcs[FK_ARRAY_LEN(expect)] - 1);
	assert_non_null(libc);
	assert_non_null(strstr(libc->path, "libc"));
	free_symbols(&syms);
}

/* A non-PIE executable: its own addresses, no load bias. */
static void test_other_process_non_pie(void **state)
{
	unwind_child(*state, "-no-pie");
}

/* lld puts the code segment in the same file page as the read-only segment before it,
 * at a virtual address one page above its file offset: the bias must come from the
 * executable segment. */
static void test_other_process_lld(void **state)
{
	unwind_child(*state, "-pie -fPIE -fuse-ld=lld");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_cost(void **state)
{
	fixture *f = *state;
	uint64_t pcs[MAX_PCS];
	deep(f->s, 25);
	const sample *s = f->s;

	/* A fresh unwinder: session and module setup included. */
	fk_unwinder_free(f->u);
	f->u = fk_unwinder_new();
	double t0 = now();
	size_t n = unwind(f, s->regs, s->stack, s->stack_size, pcs, MAX_PCS);
	double first = now() - t0;
	assert_true(n >= 30);
	for (size_t i = 1; i <= 26; i++)
		assert_frame_in(f, pcs, n, i, "deep");

	/* Copies the size of perf's default (8 KiB) would do for this; the whole copy is
	 * what matters for the memory reads, which only touch the frames walked. */
	int iters = 2000;
	t0 = now();
	for (int i = 0; i < iters; i++)
		assert_int_equal(unwind(f, s->regs, s->stack, s->stack_size, pcs, MAX_PCS), n);
	double each = (now() - t0) / iters;
	printf("  cost: first sample %.0f us (session, modules, CFI); then %.1f us per "
	       "%zu-frame sample (%.2f us per frame), %.1f%% of a core at 1000 samples/s\n",
	       first * 1e6, each * 1e6, n, each * 1e6 / (double)n, each * 1000 * 100);
	/* Far above the expected ~20 us (~250 us under ASan, whose malloc records a stack
	 * trace for each of libdw's allocations). */
#if defined(FK_ASAN)
	assert_true(each < 5e-3);
#else
	assert_true(each < 1e-3);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_without_frame_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_empty_stacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_register_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapping_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_non_pie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_lld, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
