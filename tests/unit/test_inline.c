/* test_inline.c: checks src/symbol/inline.c against GNU addr2line. For addresses all over
 * the functions of the fixture binary (tests/fixtures/inline_fixture.c, built into
 * $FK_FIXTURES, default build/fixtures), the inliner must return exactly what
 * stackcollapse-perf.pl makes of `addr2line -a ADDR -e FIXTURE -i -f -s -C`, both for the
 * file address and for a runtime address that only resolves through "symbol+0xoffset".
 * Also: missing modules, modules without DWARF, the cache, and demangling. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <unistd.h>

#include "../../src/symbol/inline.h"

/* A runtime base that no section of the fixture reaches, as perf prints for a PIE. */
#define RUNTIME_BASE UINT64_C(0x7f5a12300000)

typedef struct fixture_function {
	char *name;
	uint64_t addr, size;
} fixture_function;

typedef struct fixture_info {
	char path[4096];
	fixture_function *functions;
	size_t function_count;
	uint64_t text_addr, text_size;
} fixture_info;

static void fixture_path(char *out, size_t cap, const char *name)
{
	const char *dir = getenv("FK_FIXTURES");
	snprintf(out, cap, "%s/%s", dir && *dir ? dir : "build/fixtures", name);
}

/* The defined functions of the fixture's .symtab and its .text section, via libelf. */
static void read_fixture(fixture_info *info)
{
	fixture_path(info->path, sizeof(info->path), "inline_fixture");
	if (access(info->path, R_OK) != 0)
		fail_msg("fixture %s is missing (make %s)", info->path, info->path);
	elf_version(EV_CURRENT);
	int fd = open(info->path, O_RDONLY);
	assert_true(fd >= 0);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		assert_non_null(gelf_getshdr(scn, &shdr));
		const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && strcmp(name, ".text") == 0) {
			info->text_addr = shdr.sh_addr;
			info->text_size = shdr.sh_size;
		}
		if (shdr.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		assert_non_null(data);
		size_t count = shdr.sh_size / shdr.sh_entsize;
		info->functions = fk_xcalloc(count, sizeof(*info->functions));
		for (size_t i = 1; i < count; i++) {
			GElf_Sym sym;
			assert_non_null(gelf_getsym(data, (int)i, &sym));
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_size == 0)
				continue;
			fixture_function *f = &info->functions[info->function_count++];
			f->name = fk_xstrdup(elf_strptr(elf, shdr.sh_link, sym.st_name));
			f->addr = sym.st_value;
			f->size = sym.st_size;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(info->text_size > 0);
	assert_true(info->function_count >= 2);
}

static void free_fixture(fixture_info *info)
{
	for (size_t i = 0; i < info->function_count; i++)
		free(info->functions[i].name);
	free(info->functions);
}

/* Everything `addr2line -a ADDR -e MODULE -i -f -s -C` prints on stdout. */
static char *run_addr2line(const char *module, const char *addr)
{
	char command[8192];
	snprintf(command, sizeof(command), "addr2line -a %s -e '%s' -i -f -s -C 2>/dev/null", addr, module);
	FILE *pipe = popen(command, "r");
	assert_non_null(pipe);
	size_t len = 0, cap = 4096;
	char *out = fk_xmalloc(cap);
	size_t n;
	while ((n = fread(out + len, 1, cap - len - 1, pipe)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			out = fk_xrealloc(out, cap);
		}
	}
	out[len] = '\0';
	pclose(pipe);
	return out;
}

/* stackcollapse-perf.pl's processing of addr2line's output (without its fallback):
 * drop the address line, strip " (discriminator N)", pair up function and location
 * lines, and join "func" or "func:file:line" with ';', outermost (last printed) first. */
static char *perl_frames(const char *output, bool with_context)
{
	const char *p = strchr(output, '\n');
	p = p ? p + 1 : output + strlen(output);
	char *frames[256];
	size_t count = 0;
	char *function = NULL;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *line = fk_xstrndup(p, len);
		p += len + (end ? 1 : 0);
		char *disc = strstr(line, " (discriminator ");
		if (disc) {
			char *close = strchr(disc, ')');
			if (close)
				memmove(disc, close + 1, strlen(close + 1) + 1);
		}
		if (!function) {
			if (*line)
				function = line;
			else
				free(line);
			continue;
		}
		char *frame = fk_xmalloc(strlen(function) + strlen(line) + 2);
		if (with_context)
			sprintf(frame, "%s:%s", function, line);
		else
			strcpy(frame, function);
		free(function);
		free(line);
		function = NULL;
		assert_true(count < 256);
		frames[count++] = frame;
	}
	free(function);
	size_t total = 1;
	for (size_t i = 0; i < count; i++)
		total += strlen(frames[i]) + 1;
	char *joined = fk_xcalloc(1, total);
	for (size_t i = count; i-- > 0;) {
		strcat(joined, frames[i]);
		if (i > 0)
			strcat(joined, ";");
		free(frames[i]);
	}
	return joined;
}

