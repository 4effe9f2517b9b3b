/* symbolizer.c: names for sample addresses (symbolizer.h), with perf script's naming.
 *
 * A user address is found in the process's mappings (maps.h), then:
 * - in a file mapping, the binary's symbol table (elf_symbols.h, loaded once per path and
 *   kept for the symbolizer's life) is searched at the file address that the binary's
 *   PT_LOAD segments give for the mapping's file offset;
 * - in [vdso], the symbols of this process's own vDSO image, which the kernel gives
 *   every (native) process;
 * - in anonymous memory, as perf does, the JIT map /tmp/perf-PID.map (jitmap.h): the
 *   module (and kind FK_FRAME_JIT) is then that file even when it does not name the
 *   address, as perf script prints "[unknown] (/tmp/perf-PID.map)"; the same for [heap]
 *   and [stack] mappings when they are executable, and for addresses outside every
 *   mapping when the map names them (else they are "[unknown]");
 * - in other special mappings ([vsyscall], ...), nothing: the module is the mapping's name.
 * Kernel addresses go to /proc/kallsyms (kallsyms.h), read on first use.
 * Everything is loaded lazily and cached in the symbolizer, so one symbolizer must not be
 * used by two threads at once. */
#include "symbolizer.h"

#include <sys/mman.h>

#include "../stack/intern.h"
#include "elf_symbols.h"
#include "jitmap.h"
#include "kallsyms.h"

#define JIT_DIR "/tmp"

struct fk_symbolizer {
	bool demangle;
	fk_interner *paths;    /* binaries' paths; the id indexes binaries */
	fk_binary **binaries;  /* NULL: not loaded yet */
	size_t binaries_cap;
	fk_u64map jitmaps;     /* pid → fk_jitmap * */
	fk_kallsyms *kallsyms; /* NULL until first needed */
	fk_binary *vdso;       /* NULL until first needed */
	char *kallsyms_path;   /* NULL: /proc/kallsyms */
};

fk_symbolizer *fk_symbolizer_new(bool demangle)
{
	fk_symbolizer *s = fk_xcalloc(1, sizeof(*s));
	s->demangle = demangle;
	s->paths = fk_interner_new();
	return s;
}

void fk_symbolizer_free(fk_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->binaries_cap; i++)
		fk_binary_free(s->binaries[i]);
	free(s->binaries);
	fk_interner_free(s->paths);
	for (size_t i = 0; s->jitmaps.mask && i <= s->jitmaps.mask; i++)
		fk_jitmap_free(s->jitmaps.values[i]);
	fk_u64map_free(&s->jitmaps);
	fk_kallsyms_free(s->kallsyms);
	fk_binary_free(s->vdso);
	free(s->kallsyms_path);
	free(s);
}

static fk_binary *binary_for(fk_symbolizer *s, const char *path)
{
	fk_name_id id = fk_intern(s->paths, path, strlen(path));
	if (id >= s->binaries_cap) {
		size_t old = s->binaries_cap;
		fk_grow((void **)&s->binaries, sizeof(*s->binaries), &s->binaries_cap, (size_t)id + 1);
		memset(s->binaries + old, 0, (s->binaries_cap - old) * sizeof(*s->binaries));
	}
	if (!s->binaries[id])
		s->binaries[id] = fk_binary_open(path);
	return s->binaries[id];
}

void fk_symbolizer_read_binary_from(fk_symbolizer *s, const char *path, const char *file)
{
	fk_name_id id = fk_intern(s->paths, path, strlen(path));
	if (id >= s->binaries_cap) {
		size_t old = s->binaries_cap;
		fk_grow((void **)&s->binaries, sizeof(*s->binaries), &s->binaries_cap, (size_t)id + 1);
		memset(s->binaries + old, 0, (s->binaries_cap - old) * sizeof(*s->binaries));
	}
	fk_binary_free(s->binaries[id]);
	s->binaries[id] = fk_binary_open(file);
}

static fk_jitmap *jitmap_for(fk_symbolizer *s, int pid)
{
	uint64_t key = (uint64_t)(uint32_t)pid;
	fk_jitmap *j = fk_u64map_get(&s->jitmaps, key);
	if (!j) {
		j = fk_jitmap_new(JIT_DIR, pid);
		fk_u64map_put(&s->jitmaps, key, j);
	}
	return j;
}

