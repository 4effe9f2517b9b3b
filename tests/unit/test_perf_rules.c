/* test_perf_rules.c: the perf script line rules against the answers Perl's regexes give
 * (the expected values were produced by running stackcollapse-perf.pl's regexes in perl),
 * including the backtracking corner cases; and the parser on small samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/input/perf_script.h"
#include "../../src/output/folded.h"

static void expect_event(const char *line, const char *comm, const char *pid, const char *tid)
{
	fk_perf_event_line ev;
	bool m = fk_perf_match_event_line(line, strlen(line), &ev);
	if (!comm) {
		assert_false(m);
		return;
	}
	assert_true(m);
	assert_int_equal(ev.comm_len, strlen(comm));
	assert_memory_equal(line, comm, ev.comm_len);
	assert_int_equal(ev.pid_len, strlen(pid));
	assert_memory_equal(ev.pid, pid, ev.pid_len);
	if (!tid) {
		assert_null(ev.tid);
	} else {
		assert_non_null(ev.tid);
		assert_int_equal(ev.tid_len, strlen(tid));
		assert_memory_equal(ev.tid, tid, ev.tid_len);
	}
}

static void test_event_line(void **state)
{
	(void)state;
	expect_event("java 25607 4794564.109216: 1 cycles:", "java", "25607", NULL);
	expect_event("V8 WorkerThread 25607 4794564.109216: 104345 cycles:", "V8 WorkerThread", "25607", NULL);
	expect_event("java 24636/25607 [000] 4794564.109216: 1 cycles:", "java", "24636", "25607");
	expect_event("a 12 x", NULL, NULL, NULL);
	expect_event("a  12 x", "a ", "12", NULL);
	expect_event("ab 12/ x", "ab", "12", NULL);
	expect_event("swapper 0/0 [000] 1.0: 1 cpu-clock:", "swapper", "0", "0");
	expect_event("x", NULL, NULL, NULL);
	expect_event("kworker/0:1 123 [000] 1.5: 7 cpu-clock:", "kworker/0:1", "123", NULL);
	expect_event("noend 12", NULL, NULL, NULL);
}

static void expect_period(const char *line, const char *period, const char *event)
{
	const char *p, *e;
	size_t plen, elen;
	bool m = fk_perf_match_period(line, strlen(line), &p, &plen, &e, &elen);
	if (!event) {
		assert_false(m);
		return;
	}
	assert_true(m);
	assert_int_equal(elen, strlen(event));
	assert_memory_equal(e, event, elen);
	if (!period) {
		assert_null(p);
	} else {
		assert_non_null(p);
		assert_int_equal(plen, strlen(period));
		assert_memory_equal(p, period, plen);
	}
}

static void test_period(void **state)
{
	(void)state;
	expect_period("java 1 2.0: 235 cpu-clock:", "235", "cpu-clock");
	expect_period("java 1 2.0: cycles:", NULL, "cycles");
	expect_period("perf 1 [000] 1.0: sched:sched_switch: prev_comm=x", NULL, NULL);
	expect_period("a 1 1.0:   99   sched:sched_switch:  ", "99", "sched:sched_switch");
	expect_period("a:b 1 x: 5 ev:", "5", "ev");
	expect_period("a 1 1.0: 12x ev:", NULL, NULL);
	expect_period("a 1 1.0:ev:", NULL, NULL);
	expect_period("a 1 1.0: 7 cycles:u:", "7", "cycles:u");
}

static void expect_stack(const char *line, const char *pc, const char *func, const char *mod)
{
	fk_perf_stack_line sl;
	bool m = fk_perf_match_stack_line(line, strlen(line), &sl);
	if (!pc) {
		assert_false(m);
		return;
	}
	assert_true(m);
	assert_int_equal(sl.pc_len, strlen(pc));
	assert_memory_equal(sl.pc, pc, sl.pc_len);
	assert_int_equal(sl.func_len, strlen(func));
	assert_memory_equal(sl.func, func, sl.func_len);
	assert_int_equal(sl.mod_len, strlen(mod));
	assert_memory_equal(sl.mod, mod, sl.mod_len);
}

static void test_stack_line(void **state)
{
	(void)state;
	expect_stack("\t    4005d0 leaf (/bin/app)", "4005d0", "leaf", "/bin/app");
	expect_stack("  ab (x)", "a", "b", "x");
	expect_stack("  a (x)", NULL, NULL, NULL);
	expect_stack("7f6d foo (bar) (baz)", "7f6d", "foo (bar)", "baz");
	expect_stack("  1 a (b) c)", "1", "a", "b) c");
	expect_stack("  1 f (m", NULL, NULL, NULL);
	expect_stack(" x y (z)", "x", "y", "z");
	expect_stack("  4 a b (c) d", "4", "a b", "c");
	expect_stack("\t4 a(b) (m)", "4", "a(b)", "m");
	expect_stack("x(y) (z)", "x", "(y)", "z");
	expect_stack("  4  (z)", "4", " ", "z");
}

static char *fold(const char *text, const fk_perf_options *o)
{
	fk_profile *p = fk_profile_new();
	fk_diag diag;
	fk_diag_init(&diag);
	fk_perf_parser *pp = fk_perf_parser_new(o, p, &diag, NULL);
	fk_chunk c = {.data = (char *)text, .len = strlen(text), .first_line = 1, .file_end = true};
	fk_perf_parse_chunk(pp, &c);
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fk_error err;
	assert_int_equal(fk_write_folded(p, f, &err), 0);
	fclose(f);
	fk_perf_parser_free(pp);
	fk_diag_free(&diag);
	fk_profile_free(p);
	return buf;
}

static void expect_fold(const char *text, const fk_perf_options *o, const char *expected)
{
	char *out = fold(text, o);
	assert_string_equal(out, expected);
	free(out);
}

/* Expected values from stackcollapse-perf.pl on the same input. */
static void test_frame_rules(void **state)
{
	(void)state;
	fk_perf_options none = {0}, all = {.annotate_kernel = true, .annotate_jit = true},
			addrs = {.include_addrs = true};
	expect_fold("java 1 1.0: 1 cycles:\n"
		    "\t1 Lorg/mozilla/javascript/ContextFactory;.call(Lorg/mozilla/X;)Ljava/lang/Object; (/tmp/perf-1.map)\n"
		    "\t2 std::foo(int) (/bin/x)\n"
		    "\t3 (anonymous namespace)::bar(int) (/bin/x)\n" /* skipped: starts with '(' */
		    "\t4 net/http.(*Client).Do (/bin/go)\n"
		    "\t5 a->b->c (/bin/x)\n"
		    "\t6 [unknown] (/usr/lib/libc.so.6)\n"
		    "\t7 [unknown] ([unknown])\n"
		    "\t8 quote\"d'+0x1f (/bin/x)\n"
		    "\t9 native_safe_halt ([kernel.kallsyms])\n"
		    "\n",
		    &all,
		    "java;native_safe_halt_[k];quoted;[unknown];[libc.so.6];a;b_[i];c_[i];net/http.(*Client).Do;"
		    "std::foo;org/mozilla/javascript/ContextFactory:.call_[j] 1\n");
	expect_fold("app 5 1.0: 1 cycles:\n\t7f00 [unknown] ([unknown])\n\t7f01 [unknown] (/lib/x.so)\n\n", &addrs,
		    "app;[x.so <7f01>];[unknown <7f00>] 1\n");
	expect_fold("app 5 1.0: 1 cycles:\n\t1 (deleted) (/x)\n\t2 f+0x10 (/x)\n\n", &none, "app;f 1\n");
	expect_fold("app 7 1.000: 1 cycles:\n\t1 std::(anonymous namespace)::foo(int) (/x)\n\t2 a;b (/x)\n"
		    "\t3 +0x10 (/x)\n\t4 x-> (/x)\n\n",
		    &none, "app;x;a:b;std::(anonymous namespace)::foo 1\n");
}

static void test_samples_and_filter(void **state)
{
	(void)state;
	fk_perf_options none = {0}, cyc = {.event_filter = "cycles"};
	const char *text = "app 7 1.000: 10 instructions:\n\t1 f (/x)\n\n"
			   "app 7 1.000: 20 cycles:\n\t1 g (/x)\n\n"
			   "app 7 1.000: 0 instructions:\n\t1 f (/x)\n\n"
			   "app 7 1.000: 00 instructions:\n\t1 f (/x)\n\n"
			   "app 7 1.000: 5 instructions:\n\t1 f (/x)";
	/* period "0" is false in Perl (counts 1), "00" is true (counts 0); the last
	 * sample has no blank line after it and is kept */
	expect_fold(text, &none, "app;f 16\n");
	expect_fold(text, &cyc, "app;g 20\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_stack_line),
		cmocka_unit_test(test_frame_rules),
		cmocka_unit_test(test_samples_and_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
