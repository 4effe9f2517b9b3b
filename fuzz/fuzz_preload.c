/* fuzz_preload.c: libFuzzer target for the reader of libflamekit-preload.so's files
 * (fk_preload_parse in src/input/preload_file.c, and src/symbol/frame_text.c). The input,
 * copied to an exactly sized buffer, is read as such a file for every kind of profile,
 * with fresh processes and symbolizer, folding into a perf parser and a profile that is
 * written to /dev/null. Checked: a file is accepted for all four alloc kinds or none,
 * for both lock kinds or none, never for both groups; a rejected file adds nothing and
 * its error names the file; an accepted one gives only values above 0, stacks of at
 * most FK_PRELOAD_MAX_FRAMES frames whose texts lie in one piece, and a profile whose
 * total is what the callback was given. Anything else aborts, as a crash would. */
#include "fuzz_common.h"

#include "../src/input/preload_file.h"
#include "../src/preload/format.h"

typedef struct fz_seen {
	fk_perf_parser *parser;
	size_t calls;
	double total;
} fz_seen;

static void check_text(const char *s, size_t len)
{
	/* each text is one piece of printable bytes or names; touch every byte for ASan */
	volatile unsigned char sink = 0;
	for (size_t i = 0; i < len; i++)
		sink ^= (unsigned char)s[i];
	(void)sink;
}

static void take(void *ctx, const char *comm, int pid, int tid, double value,
		 const fk_perf_stack_line *frames, size_t n)
{
	fz_seen *seen = ctx;
	if (!(value > 0) || n > FK_PRELOAD_MAX_FRAMES || pid <= 0 || tid != pid || !comm)
		abort();
	check_text(comm, strlen(comm));
	for (size_t i = 0; i < n; i++) {
		if (!frames[i].pc_len || !frames[i].func_len || !frames[i].mod_len)
			abort();
		check_text(frames[i].pc, frames[i].pc_len);
		check_text(frames[i].func, frames[i].func_len);
		check_text(frames[i].mod, frames[i].mod_len);
	}
	seen->calls++;
	seen->total += value;
	fk_preload_add_to_parser(seen->parser, comm, pid, tid, value, frames, n);
}

static int read_as(const char *data, size_t size, fk_preload_profile_kind kind)
{
	fk_profile *p = fk_profile_new();
	fk_diag diag;
	fk_diag_init(&diag);
	fk_perf_options opt;
	memset(&opt, 0, sizeof(opt));
	fz_seen seen = {fk_perf_parser_new(&opt, p, &diag, NULL), 0, 0};
	fk_processes *ps = fk_processes_new();
	fk_symbolizer *sym = fk_symbolizer_new(true);
	fk_error err = {{0}};
	fk_preload_info info;
	memset(&info, 0, sizeof(info));
	int rc = fk_preload_parse("fuzz", data, size, kind, ps, sym, take, &seen, &info, &err);
	if (rc == -1) {
		if (seen.calls || strncmp(err.msg, "fuzz:", 5) != 0 || info.files)
			abort();
	} else if (rc == 0) {
		if (info.files != 1 || info.samples != seen.calls || info.pid <= 0)
			abort();
		double total = fk_profile_total(p);
		if (fabs(total - seen.total) > 1e-6 * (seen.total > 1 ? seen.total : 1))
			abort();
		fz_write_devnull(p);
	} else {
		abort();
	}
	fk_perf_parser_free(seen.parser);
	fk_symbolizer_free(sym);
	fk_processes_free(ps);
	fk_diag_free(&diag);
	fk_profile_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	int alloc = read_as(copy, size, FK_PRELOAD_ALLOC_SPACE);
	if (read_as(copy, size, FK_PRELOAD_ALLOC_OBJECTS) != alloc ||
	    read_as(copy, size, FK_PRELOAD_INUSE_SPACE) != alloc ||
	    read_as(copy, size, FK_PRELOAD_INUSE_OBJECTS) != alloc)
		abort();
	int lock = read_as(copy, size, FK_PRELOAD_LOCK_WAIT_US);
	if (read_as(copy, size, FK_PRELOAD_LOCK_COUNT) != lock || (alloc == 0 && lock == 0))
		abort();
	free(copy);
	return 0;
}
