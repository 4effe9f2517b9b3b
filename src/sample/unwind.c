/* unwind.c: DWARF unwinding of sampled user stacks with elfutils libdwfl (see unwind.h).
 *
 * One libdwfl session (a Dwfl with an attached thread state) is kept per process, in a
 * small table with least-recently-used eviction. Modules are reported lazily: before
 * libdwfl unwinds from a frame, the frame callback reports the ELF file of the mapping
 * containing that frame's pc (the return address - 1 for callers), with the load bias
 * computed from the mapping and the file's PT_LOAD headers. Reported modules keep their
 * parsed CFI for the life of the session. When the process's mappings change, the
 * session survives if every mapping it reported a module for is unchanged; otherwise
 * it is rebuilt.
 *
 * libdwfl calls the thread callbacks with the argument given once to
 * dwfl_attach_state (a Dwfl accepts only one attach), so that argument is the unwinder's
 * per-sample context, refilled before each dwfl_getthread_frames call. Memory reads are
 * served from the copied stack, else from the read-only file-backed segments of an
 * already reported module. Unwinding stops at max frames, at a zero or unmapped return
 * address, and when the stack pointer (the CFA) does not increase from frame to frame,
 * which bounds the walk on corrupt stacks. */
#include "unwind.h"

#include <elf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Process sessions kept at once. Each holds an open file per reported module. */
#define MAX_SESSIONS 32

/* x86_64 DWARF register numbers used here. */
#define DW_RSP 7

/* perf_regs numbering (PERF_REG_X86_*) of the registers used here. */
#define PERF_REG_SP 7
#define PERF_REG_IP 8
#define PERF_REG_COUNT 24

/* A mapping a module was reported for, to check later that it is still there. */
typedef struct reported {
	uint64_t start, pgoff, ino;
	char *path;
} reported;

typedef struct session {
	Dwfl *dwfl; /* NULL: free slot */
	const fk_processes *ps; /* versions are only comparable within one fk_processes */
	int pid;
	uint64_t maps_version;
	uint64_t last_use;
	reported *mods;
	size_t mod_count, mod_cap;
	uint64_t *failed; /* starts of file mappings whose module could not be reported */
	size_t failed_count, failed_cap;
} session;

/* The sample being unwound: what the libdwfl callbacks see. */
typedef struct sample_ctx {
	const fk_processes *ps;
	session *s;
	int pid;
	const uint64_t *regs;
	uint64_t regs_mask;
	const uint8_t *stack;
	size_t stack_size;
	uint64_t sp;
	uint64_t *pcs;
	size_t max, count;
	uint64_t last_sp;
} sample_ctx;

struct fk_unwinder {
	session sessions[MAX_SESSIONS];
	uint64_t clock;
	/* A minimal x86_64 ELF header: tells dwfl_attach_state the architecture without
	 * needing a module reported first. */
	Elf64_Ehdr arch_ehdr;
	Elf *arch_elf;
	sample_ctx ctx;
};

/* DWARF register number of each perf_regs register, -1 for the ones not used. */
static const int8_t dwarf_of_perf[PERF_REG_COUNT] = {
	[0] = 0,   /* AX */
	[1] = 3,   /* BX */
	[2] = 2,   /* CX */
	[3] = 1,   /* DX */
	[4] = 4,   /* SI */
	[5] = 5,   /* DI */
	[6] = 6,   /* BP */
	[7] = 7,   /* SP */
	[8] = 16,  /* IP: the return address column */
	[9] = -1,  /* FLAGS */
	[10] = -1, /* CS */
	[11] = -1, /* SS */
	[12] = -1, /* DS */
	[13] = -1, /* ES */
	[14] = -1, /* FS */
	[15] = -1, /* GS */
	[16] = 8,  /* R8 */
	[17] = 9,  /* R9 */
	[18] = 10, /* R10 */
	[19] = 11, /* R11 */
	[20] = 12, /* R12 */
	[21] = 13, /* R13 */
	[22] = 14, /* R14 */
	[23] = 15, /* R15 */
};

/* The value of perf register bit in a sample, or false if the mask lacks it. */
static bool sample_reg(const uint64_t *regs, uint64_t mask, unsigned bit, uint64_t *val)
{
	if (!(mask & (UINT64_C(1) << bit)))
		return false;
	uint64_t below = mask & ((UINT64_C(1) << bit) - 1);
	*val = regs[__builtin_popcountll(below)];
	return true;
}

