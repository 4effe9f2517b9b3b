/* preload.c: libflamekit-preload.so, the in-target half of `flamekit record --alloc` and
 * `--lock`. Loaded into the profiled program with LD_PRELOAD, it interposes the C
 * allocator (malloc, calloc, realloc, reallocarray, free, aligned_alloc, posix_memalign,
 * memalign, valloc, pvalloc) and the blocking lock calls (pthread_mutex_lock,
 * pthread_rwlock_rdlock, pthread_rwlock_wrlock), records sampled allocations (or
 * contended lock waits) by call stack, and writes them to a file at exit: the format
 * and the environment variables are described in format.h.
 *
 * Allocation sampling is Go's (runtime/malloc.go, runtime/mprof.go): each thread keeps
 * the number of bytes left before its next sample, drawn from an exponential
 * distribution whose mean is the interval (FLAMEKIT_PRELOAD_INTERVAL, default 512 KiB,
 * Go's MemProfileRate). An allocation of s bytes that is smaller than what is left only
 * subtracts s (the fast path: a thread-local subtraction and the real call); one that
 * reaches it is sampled and a new distance is drawn. Sampling bytes as a Poisson process
 * picks an allocation of s bytes with probability 1 - exp(-s/interval), so each sample
 * stands for 1 / (1 - exp(-s/interval)) allocations of s bytes: the weights written are
 * that many objects and s times that many bytes. This is the scaling of Go's pprof
 * (scaleHeapSample in src/runtime/pprof/protomem.go), applied per sample, which is what
 * Go's per-(stack, size) buckets amount to. An interval of 1 records every allocation
 * unscaled (Go's MemProfileRate = 1). realloc counts as an allocation of its new size
 * (and a free of the old block).
 *
 * In-use memory: every sampled block that is still live is kept in a table keyed by its
 * address (ptr -> stack, weights); free() and realloc() of such a block subtract its
 * weights from its stack. A free of any other block does no lookup at all unless some
 * sampled block is live and a counting filter indexed by the address (a byte per 4 KiB
 * page, modulo 4 GiB) says the address might be one of them.
 *
 * Lock mode: pthread_mutex_lock and the rwlock calls first try the lock
 * (pthread_*_trylock); only when it is busy is the blocking call timed
 * (CLOCK_MONOTONIC) and the wait recorded, every time (no sampling). Waits inside
 * glibc (pthread_cond_wait re-locking its mutex, stdio locks) are not seen.
 *
 * Stacks are walked by frame pointers from the interposed function's frame, at most
 * FK_PRELOAD_MAX_FRAMES return addresses, each frame pointer checked to be aligned,
 * above the previous one and inside the thread's stack (pthread_getattr_np, once per
 * thread): the walk never faults, but code built without frame pointers (most of libc,
 * libstdc++'s operator new) gives short or skipped frames.
 *
 * Never recursing into itself: the real functions come from dlsym(RTLD_NEXT) on first
 * use; allocations made while dlsym runs (glibc's dlerror state) come from a static
 * bump buffer whose blocks free() ignores. A per-thread "inside" count makes every call
 * that arrives while the library is busy (dlsym, pthread_getattr_np, the tables, the
 * writer) go straight to the real function. The tables live in mmap'd memory, never in
 * malloc'd memory, and are guarded by a spinlock (not a pthread mutex, which would come
 * back here); only sampled allocations, contended waits, frees of sampled blocks, fork
 * and exit take it.
 *
 * fork: a pthread_atfork handler holds the lock across fork(); in the child the tables
 * are emptied, so each process writes only what it did itself to PREFIX.PID. The file
 * is written once per process, at exit (atexit, registered at start-up, and the
 * library's destructor: whichever runs first); a process that execs or dies by a
 * signal writes nothing, and one that execs is then recorded by the new program under
 * the same pid.
 *
 * Global mutable state (the library necessarily has some; all of it is here): the
 * initialization state and the resolved real functions (`g_state`, `real`), the
 * configuration read from the environment once (`g_cfg`), the bump buffer, the
 * spinlock and the tables it guards (`g_tab`), the "written" flag and the writer's
 * static buffers, and the per-thread state `tls` (sampling countdown, PRNG, stack
 * bounds, the inside count). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "format.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* The frame of the interposed function: the stack walk starts there, so the first
 * address is the return address into its caller. */
#define FRAME() ((uintptr_t)__builtin_frame_address(0))

enum { MODE_OFF, MODE_ALLOC, MODE_LOCK };
enum { ST_UNINIT, ST_RESOLVING, ST_READY };
enum { MAX_FRAMES = FK_PRELOAD_MAX_FRAMES };
enum { OBJ_SHIFT = 16 }; /* objects are kept in fixed point, 1/65536 of an object */

/* ---- global state (see the list at the top) ---- */

static int g_state; /* ST_*, atomic */

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*aligned_alloc)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	int (*mutex_lock)(pthread_mutex_t *);
	int (*rdlock)(pthread_rwlock_t *);
	int (*wrlock)(pthread_rwlock_t *);
} real;

static struct {
	int mode;           /* MODE_*: set once before g_state becomes ST_READY */
	uint64_t interval;  /* mean bytes between samples; <= 1: every allocation */
	uint64_t seed;
	bool seeded;        /* FLAMEKIT_PRELOAD_SEED given */
	char prefix[PATH_MAX];
} g_cfg;

