/* inline.c: stackcollapse-perf.pl's --inline/--context expansion, done in-process.
 *
 * The Perl script runs `addr2line -a PC -e MODULE -i -f -s -C` for every new (pc, module)
 * and turns the output into "outer;...;inlined" frames. Here elfutils does the addr2line
 * part: libdwfl opens the module (separate debug info only from local files, never
 * debuginfod) and gives its symbols, libdw the compilation unit, line and chain of
 * scopes at the address; libiberty demangles. The text addr2line would print is built
 * from that, and the Perl post-processing (the "sym+0xOFF" fallback through the symbol
 * table, the frame format, the cache keyed by pc and module) is applied to it.
 *
 * addr2line's rules kept: an address in no allocated section of the file prints "??" and
 * "??:0"; the innermost frame is named by DW_AT_linkage_name, or DW_AT_name for languages
 * without mangling, else by the function symbol starting nearest before the address in
 * its section (its STT_FILE name standing in for an unknown file); each enclosing
 * function of an inlined one is printed with the DW_AT_call_file/DW_AT_call_line of the
 * inlined DIE; line 0 prints "?", -s keeps base names.
 * Known differences from addr2line (binutils 2.40's bfd), where libdw is the one that
 * follows the DWARF: bfd ignores DW_FORM_rnglistx ranges (clang's DWARF 5), so it misses
 * inlined frames that libdw reports; in a gcc C++ unit whose DWARF 5 file entry 1 is not
 * a copy of entry 0, bfd named rows of file 1 after entry 0 (wrong file, right line).
 * libdw's line table may also answer differently at sequence ends and where rows
 * share an address (C++); bfd's tie-breaking between symbols at one address is
 * simplified; relocatable files (.ko, .o) are laid out by libdwfl, not at 0 as in bfd.
 * For C built by gcc the output equals addr2line's byte for byte.
 * A module that cannot be opened, is not ELF or has no DWARF gives "". */
#include "inline.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libiberty/demangle.h>
#include <unistd.h>
#include <zlib.h>

#include "../stack/intern.h"

/* ---- growable text ---------------------------------------------------------------- */

typedef struct text_buffer {
	char *data;
	size_t len, cap;
} text_buffer;

static void text_append(text_buffer *b, const char *s, size_t n)
{
	fk_grow((void **)&b->data, 1, &b->cap, b->len + n + 1);
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void text_append_str(text_buffer *b, const char *s)
{
	text_append(b, s, strlen(s));
}

/* ---- modules ---------------------------------------------------------------------- */

typedef struct inline_module {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;	/* the module's own file */
	GElf_Addr bias; /* libdwfl address = file address + bias */
	bool usable;	/* opened, with DWARF */
	bool elf32;
} inline_module;

/* Whether the file's CRC-32 is the one its .gnu_debuglink records (0: not checked). */
static bool file_crc_matches(int fd, GElf_Word expected)
{
	if (expected == 0)
		return true;
	unsigned char buffer[1 << 16];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		crc = crc32(crc, buffer, (uInt)n);
	return n == 0 && lseek(fd, 0, SEEK_SET) == 0 && (GElf_Word)crc == expected;
}

static int open_debug_candidate(const char *path, GElf_Word crc, char **found_path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (!file_crc_matches(fd, crc)) {
		close(fd);
		return -1;
	}
	*found_path = fk_xstrdup(path);
	return fd;
}

/* Separate debug info where addr2line looks for it, and nowhere else (no debuginfod,
 * which dwfl_standard_find_debuginfo would ask when DEBUGINFOD_URLS is set): first
 * /usr/lib/debug/.build-id/, then the .gnu_debuglink name next to the file, in its
 * .debug/ directory, and under /usr/lib/debug and /usr/lib/debug/usr. */
static int find_debuginfo_locally(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
				  const char *file_name, const char *debuglink, GElf_Word crc,
				  char **debuginfo_file_name)
{
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
					      debuginfo_file_name);
	if (fd >= 0 || !file_name || !debuglink || !*debuglink)
		return fd;
	if (debuglink[0] == '/')
		return open_debug_candidate(debuglink, crc, debuginfo_file_name);
	const char *slash = strrchr(file_name, '/');
	int dir_len = slash ? (int)(slash - file_name + 1) : 0;
	char *canonical = realpath(file_name, NULL);
	char *canonical_slash = canonical ? strrchr(canonical, '/') : NULL;
	int canonical_len = canonical_slash ? (int)(canonical_slash - canonical + 1) : 0;
	const char *real = canonical ? canonical : "";
	size_t cap = strlen(file_name) + strlen(real) + strlen(debuglink) + 64;
	char *path = fk_xmalloc(cap);
	for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
		if (attempt == 0)
			snprintf(path, cap, "%.*s%s", dir_len, file_name, debuglink);
		else if (attempt == 1)
			snprintf(path, cap, "%.*s.debug/%s", dir_len, file_name, debuglink);
		else
			snprintf(path, cap, "/usr/lib/debug%s%.*s%s", attempt == 3 ? "/usr" : "",
				 canonical_len, real, debuglink);
		fd = open_debug_candidate(path, crc, debuginfo_file_name);
	}
	free(path);
	free(canonical);
	return fd;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo_locally,
	.section_address = dwfl_offline_section_address,
};

