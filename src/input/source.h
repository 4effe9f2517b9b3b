/* source.h: a byte stream from a file or stdin, gunzipped on the fly when it starts with
 * the gzip magic bytes (any number of concatenated gzip members). */
#ifndef FK_SOURCE_H
#define FK_SOURCE_H

#include "../util/common.h"

#include <sys/types.h>
#include <zlib.h>

typedef struct fk_source {
	const char *name; /* for messages: the path, or "<stdin>" */
	int fd;
	bool owns_fd;
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
/* Reads up to cap bytes; returns the count, 0 at the end, -1 on error (err set). */
ssize_t fk_source_read(fk_source *s, void *buf, size_t cap, fk_error *err);
void fk_source_close(fk_source *s);

#endif