/* Allocations made while dlsym runs. Never reused, so calloc's blocks are zero. */
static char g_bump[256 * 1024] __attribute__((aligned(4096)));
static size_t g_bump_used; /* atomic */

typedef struct stack_entry {
	uint64_t hash;
	uint64_t frames; /* index of the first address in tab.frames */
	uint32_t depth;
	uint64_t alloc_bytes, alloc_objs; /* objects in fixed point (OBJ_SHIFT) */
	uint64_t inuse_bytes, inuse_objs;
	uint64_t wait_ns, waits;
} stack_entry;

typedef struct live_entry {
	uintptr_t ptr; /* 0: empty slot */
	uint32_t stack;
	uint64_t bytes, objs;
} live_entry;

/* The filter: one counter of live sampled blocks per 4 KiB page of address space,
 * modulo 4 GiB, so that what free() reads of it stays in the cache (a hash of the
 * address, or a finer grain, made every free() a cache miss: +10% on a malloc/free
 * loop). A free() in a page that holds a live sample takes the lock for nothing; that
 * is rare at 512 KiB. Byte counters stick at 255 (that page then always looks). */
enum { FILTER_BITS = 20, FILTER_SHIFT = 12, FILTER_STUCK = 255 };

static struct {
	int lock; /* the spinlock, atomic */
	stack_entry *stacks;
	size_t nstacks, stacks_bytes;
	uintptr_t *frames;
	size_t nframes, frames_bytes;
	uint32_t *index; /* open addressing: stack id + 1, 0 empty */
	size_t index_mask;
	live_entry *live;
	size_t live_mask;
	size_t live_used;  /* atomic: read without the lock by free() */
	uint8_t *filter;   /* 1 << FILTER_BITS counters of live blocks by address */
	uint64_t lost;     /* samples dropped: no memory for the tables */
	uint32_t threads;  /* threads seen, for the seeded PRNG */
} g_tab;

static int g_written; /* atomic: the file was written (or is being written) */
static char g_wbuf[64 * 1024];  /* the writer's output buffer */
static char g_rbuf[16 * 1024];  /* reading /proc/self/maps */
static char g_line[PATH_MAX + 256];

typedef struct thread_state {
	uint64_t next; /* bytes before the next sample; 0: not initialized (or sample all) */
	uint64_t rng;  /* xorshift64* state */
	uintptr_t stack_lo, stack_hi;
	int inside;    /* > 0 while the library itself runs on this thread */
	bool ready;    /* next and rng set */
	bool stack_tried, stack_known;
} thread_state;

/* initial-exec: no __tls_get_addr, which may allocate. LD_PRELOAD libraries get static
 * TLS. */
static __thread thread_state tls __attribute__((tls_model("initial-exec")));

/* ---- small helpers ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void say(const char *a, const char *b, const char *c)
{
	/* a message on stderr without stdio (which may allocate) */
	const char *parts[4] = {"flamekit-preload: ", a, b, c};
	for (int i = 0; i < 4; i++) {
		if (!parts[i])
			continue;
		size_t len = strlen(parts[i]);
		while (len) {
			ssize_t w = write(2, parts[i], len);
			if (w <= 0)
				break;
			parts[i] += w;
			len -= (size_t)w;
		}
	}
	if (write(2, "\n", 1) < 0) {
		/* nothing to do */
	}
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static void spin_lock(void)
{
	while (__atomic_exchange_n(&g_tab.lock, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&g_tab.lock, __ATOMIC_RELAXED))
			sched_yield();
	}
}

static void spin_unlock(void)
{
	__atomic_store_n(&g_tab.lock, 0, __ATOMIC_RELEASE);
}

