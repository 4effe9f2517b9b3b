/* elf_symbols.c: reading a binary's function symbols and PT_LOAD segments with libelf
 * (see elf_symbols.h). Which symbols count follows perf's dso__load_sym: STT_FUNC and
 * STT_GNU_IFUNC symbols that are defined and named, and STT_NOTYPE labels in executable
 * sections that are not hidden or internal. Files are read with ELF_C_READ (pread on
 * demand, not mmap), so a file truncated under us gives errors, never SIGBUS, and
 * libelf's bounds checks keep a corrupt file from reaching past its end. */
#include "elf_symbols.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libgen.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "proc_maps.h"

#define DEBUG_ROOT "/usr/lib/debug"

typedef struct elf_file {
	int fd;
	Elf *elf;
} elf_file;

static void elf_file_close(elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

/* Opens a regular file as ELF (O_NONBLOCK: a FIFO or device named in a mapping must not
 * block us; regular files ignore the flag). */
static bool elf_file_open(elf_file *f, const char *path)
{
	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (f->fd < 0)
		return false;
	struct stat st;
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		elf_file_close(f);
		return false;
	}
	elf_version(EV_CURRENT);
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &eh)) {
		elf_file_close(f);
		return false;
	}
	return true;
}

static Elf_Scn *find_section(Elf *elf, GElf_Word type)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return scn;
	}
	return NULL;
}

static bool has_symtab(Elf *elf)
{
	Elf_Scn *scn = find_section(elf, SHT_SYMTAB);
	GElf_Shdr sh;
	return scn && gelf_getshdr(scn, &sh) && sh.sh_size > 0;
}

/* Adds the function symbols of the first section of type (SHT_SYMTAB or SHT_DYNSYM).
 * Returns how many were added. */
static size_t read_symbols(fk_binary *b, Elf *elf, GElf_Word type)
{
	Elf_Scn *scn = find_section(elf, type);
	GElf_Shdr sh;
	if (!scn || !gelf_getshdr(scn, &sh))
		return 0;
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !data->d_buf || !entsize)
		return 0;
	size_t nsyms = data->d_size / entsize;
	size_t shnum = 0;
	if (elf_getshdrnum(elf, &shnum) != 0 || shnum > (1u << 24))
		shnum = 0;
	/* Which sections hold code, for the STT_NOTYPE labels. */
	unsigned char *exec_section = fk_xcalloc(shnum ? shnum : 1, 1);
	for (size_t i = 1; i < shnum; i++) {
		GElf_Shdr s;
		Elf_Scn *sec = elf_getscn(elf, i);
		if (sec && gelf_getshdr(sec, &s) && (s.sh_flags & SHF_EXECINSTR))
			exec_section[i] = 1;
	}
	size_t added = 0;
	for (size_t i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		int st_type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
			continue;
		if (st_type == STT_NOTYPE) {
			int vis = GELF_ST_VISIBILITY(sym.st_other);
			if (sym.st_shndx >= shnum || !exec_section[sym.st_shndx] || vis == STV_HIDDEN ||
			    vis == STV_INTERNAL)
				continue;
		} else if (st_type != STT_FUNC && st_type != STT_GNU_IFUNC) {
			continue;
		}
		const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !*name || name[0] == '$')
			continue;
		fk_symtab_add(&b->symtab, sym.st_value, sym.st_size, name, strlen(name),
			      (uint8_t)GELF_ST_BIND(sym.st_info), (uint8_t)st_type, NULL);
		added++;
	}
	free(exec_section);
	return added;
}

