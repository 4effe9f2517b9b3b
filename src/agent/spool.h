/* spool.h: the agent's disk buffer. Every profile window the agent cuts is written to a
 * file of its own in the buffer directory (written to a temporary name, then renamed: a
 * window is on disk whole or not at all), and deleted once the server has it. Windows
 * are taken oldest first. The directory is bounded in bytes: past the bound the oldest
 * windows are deleted and counted as dropped. A directory reopened later (the next
 * agent) still holds the windows left in it, which come first. Safe to use from two
 * threads (the sampler adds, the uploader takes). Nothing in the directory is trusted:
 * damaged window files are set aside (renamed NAME.bad) with an error, other files are
 * left alone with a warning.
 *
 * A window file, "w-SEQ.fkw" (SEQ: 20 digits, increasing):
 *     FKW1 BODY_LEN VALUE META\n
 *     BODY (BODY_LEN bytes)
 * META is one line of the caller's (the agent puts the ingest query there), VALUE the
 * window's total count (for the counts of dropped samples). */
#ifndef FK_SPOOL_H
#define FK_SPOOL_H

#include "../util/common.h"

typedef struct fk_spool fk_spool;

typedef struct fk_spool_stats {
	size_t windows;          /* on disk now */
	uint64_t bytes;          /* their size */
	uint64_t added;          /* windows added since open */
	uint64_t dropped;        /* windows deleted unsent to keep within the bound */
	double dropped_value;    /* their total count */
	uint64_t damaged;        /* window files set aside as damaged */
	size_t found_at_open;    /* windows left by an earlier run */
} fk_spool_stats;

/* Opens (creating it, mode 0700, and missing parents) the directory dir, bounded to
 * max_bytes, and queues the windows left there. Only one process may use a directory
 * at a time (a lock file). log may be NULL. Returns 0, or -1 with err. */
int fk_spool_open(const char *dir, uint64_t max_bytes, fk_log_fn log, void *log_ctx,
		  fk_spool **out, fk_error *err);
void fk_spool_close(fk_spool *s);

/* Writes a window (meta: one line without '\n'; value: its total). Past the bound, the
 * oldest windows (not the one being sent) are deleted and counted. Returns 0, or -1 with
 * err when the file could not be written. */
int fk_spool_add(fk_spool *s, const char *meta, double value, const void *body, size_t len,
		 fk_error *err);

typedef struct fk_spool_window {
	uint64_t seq;
	char *meta;
	double value;
	char *body;
	size_t len;
} fk_spool_window;

/* The oldest window, read from its file into w (fk_spool_window_free), and marked as
 * being sent: the bound will not delete it. Damaged files on the way are set aside.
 * Returns true, or false when there is none. */
bool fk_spool_take_oldest(fk_spool *s, fk_spool_window *w);
void fk_spool_window_free(fk_spool_window *w);
/* The window taken was delivered (or refused for good): its file is deleted. */
void fk_spool_done(fk_spool *s, uint64_t seq);
/* The window taken stays (to be sent again). */
void fk_spool_keep(fk_spool *s, uint64_t seq);

fk_spool_stats fk_spool_stats_get(fk_spool *s);
const char *fk_spool_dir(const fk_spool *s);

/* Parses the header line of a window file at buf (the first n bytes of a file of
 * file_size bytes): *body_len, *value, and the META line (*meta, *meta_len bytes, in
 * buf). Returns the header's length (through its '\n'), or 0 with *why saying what is
 * wrong. Nothing in buf is trusted. */
size_t fk_spool_parse_header(const char *buf, size_t n, uint64_t file_size, uint64_t *body_len,
			     double *value, const char **meta, size_t *meta_len, const char **why);

#endif