static size_t frame_count(const char *frames)
{
	if (!*frames)
		return 0;
	size_t n = 1;
	for (const char *p = frames; *p; p++)
		n += *p == ';';
	return n;
}

static const char *lookup(fk_inliner *in, const char *pc, const char *rawfunc, const char *module)
{
	return fk_inliner_lookup(in, pc, strlen(pc), rawfunc, strlen(rawfunc), module, strlen(module));
}

/* One address: direct and through symbol+offset, without and with context. Returns
 * the number of frames addr2line reports. */
static size_t check_address(fk_inliner *plain, fk_inliner *context, const char *module, uint64_t addr,
			    const char *symbol, uint64_t offset)
{
	char pc[32];
	snprintf(pc, sizeof(pc), "%" PRIx64, addr);
	char *output = run_addr2line(module, pc);
	char *expected_plain = perl_frames(output, false);
	char *expected_context = perl_frames(output, true);

	const char *got = lookup(plain, pc, "", module);
	if (strcmp(got, expected_plain) != 0)
		fail_msg("%s at %s: got \"%s\", addr2line gives \"%s\"", module, pc, got, expected_plain);
	got = lookup(context, pc, "", module);
	if (strcmp(got, expected_context) != 0)
		fail_msg("%s at %s (context): got \"%s\", addr2line gives \"%s\"", module, pc, got,
			 expected_context);

	if (symbol) {
		char runtime_pc[32], rawfunc[512];
		snprintf(runtime_pc, sizeof(runtime_pc), "%" PRIx64, RUNTIME_BASE + addr);
		snprintf(rawfunc, sizeof(rawfunc), "%s+0x%" PRIx64, symbol, offset);
		got = lookup(plain, runtime_pc, rawfunc, module);
		if (strcmp(got, expected_plain) != 0)
			fail_msg("%s at %s (%s): got \"%s\", expected \"%s\"", module, runtime_pc, rawfunc, got,
				 expected_plain);
		got = lookup(context, runtime_pc, rawfunc, module);
		if (strcmp(got, expected_context) != 0)
			fail_msg("%s at %s (%s, context): got \"%s\", expected \"%s\"", module, runtime_pc,
				 rawfunc, got, expected_context);
	}
	size_t frames = frame_count(expected_plain);
	free(output);
	free(expected_plain);
	free(expected_context);
	return frames;
}

static void test_fixture_functions_match_addr2line(void **state)
{
	(void)state;
	fixture_info info = { 0 };
	read_fixture(&info);
	fk_inliner *plain = fk_inliner_new(false), *context = fk_inliner_new(true);

	/* The runtime addresses used below must be unknown to addr2line, so that the
	 * "symbol+0xoffset" fallback is what resolves them. */
	char runtime_pc[32];
	snprintf(runtime_pc, sizeof(runtime_pc), "%" PRIx64, RUNTIME_BASE + info.functions[0].addr);
	char *output = run_addr2line(info.path, runtime_pc);
	assert_non_null(strstr(output, "??\n??:0"));
	free(output);

	size_t checked = 0, deepest = 0;
	for (size_t f = 0; f < info.function_count; f++) {
		const fixture_function *fn = &info.functions[f];
		for (uint64_t off = 0; off < fn->size; off += 2) {
			size_t frames = check_address(plain, context, info.path, fn->addr + off, fn->name, off);
			if (frames > deepest)
				deepest = frames;
			checked++;
		}
	}
	print_message("checked %zu addresses in %zu functions; deepest chain %zu frames\n", checked,
		      info.function_count, deepest);
	assert_true(checked >= 100);
	/* main;checksum_seed;fold_buffer;mix_bits: at least two inlined levels. */
	assert_true(deepest >= 3);

	fk_inliner_free(plain);
	fk_inliner_free(context);
	free_fixture(&info);
}