static void read_segments(fk_binary *b, Elf *elf)
{
	size_t n = 0;
	if (elf_getphdrnum(elf, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		fk_elf_segment *s;
		size_t cap = b->segment_count;
		b->segments = fk_xrealloc(b->segments, (cap + 1) * sizeof(*b->segments));
		s = &b->segments[b->segment_count++];
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->vaddr = ph.p_vaddr;
		s->exec = (ph.p_flags & PF_X) != 0;
	}
}

/* ---- separate debug info ------------------------------------------------------------ */

static bool same_build_id(Elf *a, Elf *b)
{
	const void *ida, *idb;
	ssize_t na = dwelf_elf_gnu_build_id(a, &ida), nb = dwelf_elf_gnu_build_id(b, &idb);
	if (na <= 0 || nb <= 0)
		return true; /* nothing to compare */
	return na == nb && memcmp(ida, idb, (size_t)na) == 0;
}

static bool crc_matches(int fd, GElf_Word expected)
{
	unsigned char buffer[1 << 16];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return false;
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		crc = crc32(crc, buffer, (uInt)n);
	return n == 0 && (GElf_Word)crc == expected;
}

/* Opens candidate as the debug file of elf: ELF, with a .symtab, and the same build-id
 * (or, when either has none, the CRC the .gnu_debuglink records). */
static bool try_debug_file(elf_file *out, const char *candidate, Elf *elf, bool check_crc,
			   GElf_Word crc)
{
	if (!elf_file_open(out, candidate))
		return false;
	const void *id;
	bool ids = dwelf_elf_gnu_build_id(elf, &id) > 0 && dwelf_elf_gnu_build_id(out->elf, &id) > 0;
	bool ok = has_symtab(out->elf) && same_build_id(elf, out->elf) &&
		  (ids || !check_crc || crc_matches(out->fd, crc));
	if (!ok)
		elf_file_close(out);
	return ok;
}

static bool find_debug_file(elf_file *out, Elf *elf, const char *path)
{
	const unsigned char *id;
	ssize_t id_len = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	if (id_len >= 2 && id_len <= 64) {
		char candidate[sizeof(DEBUG_ROOT) + 16 + 2 * 64 + 8];
		size_t n = (size_t)snprintf(candidate, sizeof(candidate), "%s/.build-id/%02x/", DEBUG_ROOT, id[0]);
		for (ssize_t i = 1; i < id_len; i++)
			n += (size_t)snprintf(candidate + n, sizeof(candidate) - n, "%02x", id[i]);
		snprintf(candidate + n, sizeof(candidate) - n, ".debug");
		if (try_debug_file(out, candidate, elf, false, 0))
			return true;
	}
	GElf_Word crc = 0;
	const char *link = dwelf_elf_gnu_debuglink(elf, &crc);
	if (!link || !*link || strlen(link) > 1024)
		return false;
	if (link[0] == '/')
		return try_debug_file(out, link, elf, true, crc);
	char *copy = fk_xstrdup(path);
	char *dir = dirname(copy);
	char *real = realpath(path, NULL);
	char *real_dir = real ? dirname(real) : NULL;
	const char *dirs[2] = { dir, real_dir && strcmp(real_dir, dir) != 0 ? real_dir : NULL };
	bool found = false;
	for (int d = 0; d < 2 && !found; d++) {
		if (!dirs[d])
			continue;
		size_t cap = strlen(dirs[d]) + strlen(link) + sizeof(DEBUG_ROOT) + 16;
		char *candidate = fk_xmalloc(cap);
		const char *sep = strcmp(dirs[d], "/") == 0 ? "" : "/";
		for (int attempt = 0; attempt < 3 && !found; attempt++) {
			if (attempt == 0)
				snprintf(candidate, cap, "%s%s%s", dirs[d], sep, link);
			else if (attempt == 1)
				snprintf(candidate, cap, "%s%s.debug/%s", dirs[d], sep, link);
			else
				snprintf(candidate, cap, "%s%s%s%s", DEBUG_ROOT, dirs[d], sep, link);
			/* The file itself has no .symtab, so it is refused like any other. */
			found = try_debug_file(out, candidate, elf, true, crc);
		}
		free(candidate);
	}
	free(real);
	free(copy);
	return found;
}

/* ---- PLT entries ------------------------------------------------------------------- */

/* perf's dso__synthesize_plt_symbols (tools/perf/util/symbol-elf.c): the PLT stubs have no
 * symbols, so they are named after the functions they jump to, "name@plt", from the PLT
 * relocations; ".plt" is the lazy-binding header; .plt.sec (x86 with IBT) holds the
 * stubs when present; .plt.got stubs (x86) are named through .rela.dyn. IFUNCs called
 * through the PLT (an R_X86_64_IRELATIVE without a symbol) are named after the IFUNC
 * symbol at the relocation's addend; anything unnamed is "offset_0xOFF@plt", OFF being
 * the stub's file offset, as perf prints it. */

static Elf_Scn *section_by_name(Elf *elf, const char *name, GElf_Shdr *out)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, out))
			continue;
		const char *n = elf_strptr(elf, shstrndx, out->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

static bool is_x86(const GElf_Ehdr *eh)
{
	return eh->e_machine == EM_386 || eh->e_machine == EM_X86_64;
}

static bool plt_sizes(const GElf_Ehdr *eh, const GElf_Shdr *plt, uint64_t *header, uint64_t *entry)
{
	switch (eh->e_machine) {
	case EM_ARM:
		*header = 20;
		*entry = 12;
		return true;
	case EM_AARCH64:
		*header = 32;
		*entry = 16;
		return true;
	case EM_SPARC:
		*header = 48;
		*entry = 12;
		return true;
	case EM_SPARCV9:
		*header = 128;
		*entry = 32;
		return true;
	case EM_386:
	case EM_X86_64:
		*entry = plt->sh_entsize;
		if (*entry != 8 && *entry != 16)
			*entry = plt->sh_addralign == 8 ? 8 : 16;
		*header = *entry;
		return true;
	default:
		*header = *entry = plt->sh_entsize;
		return *entry != 0;
	}
}

static void add_plt_symbol(fk_binary *b, uint64_t addr, uint64_t size, const char *name)
{
	fk_symtab_add(&b->symtab, addr, size, name, strlen(name), STB_GLOBAL, STT_FUNC, NULL);
}

/* The symbol table section link points to, its data and its string table index. */
static bool symbol_table(Elf *elf, GElf_Word link, Elf_Data **syms, GElf_Word *strndx)
{
	Elf_Scn *scn = elf_getscn(elf, link);
	GElf_Shdr sh;
	if (!scn || !gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
		return false;
	*syms = elf_getdata(scn, NULL);
	*strndx = sh.sh_link;
	return *syms && (*syms)->d_buf;
}

static const char *symbol_name(Elf *elf, Elf_Data *syms, GElf_Word strndx, size_t index)
{
	GElf_Sym sym;
	if (index > INT32_MAX || !gelf_getsym(syms, (int)index, &sym))
		return "";
	const char *name = elf_strptr(elf, strndx, sym.st_name);
	return name ? name : "";
}

typedef struct rel_entry {
	uint64_t offset, addend;
	uint32_t sym, type;
} rel_entry;

static int rel_cmp(const void *a, const void *b)
{
	const rel_entry *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The relocations of a SHT_REL or SHT_RELA section (NULL if none); *count their number. */
static rel_entry *read_relocations(Elf_Scn *scn, const GElf_Shdr *sh, size_t *count)
{
	*count = 0;
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || !sh->sh_entsize || (sh->sh_type != SHT_RELA && sh->sh_type != SHT_REL))
		return NULL;
	size_t n = sh->sh_size / sh->sh_entsize;
	if (n > (1u << 24))
		return NULL;
	rel_entry *rels = fk_xcalloc(n ? n : 1, sizeof(*rels));
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		if (sh->sh_type == SHT_RELA) {
			GElf_Rela r;
			if (!gelf_getrela(data, (int)i, &r))
				break;
			rels[got++] = (rel_entry){ r.r_offset, (uint64_t)r.r_addend, (uint32_t)GELF_R_SYM(r.r_info),
						   (uint32_t)GELF_R_TYPE(r.r_info) };
		} else {
			GElf_Rel r;
			if (!gelf_getrel(data, (int)i, &r))
				break;
			rels[got++] = (rel_entry){ r.r_offset, 0, (uint32_t)GELF_R_SYM(r.r_info),
						   (uint32_t)GELF_R_TYPE(r.r_info) };
		}
	}
	*count = got;
	return rels;
}

/* x86-64 .plt.got stubs: "jmp *disp(%rip)" (after an endbr64, a bnd prefix) to a GOT slot
 * that a .rela.dyn entry names. */
static void synthesize_plt_got(fk_binary *b, Elf *elf, const GElf_Ehdr *eh)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section_by_name(elf, ".plt.got", &sh);
	if (!scn || !sh.sh_entsize || sh.sh_type == SHT_NOBITS || sh.sh_size / sh.sh_entsize > (1u << 20))
		return;
	Elf_Data *code = elf_getdata(scn, NULL);
	rel_entry *rels = NULL;
	size_t nrels = 0;
	Elf_Data *syms = NULL;
	GElf_Word strndx = 0;
	GElf_Shdr rsh;
	Elf_Scn *rscn = eh->e_machine == EM_X86_64 ? section_by_name(elf, ".rela.dyn", &rsh) : NULL;
	if (rscn && rsh.sh_link && symbol_table(elf, rsh.sh_link, &syms, &strndx)) {
		rels = read_relocations(rscn, &rsh, &nrels);
		size_t kept = 0;
		for (size_t i = 0; i < nrels; i++)
			if (rels[i].sym)
				rels[kept++] = rels[i];
		nrels = kept;
		if (nrels > 1)
			qsort(rels, nrels, sizeof(*rels), rel_cmp);
	}
	char name[1024];
	for (uint64_t i = 0; i < sh.sh_size; i += sh.sh_entsize) {
		bool named = false;
		const unsigned char *p = code && code->d_buf && i + 16 <= code->d_size
						 ? (const unsigned char *)code->d_buf + i
						 : NULL;
		if (p && nrels) {
			static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
			size_t n = memcmp(p, endbr64, sizeof(endbr64)) == 0 ? 4 : 0;
			if (p[n] == 0xf2)
				n++;
			if (p[n] == 0xff && p[n + 1] == 0x25) {
				int32_t disp;
				memcpy(&disp, p + n + 2, 4);
				rel_entry key = { .offset = sh.sh_addr + i + n + 6 + (uint64_t)(int64_t)disp };
				const rel_entry *r = bsearch(&key, rels, nrels, sizeof(*rels), rel_cmp);
				const char *target = r ? symbol_name(elf, syms, strndx, r->sym) : "";
				if (*target) {
					snprintf(name, sizeof(name), "%s@plt", target);
					named = true;
				}
			}
		}
		if (!named)
			snprintf(name, sizeof(name), "offset_%#" PRIx64 "@plt", sh.sh_offset + i);
		add_plt_symbol(b, sh.sh_addr + i, sh.sh_entsize, name);
	}
	free(rels);
}

