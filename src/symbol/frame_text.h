/* frame_text.h: the texts perf script prints for one frame of a sample (the address,
 * "name+0xOFF" or "[unknown]", the module), built from fk_symbol values and handed to
 * fk_perf_parser_add_sample as fk_perf_stack_line, leaf first. One buffer holds every
 * frame of a stack; the line pointers are set once the stack is complete (the buffer
 * may move while frames are added). Shared by everything that folds sampled stacks
 * (src/sample/recorder.c, src/input/preload_file.c). */
#ifndef FK_FRAME_TEXT_H
#define FK_FRAME_TEXT_H

#include "../input/perf_script.h"
#include "symbolizer.h"

typedef struct fk_frame_texts {
	char *text; /* the frames' texts */
	size_t used, cap;
	struct fk_frame_text_offsets {
		size_t pc, func, mod; /* offsets into text */
	} *offsets;
	fk_perf_stack_line *lines;
	size_t n, lines_cap;
} fk_frame_texts;

void fk_frame_texts_init(fk_frame_texts *ft);
void fk_frame_texts_free(fk_frame_texts *ft);
/* Starts a new stack (the texts of the previous one are dropped). */
void fk_frame_texts_reset(fk_frame_texts *ft);
/* Adds the next frame (towards the root): pc as perf script prints it (hex; perf shows
 * the file address for user frames: sym->file_addr), the symbol as "name+0xOFF" or
 * "[unknown]", the module. */
void fk_frame_texts_add(fk_frame_texts *ft, uint64_t pc, const fk_symbol *sym);
/* The frames added since the reset, leaf first; valid until the next add or reset. */
const fk_perf_stack_line *fk_frame_texts_lines(fk_frame_texts *ft, size_t *n);

#endif