static void test_fixture_special_addresses_match_addr2line(void **state)
{
	(void)state;
	fixture_info info = { 0 };
	read_fixture(&info);
	fk_inliner *plain = fk_inliner_new(false), *context = fk_inliner_new(true);
	const uint64_t addresses[] = {
		0,					   /* in no section */
		info.text_addr - 1,			   /* just before .text */
		info.text_addr + info.text_size - 1,	   /* last byte of .text */
		info.text_addr + info.text_size,	   /* just after */
		info.text_addr + info.text_size + 0x10000, /* far beyond */
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(addresses); i++)
		check_address(plain, context, info.path, addresses[i], NULL, 0);
	/* Every byte of .text, without the symbol fallback (padding included). */
	for (uint64_t a = info.text_addr; a < info.text_addr + info.text_size; a += 3)
		check_address(plain, context, info.path, a, NULL, 0);
	fk_inliner_free(plain);
	fk_inliner_free(context);
	free_fixture(&info);
}

static void test_rawfunc_forms(void **state)
{
	(void)state;
	fixture_info info = { 0 };
	read_fixture(&info);
	fk_inliner *in = fk_inliner_new(false);
	const fixture_function *fn = &info.functions[0];
	char pc[32], rawfunc[512];
	/* Not "sym+0xHEX" (upper-case X, no digits, no offset, upper-case digits, no name,
	 * unknown symbol): no fallback, so addr2line's "??" stays. */
	char forms[6][512];
	snprintf(forms[0], sizeof(forms[0]), "%s+0X10", fn->name);
	snprintf(forms[1], sizeof(forms[1]), "%s+0x", fn->name);
	snprintf(forms[2], sizeof(forms[2]), "%s", fn->name);
	snprintf(forms[3], sizeof(forms[3]), "%s+0xA", fn->name);
	snprintf(forms[4], sizeof(forms[4]), "+0x10");
	snprintf(forms[5], sizeof(forms[5]), "no_such_symbol_xyz+0x4");
	for (size_t i = 0; i < FK_ARRAY_LEN(forms); i++) {
		snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + 0x100000 + i);
		assert_string_equal(lookup(in, pc, forms[i], info.path), "??");
	}
	/* The greedy (.+) takes "sym+0x1" as the symbol name, which nm does not have. */
	snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + 0x200000);
	snprintf(rawfunc, sizeof(rawfunc), "%s+0x1+0x2", fn->name);
	assert_string_equal(lookup(in, pc, rawfunc, info.path), "??");
	fk_inliner_free(in);

	fk_inliner *context = fk_inliner_new(true);
	snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + 0x300000);
	assert_string_equal(lookup(context, pc, "[unknown]", info.path), "??:??:0");
	fk_inliner_free(context);
	free_fixture(&info);
}

static void test_missing_and_unreadable_modules(void **state)
{
	(void)state;
	fk_inliner *plain = fk_inliner_new(false), *context = fk_inliner_new(true);
	const char *modules[] = { "/nonexistent/flamekit/module.so", "/dev/null", "/", "" };
	for (size_t i = 0; i < FK_ARRAY_LEN(modules); i++) {
		assert_string_equal(lookup(plain, "401000", "main+0x10", modules[i]), "");
		assert_string_equal(lookup(context, "401000", "main+0x10", modules[i]), "");
		assert_string_equal(lookup(plain, "7f5a12301130", "", modules[i]), "");
	}
	fk_inliner_free(plain);
	fk_inliner_free(context);
}

/* A module without DWARF gives "" (the caller keeps perf's frame name). */
static void test_module_without_debug_info(void **state)
{
	(void)state;
	const char *module = "/bin/true";
	int fd = open(module, O_RDONLY);
	if (fd < 0)
		skip();
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	GElf_Ehdr ehdr;
	assert_non_null(gelf_getehdr(elf, &ehdr));
	elf_end(elf);
	close(fd);

	fk_inliner *plain = fk_inliner_new(false), *context = fk_inliner_new(true);
	char pc[32];
	snprintf(pc, sizeof(pc), "%" PRIx64, (uint64_t)ehdr.e_entry);
	assert_string_equal(lookup(plain, pc, "", module), "");
	assert_string_equal(lookup(context, pc, "", module), "");
	snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + ehdr.e_entry);
	assert_string_equal(lookup(plain, pc, "_start+0x4", module), "");
	assert_string_equal(lookup(context, pc, "_start+0x4", module), "");
	fk_inliner_free(plain);
	fk_inliner_free(context);
}

