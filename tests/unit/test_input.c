/* test_input.c: the input plumbing — newline counting, chunk cutting at blank lines,
 * format detection, the folded line rule, and option parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <unistd.h>

#include "../../src/input/chunk.h"
#include "../../src/input/folded.h"
#include "../../src/input/format.h"
#include "../../src/util/options.h"

static void test_count_newlines(void **state)
{
	(void)state;
	char buf[1000];
	unsigned seed = 7;
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		uint64_t expected = 0;
		for (size_t i = 0; i < len; i++) {
			buf[i] = (rand_r(&seed) % 4 == 0) ? '\n' : (char)(rand_r(&seed) & 0xff);
			expected += buf[i] == '\n';
		}
		assert_int_equal(fk_count_newlines(buf, len), expected);
	}
	/* more than 255 full vectors of newlines */
	char *many = malloc(100000);
	memset(many, '\n', 100000);
	assert_int_equal(fk_count_newlines(many, 100000), 100000);
	free(many);
}

/* Writes text to a pipe and reads it back as chunks. */
static void read_chunks(const char *text, fk_split split, size_t target, fk_chunk *out, size_t *n)
{
	char path[] = "/tmp/flamekit-chunk-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	fk_source src;
	fk_error err;
	assert_int_equal(fk_source_open(&src, path, &err), 0);
	fk_diag diag;
	fk_diag_init(&diag);
	fk_chunk_reader rd;
	fk_chunk_reader_init(&rd, &src, 0, split, target, &diag);
	*n = 0;
	int rc;
	while ((rc = fk_chunk_reader_next(&rd, &out[*n], &err)) == 1)
		(*n)++;
	assert_int_equal(rc, 0);
	fk_chunk_reader_free(&rd);
	fk_source_close(&src);
	fk_diag_free(&diag);
	unlink(path);
}

static void test_chunks_blank_lines(void **state)
{
	(void)state;
	char text[4096] = "";
	for (int i = 0; i < 100; i++)
		strcat(text, i % 3 ? "sample\nframe\n\n" : "s\nf\ng\n\n");
	strcat(text, "last\nno blank");
	static fk_chunk chunks[200];
	size_t n;
	read_chunks(text, FK_SPLIT_BLANK_LINES, 16, chunks, &n);
	/* every chunk but the last ends with a blank line; together they are the text */
	size_t total = 0;
	uint64_t line = 1;
	for (size_t i = 0; i < n; i++) {
		assert_memory_equal(chunks[i].data, text + total, chunks[i].len);
		assert_int_equal(chunks[i].first_line, line);
		line += fk_count_newlines(chunks[i].data, chunks[i].len);
		total += chunks[i].len;
		if (i + 1 < n) {
			assert_true(chunks[i].len >= 2);
			assert_memory_equal(chunks[i].data + chunks[i].len - 2, "\n\n", 2);
			assert_false(chunks[i].file_end);
		} else {
			assert_true(chunks[i].file_end);
		}
		fk_chunk_free(&chunks[i]);
	}
	assert_int_equal(total, strlen(text));
	assert_true(n > 10);
}

static void test_chunks_lines(void **state)
{
	(void)state;
	char text[4096] = "";
	for (int i = 0; i < 300; i++)
		strcat(text, "line\n");
	strcat(text, "three");
	static fk_chunk chunks[400];
	size_t n;
	read_chunks(text, FK_SPLIT_LINES, 8, chunks, &n);
	assert_true(n > 10);
	uint64_t line = 1;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(chunks[i].first_line, line);
		assert_true(i + 1 == n || chunks[i].data[chunks[i].len - 1] == '\n');
		line += fk_count_newlines(chunks[i].data, chunks[i].len);
		fk_chunk_free(&chunks[i]);
	}
	assert_int_equal(line, 301);
}

static void test_detect(void **state)
{
	(void)state;
	const char *perf = "# header\napp 1 1.0: 1 cpu-clock:\n\t4005d0 leaf (/bin/app)\n\t400600 main (/bin/app)\n\n";
	assert_int_equal(fk_detect_format(perf, strlen(perf)), FK_FORMAT_PERF);
	const char *folded = "a;b;c 10\na;b 3\n";
	assert_int_equal(fk_detect_format(folded, strlen(folded)), FK_FORMAT_FOLDED);
	const char *dtrace = "CPU     ID                    FUNCTION:NAME\n  0  64091                        :tick-60s\n\n"
			     "              unix`mutex_enter\n              genunix`fop_read+0x20\n               42\n";
	assert_int_equal(fk_detect_format(dtrace, strlen(dtrace)), FK_FORMAT_DTRACE);
	assert_int_equal(fk_detect_format("", 0), FK_FORMAT_FOLDED);
	const char *junk = "hello world\nthis is text\n";
	assert_int_equal(fk_detect_format(junk, strlen(junk)), FK_FORMAT_UNKNOWN);
}

/* Formats told by their bytes: magic numbers, protobuf framing, JSON keys; text falls
 * through to the line rules, and a prefix cut inside a line still detects. */
