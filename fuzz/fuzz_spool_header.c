/* fuzz_spool_header.c: libFuzzer target for the header line of the agent's window files
 * (fk_spool_parse_header, src/agent/spool.c), which are read back from a directory
 * nothing in is trusted. Any bytes, taken as the start of a file of their own size (and
 * of other sizes), must be refused with a reason or give a header that lies within them
 * and agrees with the file's size; and a header written as fk_spool_add writes it, from
 * values taken from the input, must parse back to exactly those values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/agent/spool.h"

static void check(const char *buf, size_t n, uint64_t file_size)
{
	uint64_t body_len = 0;
	double value = 0;
	const char *meta = NULL, *why = NULL;
	size_t meta_len = 0;
	size_t header = fk_spool_parse_header(buf, n, file_size, &body_len, &value, &meta,
					      &meta_len, &why);
	if (!header) {
		if (!why || !*why)
			abort(); /* refused without a reason */
		return;
	}
	if (header > n || buf[header - 1] != '\n' || memchr(buf, '\n', header - 1))
		abort(); /* the header is one line inside what was read */
	if (meta < buf || meta + meta_len != buf + header - 1 || memchr(meta, '\n', meta_len))
		abort();
	if ((uint64_t)header + body_len != file_size)
		abort();
	if (!isfinite(value) || value < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	check(buf, size, size);
	check(buf, size, (uint64_t)size + 1);
	check(buf, size, size / 2);
	check(buf, size, UINT64_MAX);

	/* a header written as fk_spool_add writes it parses back to its values */
	if (size < 16)
		return 0;
	uint64_t body_len;
	double value;
	memcpy(&body_len, data, 8);
	memcpy(&value, data + 8, 8);
	body_len %= (uint64_t)1 << 30;
	if (!isfinite(value) || value < 0)
		value = 0;
	char meta_in[512];
	size_t m = 0;
	for (size_t i = 16; i < size && m < sizeof meta_in - 1; i++)
		if (data[i] != '\n' && data[i] != '\0')
			meta_in[m++] = (char)data[i];
	meta_in[m] = '\0';
	char header[700];
	int hl = snprintf(header, sizeof header, "FKW1 %llu %.17g %s\n",
			  (unsigned long long)body_len, value, meta_in);
	if (hl < 0 || (size_t)hl >= sizeof header)
		abort();
	uint64_t got_len = 0;
	double got_value = -1;
	const char *meta = NULL, *why = NULL;
	size_t meta_len = 0;
	size_t got = fk_spool_parse_header(header, (size_t)hl, (uint64_t)hl + body_len, &got_len,
					   &got_value, &meta, &meta_len, &why);
	if (got != (size_t)hl || got_len != body_len || got_value != value || meta_len != m ||
	    memcmp(meta, meta_in, m) != 0)
		abort();
	return 0;
}
