/* chunk.h: cuts a source into chunks of whole lines for the parsers, so the input is
 * streamed (memory does not grow with input size) and chunks can be parsed on several
 * threads. In blank-line mode a chunk ends after an empty line, which is where a
 * `perf script` sample ends, so chunks parse independently. */
#ifndef FK_CHUNK_H
#define FK_CHUNK_H

#include "../util/diag.h"
#include "source.h"

#define FK_MAX_LINE ((size_t)64 << 20) /* a longer line is skipped with a warning */

typedef struct fk_chunk {
	char *data;
	size_t len, cap;
	uint32_t file;       /* index of the input file */
	uint64_t first_line; /* 1-based number of the chunk's first line */
	uint64_t seq;        /* chunk number within the whole input */
	bool file_end;       /* the last chunk of its file */
	bool cut;            /* ends inside a sample (no blank line within FK_MAX_LINE) */
} fk_chunk;

typedef enum { FK_SPLIT_LINES, FK_SPLIT_BLANK_LINES } fk_split;

typedef struct fk_chunk_reader {
	fk_source *src;
	uint32_t file;
	fk_split split;
	size_t target; /* preferred chunk size */
	fk_diag *diag; /* where skipped over-long lines are reported */
	char *carry;
	size_t carry_len, carry_cap;
	uint64_t next_line;
	uint64_t seq;
	bool eof, done;
} fk_chunk_reader;

void fk_chunk_reader_init(fk_chunk_reader *r, fk_source *src, uint32_t file, fk_split split,
			  size_t target, fk_diag *diag);
void fk_chunk_reader_free(fk_chunk_reader *r);
/* Fills c (growing c->data as needed). Returns 1 with a chunk, 0 after the last one, -1 on
 * a read error (err set). Every file yields at least one chunk (maybe empty) with
 * file_end set. */
int fk_chunk_reader_next(fk_chunk_reader *r, fk_chunk *c, fk_error *err);

/* Gives a chunk just read back to the reader: the next call returns its bytes again
 * (used to sniff the format from the first chunk before choosing how to cut). */
void fk_chunk_reader_unread(fk_chunk_reader *r, const fk_chunk *c);

void fk_chunk_free(fk_chunk *c);
/* Number of '\n' bytes in data. */
uint64_t fk_count_newlines(const char *data, size_t len);

#endif