static void test_detect_input(void **state)
{
	(void)state;
	const unsigned char perf_data[16] = "PERFILE2\x68\0\0\0\0\0\0\0";
	assert_int_equal(fk_detect_input_format(perf_data, sizeof(perf_data)), FK_FORMAT_PERF_DATA);
	/* a pprof Profile: sample_type {type: 1, unit: 2}, string_table "", "samples" ... */
	const unsigned char pprof[] = {0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x32, 0x00,
				       0x32, 0x07, 's', 'a', 'm', 'p', 'l', 'e', 's'};
	assert_int_equal(fk_detect_input_format(pprof, sizeof(pprof)), FK_FORMAT_PPROF);
	/* cut inside a length-delimited field: still pprof */
	assert_int_equal(fk_detect_input_format(pprof, 11), FK_FORMAT_PPROF);
	/* a field number pprof does not have */
	const unsigned char not_pprof[] = {0xfa, 0x01, 0x00, 0x01, 0x02};
	assert_int_equal(fk_detect_input_format(not_pprof, sizeof(not_pprof)), FK_FORMAT_UNKNOWN);
	const char *ss = "\xef\xbb\xbf {\"$schema\": \"https://www.speedscope.app/file-format-schema.json\"}";
	assert_int_equal(fk_detect_input_format((const unsigned char *)ss, strlen(ss)),
			 FK_FORMAT_SPEEDSCOPE);
	const char *cpu = "{\"nodes\":[{\"id\":1}],\"startTime\":1,\"endTime\":2}";
	assert_int_equal(fk_detect_input_format((const unsigned char *)cpu, strlen(cpu)),
			 FK_FORMAT_CPUPROFILE);
	const char *json = "{\"a\": 1}";
	assert_int_equal(fk_detect_input_format((const unsigned char *)json, strlen(json)),
			 FK_FORMAT_UNKNOWN);
	const char *folded = "a;b;c 10\na;b 3\na;b;d 1";
	assert_int_equal(fk_detect_input_format((const unsigned char *)folded, strlen(folded)),
			 FK_FORMAT_FOLDED);
	/* the last, partial line is left out: "a;b;d" alone would not be folded */
	assert_int_equal(fk_detect_input_format((const unsigned char *)folded, 20), FK_FORMAT_FOLDED);
	for (int f = FK_FORMAT_PERF; f < FK_FORMAT_UNKNOWN; f++)
		assert_int_equal(fk_format_from_name(fk_format_name((fk_format)f)), f);
	assert_true(fk_format_is_whole(FK_FORMAT_PPROF));
	assert_false(fk_format_is_whole(FK_FORMAT_FOLDED));
}

static void test_folded_count(void **state)
{
	(void)state;
	size_t sl;
	double c;
	assert_true(fk_folded_split_count("a;b 12", 6, &sl, &c));
	assert_int_equal(sl, 3);
	assert_true(c == 12);
	assert_true(fk_folded_split_count("a b\t1.5", 7, &sl, &c));
	assert_int_equal(sl, 3);
	assert_true(c == 1.5);
	assert_true(fk_folded_split_count("a 2.", 4, &sl, &c));
	assert_false(fk_folded_split_count("a 1x", 4, &sl, &c));
	assert_false(fk_folded_split_count("12", 2, &sl, &c));
	assert_false(fk_folded_split_count("a .5", 4, &sl, &c));
	assert_false(fk_folded_split_count("a -1", 4, &sl, &c));
}

enum { O_ALPHA = 1, O_ALPHABET, O_BETA, O_J };
static const fk_option opts[] = {
	{"alpha", 'a', false, O_ALPHA, NULL, "a"},
	{"alphabet", 0, true, O_ALPHABET, "X", "b"},
	{"beta", 0, true, O_BETA, "X", "c"},
	{"threads", 'j', true, O_J, "N", "d"},
};

static void test_options(void **state)
{
	(void)state;
	char *argv[] = {"x", "--alpha", "--alphab=1", "-beta", "2", "file", "-j3", "-j", "4", "--bet", "5", "--", "--alpha", NULL};
	fk_option_parser op;
	fk_error err;
	fk_options_init(&op, opts, FK_ARRAY_LEN(opts), 13, argv);
	assert_int_equal(fk_options_next(&op, &err), O_ALPHA);
	assert_int_equal(fk_options_next(&op, &err), O_ALPHABET);
	assert_string_equal(op.arg, "1");
	assert_int_equal(fk_options_next(&op, &err), O_BETA);
	assert_string_equal(op.arg, "2");
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_OPERAND);
	assert_string_equal(op.operand, "file");
	assert_int_equal(fk_options_next(&op, &err), O_J);
	assert_string_equal(op.arg, "3");
	assert_int_equal(fk_options_next(&op, &err), O_J);
	assert_string_equal(op.arg, "4");
	assert_int_equal(fk_options_next(&op, &err), O_BETA);
	assert_string_equal(op.arg, "5");
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_OPERAND);
	assert_string_equal(op.operand, "--alpha");
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_END);

	char *amb[] = {"x", "--al", NULL};
	fk_options_init(&op, opts, FK_ARRAY_LEN(opts), 2, amb);
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_ERROR);
	assert_non_null(strstr(err.msg, "ambiguous"));
	char *missing[] = {"x", "--beta", NULL};
	fk_options_init(&op, opts, FK_ARRAY_LEN(opts), 2, missing);
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_ERROR);
	assert_non_null(strstr(err.msg, "needs a value"));
	static const fk_option flags[] = {
		{"normalize", 'n', false, 1, NULL, "n"},
		{"strip-hex", 's', false, 2, NULL, "s"},
	};
	char *bundle[] = {"x", "-ns", "-s", NULL};
	fk_options_init(&op, flags, FK_ARRAY_LEN(flags), 3, bundle);
	assert_int_equal(fk_options_next(&op, &err), 1);
	assert_int_equal(fk_options_next(&op, &err), 2);
	assert_int_equal(fk_options_next(&op, &err), 2);
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_END);
	char *extra[] = {"x", "--alpha=1", NULL};
	fk_options_init(&op, opts, FK_ARRAY_LEN(opts), 2, extra);
	assert_int_equal(fk_options_next(&op, &err), FK_OPT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_newlines),
		cmocka_unit_test(test_chunks_blank_lines),
		cmocka_unit_test(test_chunks_lines),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_input),
		cmocka_unit_test(test_folded_count),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