/* perf's is_anon_memory plus the names /proc gives anonymous memory. */
static bool anonymous(const fk_mapping *m)
{
	const char *p = m->path;
	if (!*p || strcmp(p, "//anon") == 0 || strncmp(p, "[anon:", 6) == 0 ||
	    strncmp(p, "/dev/zero", 9) == 0 || strncmp(p, "/anon_hugepage", 14) == 0)
		return true;
	/* perf's is_no_dso_memory, for executable memory. */
	return (m->prot & PROT_EXEC) && (strncmp(p, "[stack", 6) == 0 || strcmp(p, "[heap]") == 0 ||
					 strncmp(p, "/SYSV", 5) == 0);
}

static void set_symbol(fk_symbol *out, const fk_sym *sym, uint64_t addr)
{
	out->name = sym->name;
	out->offset = addr - sym->start;
}

/* Returns true if the JIT map of pid names addr (out is then filled in). */
static bool jit_lookup(fk_symbolizer *s, int pid, uint64_t addr, fk_symbol *out, bool always_module)
{
	fk_jitmap *j = jitmap_for(s, pid);
	const fk_sym *sym = fk_jitmap_lookup(j, addr, fk_monotonic_ms());
	if (sym || always_module) {
		out->module = fk_jitmap_path(j);
		out->kind = FK_FRAME_JIT;
	}
	if (sym)
		set_symbol(out, sym, addr);
	return sym != NULL;
}

static void lookup_binary(fk_symbolizer *s, fk_binary *b, const fk_mapping *m, uint64_t addr,
			  fk_symbol *out)
{
	uint64_t off = addr - m->start + m->pgoff;
	uint64_t file_addr;
	if (!fk_binary_file_addr(b, off, (m->prot & PROT_EXEC) != 0, &file_addr)) {
		out->file_addr = off;
		return;
	}
	out->file_addr = file_addr;
	fk_sym *sym = fk_symtab_lookup(&b->symtab, file_addr, s->demangle);
	if (sym)
		set_symbol(out, sym, file_addr);
}

void fk_symbolize_user(fk_symbolizer *s, const fk_processes *ps, int pid, uint64_t addr,
		       fk_symbol *out)
{
	out->name = NULL;
	out->offset = 0;
	out->module = "[unknown]";
	out->file_addr = addr;
	out->kind = FK_FRAME_USER;
	const fk_mapping *m = ps ? fk_processes_find(ps, pid, addr) : NULL;
	if (!m) {
		jit_lookup(s, pid, addr, out, false);
		return;
	}
	if (anonymous(m)) {
		jit_lookup(s, pid, addr, out, true);
		return;
	}
	out->module = m->path;
	if (strcmp(m->path, "[vdso]") == 0) {
		if (!s->vdso)
			s->vdso = fk_binary_self_vdso();
		lookup_binary(s, s->vdso, m, addr, out);
		return;
	}
	if (m->path[0] == '[')
		return; /* [vsyscall], [vvar], ...: no symbols */
	lookup_binary(s, binary_for(s, m->path), m, addr, out);
}

static fk_kallsyms *kallsyms(fk_symbolizer *s)
{
	if (!s->kallsyms)
		s->kallsyms = fk_kallsyms_load(s->kallsyms_path ? s->kallsyms_path : "/proc/kallsyms");
	return s->kallsyms;
}

void fk_symbolizer_kallsyms_from(fk_symbolizer *s, const char *path)
{
	free(s->kallsyms_path);
	s->kallsyms_path = fk_xstrdup(path);
}

void fk_symbolize_kernel(fk_symbolizer *s, uint64_t addr, fk_symbol *out)
{
	out->name = NULL;
	out->offset = 0;
	out->module = "[kernel.kallsyms]";
	out->file_addr = addr;
	out->kind = FK_FRAME_KERNEL;
	if (addr < 0xffff800000000000ull) {
		/* not a kernel address (a garbage entry after a kernel context marker): no
		 * kernel map holds it, and perf script shows "[unknown] ([unknown])" */
		out->module = "[unknown]";
		out->kind = FK_FRAME_USER;
		return;
	}
	const fk_sym *sym = fk_kallsyms_lookup(kallsyms(s), addr);
	if (!sym)
		return;
	set_symbol(out, sym, addr);
	if (sym->module)
		out->module = sym->module;
}

bool fk_symbolizer_kernel_available(fk_symbolizer *s)
{
	return fk_kallsyms_available(kallsyms(s));
}
