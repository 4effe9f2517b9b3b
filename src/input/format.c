/* format.c: format names and content sniffing. Binary and JSON formats are told by their
 * first bytes; for text, each parser's own line rules decide: the format whose rules
 * explain the most of the first lines wins. */
#define _GNU_SOURCE /* memmem, memrchr */
#include "format.h"

#include "folded.h"
#include "perf_script.h"

fk_format fk_format_from_name(const char *name)
{
	if (strcmp(name, "auto") == 0)
		return FK_FORMAT_AUTO;
	if (strcmp(name, "perf") == 0 || strcmp(name, "perf-script") == 0)
		return FK_FORMAT_PERF;
	if (strcmp(name, "dtrace") == 0)
		return FK_FORMAT_DTRACE;
	if (strcmp(name, "folded") == 0)
		return FK_FORMAT_FOLDED;
	if (strcmp(name, "perf-data") == 0 || strcmp(name, "perf.data") == 0)
		return FK_FORMAT_PERF_DATA;
	if (strcmp(name, "pprof") == 0)
		return FK_FORMAT_PPROF;
	if (strcmp(name, "speedscope") == 0)
		return FK_FORMAT_SPEEDSCOPE;
	if (strcmp(name, "cpuprofile") == 0)
		return FK_FORMAT_CPUPROFILE;
	return FK_FORMAT_UNKNOWN;
}

const char *fk_format_name(fk_format f)
{
	switch (f) {
	case FK_FORMAT_AUTO:
		return "auto";
	case FK_FORMAT_PERF:
		return "perf";
	case FK_FORMAT_DTRACE:
		return "dtrace";
	case FK_FORMAT_FOLDED:
		return "folded";
	case FK_FORMAT_PERF_DATA:
		return "perf-data";
	case FK_FORMAT_PPROF:
		return "pprof";
	case FK_FORMAT_SPEEDSCOPE:
		return "speedscope";
	case FK_FORMAT_CPUPROFILE:
		return "cpuprofile";
	default:
		return "unknown";
	}
}

static bool only_digits_after_space(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

fk_format fk_detect_format(const char *text, size_t len)
{
	size_t lines = 0, perf_events = 0, perf_frames = 0, folded = 0, counts = 0, indented = 0;
	const char *p = text, *end = text + len;
	while (p < end && lines < 2000) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		const char *line = p;
		p = nl ? nl + 1 : end;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		size_t ws = 0;
		while (ws < n && (line[ws] == ' ' || line[ws] == '\t'))
			ws++;
		if (ws == n)
			continue;
		lines++;
		fk_perf_event_line ev;
		fk_perf_stack_line sl;
		size_t stack_len;
		double count;
		if (ws == 0 && fk_perf_match_event_line(line, n, &ev))
			perf_events++;
		else if (fk_perf_match_stack_line(line, n, &sl))
			perf_frames++; /* usually indented, not always (old perf) */
		if (only_digits_after_space(line, n))
			counts++;
		else if (ws > 0)
			indented++;
		if (ws == 0 && fk_folded_split_count(line, n, &stack_len, &count))
			folded++;
	}
	if (lines == 0)
		return FK_FORMAT_FOLDED;
	if (perf_events > 0 && perf_events + perf_frames >= lines / 2 + 1 && perf_frames > 0)
		return FK_FORMAT_PERF;
	if (counts > 0 && indented > 0 && counts + indented >= lines / 2 + 1)
		return FK_FORMAT_DTRACE;
	if (folded * 2 >= lines)
		return FK_FORMAT_FOLDED; /* at least half the lines are folded stacks */
	if (perf_events > 0 && perf_events + perf_frames >= lines / 2 + 1)
		return FK_FORMAT_PERF; /* samples without call chains */
	return FK_FORMAT_UNKNOWN;
}

bool fk_format_is_whole(fk_format f)
{
	return f == FK_FORMAT_PERF_DATA || f == FK_FORMAT_PPROF || f == FK_FORMAT_SPEEDSCOPE ||
	       f == FK_FORMAT_CPUPROFILE;
}