static void test_cache(void **state)
{
	(void)state;
	fixture_info info = { 0 };
	read_fixture(&info);
	const fixture_function *fn = &info.functions[0];
	fk_inliner *in = fk_inliner_new(false);
	char pc[32], rawfunc[512];

	/* The same (module, pc) gives the same string, not a new one. */
	snprintf(pc, sizeof(pc), "%" PRIx64, fn->addr);
	const char *first = lookup(in, pc, "", info.path);
	assert_true(strlen(first) > 0);
	assert_ptr_equal(lookup(in, pc, "", info.path), first);
	assert_ptr_equal(lookup(in, pc, "whatever+0x40", info.path), first);

	/* Like the Perl, the key is (pc, module): a later rawfunc for a cached pc is
	 * ignored, whatever it says. */
	snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + fn->addr);
	snprintf(rawfunc, sizeof(rawfunc), "%s+0x0", fn->name);
	const char *through_symbol = lookup(in, pc, rawfunc, info.path);
	assert_string_equal(through_symbol, first);
	assert_ptr_equal(lookup(in, pc, "", info.path), through_symbol);
	assert_ptr_equal(lookup(in, pc, "other+0x8", info.path), through_symbol);

	/* The pc is matched as text: a pc not given before is looked up afresh, and a
	 * pc unknown to addr2line without a usable rawfunc stays unknown. */
	snprintf(pc, sizeof(pc), "%" PRIx64, RUNTIME_BASE + fn->addr + 1);
	assert_string_equal(lookup(in, pc, "", info.path), "??");
	assert_string_equal(lookup(in, pc, rawfunc, info.path), "??");

	/* pc strings the way addr2line reads them: "0x" prefix, upper case digits. */
	snprintf(pc, sizeof(pc), "0x%" PRIX64, fn->addr);
	assert_string_equal(lookup(in, pc, "", info.path), first);

	/* Another module path (same file) is another cache entry. */
	char other_path[4200];
	snprintf(other_path, sizeof(other_path), "%s/../fixtures/inline_fixture",
		 getenv("FK_FIXTURES") && *getenv("FK_FIXTURES") ? getenv("FK_FIXTURES") : "build/fixtures");
	snprintf(pc, sizeof(pc), "%" PRIx64, fn->addr);
	const char *via_other = lookup(in, pc, "", other_path);
	assert_string_equal(via_other, first);
	assert_ptr_not_equal(via_other, first);

	/* A separate inliner has its own cache and the same answers. */
	fk_inliner *second = fk_inliner_new(false);
	assert_string_equal(lookup(second, pc, "", info.path), first);
	fk_inliner_free(second);
	fk_inliner_free(in);
	free_fixture(&info);
}

static void test_demangle(void **state)
{
	(void)state;
	struct {
		const char *mangled, *demangled;
	} cases[] = {
		{ "_ZN3foo3barEi", "foo::bar(int)" },
		{ "_Z4sumsPKcm", "sums(char const*, unsigned long)" },
		{ "_ZNSt6vectorIiSaIiEE9push_backERKi",
		  "std::vector<int, std::allocator<int> >::push_back(int const&)" },
		{ "_ZN3foo3barEi.cold", "foo::bar(int) [clone .cold]" },
		{ "_ZN3foo3barEi@@GLIBCXX_3.4", "foo::bar(int)@@GLIBCXX_3.4" },
		{ "._ZN3foo3barEi", ".foo::bar(int)" },
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(cases); i++) {
		char *got = fk_demangle(cases[i].mangled);
		assert_non_null(got);
		assert_string_equal(got, cases[i].demangled);
		free(got);
	}
	const char *plain[] = { "main", "mix_bits", "", "_Z", "??", "foo@plt" };
	for (size_t i = 0; i < FK_ARRAY_LEN(plain); i++)
		assert_null(fk_demangle(plain[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_functions_match_addr2line),
		cmocka_unit_test(test_fixture_special_addresses_match_addr2line),
		cmocka_unit_test(test_rawfunc_forms),
		cmocka_unit_test(test_missing_and_unreadable_modules),
		cmocka_unit_test(test_module_without_debug_info),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_demangle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