static void synthesize_plt(fk_binary *b, Elf *elf)
{
	GElf_Ehdr eh;
	GElf_Shdr plt;
	if (!gelf_getehdr(elf, &eh) || !section_by_name(elf, ".plt", &plt) || plt.sh_type == SHT_NOBITS)
		return;
	/* A symbol before it (say in .init) that was extended over it stops at its start. */
	fk_sym *before = fk_symtab_lookup(&b->symtab, plt.sh_addr, false);
	if (before && before->start < plt.sh_addr && before->end > plt.sh_addr)
		before->end = plt.sh_addr;
	uint64_t header, entry;
	if (!plt_sizes(&eh, &plt, &header, &entry))
		return;
	uint64_t header_size = header;
	if (is_x86(&eh))
		synthesize_plt_got(b, elf, &eh);
	GElf_Shdr sec;
	uint64_t stub, stub_offset; /* address and file offset of the first stub */
	bool lazy;
	if (is_x86(&eh) && section_by_name(elf, ".plt.sec", &sec) && sec.sh_type != SHT_NOBITS) {
		if (!plt_sizes(&eh, &sec, &header, &entry))
			return;
		header_size = plt.sh_size; /* the whole .plt */
		stub = sec.sh_addr;
		stub_offset = sec.sh_offset;
		lazy = false;
	} else {
		stub = plt.sh_addr;
		stub_offset = plt.sh_offset;
		lazy = true;
	}
	GElf_Shdr rsh;
	Elf_Scn *rscn = section_by_name(elf, ".rela.plt", &rsh);
	if (!rscn)
		rscn = section_by_name(elf, ".rel.plt", &rsh);
	Elf_Data *syms;
	GElf_Word strndx;
	size_t nrels = 0;
	rel_entry *rels = NULL;
	if (rscn && rsh.sh_link && symbol_table(elf, rsh.sh_link, &syms, &strndx))
		rels = read_relocations(rscn, &rsh, &nrels);
	bool header_symbol = true;
	if (lazy) {
		/* As many entries as relocations: not lazy, no header. */
		if (nrels && nrels * entry == plt.sh_size)
			header_symbol = false;
		else {
			stub += header;
			stub_offset += header;
		}
	}
	if (header_symbol)
		add_plt_symbol(b, plt.sh_addr, header_size, ".plt");
	if (!rels)
		return;
	/* x86 does not put IFUNC relocations in PLT order. */
	if (is_x86(&eh) && nrels > 1)
		qsort(rels, nrels, sizeof(*rels), rel_cmp);
	char name[1024];
	for (size_t i = 0; i < nrels; i++, stub += entry, stub_offset += entry) {
		const char *target = symbol_name(elf, syms, strndx, rels[i].sym);
		if (*target) {
			snprintf(name, sizeof(name), "%s@plt", target);
		} else {
			const fk_sym *ifunc = NULL;
			if (eh.e_machine == EM_X86_64 && rsh.sh_type == SHT_RELA && rels[i].type == R_X86_64_IRELATIVE)
				ifunc = fk_symtab_lookup(&b->symtab, rels[i].addend, false);
			if (ifunc && ifunc->start == rels[i].addend && ifunc->ifunc)
				snprintf(name, sizeof(name), "%s@plt", ifunc->name);
			else
				snprintf(name, sizeof(name), "offset_%#" PRIx64 "@plt", stub_offset);
		}
		add_plt_symbol(b, stub, entry, name);
	}
	free(rels);
}