static inline_module *module_open(const char *path)
{
	inline_module *m = fk_xcalloc(1, sizeof(*m));
	m->dwfl = dwfl_begin(&offline_callbacks);
	if (!m->dwfl)
		return m;
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_offline(m->dwfl, path, path, -1);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod || !(m->elf = dwfl_module_getelf(m->mod, &m->bias)))
		return m;
	Dwarf_Addr dwarf_bias;
	Dwarf *dwarf = dwfl_module_getdwarf(m->mod, &dwarf_bias);
	Dwarf_Off next;
	size_t header_size;
	m->usable = dwarf && dwarf_nextcu(dwarf, 0, &next, &header_size, NULL, NULL, NULL) == 0;
	m->elf32 = gelf_getclass(m->elf) == ELFCLASS32;
	return m;
}

static void module_free(inline_module *m)
{
	if (m && m->dwfl)
		dwfl_end(m->dwfl);
	free(m);
}

/* The allocated section of the file holding the file address addr: [*low, *high). */
static bool section_bounds(const inline_module *m, uint64_t addr, uint64_t *low, uint64_t *high)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(m->elf, scn)) != NULL) {
		GElf_Shdr shdr;
		if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_ALLOC) && addr >= shdr.sh_addr &&
		    addr - shdr.sh_addr < shdr.sh_size) {
			*low = shdr.sh_addr;
			*high = shdr.sh_addr + shdr.sh_size;
			return true;
		}
	}
	return false;
}

/* The compilation unit holding the libdwfl address addr. libdwfl finds it through
 * .debug_aranges, which clang does not emit (elfutils 0.188 does not fall back on the
 * units' own ranges) and whose gaps it gives to the unit before; when its answer does
 * not hold addr, the units are tried in order, as bfd does. */
static Dwarf_Die *unit_at(const inline_module *m, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, bias);
	if (cu && dwarf_haspc(cu, addr - *bias) > 0)
		return cu;
	cu = NULL;
	while ((cu = dwfl_module_nextcu(m->mod, cu, bias)) != NULL)
		if (dwarf_haspc(cu, addr - *bias) > 0)
			return cu;
	return NULL;
}

/* ---- symbols ---------------------------------------------------------------------- */

typedef struct symbol_match {
	const char *name;
	const char *file; /* from the STT_FILE symbol before it, or NULL */
} symbol_match;

static bool is_function_type(int type)
{
	return type == STT_FUNC || type == STT_GNU_IFUNC;
}

/* The symbol addr2line names a code address after: of the symbols that may be functions
 * in the same section [low, high), the one starting nearest at or before addr, its size
 * not checked. At one start address, one that covers addr, then a function, then the
 * smaller wins. Its file is the last STT_FILE symbol before it, for a local symbol or a
 * global one not preceded by a second STT_FILE. */