/* ---- the vDSO ---- */

/* The [vdso] of profiled x86_64 processes is the kernel's image, the same as ours. */
static Elf *own_vdso_elf(void)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	if (base == 0)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	size_t size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	return elf_memory((char *)base, size);
}

/* Only the vDSO is reported without its file; modules of files come with their ELF.
 * (dwfl_build_id_find_elf would be the usual choice, but it can ask a debuginfod
 * server, which must not happen in the middle of a recording.) */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	*elfp = strcmp(modname, "[vdso]") == 0 ? own_vdso_elf() : NULL;
	return -1;
}

/* Separate debug files matter only for code that .eh_frame does not cover (libdwfl then
 * tries .debug_frame). The standard search ends by asking debuginfod servers when
 * DEBUGINFOD_URLS is set, which could block a recording for minutes: then only the
 * local build-id tree is searched. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (urls && *urls)
		return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
						    debuglink_file, debuglink_crc,
						    debuginfo_file_name);
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

/* ---- modules ---- */

static bool failed_before(const session *s, uint64_t start)
{
	for (size_t i = 0; i < s->failed_count; i++)
		if (s->failed[i] == start)
			return true;
	return false;
}

static void remember_failure(session *s, uint64_t start)
{
	fk_grow((void **)&s->failed, sizeof(*s->failed), &s->failed_cap, s->failed_count + 1);
	s->failed[s->failed_count++] = start;
}

static void remember_module(session *s, const fk_mapping *m)
{
	fk_grow((void **)&s->mods, sizeof(*s->mods), &s->mod_cap, s->mod_count + 1);
	reported *r = &s->mods[s->mod_count++];
	r->start = m->start;
	r->pgoff = m->pgoff;
	r->ino = m->ino;
	r->path = fk_xstrdup(m->path);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The load bias of the x86_64 ELF file m maps (runtime address - file address), from
 * the PT_LOAD segment m maps. False if the file is not a usable x86_64 ELF file, is not
 * the file the process mapped (another inode on the same device), or would not cover
 * addr once reported (libdwfl's module range: first PT_LOAD's aligned start to last
 * PT_LOAD's end). */
static bool mapping_bias(const fk_mapping *m, uint64_t addr, uint64_t *bias)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = false;
	struct stat st;
	Elf *elf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	/* Inode numbers are only comparable on the same device (overlay file systems report
	 * other devices and inodes through stat than in the process's mappings). */
	if (m->ino != 0 && (m->maj != 0 || m->min != 0) && major(st.st_dev) == m->maj &&
	    minor(st.st_dev) == m->min && st.st_ino != m->ino)
		goto out;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF)
		goto out;
	GElf_Ehdr eh;
	if (gelf_getehdr(elf, &eh) == NULL || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || (eh.e_type != ET_DYN && eh.e_type != ET_EXEC))
		goto out;
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum) != 0)
		goto out;
	/* Segments can share a file page: prefer the one as executable as the mapping. */
	bool want_exec = m->prot == 0 || (m->prot & PROT_EXEC);
	bool found = false, found_exact = false, first = true;
	uint64_t lo = 0, hi = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		if (first)
			lo = ph.p_vaddr & -ph.p_align;
		first = false;
		if (ph.p_vaddr + ph.p_memsz > 0)
			hi = ph.p_vaddr + ph.p_memsz;
		uint64_t page_start = ph.p_offset & ~UINT64_C(4095);
		if (m->pgoff < page_start || m->pgoff >= ph.p_offset + ph.p_filesz)
			continue;
		bool exact = ((ph.p_flags & PF_X) != 0) == want_exec;
		if (!found || (exact && !found_exact)) {
			/* runtime(start) = bias + p_vaddr + (pgoff - p_offset) */
			*bias = m->start - m->pgoff - ph.p_vaddr + ph.p_offset;
			found = true;
			found_exact = exact;
		}
	}
	if (!found)
		goto out;
	if (eh.e_type == ET_EXEC)
		*bias = 0; /* what libdwfl assumes; the check below catches a moved executable */
	ok = addr >= *bias + lo && addr < *bias + hi;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ok;
}

