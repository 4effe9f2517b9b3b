/* test_sample.c: the kernel side of sampling (src/sample/perf_event.c, workload.c):
 * event names, CPU lists, real perf_event_open sampling of this process with decoded
 * callchains, and starting a command that cannot run. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/sample/perf_event.h"
#include "../../src/sample/workload.h"

static void test_event_names(void **state)
{
	(void)state;
	fk_event_spec e;
	fk_error err;
	assert_int_equal(fk_event_parse("cpu-clock", &e, &err), 0);
	assert_int_equal(e.type, PERF_TYPE_SOFTWARE);
	assert_int_equal(e.config, PERF_COUNT_SW_CPU_CLOCK);
	assert_true(e.time_based);
	assert_int_equal(fk_event_parse("page-faults", &e, &err), 0);
	assert_int_equal(e.config, PERF_COUNT_SW_PAGE_FAULTS);
	assert_false(e.time_based);
	assert_int_equal(fk_event_parse("cycles", &e, &err), 0);
	assert_int_equal(e.type, PERF_TYPE_HARDWARE);
	assert_int_equal(fk_event_parse("no-such-event", &e, &err), -1);
	assert_non_null(strstr(err.msg, "unknown event 'no-such-event'"));
	assert_int_equal(fk_event_parse("nosuchsys:nosuchpoint", &e, &err), -1);
	assert_non_null(strstr(err.msg, "nosuchsys:nosuchpoint"));
	if (geteuid() == 0) {
		assert_int_equal(fk_event_parse("sched:sched_switch", &e, &err), 0);
		assert_int_equal(e.type, PERF_TYPE_TRACEPOINT);
		assert_true(e.config > 0);
	}
}

static void test_cpu_lists(void **state)
{
	(void)state;
	int cpus[16];
	fk_error err;
	assert_int_equal(fk_parse_cpu_list("0,2-3", cpus, 16, &err), 3);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[1], 2);
	assert_int_equal(cpus[2], 3);
	assert_int_equal(fk_parse_cpu_list("1,1,0-1", cpus, 16, &err), 2);
	assert_int_equal(fk_parse_cpu_list("3-1", cpus, 16, &err), -1);
	assert_int_equal(fk_parse_cpu_list("x", cpus, 16, &err), -1);
	assert_int_equal(fk_parse_cpu_list("", cpus, 16, &err), -1);
	assert_int_equal(fk_parse_cpu_list("0-100", cpus, 16, &err), -1);
	assert_true(fk_online_cpus(cpus, 16) >= 1);
}

__attribute__((noinline)) static unsigned long burn_here(double seconds)
{
	struct timespec a, b;
	volatile unsigned long x = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x = x * 31 + (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < seconds);
	return x;
}

struct seen {
	int tid;
	size_t samples, ours, in_burn, with_chain;
	fk_sampler *sampler;
};

static void count_record(const fk_record *r, const void *raw, size_t size, void *ctx)
{
	struct seen *s = ctx;
	fk_record again;
	if (r->type != FK_REC_SAMPLE)
		return;
	s->samples++;
	if (r->tid == s->tid)
		s->ours++;
	if (r->callchain_len > 1)
		s->with_chain++;
	uintptr_t lo = (uintptr_t)burn_here, hi = lo + 512;
	for (uint64_t i = 0; i < r->callchain_len; i++)
		if (r->callchain[i] >= lo && r->callchain[i] < hi) {
			s->in_burn++;
			break;
		}
	/* the raw bytes decode the same way again */
	assert_true(fk_sampler_decode(s->sampler, raw, size, &again));
	assert_int_equal(again.tid, r->tid);
	assert_int_equal(again.callchain_len, r->callchain_len);
}

static void test_sampling_self(void **state)
{
	(void)state;
	int cpus[256];
	size_t ncpus = fk_online_cpus(cpus, 256);
	int tid = (int)syscall(SYS_gettid);
	fk_sampler_config c = {0};
	fk_error err;
	assert_int_equal(fk_event_parse("cpu-clock", &c.event, &err), 0);
	c.frequency = 997;
	c.callgraph = FK_CALLGRAPH_FP;
	c.cpus = cpus;
	c.ncpus = ncpus;
	c.target = FK_TARGET_TASKS;
	c.tids = &tid;
	c.ntids = 1;
	c.exclude_kernel = geteuid() != 0;
	c.buffer_pages = 64;
	struct seen ss = {tid, 0, 0, 0, 0, NULL};
	if (fk_sampler_open(&c, &ss.sampler, NULL, &err) < 0) {
		print_message("perf_event_open unavailable: %s\n", err.msg);
		skip();
	}
	assert_int_equal(fk_sampler_enable(ss.sampler, &err), 0);
	burn_here(0.3);
	fk_sampler_disable(ss.sampler);
	fk_sampler_read(ss.sampler, count_record, &ss);
	fk_sampler_free(ss.sampler);
	/* ~300 samples at 997 Hz; allow for a busy machine */
	assert_true(ss.samples >= 100);
	assert_int_equal(ss.ours, ss.samples);
	assert_true(ss.with_chain * 10 >= ss.samples * 9);
	assert_true(ss.in_burn * 10 >= ss.samples * 8);
}

static void test_bad_targets(void **state)
{
	(void)state;
	int cpus[256];
	size_t ncpus = fk_online_cpus(cpus, 256);
	int tid = 0x3ffffff0; /* no such process */
	fk_sampler_config c = {0};
	fk_error err;
	assert_int_equal(fk_event_parse("cpu-clock", &c.event, &err), 0);
	c.frequency = 99;
	c.cpus = cpus;
	c.ncpus = ncpus;
	c.target = FK_TARGET_TASKS;
	c.tids = &tid;
	c.ntids = 1;
	fk_sampler *s = NULL;
	assert_int_equal(fk_sampler_open(&c, &s, NULL, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, "no such process"));

	c.target = FK_TARGET_CGROUP;
	c.cgroup = "/nonexistent/cgroup";
	assert_int_equal(fk_sampler_open(&c, &s, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/cgroup"));

	/* hardware counters: either they work here or the error says they are missing */
	tid = (int)syscall(SYS_gettid);
	c.target = FK_TARGET_TASKS;
	c.exclude_kernel = true;
	assert_int_equal(fk_event_parse("cycles", &c.event, &err), 0);
	c.period = 1000000;
	if (fk_sampler_open(&c, &s, NULL, &err) == 0)
		fk_sampler_free(s);
	else
		assert_non_null(strstr(err.msg, "hardware performance counters"));
}

static void test_workload_cannot_run(void **state)
{
	(void)state;
	char *argv[] = {"/nonexistent/program", NULL};
	fk_workload w;
	fk_error err;
	assert_int_equal(fk_workload_prepare(&w, argv, &err), 0);
	assert_int_equal(fk_workload_start(&w, argv[0], &err), -1);
	assert_non_null(strstr(err.msg, "cannot run '/nonexistent/program': No such file or directory"));

	char *ok[] = {"true", NULL};
	assert_int_equal(fk_workload_prepare(&w, ok, &err), 0);
	assert_int_equal(fk_workload_start(&w, ok[0], &err), 0);
	int status;
	assert_int_equal(waitpid(w.pid, &status, 0), w.pid);
	assert_int_equal(fk_wait_status_code(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_cpu_lists),
		cmocka_unit_test(test_sampling_self),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_workload_cannot_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
