/* test_spool.c: the agent's disk buffer (src/agent/spool.h): windows come back oldest
 * first with their metadata and bodies; only whole files are ever visible (no temporary
 * left behind, an unfinished one from a dead agent is removed); the byte bound drops the
 * oldest windows (never the one being sent) and counts them; a reopened directory gives
 * back the windows left in it, in order, and numbers new ones after them; damaged window
 * files (truncated, bad header, wrong size, empty, a directory) are set aside with an
 * error and foreign files are left alone with a warning, never a crash; one agent per
 * directory. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/agent/spool.h"

struct logbook {
	char text[8192];
	int lines;
};

static void keep_log(void *ctx, const char *message)
{
	struct logbook *b = ctx;
	size_t n = strlen(b->text);
	snprintf(b->text + n, sizeof b->text - n, "%s\n", message);
	b->lines++;
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/fk-test-spool.XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (rmdir(p) != 0)
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Files in dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void add(fk_spool *s, const char *meta, double value, const char *body)
{
	fk_error err = {{0}};
	assert_int_equal(fk_spool_add(s, meta, value, body, strlen(body), &err), 0);
}

/* Takes the oldest window and checks it, then marks it done. */
static void expect_next(fk_spool *s, const char *meta, double value, const char *body)
{
	fk_spool_window w;
	assert_true(fk_spool_take_oldest(s, &w));
	assert_string_equal(w.meta, meta);
	assert_true(w.value == value);
	assert_int_equal(w.len, strlen(body));
	assert_memory_equal(w.body, body, w.len);
	fk_spool_done(s, w.seq);
	fk_spool_window_free(&w);
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_order_and_files(void **state)
{
	(void)state;
	char *dir = make_dir();
	char sub[512];
	snprintf(sub, sizeof sub, "%s/a/b", dir); /* parents are made too */
	fk_spool *s;
	fk_error err = {{0}};
	assert_int_equal(fk_spool_open(sub, 1 << 20, NULL, NULL, &s, &err), 0);
	struct stat st;
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	add(s, "name=a&from=1", 3, "main;f 3\n");
	add(s, "name=a&from=2", 5, "main;g 5\n");
	add(s, "name=a&from=3", 0.5, "");
	assert_int_equal(count_files(sub, "w-"), 3);
	assert_int_equal(count_files(sub, ".tmp"), 0);
	fk_spool_stats ss = fk_spool_stats_get(s);
	assert_int_equal(ss.windows, 3);
	assert_int_equal(ss.added, 3);
	/* a window kept (to be retried) comes back first again */
	fk_spool_window w;
	assert_true(fk_spool_take_oldest(s, &w));
	assert_string_equal(w.meta, "name=a&from=1");
	fk_spool_keep(s, w.seq);
	fk_spool_window_free(&w);
	expect_next(s, "name=a&from=1", 3, "main;f 3\n");
	expect_next(s, "name=a&from=2", 5, "main;g 5\n");
	expect_next(s, "name=a&from=3", 0.5, "");
	assert_false(fk_spool_take_oldest(s, &w));
	assert_int_equal(count_files(sub, "w-"), 0);
	ss = fk_spool_stats_get(s);
	assert_int_equal(ss.windows, 0);
	assert_int_equal(ss.bytes, 0);
	/* metadata must be one line */
	assert_int_equal(fk_spool_add(s, "a\nb", 1, "x", 1, &err), -1);
	/* one agent per directory */
	fk_spool *other;
	assert_int_equal(fk_spool_open(sub, 1 << 20, NULL, NULL, &other, &err), -1);
	assert_non_null(strstr(err.msg, "in use by another flamekit agent"));
	fk_spool_close(s);
	snprintf(sub, sizeof sub, "%s/a", dir);
	char subsub[600];
	snprintf(subsub, sizeof subsub, "%s/b", sub);
	remove_dir(subsub);
	remove_dir(sub);
	remove_dir(dir);
	free(dir);
}

static void test_bound_drops_oldest(void **state)
{
	(void)state;
	char *dir = make_dir();
	struct logbook log = {{0}, 0};
	fk_spool *s;
	fk_error err = {{0}};
	char body[200];
	memset(body, 'x', sizeof body - 2);
	body[sizeof body - 2] = '\n';
	body[sizeof body - 1] = '\0';
	/* each window is the header (about 30 bytes) + 199: 3 fit in 800 bytes */
	assert_int_equal(fk_spool_open(dir, 800, keep_log, &log, &s, &err), 0);
	add(s, "m1", 1, body);
	add(s, "m2", 2, body);
	add(s, "m3", 3, body);
	assert_int_equal(fk_spool_stats_get(s).dropped, 0);
	/* the first is being sent: the bound drops the second instead */
	fk_spool_window w;
	assert_true(fk_spool_take_oldest(s, &w));
	assert_string_equal(w.meta, "m1");
	add(s, "m4", 4, body);
	fk_spool_stats ss = fk_spool_stats_get(s);
	assert_int_equal(ss.dropped, 1);
	assert_true(ss.dropped_value == 2);
	assert_true(ss.bytes <= 800);
	assert_non_null(strstr(log.text, "dropped the oldest window"));
	/* the send failed: m1 is still first, then m3, m4 */
	fk_spool_keep(s, w.seq);
	fk_spool_window_free(&w);
	add(s, "m5", 5, body); /* drops m1 now: nothing in flight */
	ss = fk_spool_stats_get(s);
	assert_int_equal(ss.dropped, 2);
	assert_true(ss.dropped_value == 3);
	assert_int_equal(ss.windows, 3);
	assert_int_equal(count_files(dir, "w-"), 3);
	expect_next(s, "m3", 3, body);
	expect_next(s, "m4", 4, body);
	expect_next(s, "m5", 5, body);
	fk_spool_close(s);

	/* a window larger than the bound is kept (the newest always is) */
	assert_int_equal(fk_spool_open(dir, 10, NULL, NULL, &s, &err), 0);
	add(s, "big", 9, body);
	add(s, "big2", 10, body);
	ss = fk_spool_stats_get(s);
	assert_int_equal(ss.windows, 1);
	assert_int_equal(ss.dropped, 1);
	expect_next(s, "big2", 10, body);
	fk_spool_close(s);
	remove_dir(dir);
	free(dir);
}

static void test_reopen_with_leftovers(void **state)
{
	(void)state;
	char *dir = make_dir();
	fk_spool *s;
	fk_error err = {{0}};
	assert_int_equal(fk_spool_open(dir, 1 << 20, NULL, NULL, &s, &err), 0);
	for (int i = 1; i <= 12; i++) {
		char meta[32], body[32];
		snprintf(meta, sizeof meta, "w%d", i);
		snprintf(body, sizeof body, "f%d %d\n", i, i);
		add(s, meta, i, body);
	}
	expect_next(s, "w1", 1, "f1 1\n");
	fk_spool_close(s);
	/* an unfinished write of a dead agent: removed at open */
	write_file(dir, ".tmp-99", "FKW1 100 1 x\npartial", 20);

	struct logbook log = {{0}, 0};
	assert_int_equal(fk_spool_open(dir, 1 << 20, keep_log, &log, &s, &err), 0);
	assert_int_equal(count_files(dir, ".tmp"), 0);
	fk_spool_stats ss = fk_spool_stats_get(s);
	assert_int_equal(ss.found_at_open, 11);
	assert_int_equal(ss.windows, 11);
	assert_int_equal(log.lines, 0);
	add(s, "new", 100, "n 100\n"); /* numbered after the leftovers */
	for (int i = 2; i <= 12; i++) {
		char meta[32], body[32];
		snprintf(meta, sizeof meta, "w%d", i);
		snprintf(body, sizeof body, "f%d %d\n", i, i);
		expect_next(s, meta, i, body);
	}
	expect_next(s, "new", 100, "n 100\n");
	fk_spool_close(s);

	/* reopening with a smaller bound drops the oldest leftovers at once */
	assert_int_equal(fk_spool_open(dir, 1 << 20, NULL, NULL, &s, &err), 0);
	for (int i = 0; i < 5; i++)
		add(s, "m", 1, "0123456789\n");
	fk_spool_close(s);
	assert_int_equal(fk_spool_open(dir, 60, NULL, NULL, &s, &err), 0);
	ss = fk_spool_stats_get(s);
	assert_int_equal(ss.found_at_open, 5);
	assert_true(ss.windows < 5 && ss.windows >= 1);
	assert_int_equal(ss.dropped, 5 - ss.windows);
	fk_spool_close(s);
	remove_dir(dir);
	free(dir);
}

static void test_damaged_and_foreign_files(void **state)
{
	(void)state;
	char *dir = make_dir();
	fk_spool *s;
	fk_error err = {{0}};
	assert_int_equal(fk_spool_open(dir, 1 << 20, NULL, NULL, &s, &err), 0);
	add(s, "good1", 1, "a 1\n");
	fk_spool_close(s);
	/* damaged window files, numbered after good1 (seq 1) and before good2 */
	write_file(dir, "w-00000000000000000002.fkw", "FKW1 100 1 meta\nshort", 21);
	write_file(dir, "w-00000000000000000003.fkw", "garbage", 7);
	write_file(dir, "w-00000000000000000004.fkw", "", 0);
	write_file(dir, "w-00000000000000000005.fkw", "FKW1 1 nan m\nx", 14);
	write_file(dir, "w-00000000000000000006.fkw", "FKW1 3 1 no newline", 19);
	char sub[512];
	snprintf(sub, sizeof sub, "%s/w-00000000000000000007.fkw", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	/* foreign files */
	write_file(dir, "notes.txt", "hello", 5);
	write_file(dir, "w-12.fkw", "FKW1 0 0 m\n", 11);

	struct logbook log = {{0}, 0};
	assert_int_equal(fk_spool_open(dir, 1 << 20, keep_log, &log, &s, &err), 0);
	fk_spool_stats ss = fk_spool_stats_get(s);
	assert_int_equal(ss.damaged, 6);
	assert_int_equal(ss.windows, 1);
	assert_non_null(strstr(log.text, "w-00000000000000000002.fkw: truncated"));
	assert_non_null(strstr(log.text, "w-00000000000000000003.fkw: not a window file"));
	assert_non_null(strstr(log.text, "notes.txt: not a window file of flamekit agent; ignored"));
	assert_non_null(strstr(log.text, "w-12.fkw: not a window file"));
	assert_int_equal(count_files(dir, "notes.txt"), 1); /* left alone */
	assert_int_equal(count_files(dir, "w-00000000000000000003.fkw.bad"), 1);
	add(s, "good2", 2, "b 2\n"); /* numbered after every window file seen */
	expect_next(s, "good1", 1, "a 1\n");

	/* damaged after open (changed under the agent): set aside when taken */
	char path[600];
	snprintf(path, sizeof path, "%s/w-00000000000000000008.fkw", dir);
	assert_int_equal(truncate(path, 5), 0);
	add(s, "good3", 3, "c 3\n");
	log.text[0] = '\0';
	expect_next(s, "good3", 3, "c 3\n");
	assert_non_null(strstr(log.text, "w-00000000000000000008.fkw"));
	assert_int_equal(fk_spool_stats_get(s).damaged, 7);
	fk_spool_window w;
	assert_false(fk_spool_take_oldest(s, &w));
	fk_spool_close(s);
	remove_dir(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_files),
		cmocka_unit_test(test_bound_drops_oldest),
		cmocka_unit_test(test_reopen_with_leftovers),
		cmocka_unit_test(test_damaged_and_foreign_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