/* Reports the module of the mapping containing addr, unless there is one already or an
 * earlier attempt failed. */
static void ensure_module(sample_ctx *c, uint64_t addr)
{
	session *s = c->s;
	if (dwfl_addrmodule(s->dwfl, addr) != NULL)
		return;
	const fk_mapping *m = fk_processes_find(c->ps, c->pid, addr);
	if (m == NULL || m->path == NULL)
		return;
	bool vdso = strcmp(m->path, "[vdso]") == 0;
	if (!vdso && m->path[0] != '/')
		return; /* anonymous memory, heap, stack, [vsyscall] */
	if (failed_before(s, m->start))
		return;
	Dwfl_Module *mod = NULL;
	if (vdso) {
		dwfl_report_begin_add(s->dwfl);
		mod = dwfl_report_module(s->dwfl, "[vdso]", m->start, m->end);
		dwfl_report_end(s->dwfl, NULL, NULL);
	} else if (!ends_with(m->path, " (deleted)")) {
		uint64_t bias;
		if (mapping_bias(m, addr, &bias)) {
			dwfl_report_begin_add(s->dwfl);
			mod = dwfl_report_elf(s->dwfl, m->path, m->path, -1, bias, true);
			dwfl_report_end(s->dwfl, NULL, NULL);
		}
	}
	if (mod != NULL && dwfl_addrmodule(s->dwfl, addr) == mod)
		remember_module(s, m);
	else
		remember_failure(s, m->start);
}

/* ---- thread callbacks ---- */

static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	/* Only get_thread is used; nothing to enumerate. */
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	*thread_argp = dwfl_arg;
	return true;
}

/* Reads from the stack copy, else from a read-only PT_LOAD segment of a reported
 * module's file. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	const sample_ctx *c = dwfl_arg;
	if (addr >= c->sp && c->stack_size >= 8 && addr - c->sp <= c->stack_size - 8) {
		memcpy(result, c->stack + (addr - c->sp), 8);
		return true;
	}
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	if (mod == NULL)
		return false;
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	if (elf == NULL || addr < bias)
		return false;
	uint64_t vaddr = addr - bias;
	size_t phnum, size;
	char *raw = elf_rawfile(elf, &size);
	if (raw == NULL || elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD ||
		    (ph.p_flags & PF_W))
			continue;
		if (vaddr >= ph.p_vaddr && ph.p_filesz >= 8 &&
		    vaddr - ph.p_vaddr <= ph.p_filesz - 8) {
			uint64_t off = ph.p_offset + (vaddr - ph.p_vaddr);
			if (off > size || size - off < 8)
				return false;
			memcpy(result, raw + off, 8);
			return true;
		}
	}
	return false;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const sample_ctx *c = thread_arg;
	uint64_t ip;
	if (!sample_reg(c->regs, c->regs_mask, PERF_REG_IP, &ip))
		return false;
	for (unsigned bit = 0; bit < PERF_REG_COUNT; bit++) {
		uint64_t v;
		int dw = dwarf_of_perf[bit];
		if (dw < 0 || !sample_reg(c->regs, c->regs_mask, bit, &v))
			continue;
		Dwarf_Word w = v;
		if (!dwfl_thread_state_registers(thread, dw, 1, &w))
			return false;
	}
	dwfl_thread_state_register_pc(thread, ip);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* Called with each frame before libdwfl unwinds from it. */
static int frame_callback(Dwfl_Frame *state, void *arg)
{
	sample_ctx *c = arg;
	Dwarf_Addr pc;
	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	uint64_t lookup = pc;
	if (c->count == 0) {
		c->last_sp = c->sp;
	} else {
		/* A caller: its return address must be in executable memory, and its stack
		 * pointer (the CFA of the frame below) above the frame below's. */
		Dwarf_Word sp;
		if (pc == 0 || dwfl_frame_reg(state, DW_RSP, &sp) != 0 || sp <= c->last_sp)
			return DWARF_CB_ABORT;
		lookup = pc - 1;
		const fk_mapping *m = fk_processes_find(c->ps, c->pid, lookup);
		if (m == NULL || (m->prot != 0 && !(m->prot & PROT_EXEC)))
			return DWARF_CB_ABORT;
		c->last_sp = sp;
	}
	c->pcs[c->count++] = pc;
	if (c->count >= c->max)
		return DWARF_CB_ABORT;
	ensure_module(c, lookup);
	return DWARF_CB_OK;
}

