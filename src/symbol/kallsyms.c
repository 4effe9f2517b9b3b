/* kallsyms.c: /proc/kallsyms as a symbol table (see kallsyms.h). Lines are
 * "ADDRESS TYPE NAME" or "ADDRESS TYPE NAME\t[MODULE]"; text symbols (t, T, w, W) are
 * kept, with perf's bindings (W weak, other upper-case global, lower-case local) so that
 * aliases at one address resolve as perf resolves them. */
#include "kallsyms.h"

#include <elf.h>

#include "../stack/intern.h"

struct fk_kallsyms {
	fk_symtab symtab;
	fk_interner *modules; /* "[mod]" strings */
	bool available;
};

static void parse_line(fk_kallsyms *k, const char *line, size_t len, bool *nonzero)
{
	const char *p = line, *end = line + len;
	uint64_t addr;
	if (!fk_parse_hex(&p, end, &addr) || end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return;
	char type = p[1];
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return;
	p += 3;
	const char *name = p;
	while (p < end && *p != '\t')
		p++;
	size_t name_len = (size_t)(p - name);
	if (name_len == 0 || name[0] == '$' || memchr(name, '\0', name_len))
		return;
	const char *module = NULL;
	if (p < end) {
		const char *mod = p + 1;
		size_t mod_len = (size_t)(end - mod);
		while (mod_len && (mod[mod_len - 1] == ' ' || mod[mod_len - 1] == '\r'))
			mod_len--;
		if (mod_len >= 3 && mod[0] == '[' && mod[mod_len - 1] == ']' && !memchr(mod, '\0', mod_len))
			module = fk_interner_name(k->modules, fk_intern(k->modules, mod, mod_len), NULL);
	}
	if (addr)
		*nonzero = true;
	uint8_t binding = type == 'W' ? STB_WEAK : type == 'T' ? STB_GLOBAL : STB_LOCAL;
	fk_symtab_add(&k->symtab, addr, 0, name, name_len, binding, STT_FUNC, module);
}

fk_kallsyms *fk_kallsyms_load(const char *path)
{
	fk_kallsyms *k = fk_xcalloc(1, sizeof(*k));
	fk_symtab_init(&k->symtab, FK_SYMTAB_KALLSYMS);
	k->modules = fk_interner_new();
	FILE *f = fopen(path, "re");
	if (!f)
		return k;
	bool nonzero = false;
	fk_line_reader r;
	fk_line_reader_init(&r, f, 4096);
	while (fk_line_reader_next(&r))
		parse_line(k, r.buf, r.len, &nonzero);
	fk_line_reader_free(&r);
	fclose(f);
	k->available = nonzero;
	if (!nonzero)
		k->symtab.count = 0; /* all zeros: no addresses to go by */
	fk_symtab_finish(&k->symtab);
	return k;
}

void fk_kallsyms_free(fk_kallsyms *k)
{
	if (!k)
		return;
	fk_symtab_free(&k->symtab);
	fk_interner_free(k->modules);
	free(k);
}

bool fk_kallsyms_available(const fk_kallsyms *k)
{
	return k->available;
}

const fk_sym *fk_kallsyms_lookup(fk_kallsyms *k, uint64_t addr)
{
	if (!k->available)
		return NULL;
	return fk_symtab_lookup(&k->symtab, addr, false);
}
