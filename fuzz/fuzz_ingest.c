/* fuzz_ingest.c: libFuzzer target for POST /ingest parsing (fk_ingest_parse in
 * src/server/ingest.c). The input is a mode byte, then eight '\n'-terminated query
 * fields (name, from, until, sampleRate, spyName, units, aggregationType, and the
 * multipart boundary; "-" for an absent one), then the body. The mode's bits choose the
 * format parameter (none, folded, lines, pprof, jfr, junk), a multipart Content-Type, and
 * whether the target itself gzips the body and/or wraps it in a well-formed multipart part
 * named "profile" (so that the fuzzer reaches the readers behind gzip and multipart).
 * Any bytes must parse or fail with a message, never crash; every item has from <= until,
 * a profile, NUL-terminated strings, and a key whose canonical name parses back to
 * itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../src/server/ingest.h"

enum { NFIELDS = 8 };

static unsigned char *gzip_bytes(const unsigned char *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	if (!out)
		abort();
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static unsigned char *wrap_multipart(const char *boundary, const unsigned char *data, size_t len,
				     size_t *out_len)
{
	size_t cap = len + 3 * strlen(boundary) + 256;
	unsigned char *out = malloc(cap);
	if (!out)
		abort();
	size_t o = (size_t)snprintf((char *)out, cap,
				    "--%s\r\nContent-Disposition: form-data; name=\"prev_profile\"\r\n\r\n"
				    "x\r\n--%s\r\nContent-Disposition: form-data; name=\"profile\"; "
				    "filename=\"p\"\r\n\r\n", boundary, boundary);
	memcpy(out + o, data, len);
	o += len;
	o += (size_t)snprintf((char *)out + o, cap - o, "\r\n--%s--\r\n", boundary);
	*out_len = o;
	return out;
}

static void check_items(const fk_ingest *in)
{
	for (size_t i = 0; i < in->count; i++) {
		const fk_ingest_item *it = &in->items[i];
		if (!it->profile || it->from > it->until || !it->key.app || !it->key.type ||
		    !*it->key.type)
			abort();
		if (!memchr(it->units, 0, sizeof it->units) ||
		    !memchr(it->aggregation, 0, sizeof it->aggregation) ||
		    !memchr(it->spy_name, 0, sizeof it->spy_name) || it->sample_rate <= 0)
			abort();
		char *name = fk_series_key_format(&it->key);
		fk_series_key again;
		fk_error err;
		if (fk_series_key_parse(name, strlen(name), "x", &again, &err) != 0) {
			fprintf(stderr, "canonical name '%s' does not parse: %s\n", name, err.msg);
			abort();
		}
		char *name2 = fk_series_key_format(&again);
		if (strcmp(name, name2) != 0) {
			fprintf(stderr, "canonical name '%s' reads back as '%s'\n", name, name2);
			abort();
		}
		free(name);
		free(name2);
		fk_series_key_free(&again);
		(void)fk_profile_total(it->profile);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	size_t pos = 1;
	char *fields[NFIELDS] = {0};
	for (int f = 0; f < NFIELDS; f++) {
		const uint8_t *nl = pos < size ? memchr(data + pos, '\n', size - pos) : NULL;
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - pos;
		if (!(len == 1 && data[pos] == '-')) {
			fields[f] = malloc(len + 1);
			if (!fields[f])
				abort();
			memcpy(fields[f], data + pos, len);
			fields[f][len] = '\0';
		}
		pos = nl ? end + 1 : size;
	}
	static const char *const formats[] = {NULL, "folded", "lines", "pprof", "jfr", "junk", NULL,
					       "pprof"};
	fk_ingest_request r = {0};
	r.name = fields[0];
	r.from = fields[1];
	r.until = fields[2];
	r.sample_rate = fields[3];
	r.spy_name = fields[4];
	r.units = fields[5];
	r.aggregation_type = fields[6];
	r.format = formats[mode & 7];
	r.now = 1700000000;
	r.max_decompressed = 1 << 20;
	const char *boundary = fields[7] && *fields[7] ? fields[7] : "b";
	char content_type[256];
	snprintf(content_type, sizeof content_type, "multipart/form-data; boundary=%.200s",
		 fields[7] ? fields[7] : "b");
	if (mode & 8)
		r.content_type = content_type;

	/* the body, in an exactly sized copy */
	size_t body_len = size - pos;
	unsigned char *body = malloc(body_len ? body_len : 1);
	if (!body)
		abort();
	if (body_len)
		memcpy(body, data + pos, body_len);
	if (mode & 16) {
		size_t n;
		unsigned char *g = gzip_bytes(body, body_len, &n);
		free(body);
		body = g;
		body_len = n;
	}
	if (mode & 32) {
		size_t n;
		unsigned char *m = wrap_multipart(boundary, body, body_len, &n);
		free(body);
		body = m;
		body_len = n;
		snprintf(content_type, sizeof content_type, "multipart/form-data; boundary=%.200s",
			 boundary);
		r.content_type = content_type;
	}
	r.body = body;
	r.len = body_len;

	fk_ingest in;
	fk_error err = {{0}};
	int rc = fk_ingest_parse(&r, &in, &err);
	if (rc == FK_INGEST_OK) {
		check_items(&in);
	} else {
		if (rc != FK_INGEST_BAD && rc != FK_INGEST_TOO_LARGE && rc != FK_INGEST_UNSUPPORTED)
			abort();
		if (!err.msg[0] || in.count != 0 || in.items)
			abort();
	}
	fk_ingest_free(&in);
	free(body);
	for (int f = 0; f < NFIELDS; f++)
		free(fields[f]);
	return 0;
}