bool fk_read_varint(const unsigned char *data, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70 && *pos < len; shift += 7) {
		unsigned char b = data[(*pos)++];
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* True if data[0..len) is a whole protobuf message: every field complete, with a valid
 * wire type (varint, 64-bit, length-delimited, 32-bit). */
static bool whole_message(const unsigned char *data, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		uint64_t key, value;
		if (!fk_read_varint(data, len, &pos, &key) || key >> 3 == 0)
			return false;
		switch (key & 7) {
		case 0:
			if (!fk_read_varint(data, len, &pos, &value))
				return false;
			break;
		case 1:
		case 5:
			if (len - pos < ((key & 7) == 1 ? 8u : 4u))
				return false;
			pos += (key & 7) == 1 ? 8 : 4;
			break;
		case 2:
			if (!fk_read_varint(data, len, &pos, &value) || value > len - pos)
				return false;
			pos += (size_t)value;
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Looks like a serialized pprof Profile: the bytes are not text, and the top-level
 * fields seen have Profile's numbers with Profile's wire types (messages 1-5 and 11,
 * holding whole messages; strings 6; numbers 7-10, 12, 14, 15; comments 13 either way).
 * The input may be a prefix: a field cut by its end counts only after two whole fields,
 * so random bytes are not taken for a profile. */
static bool looks_like_pprof(const unsigned char *data, size_t len)
{
	bool binary = false;
	for (size_t i = 0; i < len && i < 4096; i++)
		if (data[i] < 0x09 || (data[i] > 0x0d && data[i] < 0x20) || data[i] == 0x7f) {
			binary = true;
			break;
		}
	if (!binary || len < 2)
		return false;
	size_t pos = 0, fields = 0;
	while (pos < len) {
		uint64_t key, value;
		if (!fk_read_varint(data, len, &pos, &key))
			return fields >= 2; /* cut inside a key at the end */
		uint64_t field = key >> 3, wire = key & 7;
		bool message = field <= 5 || field == 11, text = field == 6;
		if (field < 1 || field > 15 || (wire != 0 && wire != 2) ||
		    ((message || text) && wire != 2) || (!message && !text && field != 13 && wire != 0))
			return false;
		if (!fk_read_varint(data, len, &pos, &value))
			return fields >= 2; /* cut at the end */
		if (wire == 2) {
			if (value > len - pos)
				return fields >= 2; /* goes on past the prefix */
			if (message && !whole_message(data + pos, (size_t)value))
				return false;
			pos += (size_t)value;
		}
		fields++;
	}
	return fields > 0;
}

/* The JSON formats: an object whose keys tell them apart. speedscope files carry their
 * schema URL; .cpuprofile files have "nodes", "startTime" and "samples". */
static fk_format json_format(const unsigned char *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
		i = 3; /* UTF-8 byte order mark */
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	if (i >= len || data[i] != '{')
		return FK_FORMAT_UNKNOWN;
	const char *text = (const char *)data + i;
	size_t n = len - i;
	if (memmem(text, n, "speedscope", 10) && memmem(text, n, "\"$schema\"", 9))
		return FK_FORMAT_SPEEDSCOPE;
	if (memmem(text, n, "\"nodes\"", 7) &&
	    (memmem(text, n, "\"startTime\"", 11) || memmem(text, n, "\"samples\"", 9) ||
	     memmem(text, n, "\"callFrame\"", 11))) /* "nodes" may fill the first 64 KiB */
		return FK_FORMAT_CPUPROFILE;
	return FK_FORMAT_UNKNOWN;
}

fk_format fk_detect_input_format(const unsigned char *data, size_t len)
{
	if (len >= 8 && memcmp(data, "PERFILE2", 8) == 0)
		return FK_FORMAT_PERF_DATA;
	if (len >= 8 && memcmp(data, "2ELIFREP", 8) == 0)
		return FK_FORMAT_PERF_DATA; /* other byte order: the reader says it is unsupported */
	fk_format f = json_format(data, len);
	if (f != FK_FORMAT_UNKNOWN)
		return f;
	if (looks_like_pprof(data, len))
		return FK_FORMAT_PPROF;
	/* text: whole lines only (the prefix may end inside one) */
	size_t text_len = len;
	const unsigned char *nl = len ? memrchr(data, '\n', len) : NULL;
	if (nl && (size_t)(nl - data) + 1 < len)
		text_len = (size_t)(nl - data) + 1;
	return fk_detect_format((const char *)data, text_len);
}