static bool nearest_function_symbol(const inline_module *m, uint64_t addr, uint64_t low, uint64_t high,
				    symbol_match *match)
{
	int count = dwfl_module_getsymtab(m->mod);
	const char *file = NULL;
	bool symbol_seen = false, file_after_symbol = false, found = false;
	uint64_t best_start = 0, best_size = 0;
	int best_type = 0;
	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &value, &shndx, NULL, NULL);
		if (!name)
			continue;
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
		if (type == STT_FILE) {
			file = name;
			file_after_symbol = symbol_seen;
			continue;
		}
		symbol_seen = true;
		if (type == STT_SECTION || type == STT_OBJECT || type == STT_COMMON || type == STT_TLS ||
		    shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == SHN_COMMON || shndx == (GElf_Word)-1)
			continue;
		uint64_t start = value - m->bias, size = sym.st_size;
		if (start < low || start >= high || start > addr)
			continue;
		if (size == 0 && bind == STB_LOCAL && type == STT_NOTYPE &&
		    GELF_ST_VISIBILITY(sym.st_other) == STV_HIDDEN)
			continue;
		if (size == 0)
			size = 1;
		bool better;
		if (!found || start > best_start)
			better = true;
		else if (start < best_start)
			better = false;
		else if (best_start + best_size <= addr)
			better = size > best_size;
		else if (start + size <= addr)
			better = false;
		else if (is_function_type(type) != is_function_type(best_type))
			better = is_function_type(type);
		else if ((type == STT_NOTYPE) != (best_type == STT_NOTYPE))
			better = best_type == STT_NOTYPE;
		else
			better = size < best_size;
		if (!better)
			continue;
		found = true;
		best_start = start;
		best_size = size;
		best_type = type;
		match->name = name;
		match->file = file && (bind == STB_LOCAL || !file_after_symbol) ? file : NULL;
	}
	return found;
}

/* What `nm MODULE` and the Perl regex "^([0-9a-f]+) . \Qname\E$" find: the value of the
 * first defined symbol of that exact name. */
static bool find_symbol_address(const inline_module *m, const char *name, size_t len, uint64_t *address)
{
	int count = dwfl_module_getsymtab(m->mod);
	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		GElf_Word shndx;
		const char *s = dwfl_module_getsym_info(m->mod, i, &sym, &value, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (s && type != STT_FILE && type != STT_SECTION && shndx != SHN_UNDEF &&
		    strlen(s) == len && memcmp(s, name, len) == 0) {
			*address = sym.st_value;
			return true;
		}
	}
	return false;
}

/* ---- addr2line's output ----------------------------------------------------------- */

char *fk_demangle(const char *name)
{
	/* bfd_demangle: leading dots/dollars and an "@..." suffix are not demangled but kept. */
	const char *prefix = name;
	while (*name == '.' || *name == '$')
		name++;
	size_t prefix_len = (size_t)(name - prefix);
	const char *suffix = strchr(name, '@');
	char *bare = suffix ? fk_xstrndup(name, (size_t)(suffix - name)) : NULL;
	char *demangled = cplus_demangle(bare ? bare : name, DMGL_PARAMS | DMGL_ANSI);
	free(bare);
	if (!demangled)
		return NULL;
	size_t len = strlen(demangled), suffix_len = suffix ? strlen(suffix) : 0;
	char *result = fk_xmalloc(prefix_len + len + suffix_len + 1);
	memcpy(result, prefix, prefix_len);
	memcpy(result + prefix_len, demangled, len);
	memcpy(result + prefix_len + len, suffix ? suffix : "", suffix_len);
	result[prefix_len + len + suffix_len] = '\0';
	free(demangled);
	return result;
}

