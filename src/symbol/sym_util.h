/* sym_util.h: small helpers shared by the symbol modules (maps, symbolizer, kallsyms,
 * JIT maps): a hash map from 64-bit keys to pointers (pids, tids) and a reader of text lines of bounded length that survives NUL bytes,
 * missing final newlines and absurdly long lines. */
#ifndef FK_SYM_UTIL_H
#define FK_SYM_UTIL_H

#include "../util/arena.h"
#include "../util/common.h"

/* ---- u64 → pointer hash map (open addressing; values are never NULL) ---------------- */

typedef struct fk_u64map {
	uint64_t *keys;
	void **values; /* NULL: empty slot */
	size_t mask;   /* capacity - 1 (capacity is a power of two), 0 before first use */
	size_t count;
} fk_u64map;

/* The value stored for key, or NULL. */
void *fk_u64map_get(const fk_u64map *m, uint64_t key);
/* Stores value (not NULL) for key, replacing any previous value (which is returned, or
 * NULL when the key was new). */
void *fk_u64map_put(fk_u64map *m, uint64_t key, void *value);
/* Frees the table (not the values). */
void fk_u64map_free(fk_u64map *m);


/* ---- bounded line reader ------------------------------------------------------------ */

typedef struct fk_line_reader {
	FILE *file;
	char *buf;     /* the current line, NUL-terminated, without its '\n' */
	size_t cap;    /* lines of cap - 1 bytes or more are skipped */
	size_t len;    /* length of the current line (it may contain NUL bytes) */
	uint64_t consumed; /* bytes read so far, including every '\n' */
	uint64_t complete_bytes; /* bytes up to and including the last '\n' read */
	bool complete;     /* the current line ended with '\n' (else: end of file) */
	uint64_t skipped;  /* number of over-long lines skipped */
} fk_line_reader;

void fk_line_reader_init(fk_line_reader *r, FILE *file, size_t max_line);
/* Reads the next line; false at the end of the file (or on a read error). */
bool fk_line_reader_next(fk_line_reader *r);
void fk_line_reader_free(fk_line_reader *r);

/* ---- small parsing helpers --------------------------------------------------------- */

/* Parses hex digits (no "0x") at *p, at most 16; advances *p. False if there was none or
 * too many. */
bool fk_parse_hex(const char **p, const char *end, uint64_t *out);

/* Calls visit for each thread id of process pid (/proc/PID/task), allocating nothing
 * itself. Returns the number of threads, or -1 if the process is not there. */
long fk_proc_tasks(int pid, void (*visit)(int tid, void *ctx), void *ctx);

/* Appends the thread ids of process pid to (*tids)[*len...], growing the array (*cap its
 * size). Returns how many were added, or -1 if the process is not there. */
long fk_proc_task_ids(int pid, int **tids, size_t *len, size_t *cap);

/* Monotonic time in milliseconds. */
uint64_t fk_monotonic_ms(void);

#endif