/* ---- sessions ---- */

static void session_clear(session *s)
{
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (size_t i = 0; i < s->mod_count; i++)
		free(s->mods[i].path);
	free(s->mods);
	free(s->failed);
	memset(s, 0, sizeof(*s));
}

/* True if every mapping s reported a module for is still mapped the same way. */
static bool session_modules_valid(const session *s, const fk_processes *ps)
{
	for (size_t i = 0; i < s->mod_count; i++) {
		const reported *r = &s->mods[i];
		const fk_mapping *m = fk_processes_find(ps, s->pid, r->start);
		if (m == NULL || m->start != r->start || m->pgoff != r->pgoff || m->ino != r->ino ||
		    m->path == NULL || strcmp(m->path, r->path) != 0)
			return false;
	}
	return true;
}

static bool session_open(fk_unwinder *u, session *s, const fk_processes *ps, int pid,
			 uint64_t version)
{
	s->dwfl = dwfl_begin(&dwfl_callbacks);
	if (s->dwfl == NULL)
		return false;
	if (!dwfl_attach_state(s->dwfl, u->arch_elf, pid, &thread_callbacks, &u->ctx)) {
		session_clear(s);
		return false;
	}
	s->ps = ps;
	s->pid = pid;
	s->maps_version = version;
	return true;
}

/* The session of pid, up to date with its mappings, or NULL. */
static session *session_get(fk_unwinder *u, const fk_processes *ps, int pid)
{
	uint64_t version = fk_processes_maps_version(ps, pid);
	session *s = NULL, *victim = &u->sessions[0];
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		session *t = &u->sessions[i];
		if (t->dwfl && t->pid == pid && t->ps == ps) {
			s = t;
			break;
		}
		if (victim->dwfl && (!t->dwfl || t->last_use < victim->last_use))
			victim = t;
	}
	if (s && s->maps_version != version) {
		if (session_modules_valid(s, ps)) {
			s->maps_version = version;
			s->failed_count = 0; /* new mappings may make them resolvable */
		} else {
			session_clear(s);
			victim = s;
			s = NULL;
		}
	}
	if (s == NULL) {
		session_clear(victim);
		if (!session_open(u, victim, ps, pid, version))
			return NULL;
		s = victim;
	}
	s->last_use = ++u->clock;
	return s;
}

/* ---- public ---- */

fk_unwinder *fk_unwinder_new(void)
{
	fk_unwinder *u = fk_xcalloc(1, sizeof(*u));
	elf_version(EV_CURRENT);
	Elf64_Ehdr *eh = &u->arch_ehdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	u->arch_elf = elf_memory((char *)eh, sizeof(*eh));
	return u;
}

void fk_unwinder_free(fk_unwinder *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		session_clear(&u->sessions[i]);
	if (u->arch_elf)
		elf_end(u->arch_elf);
	free(u);
}

size_t fk_unwind(fk_unwinder *u, const fk_processes *ps, int pid, int tid, const uint64_t *regs,
		 uint64_t regs_mask, const uint8_t *stack, size_t stack_size, uint64_t *pcs,
		 size_t max)
{
	uint64_t ip, sp = 0;
	if (max == 0 || regs == NULL || !sample_reg(regs, regs_mask, PERF_REG_IP, &ip))
		return 0;
	pcs[0] = ip;
	if (max == 1 || u->arch_elf == NULL || !sample_reg(regs, regs_mask, PERF_REG_SP, &sp))
		return 1;
	session *s = session_get(u, ps, pid);
	if (s == NULL)
		return 1;
	sample_ctx *c = &u->ctx;
	*c = (sample_ctx){
		.ps = ps,
		.s = s,
		.pid = pid,
		.regs = regs,
		.regs_mask = regs_mask,
		.stack = stack,
		.stack_size = stack ? stack_size : 0,
		.sp = sp,
		.pcs = pcs,
		.max = max,
	};
	dwfl_getthread_frames(s->dwfl, tid, frame_callback, c);
	if (c->count == 0) {
		pcs[0] = ip;
		c->count = 1;
	}
	size_t n = c->count;
	*c = (sample_ctx){0};
	return n;
}