/* One function/location pair as `addr2line -f -s -C` prints it. */
static void append_frame(text_buffer *out, const char *name, const char *file, int line)
{
	char *demangled = name && *name ? fk_demangle(name) : NULL;
	text_append_str(out, demangled ? demangled : name && *name ? name : "??");
	free(demangled);
	const char *slash = file ? strrchr(file, '/') : NULL;
	text_append_str(out, "\n");
	text_append_str(out, slash ? slash + 1 : file ? file : "??");
	char number[32];
	if (line > 0)
		snprintf(number, sizeof(number), ":%d\n", line);
	else
		snprintf(number, sizeof(number), ":?\n");
	text_append_str(out, number);
}

static bool is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point;
}

/* bfd's list of languages whose DW_AT_name is the linkage name. */
static bool language_without_mangling(int lang)
{
	switch (lang) {
	case DW_LANG_C89: case DW_LANG_C: case DW_LANG_C99: case DW_LANG_C11:
	case DW_LANG_Ada83: case DW_LANG_Ada95: case DW_LANG_Cobol74: case DW_LANG_Cobol85:
	case DW_LANG_Fortran77: case DW_LANG_Pascal83: case DW_LANG_PLI: case DW_LANG_UPC:
	case DW_LANG_Mips_Assembler:
		return true;
	default:
		return false;
	}
}

/* A function DIE's name, through DW_AT_abstract_origin and DW_AT_specification: the
 * linkage name, else DW_AT_name (*is_linkage then tells whether that is how the
 * language names it). */
static const char *function_name(Dwarf_Die *die, int lang, bool *is_linkage)
{
	Dwarf_Attribute attr;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	*is_linkage = name != NULL;
	if (!name && (name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr))))
		*is_linkage = language_without_mangling(lang);
	return name;
}

/* The DW_AT_call_file name of an inlined DIE (NULL if none), and its DW_AT_call_line. */
static const char *call_site(Dwarf_Die *die, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word index, value;
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t file_count;
	*line = dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &value) == 0 ? (int)value : 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &index) != 0 ||
	    !dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &file_count) != 0 ||
	    index >= file_count)
		return NULL;
	return dwarf_filesrc(files, index, NULL, NULL);
}

/* What `addr2line -i -f -s -C -e MODULE ADDR` prints after the address line. */
static void addr2line_text(const inline_module *m, uint64_t addr, text_buffer *out)
{
	uint64_t low, high;
	if (!section_bounds(m, addr, &low, &high)) {
		text_append_str(out, "??\n??:0\n");
		return;
	}
	Dwarf_Addr dwarf_bias = 0;
	Dwarf_Die *cu = unit_at(m, addr + m->bias, &dwarf_bias);
	Dwarf_Addr pc = addr + m->bias - dwarf_bias;
	const char *file = NULL, *name = NULL;
	int line = 0, lang = -1, depth = 0, fn = -1;
	Dwarf_Die *chain = NULL; /* the innermost scope at pc and its parents */
	bool found = false, is_linkage = false;
	if (cu) {
		lang = dwarf_srclang(cu);
		Dwarf_Line *row = dwarf_getsrc_die(cu, pc);
		if (row && (file = dwarf_linesrc(row, NULL, NULL)) != NULL) {
			dwarf_lineno(row, &line);
			found = true;
		}
		Dwarf_Die *scopes = NULL;
		if (dwarf_getscopes(cu, pc, &scopes) > 0)
			depth = dwarf_getscopes_die(&scopes[0], &chain);
		free(scopes);
		for (int i = 0; i < depth && fn < 0; i++)
			if (is_function_tag(dwarf_tag(&chain[i])))
				fn = i;
	}
	if (fn >= 0) {
		name = function_name(&chain[fn], lang, &is_linkage);
		found = true;
	}
	symbol_match symbol;
	if (!is_linkage && nearest_function_symbol(m, addr, low, high, &symbol)) {
		name = symbol.name;
		file = file ? file : symbol.file;
		found = true;
	}
	if (!found) {
		text_append_str(out, "??\n??:0\n");
		free(chain);
		return;
	}
	append_frame(out, name, file, line);
	if (fn >= 0 && dwarf_tag(&chain[fn]) == DW_TAG_inlined_subroutine) {
		for (int inner = fn, outer = fn + 1; outer < depth; outer++) {
			if (!is_function_tag(dwarf_tag(&chain[outer])))
				continue;
			const char *call_file = call_site(&chain[inner], &line);
			append_frame(out, function_name(&chain[outer], lang, &is_linkage), call_file, line);
			inner = outer;
		}
	}
	free(chain);
}