/* ---- loading ----------------------------------------------------------------------- */

static fk_binary *binary_new(void)
{
	fk_binary *b = fk_xcalloc(1, sizeof(*b));
	fk_symtab_init(&b->symtab, FK_SYMTAB_ELF);
	return b;
}

/* path: the file's name, to look for its debug info (NULL: none). */
static void load(fk_binary *b, Elf *elf, const char *path)
{
	b->is_elf = true;
	read_segments(b, elf);
	size_t n = read_symbols(b, elf, SHT_SYMTAB);
	if (n == 0 && path) {
		elf_file debug;
		if (find_debug_file(&debug, elf, path)) {
			n = read_symbols(b, debug.elf, SHT_SYMTAB);
			elf_file_close(&debug);
		}
	}
	if (n == 0)
		read_symbols(b, elf, SHT_DYNSYM);
	fk_symtab_finish(&b->symtab);
	/* Looks up the symbols just finished, then adds the stubs: finish again. */
	synthesize_plt(b, elf);
	fk_symtab_finish(&b->symtab);
}

fk_binary *fk_binary_open(const char *path)
{
	fk_binary *b = binary_new();
	elf_file f;
	if (elf_file_open(&f, path)) {
		load(b, f.elf, path);
		elf_file_close(&f);
	}
	return b;
}

