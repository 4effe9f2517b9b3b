/* frame_text.c: perf script's texts for the frames of one stack (frame_text.h). */
#include "frame_text.h"

#include <inttypes.h>

void fk_frame_texts_init(fk_frame_texts *ft)
{
	memset(ft, 0, sizeof(*ft));
}

void fk_frame_texts_free(fk_frame_texts *ft)
{
	free(ft->text);
	free(ft->offsets);
	free(ft->lines);
	memset(ft, 0, sizeof(*ft));
}

void fk_frame_texts_reset(fk_frame_texts *ft)
{
	ft->used = 0;
	ft->n = 0;
}

void fk_frame_texts_add(fk_frame_texts *ft, uint64_t pc, const fk_symbol *sym)
{
	size_t name_len = sym->name ? strlen(sym->name) : 9;
	size_t mod_len = strlen(sym->module);
	/* pc: 16 hex digits; func: the name, "+0x" and 16 hex digits */
	fk_grow((void **)&ft->text, 1, &ft->cap, ft->used + 17 + name_len + 20 + mod_len + 1);
	if (ft->n == ft->lines_cap) {
		/* both arrays grow alike from the same capacity */
		size_t cap = ft->lines_cap;
		fk_grow((void **)&ft->offsets, sizeof(*ft->offsets), &cap, ft->n + 1);
		fk_grow((void **)&ft->lines, sizeof(*ft->lines), &ft->lines_cap, ft->n + 1);
	}
	char *t = ft->text;
	size_t pc_off = ft->used;
	size_t pc_len = (size_t)snprintf(t + ft->used, 17, "%" PRIx64, pc);
	ft->used += pc_len;
	size_t func_off = ft->used;
	size_t func_len;
	if (sym->name)
		func_len = (size_t)snprintf(t + ft->used, name_len + 20, "%s+0x%" PRIx64, sym->name,
					    sym->offset);
	else
		func_len = (size_t)snprintf(t + ft->used, 10, "[unknown]");
	ft->used += func_len;
	size_t mod_off = ft->used;
	memcpy(t + ft->used, sym->module, mod_len);
	ft->used += mod_len;
	ft->offsets[ft->n] = (struct fk_frame_text_offsets){pc_off, func_off, mod_off};
	ft->lines[ft->n] = (fk_perf_stack_line){NULL, NULL, NULL, pc_len, func_len, mod_len, false};
	ft->n++;
}

const fk_perf_stack_line *fk_frame_texts_lines(fk_frame_texts *ft, size_t *n)
{
	for (size_t i = 0; i < ft->n; i++) {
		ft->lines[i].pc = ft->text + ft->offsets[i].pc;
		ft->lines[i].func = ft->text + ft->offsets[i].func;
		ft->lines[i].mod = ft->text + ft->offsets[i].mod;
	}
	*n = ft->n;
	return ft->lines;
}
