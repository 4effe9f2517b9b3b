/* source.c: plain and gzip byte streams over read(2) or a buffer. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define RAW_BUF (256 * 1024)

int fk_source_open(fk_source *s, const char *path, fk_error *err)
{
	memset(s, 0, sizeof(*s));
	if (strcmp(path, "-") == 0) {
		s->name = "<stdin>";
		s->fd = 0;
	} else {
		s->name = path;
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return fk_error_set(err, "%s: cannot open: %s", path, strerror(errno));
		s->owns_fd = true;
	}
	s->in_cap = RAW_BUF;
	s->in = fk_xmalloc(s->in_cap);
	s->owns_in = true;
	/* peek at the magic bytes */
	while (s->in_len < 2 && !s->raw_eof) {
		ssize_t n = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fk_error_set(err, "%s: cannot read: %s", s->name, strerror(errno));
			fk_source_close(s);
			return -1;
		}
		if (n == 0)
			s->raw_eof = true;
		s->in_len += (size_t)n;
		s->raw_bytes += (uint64_t)n;
	}
	s->gzip = s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
	return 0;
}

void fk_source_open_memory(fk_source *s, const char *name, const unsigned char *data,
			   size_t len)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = -1;
	s->in = (unsigned char *)data; /* only read: owns_in is false */
	s->in_len = s->in_cap = len;
	s->raw_eof = true;
	s->raw_bytes = len;
	s->gzip = len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

static int fill_raw(fk_source *s, fk_error *err)
{
	if (s->in_pos < s->in_len || s->raw_eof)
		return 0;
	s->in_pos = s->in_len = 0;
	for (;;) {
		ssize_t n = read(s->fd, s->in, s->in_cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fk_error_set(err, "%s: cannot read: %s", s->name, strerror(errno));
		}
		if (n == 0)
			s->raw_eof = true;
		s->in_len = (size_t)n;
		s->raw_bytes += (uint64_t)n;
		return 0;
	}
}

static ssize_t read_plain(fk_source *s, unsigned char *buf, size_t cap, fk_error *err)
{
	if (s->in_pos < s->in_len) {
		size_t n = s->in_len - s->in_pos;
		if (n > cap)
			n = cap;
		memcpy(buf, s->in + s->in_pos, n);
		s->in_pos += n;
		return (ssize_t)n;
	}
	if (s->raw_eof)
		return 0;
	for (;;) {
		ssize_t n = read(s->fd, buf, cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fk_error_set(err, "%s: cannot read: %s", s->name, strerror(errno));
		}
		if (n == 0)
			s->raw_eof = true;
		s->raw_bytes += (uint64_t)n;
		return n;
	}
}

static ssize_t read_gzip(fk_source *s, unsigned char *buf, size_t cap, fk_error *err)
{
	size_t produced = 0;
	while (produced < cap) {
		if (fill_raw(s, err) < 0)
			return -1;
		if (s->in_pos == s->in_len) {
			if (s->z_active)
				return fk_error_set(err, "%s: truncated gzip data (unexpected end of file)",
						    s->name);
			break; /* clean end after the last member */
		}
		if (!s->z_active) {
			memset(&s->z, 0, sizeof(s->z));
			if (inflateInit2(&s->z, 15 + 16) != Z_OK)
				return fk_error_set(err, "%s: cannot start gzip decoder", s->name);
			s->z_active = true;
		}
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		s->z.next_out = buf + produced;
		s->z.avail_out = (uInt)(cap - produced > UINT32_MAX ? UINT32_MAX : cap - produced);
		size_t before_out = s->z.avail_out;
		int rc = inflate(&s->z, Z_NO_FLUSH);
		produced += before_out - s->z.avail_out;
		s->in_pos = s->in_len - s->z.avail_in;
		if (rc == Z_STREAM_END) {
			inflateEnd(&s->z);
			s->z_active = false;
			/* another member may follow, or zero bytes up to the end (padding, which
			 * gzip ignores too); anything else after a member is an error */
			if (fill_raw(s, err) < 0)
				return -1;
			while (s->in_pos < s->in_len && s->in[s->in_pos] == 0) {
				s->in_pos++;
				if (fill_raw(s, err) < 0)
					return -1;
				if (s->in_pos < s->in_len && s->in[s->in_pos] != 0)
					return fk_error_set(err, "%s: trailing garbage after gzip data",
							    s->name);
			}
			if (s->in_pos < s->in_len && s->in[s->in_pos] != 0x1f)
				return fk_error_set(err, "%s: trailing garbage after gzip data", s->name);
			continue;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return fk_error_set(err, "%s: corrupt gzip data (%s)", s->name,
					    s->z.msg ? s->z.msg : "inflate failed");
		if (rc == Z_BUF_ERROR && s->z.avail_out > 0 && s->in_pos < s->in_len)
			return fk_error_set(err, "%s: corrupt gzip data", s->name);
		if (produced > 0 && s->z.avail_out == 0)
			break;
	}
	return (ssize_t)produced;
}

ssize_t fk_source_read(fk_source *s, void *buf, size_t cap, fk_error *err)
{
	if (cap == 0)
		return 0;
	return s->gzip ? read_gzip(s, buf, cap, err) : read_plain(s, buf, cap, err);
}

void fk_source_close(fk_source *s)
{
	if (s->z_active)
		inflateEnd(&s->z);
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	if (s->owns_in)
		free(s->in);
	s->in = NULL;
	s->fd = -1;
}