/* ---- the Perl post-processing ------------------------------------------------------ */

struct fk_inliner {
	bool with_context;
	fk_interner *paths; /* module path -> index in modules */
	inline_module **modules;
	size_t module_cap;
	fk_interner *keys; /* module '\0' pc -> index in results */
	char **results;
	size_t result_cap;
	text_buffer key;
};

fk_inliner *fk_inliner_new(bool with_context)
{
	fk_inliner *in = fk_xcalloc(1, sizeof(*in));
	in->with_context = with_context;
	in->paths = fk_interner_new();
	in->keys = fk_interner_new();
	return in;
}

void fk_inliner_free(fk_inliner *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < fk_interner_count(in->paths); i++)
		module_free(in->modules[i]);
	for (size_t i = 0; i < fk_interner_count(in->keys); i++)
		free(in->results[i]);
	fk_interner_free(in->paths);
	fk_interner_free(in->keys);
	free(in->modules);
	free(in->results);
	free(in->key.data);
	free(in);
}

static inline_module *module_get(fk_inliner *in, const char *path, size_t len)
{
	size_t count = fk_interner_count(in->paths);
	fk_name_id id = fk_intern(in->paths, path, len);
	if (id == count) {
		fk_grow((void **)&in->modules, sizeof(*in->modules), &in->module_cap, count + 1);
		in->modules[id] = module_open(fk_interner_name(in->paths, id, &len));
	}
	return in->modules[id];
}

/* Perl's /^(.+)\+0x([0-9a-f]+)$/ on rawfunc. */
static bool split_symbol_offset(const char *raw, size_t len, size_t *name_len, uint64_t *offset)
{
	size_t end = len;
	if (end > 0 && raw[end - 1] == '\n')
		end--;
	size_t digits = end;
	while (digits > 0 && ((raw[digits - 1] >= '0' && raw[digits - 1] <= '9') ||
			      (raw[digits - 1] >= 'a' && raw[digits - 1] <= 'f')))
		digits--;
	if (digits == end || digits < 4 || memcmp(raw + digits - 3, "+0x", 3) != 0)
		return false;
	*name_len = digits - 3;
	if (memchr(raw, '\n', *name_len))
		return false;
	uint64_t value = 0;
	for (size_t i = digits; i < end; i++) {
		unsigned digit = raw[i] <= '9' ? (unsigned)(raw[i] - '0') : (unsigned)(raw[i] - 'a' + 10);
		value = value > (UINT64_MAX - digit) / 16 ? UINT64_MAX : value * 16 + digit;
	}
	*offset = value;
	return true;
}

static bool is_perl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Perl's s/ \(discriminator \S+\)// on one line (in place). */
static void strip_discriminator(char *line, size_t *len)
{
	static const char marker[] = " (discriminator ";
	const size_t marker_len = sizeof(marker) - 1;
	for (size_t at = 0; at + marker_len <= *len; at++) {
		if (memcmp(line + at, marker, marker_len) != 0)
			continue;
		size_t word = at + marker_len, word_end = word;
		while (word_end < *len && !is_perl_space(line[word_end]))
			word_end++;
		for (size_t close = word_end; close > word + 1; close--) {
			if (line[close - 1] != ')')
				continue;
			memmove(line + at, line + close, *len - close);
			*len -= close - at;
			line[*len] = '\0';
			return;
		}
	}
}

/* The Perl loop over addr2line's lines: (function, location) pairs, each unshifted as
 * "function" or "function:location", joined with ';'. */