fk_binary *fk_binary_from_memory(const void *image, size_t size)
{
	fk_binary *b = binary_new();
	if (!image || size < sizeof(Elf64_Ehdr))
		return b;
	char *copy = fk_xmalloc(size);
	memcpy(copy, image, size);
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory(copy, size);
	GElf_Ehdr eh;
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh))
		load(b, elf, NULL);
	if (elf)
		elf_end(elf);
	free(copy);
	return b;
}

/* The size of the mapping of this process that starts at addr (0 if not found). */
static size_t self_mapping_size(uint64_t addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return 0;
	size_t size = 0;
	fk_line_reader r;
	fk_line_reader_init(&r, f, 8192);
	while (fk_line_reader_next(&r)) {
		fk_mapping m;
		const char *path;
		size_t path_len;
		if (fk_proc_maps_parse_line(r.buf, r.len, &m, &path, &path_len) && m.start <= addr &&
		    addr < m.end) {
			size = (size_t)(m.end - addr);
			break;
		}
	}
	fk_line_reader_free(&r);
	fclose(f);
	return size;
}

fk_binary *fk_binary_self_vdso(void)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return binary_new();
	size_t size = self_mapping_size(base);
	if (size == 0) {
		/* No /proc: the extent the image's own headers give. */
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(uintptr_t)base;
		if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
			return binary_new();
		size = (size_t)eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
		if (size > (1u << 20))
			return binary_new();
	}
	return fk_binary_from_memory((const void *)(uintptr_t)base, size);
}

void fk_binary_free(fk_binary *b)
{
	if (!b)
		return;
	fk_symtab_free(&b->symtab);
	free(b->segments);
	free(b);
}

bool fk_binary_file_addr(const fk_binary *b, uint64_t off, bool exec, uint64_t *file_addr)
{
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < b->segment_count; i++) {
			const fk_elf_segment *s = &b->segments[i];
			uint64_t extent = pass == 2 ? s->memsz : s->filesz;
			if (pass == 0 && s->exec != exec)
				continue;
			if (off >= s->offset && off - s->offset < extent) {
				*file_addr = s->vaddr + (off - s->offset);
				return true;
			}
		}
	}
	return false;
}
