/* fuzz_detect.c: libFuzzer target for format detection (fk_detect_input_format and
 * fk_detect_format in src/input/format.c) and the perf script line classifiers it relies on
 * (fk_perf_match_event_line, fk_perf_match_period, fk_perf_match_stack_line,
 * fk_perf_first_event), plus fk_diag_quote. Every span a classifier returns must lie
 * inside the line it was given; lines are copied to exactly sized buffers so that
 * AddressSanitizer sees any read past their end. */
#include "fuzz_common.h"

#include "../src/input/format.h"
#include "../src/input/perf_script.h"
#include "../src/util/diag.h"

static void check_span(const char *line, size_t len, const char *s, size_t n)
{
	if (n && (s < line || s > line + len || n > (size_t)(line + len - s)))
		abort();
}

static void classify(const char *line, size_t len)
{
	fk_perf_event_line ev;
	if (fk_perf_match_event_line(line, len, &ev)) {
		if (ev.comm_len == 0 || ev.comm_len >= len || ev.pid_len == 0)
			abort();
		check_span(line, len, ev.pid, ev.pid_len);
		if (ev.tid)
			check_span(line, len, ev.tid, ev.tid_len);
	}
	const char *period, *event;
	size_t period_len, event_len;
	if (fk_perf_match_period(line, len, &period, &period_len, &event, &event_len)) {
		if (period)
			check_span(line, len, period, period_len);
		if (event_len == 0)
			abort();
		check_span(line, len, event, event_len);
	}
	fk_perf_stack_line sl;
	if (fk_perf_match_stack_line(line, len, &sl)) {
		if (sl.pc_len == 0 || sl.func_len == 0)
			abort();
		check_span(line, len, sl.pc, sl.pc_len);
		check_span(line, len, sl.func, sl.func_len);
		check_span(line, len, sl.mod, sl.mod_len);
	}
	char quoted[64];
	size_t q = fk_diag_quote(quoted, sizeof(quoted), line, len);
	if (q >= sizeof(quoted) || strlen(quoted) != q)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	fk_format f = fk_detect_format(text, size);
	if (f == FK_FORMAT_AUTO || f > FK_FORMAT_UNKNOWN)
		abort();
	if (fk_format_from_name(fk_format_name(f)) != f)
		abort();
	fk_format any = fk_detect_input_format(data, size);
	if (any == FK_FORMAT_AUTO || any > FK_FORMAT_UNKNOWN)
		abort();
	const char *ev;
	size_t ev_len;
	if (fk_perf_first_event(text, size, &ev, &ev_len))
		check_span(text, size, ev, ev_len);
	free(text);

	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		char *line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, p, len);
		classify(line, len);
		free(line);
		p = nl ? nl + 1 : end;
	}
	return 0;
}
