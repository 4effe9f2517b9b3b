/* format.c: format names and content sniffing. Each parser's own line rules decide:
 * the format whose rules explain the most of the first lines wins. */
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