static void *map_pages(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Grows an mmap'd array to at least need bytes (page multiples, doubling). */
static bool grow_map(void **base, size_t *bytes, size_t need)
{
	if (need <= *bytes)
		return true;
	size_t nb = *bytes ? *bytes : 64 * 1024;
	while (nb < need) {
		if (nb > SIZE_MAX / 2)
			return false;
		nb *= 2;
	}
	void *p = *base ? mremap(*base, *bytes, nb, MREMAP_MAYMOVE) : mmap(NULL, nb,
		PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	*base = p;
	*bytes = nb;
	return true;
}

/* ---- the bump buffer (allocations during dlsym) ---- */

static bool in_bump(const void *p)
{
	return (uintptr_t)p - (uintptr_t)g_bump < sizeof(g_bump);
}

static void *bump_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (size > sizeof(g_bump) || align > 4096 || (align & (align - 1))) {
		errno = ENOMEM;
		return NULL;
	}
	size_t old = __atomic_load_n(&g_bump_used, __ATOMIC_RELAXED);
	for (;;) {
		uintptr_t base = (uintptr_t)g_bump + old + sizeof(size_t);
		uintptr_t at = (base + align - 1) & ~(uintptr_t)(align - 1);
		size_t end = (size_t)(at - (uintptr_t)g_bump) + size;
		if (end > sizeof(g_bump)) {
			errno = ENOMEM;
			return NULL;
		}
		if (__atomic_compare_exchange_n(&g_bump_used, &old, end, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			memcpy((void *)(at - sizeof(size_t)), &size, sizeof(size));
			return (void *)at;
		}
	}
}

static size_t bump_size(const void *p)
{
	size_t size;
	memcpy(&size, (const char *)p - sizeof(size_t), sizeof(size));
	return size;
}

/* ---- start-up ---- */

static void write_profile(void);
static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

static void *must_resolve(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f) {
		say("cannot find the real ", name, " (dlsym RTLD_NEXT)");
		abort();
	}
	return f;
}

static void read_config(void)
{
	const char *out = getenv(FK_PRELOAD_ENV_OUT);
	g_cfg.mode = MODE_OFF;
	g_cfg.interval = FK_PRELOAD_DEFAULT_INTERVAL;
	if (!out || !*out)
		return;
	if (strlen(out) + 32 > sizeof(g_cfg.prefix)) {
		say(FK_PRELOAD_ENV_OUT, " is too long: ", "nothing is recorded");
		return;
	}
	strcpy(g_cfg.prefix, out);
	const char *mode = getenv(FK_PRELOAD_ENV_MODE);
	if (!mode || !*mode || strcmp(mode, "alloc") == 0) {
		g_cfg.mode = MODE_ALLOC;
	} else if (strcmp(mode, "lock") == 0) {
		g_cfg.mode = MODE_LOCK;
	} else {
		say(FK_PRELOAD_ENV_MODE " must be alloc or lock, not ", mode, ": nothing is recorded");
		return;
	}
	uint64_t v;
	const char *interval = getenv(FK_PRELOAD_ENV_INTERVAL);
	if (interval && *interval) {
		if (parse_u64(interval, &v) && v > 0 && v <= (UINT64_C(1) << 40))
			g_cfg.interval = v;
		else
			say(FK_PRELOAD_ENV_INTERVAL " is not a number of bytes in 1..2^40: ", interval,
			    " (using 524288)");
	}
	const char *seed = getenv(FK_PRELOAD_ENV_SEED);
	if (seed && *seed && parse_u64(seed, &v)) {
		g_cfg.seed = v;
		g_cfg.seeded = true;
	} else {
		g_cfg.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	}
}

static void init(void)
{
	tls.inside++;
	/* allocations dlsym makes meanwhile come from the bump buffer */
	real.malloc = (void *(*)(size_t))must_resolve("malloc");
	real.calloc = (void *(*)(size_t, size_t))must_resolve("calloc");
	real.realloc = (void *(*)(void *, size_t))must_resolve("realloc");
	real.free = (void (*)(void *))must_resolve("free");
	real.aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	real.posix_memalign = (int (*)(void **, size_t, size_t))must_resolve("posix_memalign");
	real.memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
	real.valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
	real.pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
	real.mutex_lock = (int (*)(pthread_mutex_t *))must_resolve("pthread_mutex_lock");
	real.rdlock = (int (*)(pthread_rwlock_t *))must_resolve("pthread_rwlock_rdlock");
	real.wrlock = (int (*)(pthread_rwlock_t *))must_resolve("pthread_rwlock_wrlock");
	read_config();
	__atomic_store_n(&g_state, ST_READY, __ATOMIC_RELEASE);
	if (g_cfg.mode != MODE_OFF) {
		atexit(write_profile);
		pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	}
	tls.inside--;
}

/* True once the real functions are known. False while they are being looked up (by
 * this thread: dlsym allocating; or by another one): the caller then falls back (the
 * bump buffer, a trylock loop) and never waits for the initialization. */
static bool ensure_ready(void)
{
	int s = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
	if (LIKELY(s == ST_READY))
		return true;
	if (s == ST_UNINIT && __atomic_compare_exchange_n(&g_state, &s, ST_RESOLVING, false,
							  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		init();
		return true;
	}
	return false;
}

__attribute__((constructor)) static void preload_start(void)
{
	ensure_ready();
}

__attribute__((destructor)) static void preload_end(void)
{
	write_profile();
}

/* ---- per thread ---- */

static uint64_t next_random(thread_state *t)
{
	/* xorshift64* */
	uint64_t x = t->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Bytes before the next sample: exponential with mean interval (Go's nextSample and
 * fastexprand), at least 1; 0 when every allocation is sampled. */
static uint64_t draw_distance(thread_state *t)
{
	if (g_cfg.interval <= 1)
		return 0;
	double u = (double)((next_random(t) >> 11) + 1) * 0x1p-53; /* (0, 1] */
	double d = -log(u) * (double)g_cfg.interval;
	if (!(d >= 1))
		return 1;
	if (d > 0x1p62)
		return UINT64_C(1) << 62;
	return (uint64_t)d;
}

static void thread_init(thread_state *t)
{
	uint64_t s;
	if (g_cfg.seeded) {
		/* reproducible: the n-th thread to allocate gets the n-th stream */
		uint32_t n = __atomic_add_fetch(&g_tab.threads, 1, __ATOMIC_RELAXED);
		s = g_cfg.seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
	} else {
		s = g_cfg.seed ^ ((uint64_t)syscall(SYS_gettid) * 0x9e3779b97f4a7c15ULL) ^ now_ns();
	}
	t->rng = mix64(s) | 1;
	t->ready = true;
	t->next = g_cfg.mode == MODE_ALLOC ? draw_distance(t) : UINT64_MAX;
}

static void stack_bounds(thread_state *t)
{
	if (t->stack_tried)
		return;
	t->stack_tried = true;
	pthread_attr_t a;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	void *addr;
	size_t size;
	if (pthread_attr_getstack(&a, &addr, &size) == 0 && size > 16) {
		t->stack_lo = (uintptr_t)addr;
		t->stack_hi = (uintptr_t)addr + size;
		t->stack_known = true;
	}
	pthread_attr_destroy(&a);
}

/* Return addresses, leaf first, from the frame fp of an interposed function. The first
 * frame is that function's own, so it can always be read; the next ones must lie inside
 * the thread's stack, above the previous one, aligned. */
static size_t walk_stack(const thread_state *t, uintptr_t fp, uintptr_t *out)
{
	size_t n = 0;
	bool bounded = t->stack_known && fp >= t->stack_lo && fp + 16 <= t->stack_hi;
	while (n < MAX_FRAMES) {
		const uintptr_t *f = (const uintptr_t *)fp;
		uintptr_t up = f[0], ret = f[1];
		if (ret < 4096)
			break;
		out[n++] = ret;
		if (!bounded || up <= fp || (up & 7) || up > t->stack_hi - 16)
			break;
		fp = up;
	}
	return n;
}

/* ---- the tables (called with the spinlock held) ---- */

static uint64_t hash_stack(const uintptr_t *pcs, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = mix64(h ^ pcs[i]);
	return h;
}

static bool index_grow(void)
{
	size_t cap = g_tab.index ? (g_tab.index_mask + 1) * 2 : 4096;
	uint32_t *idx = map_pages(cap * sizeof(uint32_t));
	if (!idx)
		return false;
	size_t mask = cap - 1;
	for (size_t id = 0; id < g_tab.nstacks; id++) {
		size_t i = g_tab.stacks[id].hash & mask;
		while (idx[i])
			i = (i + 1) & mask;
		idx[i] = (uint32_t)id + 1;
	}
	if (g_tab.index)
		munmap(g_tab.index, (g_tab.index_mask + 1) * sizeof(uint32_t));
	g_tab.index = idx;
	g_tab.index_mask = mask;
	return true;
}

/* The id of a stack, added if new. False when out of memory. */
static bool intern_stack(const uintptr_t *pcs, size_t n, uint32_t *id)
{
	uint64_t h = hash_stack(pcs, n);
	if ((!g_tab.index || (g_tab.nstacks + 1) * 2 > g_tab.index_mask + 1) && !index_grow())
		return false;
	size_t i = h & g_tab.index_mask;
	while (g_tab.index[i]) {
		const stack_entry *e = &g_tab.stacks[g_tab.index[i] - 1];
		if (e->hash == h && e->depth == n &&
		    memcmp(g_tab.frames + e->frames, pcs, n * sizeof(*pcs)) == 0) {
			*id = g_tab.index[i] - 1;
			return true;
		}
		i = (i + 1) & g_tab.index_mask;
	}
	if (g_tab.nstacks >= (UINT32_C(1) << 24) ||
	    !grow_map((void **)&g_tab.stacks, &g_tab.stacks_bytes,
		      (g_tab.nstacks + 1) * sizeof(stack_entry)) ||
	    !grow_map((void **)&g_tab.frames, &g_tab.frames_bytes,
		      (g_tab.nframes + n) * sizeof(uintptr_t)))
		return false;
	stack_entry *e = &g_tab.stacks[g_tab.nstacks];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->depth = (uint32_t)n;
	e->frames = g_tab.nframes;
	memcpy(g_tab.frames + g_tab.nframes, pcs, n * sizeof(*pcs));
	g_tab.nframes += n;
	*id = (uint32_t)g_tab.nstacks;
	g_tab.index[i] = (uint32_t)g_tab.nstacks + 1;
	g_tab.nstacks++;
	return true;
}

static size_t filter_slot(uintptr_t p)
{
	return (size_t)(p >> FILTER_SHIFT) & ((1u << FILTER_BITS) - 1);
}

static void filter_add(uintptr_t p, int delta)
{
	uint8_t *c = &g_tab.filter[filter_slot(p)];
	if (*c != FILTER_STUCK)
		__atomic_store_n(c, (uint8_t)(*c + delta), __ATOMIC_RELAXED);
}

/* True if p might be a live sampled block (no lock: a hint, exact when false for the
 * blocks this thread may legitimately free). */
static bool maybe_live(const void *p)
{
	/* no filter before the first sample; then the page's counter alone (loading
	 * live_used as well cost more than it saved) */
	uint8_t *filter = __atomic_load_n(&g_tab.filter, __ATOMIC_ACQUIRE);
	return filter && __atomic_load_n(&filter[filter_slot((uintptr_t)p)], __ATOMIC_RELAXED);
}

static void live_remove_at(size_t i)
{
	size_t mask = g_tab.live_mask;
	live_entry *t = g_tab.live;
	size_t j = i;
	for (;;) {
		t[i].ptr = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!t[j].ptr)
				return;
			size_t k = mix64(t[j].ptr) & mask;
			/* t[j] may move to i unless its home k lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		t[i] = t[j];
		i = j;
	}
}

static bool live_grow(void)
{
	size_t cap = g_tab.live ? (g_tab.live_mask + 1) * 2 : 4096;
	live_entry *t = map_pages(cap * sizeof(live_entry));
	if (!t)
		return false;
	size_t mask = cap - 1;
	for (size_t i = 0; g_tab.live && i <= g_tab.live_mask; i++) {
		if (!g_tab.live[i].ptr)
			continue;
		size_t j = mix64(g_tab.live[i].ptr) & mask;
		while (t[j].ptr)
			j = (j + 1) & mask;
		t[j] = g_tab.live[i];
	}
	if (g_tab.live)
		munmap(g_tab.live, (g_tab.live_mask + 1) * sizeof(live_entry));
	g_tab.live = t;
	g_tab.live_mask = mask;
	return true;
}

/* Remembers a live sampled block and counts it in its stack's in-use totals. Returns
 * false (nothing counted) when out of memory. */
static bool live_add(const live_entry *le)
{
	if (!g_tab.filter) {
		uint8_t *f = map_pages(1u << FILTER_BITS);
		if (!f)
			return false;
		__atomic_store_n(&g_tab.filter, f, __ATOMIC_RELEASE);
	}
	if ((!g_tab.live || (g_tab.live_used + 1) * 2 > g_tab.live_mask + 1) && !live_grow())
		return false;
	size_t i = mix64(le->ptr) & g_tab.live_mask;
	while (g_tab.live[i].ptr) {
		if (g_tab.live[i].ptr == le->ptr) {
			/* a stale entry: its block was freed where we could not see it */
			stack_entry *old = &g_tab.stacks[g_tab.live[i].stack];
			old->inuse_bytes -= g_tab.live[i].bytes;
			old->inuse_objs -= g_tab.live[i].objs;
			goto store;
		}
		i = (i + 1) & g_tab.live_mask;
	}
	filter_add(le->ptr, 1);
	__atomic_store_n(&g_tab.live_used, g_tab.live_used + 1, __ATOMIC_RELAXED);
store:
	g_tab.live[i] = *le;
	stack_entry *e = &g_tab.stacks[le->stack];
	e->inuse_bytes += le->bytes;
	e->inuse_objs += le->objs;
	return true;
}

/* Forgets p if it is a live sampled block: *out receives its entry. */
static bool live_take(uintptr_t p, live_entry *out)
{
	if (!g_tab.live)
		return false;
	size_t i = mix64(p) & g_tab.live_mask;
	while (g_tab.live[i].ptr) {
		if (g_tab.live[i].ptr == p) {
			*out = g_tab.live[i];
			stack_entry *e = &g_tab.stacks[out->stack];
			e->inuse_bytes -= out->bytes;
			e->inuse_objs -= out->objs;
			filter_add(p, -1);
			__atomic_store_n(&g_tab.live_used, g_tab.live_used - 1, __ATOMIC_RELAXED);
			live_remove_at(i);
			return true;
		}
		i = (i + 1) & g_tab.live_mask;
	}
	return false;
}

static void reset_tables(void)
{
	if (g_tab.stacks)
		munmap(g_tab.stacks, g_tab.stacks_bytes);
	if (g_tab.frames)
		munmap(g_tab.frames, g_tab.frames_bytes);
	if (g_tab.index)
		munmap(g_tab.index, (g_tab.index_mask + 1) * sizeof(uint32_t));
	if (g_tab.live)
		munmap(g_tab.live, (g_tab.live_mask + 1) * sizeof(live_entry));
	if (g_tab.filter)
		munmap(g_tab.filter, 1u << FILTER_BITS);
	uint32_t threads = g_tab.threads;
	memset(&g_tab, 0, sizeof(g_tab));
	g_tab.threads = threads;
}

/* ---- recording (slow paths) ---- */

/* One sampled allocation of size bytes at p, from the interposed function's frame fp. */
static void record_alloc(thread_state *t, void *p, size_t size, uintptr_t fp)
{
	uintptr_t pcs[MAX_FRAMES];
	stack_bounds(t);
	size_t n = walk_stack(t, fp, pcs);
	/* Go's pprof scaling (scaleHeapSample): 1 / (1 - exp(-size / interval)) */
	double scale = 1;
	if (g_cfg.interval > 1)
		scale = size ? 1 / -expm1(-(double)size / (double)g_cfg.interval) : 0;
	live_entry le = {(uintptr_t)p, 0, (uint64_t)llround((double)size * scale),
			 (uint64_t)llround(scale * (1 << OBJ_SHIFT))};
	if (!le.objs)
		return;
	spin_lock();
	if (intern_stack(pcs, n, &le.stack)) {
		stack_entry *e = &g_tab.stacks[le.stack];
		e->alloc_bytes += le.bytes;
		e->alloc_objs += le.objs;
		if (p)
			live_add(&le);
	} else {
		g_tab.lost++;
	}
	spin_unlock();
}

/* After an allocation of size bytes returned p: the countdown, and a sample when it
 * runs out. Never inlined, never a tail call, so that fp's frame is still there. */
__attribute__((noinline)) static void account(void *p, size_t size, uintptr_t fp)
{
	thread_state *t = &tls;
	if (t->inside || !p)
		return;
	if (!t->ready)
		thread_init(t);
	if (size < t->next) {
		t->next -= size;
		return;
	}
	if (g_cfg.mode != MODE_ALLOC) {
		t->next = UINT64_MAX;
		return;
	}
	t->next = draw_distance(t);
	t->inside++;
	record_alloc(t, p, size, fp);
	t->inside--;
}

/* free / realloc of a block that may be a live sample. */
static bool forget(void *p, live_entry *out)
{
	thread_state *t = &tls;
	if (t->inside)
		return false;
	t->inside++;
	spin_lock();
	bool found = live_take((uintptr_t)p, out);
	spin_unlock();
	t->inside--;
	return found;
}

/* realloc failed: the old block is still there. */
static void remember_again(const live_entry *le)
{
	thread_state *t = &tls;
	t->inside++;
	spin_lock();
	live_add(le);
	spin_unlock();
	t->inside--;
}

__attribute__((noinline)) static void record_wait(uint64_t ns, uintptr_t fp)
{
	thread_state *t = &tls;
	uintptr_t pcs[MAX_FRAMES];
	t->inside++;
	stack_bounds(t);
	size_t n = walk_stack(t, fp, pcs);
	uint32_t id;
	spin_lock();
	if (intern_stack(pcs, n, &id)) {
		g_tab.stacks[id].wait_ns += ns;
		g_tab.stacks[id].waits++;
	} else {
		g_tab.lost++;
	}
	spin_unlock();
	t->inside--;
}

/* ---- the interposed allocator ---- */

EXPORT void *malloc(size_t size)
{
	thread_state *t = &tls;
	if (LIKELY(size < t->next)) {
		t->next -= size;
		return real.malloc(size);
	}
	if (UNLIKELY(!ensure_ready()))
		return bump_alloc(size, 16);
	void *p = real.malloc(size);
	account(p, size, FRAME());
	return p;
}

EXPORT void *calloc(size_t count, size_t each)
{
	thread_state *t = &tls;
	size_t size;
	bool overflow = __builtin_mul_overflow(count, each, &size);
	if (LIKELY(!overflow && size < t->next)) {
		t->next -= size;
		return real.calloc(count, each);
	}
	if (UNLIKELY(!ensure_ready())) {
		if (overflow) {
			errno = ENOMEM;
			return NULL;
		}
		return bump_alloc(size, 16);
	}
	void *p = real.calloc(count, each);
	if (!overflow)
		account(p, size, FRAME());
	return p;
}

EXPORT void free(void *p)
{
	if (!p)
		return;
	if (UNLIKELY(in_bump(p)))
		return;
	if (UNLIKELY(maybe_live(p))) {
		live_entry gone;
		forget(p, &gone);
	}
	if (UNLIKELY(!real.free)) {
		/* nothing can have been allocated by the real malloc yet */
		return;
	}
	real.free(p);
}

/* realloc and reallocarray. Inlined into both, so that fp is their own frame. */
static inline __attribute__((always_inline)) void *do_realloc(void *old, size_t size, uintptr_t fp)
{
	thread_state *t = &tls;
	if (UNLIKELY(old && in_bump(old))) {
		/* a block from start-up: move it to the real heap (it stays in the buffer) */
		void *p = ensure_ready() ? real.malloc(size ? size : 1) : bump_alloc(size, 16);
		if (p) {
			size_t keep = bump_size(old);
			memcpy(p, old, keep < size ? keep : size);
		}
		return p;
	}
	bool maybe = old && maybe_live(old);
	if (LIKELY(size < t->next && !maybe)) {
		t->next -= size;
		return real.realloc(old, size);
	}
	if (UNLIKELY(!ensure_ready())) {
		if (old) {
			/* impossible: blocks exist only once the real functions are known */
			errno = ENOMEM;
			return NULL;
		}
		return bump_alloc(size, 16);
	}
	live_entry was;
	bool had = maybe && forget(old, &was);
	void *p = real.realloc(old, size);
	if (!p) {
		/* failed: old is still valid, unless size was 0 (glibc then freed it) */
		if (had && size)
			remember_again(&was);
		return NULL;
	}
	account(p, size, fp);
	return p;
}

EXPORT void *realloc(void *old, size_t size)
{
	return do_realloc(old, size, FRAME());
}

EXPORT void *reallocarray(void *old, size_t count, size_t each)
{
	size_t size;
	if (__builtin_mul_overflow(count, each, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	return do_realloc(old, size, FRAME());
}

static void *fallback_memalign(size_t align, size_t size)
{
	void *p = NULL;
	int rc = real.posix_memalign(&p, align, size);
	if (rc) {
		errno = rc;
		return NULL;
	}
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	thread_state *t = &tls;
	if (LIKELY(size < t->next)) {
		t->next -= size;
		return real.posix_memalign(out, align, size);
	}
	if (UNLIKELY(!ensure_ready())) {
		if (align < sizeof(void *) || (align & (align - 1)))
			return EINVAL;
		void *p = bump_alloc(size, align);
		if (!p)
			return ENOMEM;
		*out = p;
		return 0;
	}
	int rc = real.posix_memalign(out, align, size);
	if (rc == 0)
		account(*out, size, FRAME());
	return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	thread_state *t = &tls;
	if (LIKELY(size < t->next && real.aligned_alloc)) {
		t->next -= size;
		return real.aligned_alloc(align, size);
	}
	if (UNLIKELY(!ensure_ready()))
		return bump_alloc(size, align);
	void *p = real.aligned_alloc ? real.aligned_alloc(align, size) : fallback_memalign(align, size);
	account(p, size, FRAME());
	return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
	thread_state *t = &tls;
	if (LIKELY(size < t->next && real.memalign)) {
		t->next -= size;
		return real.memalign(align, size);
	}
	if (UNLIKELY(!ensure_ready()))
		return bump_alloc(size, align);
	void *p = real.memalign ? real.memalign(align, size) : fallback_memalign(align, size);
	account(p, size, FRAME());
	return p;
}

EXPORT void *valloc(size_t size)
{
	thread_state *t = &tls;
	if (LIKELY(size < t->next && real.valloc)) {
		t->next -= size;
		return real.valloc(size);
	}
	if (UNLIKELY(!ensure_ready()))
		return bump_alloc(size, 4096);
	void *p = real.valloc ? real.valloc(size) : fallback_memalign((size_t)sysconf(_SC_PAGESIZE), size);
	account(p, size, FRAME());
	return p;
}

EXPORT void *pvalloc(size_t size)
{
	thread_state *t = &tls;
	size_t page = 4096;
	size_t rounded = size + page - 1 < size ? size : (size + page - 1) & ~(page - 1);
	if (LIKELY(rounded < t->next && real.pvalloc)) {
		t->next -= rounded;
		return real.pvalloc(size);
	}
	if (UNLIKELY(!ensure_ready()))
		return bump_alloc(rounded, 4096);
	void *p = real.pvalloc ? real.pvalloc(size) : fallback_memalign(page, rounded);
	account(p, rounded, FRAME());
	return p;
}

/* ---- the interposed locks ---- */

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (UNLIKELY(!ensure_ready())) {
		/* the real function is being looked up: take the lock without it */
		int rc;
		while ((rc = pthread_mutex_trylock(m)) == EBUSY)
			sched_yield();
		return rc;
	}
	if (LIKELY(g_cfg.mode != MODE_LOCK) || tls.inside)
		return real.mutex_lock(m);
	int rc = pthread_mutex_trylock(m);
	if (rc != EBUSY)
		return rc; /* taken, or an error the blocking call would give too */
	uint64_t t0 = now_ns();
	rc = real.mutex_lock(m);
	uint64_t t1 = now_ns();
	record_wait(t1 - t0, FRAME());
	return rc;
}

EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (UNLIKELY(!ensure_ready())) {
		int rc;
		while ((rc = pthread_rwlock_tryrdlock(l)) == EBUSY)
			sched_yield();
		return rc;
	}
	if (LIKELY(g_cfg.mode != MODE_LOCK) || tls.inside)
		return real.rdlock(l);
	int rc = pthread_rwlock_tryrdlock(l);
	if (rc != EBUSY)
		return rc == EAGAIN ? real.rdlock(l) : rc;
	uint64_t t0 = now_ns();
	rc = real.rdlock(l);
	uint64_t t1 = now_ns();
	record_wait(t1 - t0, FRAME());
	return rc;
}

EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (UNLIKELY(!ensure_ready())) {
		int rc;
		while ((rc = pthread_rwlock_trywrlock(l)) == EBUSY)
			sched_yield();
		return rc;
	}
	if (LIKELY(g_cfg.mode != MODE_LOCK) || tls.inside)
		return real.wrlock(l);
	int rc = pthread_rwlock_trywrlock(l);
	if (rc != EBUSY)
		return rc;
	uint64_t t0 = now_ns();
	rc = real.wrlock(l);
	uint64_t t1 = now_ns();
	record_wait(t1 - t0, FRAME());
	return rc;
}

/* ---- fork ---- */

static void atfork_prepare(void)
{
	tls.inside++;
	spin_lock();
}

static void atfork_parent(void)
{
	spin_unlock();
	tls.inside--;
}

static void atfork_child(void)
{
	/* only this thread exists: empty the tables (the parent's samples are the
	 * parent's), write our own file at exit */
	reset_tables(); /* also releases the lock */
	__atomic_store_n(&g_written, 0, __ATOMIC_RELAXED);
	tls.ready = false;
	tls.next = 0;
	tls.inside--;
}

/* ---- the file ---- */

typedef struct writer {
	int fd;
	size_t len;
	bool failed;
} writer;

static void w_flush(writer *w)
{
	const char *p = g_wbuf;
	while (w->len && !w->failed) {
		ssize_t n = write(w->fd, p, w->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->failed = true;
			break;
		}
		p += n;
		w->len -= (size_t)n;
	}
	w->len = 0;
}

static void w_bytes(writer *w, const char *s, size_t n)
{
	while (n) {
		if (w->len == sizeof(g_wbuf))
			w_flush(w);
		size_t k = sizeof(g_wbuf) - w->len;
		if (k > n)
			k = n;
		memcpy(g_wbuf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
	}
}

static void w_str(writer *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_u64(writer *w, uint64_t v, unsigned base)
{
	char buf[24];
	size_t i = sizeof(buf);
	do {
		buf[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	w_bytes(w, buf + i, sizeof(buf) - i);
}

static uint64_t objects(uint64_t fx)
{
	return (fx + (1u << (OBJ_SHIFT - 1))) >> OBJ_SHIFT;
}

/* Reads a small /proc file (whole, as far as it fits). */
static size_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return len;
}

static const char *hex_field(const char *p, const char *end, uint64_t *v)
{
	const char *start = p;
	*v = 0;
	for (; p < end; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			break;
		*v = *v << 4 | d;
	}
	return p > start ? p : NULL;
}

/* One line of /proc/self/maps: "start-end perms offset dev inode   path". Executable
 * mappings become "map START END PGOFF PERMS PATH". */
static void write_map_line(writer *w, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	uint64_t start, stop, off;
	if (!(p = hex_field(p, end, &start)) || p >= end || *p++ != '-' ||
	    !(p = hex_field(p, end, &stop)) || p >= end || *p++ != ' ' || end - p < 5)
		return;
	const char *perms = p;
	p += 4;
	if (perms[2] != 'x' || *p++ != ' ' || !(p = hex_field(p, end, &off)))
		return;
	/* dev and inode, then spaces, then the path (maybe none) */
	for (int field = 0; field < 2; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	while (p < end && *p == ' ')
		p++;
	w_str(w, "map ");
	w_u64(w, start, 16);
	w_str(w, " ");
	w_u64(w, stop, 16);
	w_str(w, " ");
	w_u64(w, off, 16);
	w_str(w, " ");
	w_bytes(w, perms, 4);
	w_str(w, " ");
	w_bytes(w, p, (size_t)(end - p));
	w_str(w, "\n");
}

static void write_maps(writer *w)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t line_len = 0;
	bool too_long = false;
	for (;;) {
		ssize_t n = read(fd, g_rbuf, sizeof(g_rbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			char c = g_rbuf[i];
			if (c == '\n') {
				if (!too_long)
					write_map_line(w, g_line, line_len);
				line_len = 0;
				too_long = false;
			} else if (line_len < sizeof(g_line)) {
				g_line[line_len++] = c;
			} else {
				too_long = true;
			}
		}
	}
	close(fd);
}

static void write_file(writer *w)
{
	w_str(w, FK_PRELOAD_MAGIC "\nmode ");
	w_str(w, g_cfg.mode == MODE_ALLOC ? "alloc" : "lock");
	w_str(w, "\ninterval ");
	w_u64(w, g_cfg.mode == MODE_ALLOC ? g_cfg.interval : 0, 10);
	w_str(w, "\npid ");
	w_u64(w, (uint64_t)getpid(), 10);
	w_str(w, "\ncomm ");
	char comm[64];
	size_t len = read_small("/proc/self/comm", comm, sizeof(comm));
	while (len && comm[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)comm[i] < 0x20 || comm[i] == 0x7f)
			comm[i] = '?';
	}
	w_bytes(w, comm, len);
	w_str(w, "\n");
	write_maps(w);
	for (size_t id = 0; id < g_tab.nstacks; id++) {
		const stack_entry *e = &g_tab.stacks[id];
		w_str(w, "stack ");
		w_u64(w, id, 10);
		for (uint32_t i = 0; i < e->depth; i++) {
			w_str(w, " ");
			w_u64(w, g_tab.frames[e->frames + i], 16);
		}
		w_str(w, "\nsample ");
		w_u64(w, id, 10);
		if (g_cfg.mode == MODE_ALLOC) {
			uint64_t v[4] = {e->alloc_bytes, objects(e->alloc_objs), e->inuse_bytes,
					 objects(e->inuse_objs)};
			for (int i = 0; i < 4; i++) {
				w_str(w, " ");
				w_u64(w, v[i], 10);
			}
		} else {
			w_str(w, " ");
			w_u64(w, e->wait_ns, 10);
			w_str(w, " ");
			w_u64(w, e->waits, 10);
		}
		w_str(w, "\n");
	}
	if (g_tab.lost) {
		w_str(w, "lost ");
		w_u64(w, g_tab.lost, 10);
		w_str(w, "\n");
	}
	w_str(w, "end\n");
	w_flush(w);
}

/* Writes PREFIX.PID (through PREFIX.PID.tmp and a rename), once per process. */
static void write_profile(void)
{
	if (__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) != ST_READY || g_cfg.mode == MODE_OFF ||
	    __atomic_exchange_n(&g_written, 1, __ATOMIC_ACQ_REL))
		return;
	thread_state *t = &tls;
	t->inside++;
	char path[PATH_MAX], tmp[PATH_MAX];
	/* the prefix fits with room to spare (read_config) */
	size_t n = strlen(g_cfg.prefix);
	memcpy(path, g_cfg.prefix, n);
	path[n++] = '.';
	char digits[24];
	size_t d = sizeof(digits);
	digits[--d] = '\0';
	uint64_t pid = (uint64_t)getpid();
	do {
		digits[--d] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid);
	strcpy(path + n, digits + d);
	strcpy(tmp, path);
	strcat(tmp, ".tmp");
	spin_lock();
	writer w = {open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 0, false};
	if (w.fd < 0) {
		say("cannot write ", tmp, ": nothing recorded for this process");
	} else {
		write_file(&w);
		if (close(w.fd) != 0)
			w.failed = true;
		if (w.failed || rename(tmp, path) != 0) {
			say("cannot write ", path, ": nothing recorded for this process");
			unlink(tmp);
		}
	}
	spin_unlock();
	t->inside--;
}