static char *frames_from_text(const char *text, size_t len, bool with_context)
{
	char **frames = NULL;
	size_t frame_count = 0, frame_cap = 0;
	char *function = NULL; /* NULL: Perl's $one_item eq "" */
	size_t pos = 0;
	while (pos < len) {
		const char *newline = memchr(text + pos, '\n', len - pos);
		size_t line_len = newline ? (size_t)(newline - (text + pos)) : len - pos;
		char *line = fk_xstrndup(text + pos, line_len);
		pos += line_len + (newline ? 1 : 0);
		strip_discriminator(line, &line_len);
		if (!function) {
			if (line_len)
				function = line;
			else
				free(line);
			continue;
		}
		char *frame;
		if (with_context) {
			size_t function_len = strlen(function);
			frame = fk_xmalloc(function_len + 1 + line_len + 1);
			memcpy(frame, function, function_len);
			frame[function_len] = ':';
			memcpy(frame + function_len + 1, line, line_len + 1);
			free(function);
		} else {
			frame = function;
		}
		free(line);
		function = NULL;
		fk_grow((void **)&frames, sizeof(*frames), &frame_cap, frame_count + 1);
		frames[frame_count++] = frame;
	}
	free(function);

	text_buffer joined = { 0 };
	text_append(&joined, "", 0);
	for (size_t i = frame_count; i-- > 0;) {
		text_append_str(&joined, frames[i]);
		if (i > 0)
			text_append_str(&joined, ";");
		free(frames[i]);
	}
	free(frames);
	return joined.data;
}

static const char *inline_cached(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
				 size_t rawfunc_len, const char *module, size_t module_len);

/* The Perl inline() body, after its cache check. */
static char *inline_compute(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
			    size_t rawfunc_len, const char *module, size_t module_len)
{
	inline_module *m = module_get(in, module, module_len);
	if (!m->usable)
		return fk_xstrdup("");
	char *pc_text = fk_xstrndup(pc, pc_len);
	uint64_t addr = strtoull(pc_text, NULL, 16); /* how addr2line reads it */
	free(pc_text);
	if (m->elf32)
		addr &= 0xffffffffu;

	text_buffer text = { 0 };
	text_append(&text, "", 0);
	addr2line_text(m, addr, &text);

	size_t name_len;
	uint64_t offset, base;
	char new_pc[32];
	if (strstr(text.data, "??\n??:0") && split_symbol_offset(rawfunc, rawfunc_len, &name_len, &offset) &&
	    find_symbol_address(m, rawfunc, name_len, &base)) {
		snprintf(new_pc, sizeof(new_pc), "0x%" PRIx64, base > UINT64_MAX - offset ? UINT64_MAX : base + offset);
		/* The same pc text again would find this entry still being computed; the Perl
		 * would get the same "??" text as here. */
		if (strlen(new_pc) != pc_len || memcmp(new_pc, pc, pc_len) != 0) {
			free(text.data);
			return fk_xstrdup(inline_cached(in, new_pc, strlen(new_pc), "", 0, module, module_len));
		}
	}
	char *result = frames_from_text(text.data, text.len, in->with_context);
	free(text.data);
	return result;
}

static const char *inline_cached(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
				 size_t rawfunc_len, const char *module, size_t module_len)
{
	in->key.len = 0;
	text_append(&in->key, module, module_len);
	text_append(&in->key, "", 1);
	text_append(&in->key, pc, pc_len);
	size_t count = fk_interner_count(in->keys);
	fk_name_id id = fk_intern(in->keys, in->key.data, in->key.len);
	if (id < count)
		return in->results[id];
	fk_grow((void **)&in->results, sizeof(*in->results), &in->result_cap, count + 1);
	in->results[id] = NULL;
	char *result = inline_compute(in, pc, pc_len, rawfunc, rawfunc_len, module, module_len);
	in->results[id] = result;
	return result;
}

const char *fk_inliner_lookup(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
			      size_t rawfunc_len, const char *module, size_t module_len)
{
	if (!pc) {
		pc = "";
		pc_len = 0;
	}
	if (!rawfunc) {
		rawfunc = "";
		rawfunc_len = 0;
	}
	if (!module) {
		module = "";
		module_len = 0;
	}
	return inline_cached(in, pc, pc_len, rawfunc, rawfunc_len, module, module_len);
}
