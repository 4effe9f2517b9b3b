/* bench/work.c: the fixed-work target of bench/record.sh, which measures how much
 * `flamekit record` and `perf record` slow a program down. `work [UNITS]` does UNITS
 * (default 3000, about 3 s on a 2020s x86 core) identical units of CPU work, each reached
 * through main and 11 frames of descend() (so that unwinding has real stacks to walk), then
 * prints one line to stdout:
 *     work: UNITS units, START_NS END_NS ELAPSED_S CPU_S
 * START_NS and END_NS are CLOCK_REALTIME nanoseconds (comparable with `date +%s%N`) at the
 * start of main and after the last unit; ELAPSED_S is the difference in seconds, CPU_S
 * the process's own user + system CPU seconds (getrusage) at that point. The
 * amount of work is fixed, not time-based, so a profiler's overhead shows as a longer
 * ELAPSED_S. Build: cc -O2 -g -fno-omit-frame-pointer (bench/record.sh does). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static volatile unsigned long sink; /* keeps the results alive */

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One unit: about 1 ms of dependent integer arithmetic. The volatile local gives the
 * function a stack frame (GCC omits the frame pointer of leaf functions that need no
 * stack, even with -fno-omit-frame-pointer). */
__attribute__((noinline, noclone)) static unsigned long unit(unsigned long x)
{
	volatile unsigned long frame = x;
	for (unsigned i = 0; i < 280000u; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x = x * 0x9E3779B97F4A7C15ul + i;
		__asm__ volatile("" : "+r"(x));
	}
	return x + frame;
}

/* The call chain: descend() recurses `depth` times, then runs one unit. */
__attribute__((noinline, noclone)) static unsigned long descend(unsigned long x, int depth)
{
	unsigned long r = depth > 0 ? descend(x + (unsigned long)depth, depth - 1) : unit(x);
	__asm__ volatile("" : "+r"(r)); /* not a tail call: every level keeps its frame */
	return r;
}

int main(int argc, char **argv)
{
	long units = argc > 1 ? atol(argv[1]) : 3000;
	long long t0 = now_ns();
	unsigned long acc = 0;
	for (long i = 0; i < units; i++)
		acc += descend((unsigned long)i, 10);
	long long t1 = now_ns();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	sink = acc;
	printf("work: %ld units, %lld %lld %.4f %.4f\n", units, t0, t1, (double)(t1 - t0) / 1e9, cpu);
	return 0;
}
