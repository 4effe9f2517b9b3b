/* symtab.c: the sorted symbol table of symtab.h. */
#include "symtab.h"

#include <elf.h>

#include "inline.h"

/* How far back a lookup looks for a symbol that encloses a smaller one it follows. */
#define ENCLOSING_SCAN 8

void fk_symtab_init(fk_symtab *t, fk_symtab_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = mode;
}

void fk_symtab_free(fk_symtab *t)
{
	free(t->syms);
	fk_arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}

void fk_symtab_add(fk_symtab *t, uint64_t start, uint64_t size, const char *name, size_t name_len,
		   uint8_t binding, uint8_t type, const char *module)
{
	fk_grow((void **)&t->syms, sizeof(*t->syms), &t->cap, t->count + 1);
	fk_sym *s = &t->syms[t->count++];
	s->start = start;
	s->end = size && start + size > start ? start + size : start;
	s->name = fk_arena_strndup(&t->arena, name, name_len);
	s->module = module;
	s->order = t->next_order++;
	s->binding = binding;
	s->type = type;
	s->demangled = 0;
	s->ifunc = type == STT_GNU_IFUNC;
}

static int sym_cmp(const void *a, const void *b)
{
	const fk_sym *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static size_t underscores(const char *s)
{
	size_t n = 0;
	while (s[n] == '_')
		n++;
	return n;
}

/* perf's choose_best_symbol (tools/perf/util/symbol.c): true when a is kept over b. */
static bool prefer_first(const fk_sym *a, const fk_sym *b)
{
	bool sa = a->end > a->start, sb = b->end > b->start;
	if (sa != sb)
		return sa;
	if (a->type != b->type) {
		if (a->type == STT_NOTYPE)
			return false;
		if (b->type == STT_NOTYPE)
			return true;
	}
	bool wa = a->binding == STB_WEAK, wb = b->binding == STB_WEAK;
	if (wa != wb)
		return !wa;
	bool ga = a->binding == STB_GLOBAL, gb = b->binding == STB_GLOBAL;
	if (ga != gb)
		return ga;
	size_t ua = underscores(a->name), ub = underscores(b->name);
	if (ua != ub)
		return ua < ub;
	size_t na = strlen(a->name), nb = strlen(b->name);
	if (na != nb)
		return na > nb;
	if (strncmp(a->name, "SyS", 3) == 0 || strncmp(a->name, "compat_SyS", 10) == 0)
		return false;
	return true;
}

static uint64_t page_round_up(uint64_t x)
{
	uint64_t r = (x + 4095) & ~(uint64_t)4095;
	return r < x ? UINT64_MAX : r;
}

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void fk_symtab_finish(fk_symtab *t)
{
	if (t->count > 1)
		qsort(t->syms, t->count, sizeof(*t->syms), sym_cmp);
	if (t->mode != FK_SYMTAB_LATEST) {
		/* perf's symbols__fixup_end, which runs before the duplicates are removed: of
		 * sizeless symbols sharing an address only the last one gets an extent. */
		for (size_t i = 0; i < t->count; i++) {
			fk_sym *s = &t->syms[i];
			if (s->end != s->start)
				continue;
			const fk_sym *next = i + 1 < t->count ? &t->syms[i + 1] : NULL;
			if (!next) {
				s->end = saturating_add(page_round_up(s->start), 4096);
			} else if (t->mode == FK_SYMTAB_KALLSYMS && (s->module == NULL) != (next->module == NULL)) {
				/* The kernel's last symbol or a module's: not up to the far away
				 * next one. */
				s->end = page_round_up(saturating_add(s->start, 4096));
				if (s->end > next->start && next->start > s->start)
					s->end = next->start;
			} else {
				s->end = next->start;
			}
		}
	}
	/* One symbol per start address (perf's symbols__fixup_duplicate). */
	size_t out = 0;
	for (size_t i = 0; i < t->count; i++) {
		if (out > 0 && t->syms[out - 1].start == t->syms[i].start) {
			fk_sym *kept = &t->syms[out - 1];
			uint8_t ifunc = kept->ifunc | t->syms[i].ifunc;
			if (t->mode == FK_SYMTAB_LATEST || !prefer_first(kept, &t->syms[i]))
				*kept = t->syms[i];
			kept->ifunc = ifunc;
			continue;
		}
		t->syms[out++] = t->syms[i];
	}
	t->count = out;
	t->sorted = t->count;
}

static bool contains(const fk_sym *s, uint64_t addr)
{
	return addr >= s->start && (addr < s->end || (s->end == s->start && addr == s->start));
}

fk_sym *fk_symtab_lookup(fk_symtab *t, uint64_t addr, bool demangle)
{
	size_t lo = 0, hi = t->sorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	fk_sym *found = NULL;
	for (size_t back = 0; back < ENCLOSING_SCAN && lo > back; back++) {
		fk_sym *s = &t->syms[lo - 1 - back];
		if (contains(s, addr)) {
			found = s;
			break;
		}
	}
	if (found && demangle && !found->demangled) {
		char *d = fk_demangle(found->name);
		if (d) {
			found->name = fk_arena_strndup(&t->arena, d, strlen(d));
			free(d);
		}
		found->demangled = 1;
	}
	return found;
}
