/* source.h: a byte stream from a file, stdin or memory, gunzipped on the fly when it
 * starts with the gzip magic bytes (any number of concatenated gzip members). */
#ifndef FK_SOURCE_H
#define FK_SOURCE_H

#include "../util/common.h"

#include <sys/types.h>
#include <zlib.h>

typedef struct fk_source {
	const char *name; /* for messages: the path, or "<stdin>" */
	int fd;
	bool owns_fd;
	bool owns_in;  /* in is ours (a file's buffer), not the caller's bytes */
	bool gzip;
	bool raw_eof;
	bool z_active; /* inside a gzip member */
	z_stream z;
	unsigned char *in;
	size_t in_pos, in_len, in_cap;
	uint64_t raw_bytes; /* bytes read from the file (compressed size for gzip) */
} fk_source;

/* path "-" means stdin. Returns 0, or -1 with err naming the file. */
int fk_source_open(fk_source *s, const char *path, fk_error *err);
/* A source over the bytes data[0..len) (which must outlive it); name is for messages. */
void fk_source_open_memory(fk_source *s, const char *name, const unsigned char *data,
			   size_t len);
/* Reads up to cap bytes; returns the count, 0 at the end, -1 on error (err set). */
ssize_t fk_source_read(fk_source *s, void *buf, size_t cap, fk_error *err);
void fk_source_close(fk_source *s);

#endif
