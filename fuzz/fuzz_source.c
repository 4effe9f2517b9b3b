/* fuzz_source.c: libFuzzer target for the byte source (src/input/source.c: plain files
 * and gzip, with several members) and the chunk reader (src/input/chunk.c). The input is
 * written to a memfd and opened as /proc/self/fd/N, so the library is used as is.
 * The first byte chooses: gzip the rest here (valid data, maybe two members, maybe with
 * trailing garbage), or use it raw (raw bytes starting with the gzip magic exercise the
 * decoder's error paths); line or blank-line chunks; and whether a first chunk is read
 * and given back with fk_chunk_reader_unread (format sniffing in src/input/load.c). The
 * second byte sets the chunk size. Checks: the chunks put together give the file's bytes (or the gzip payload),
 * each chunk but the last ends at a line end (blank line), line numbers and sequence
 * numbers add up, only the last chunk has file_end, corrupt gzip fails cleanly, and
 * reading the source directly with odd buffer sizes gives the same bytes. */
#define _GNU_SOURCE
#include "fuzz_common.h"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/input/source.h"

typedef struct fz_bytes {
	unsigned char *p;
	size_t len, cap;
} fz_bytes;

static void bytes_put(fz_bytes *b, const void *s, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Appends one gzip member holding s[0..n). */
static void gzip_member(fz_bytes *out, const unsigned char *s, size_t n, int level)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t bound = deflateBound(&z, (uLong)n) + 64;
	unsigned char *buf = malloc(bound);
	if (!buf)
		abort();
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	bytes_put(out, buf, bound - z.avail_out);
	deflateEnd(&z);
	free(buf);
}

static int memfd(void)
{
	static int fd = -1;
	if (fd < 0) {
		fd = memfd_create("fuzz_source", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	return fd;
}

static void write_file(const fz_bytes *b)
{
	int fd = memfd();
	if (ftruncate(fd, 0) < 0)
		abort();
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = pwrite(fd, b->p + off, b->len - off, (off_t)off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

/* Reads the file through the chunk reader into out. Returns 0, or -1 on a read error. */
static int read_chunks(const char *path, fk_split split, size_t target, size_t sniff,
		       fz_bytes *out)
{
	fk_error err;
	fk_source src;
	if (fk_source_open(&src, path, &err) < 0) {
		fprintf(stderr, "fk_source_open: %s\n", err.msg);
		abort(); /* the file is there */
	}
	fk_diag d;
	fk_diag_init(&d);
	fk_chunk_reader r;
	fk_chunk c = {0};
	int rc;
	if (sniff) {
		/* as load.c: read some lines to detect the format, give them back, re-cut */
		fk_chunk_reader_init(&r, &src, 7, FK_SPLIT_LINES, sniff, &d);
		rc = fk_chunk_reader_next(&r, &c, &err);
		if (rc < 0)
			goto out;
		if (rc == 0 || c.seq != 0 || c.first_line != 1)
			abort();
		fk_chunk_reader_unread(&r, &c);
		r.split = split;
		r.target = target;
	} else {
		fk_chunk_reader_init(&r, &src, 7, split, target, &d);
	}
	uint64_t seq = 0, line = 1;
	bool ended = false;
	while ((rc = fk_chunk_reader_next(&r, &c, &err)) > 0) {
		if (ended || c.file != 7 || c.seq != seq++ || c.first_line != line || c.cut)
			abort();
		if (c.len > c.cap)
			abort();
		bytes_put(out, c.data, c.len);
		line += fk_count_newlines(c.data, c.len);
		if (c.file_end) {
			ended = true;
		} else {
			/* a chunk ends at a line end, in blank-line mode at an empty line */
			size_t e = out->len;
			if (c.len == 0 || out->p[e - 1] != '\n')
				abort();
			if (split == FK_SPLIT_BLANK_LINES && e >= 2 && out->p[e - 2] != '\n')
				abort();
		}
	}
	if (rc == 0 && !ended)
		abort(); /* every file yields a last chunk with file_end */
	if (rc == 0 && fk_chunk_reader_next(&r, &c, &err) != 0)
		abort();
out:
	fk_chunk_free(&c);
	fk_chunk_reader_free(&r);
	fk_source_close(&src);
	fk_diag_free(&d);
	return rc < 0 ? -1 : 0;
}

/* Reads the source directly, with buffer sizes cycling through 1..step. */
static int read_direct(const char *path, size_t step, fz_bytes *out)
{
	fk_error err;
	fk_source src;
	if (fk_source_open(&src, path, &err) < 0)
		abort();
	unsigned char buf[512];
	size_t cap = 1;
	ssize_t n;
	while ((n = fk_source_read(&src, buf, cap, &err)) > 0) {
		if ((size_t)n > cap)
			abort();
		bytes_put(out, buf, (size_t)n);
		cap = cap % step + 1;
	}
	fk_source_close(&src);
	return n < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned mode = data[0], knob = data[1];
	const unsigned char *payload = data + 2;
	size_t plen = size - 2;
	fz_bytes file = {0}, got = {0}, direct = {0};
	bool gzip = mode & 1, garbage = false, known = true;
	if (gzip) {
		int level = (int)(knob % 10);
		if (mode & 2) {
			size_t cut = plen ? (size_t)knob * 131 % (plen + 1) : 0;
			gzip_member(&file, payload, cut, level);
			gzip_member(&file, payload + cut, plen - cut, level);
		} else {
			gzip_member(&file, payload, plen, level);
		}
		if (mode & 8) {
			garbage = true;
			bytes_put(&file, &data[1], 1);
		}
	} else {
		bytes_put(&file, payload, plen);
		/* raw bytes that look like gzip: whatever zlib makes of them */
		known = !(plen >= 2 && payload[0] == 0x1f && payload[1] == 0x8b);
	}
	write_file(&file);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd());
	fk_split split = mode & 4 ? FK_SPLIT_BLANK_LINES : FK_SPLIT_LINES;
	size_t target = 1 + (size_t)knob * 7;
	size_t sniff = mode & 16 ? 1 + (size_t)(knob ^ mode) * 5 : 0;
	int rc = read_chunks(path, split, target, sniff, &got);
	if (garbage && rc == 0)
		abort(); /* bytes after the last member are an error */
	if (known && !garbage) {
		if (rc < 0)
			abort();
		if (got.len != plen || (plen && memcmp(got.p, payload, plen) != 0))
			abort();
	}
	int rc2 = read_direct(path, 1 + knob % 300, &direct);
	if (rc2 != rc)
		abort();
	if (rc == 0 && (direct.len != got.len || (got.len && memcmp(direct.p, got.p, got.len) != 0)))
		abort();
	free(file.p);
	free(got.p);
	free(direct.p);
	return 0;
}
