/* demo.c: the program `make demo` profiles — the classic sample app with functions of
 * known, different costs: recursive Fibonacci next to a cached one, a prime search,
 * matrix multiplication, string processing, JSON-like serialization, and simulated I/O
 * waits. Build with frame pointers (-fno-omit-frame-pointer) for full stacks.
 * Usage: demo [SECONDS] (default 3). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink; /* keeps results alive */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static unsigned long fib_recursive(int n)
{
	return n < 2 ? (unsigned long)n : fib_recursive(n - 1) + fib_recursive(n - 2);
}

__attribute__((noinline)) static unsigned long fib_cached(int n)
{
	unsigned long memo[94] = {0, 1};
	for (int i = 2; i <= n && i < 94; i++)
		memo[i] = memo[i - 1] + memo[i - 2];
	return memo[n < 94 ? n : 93];
}

__attribute__((noinline)) static int is_prime(unsigned long n)
{
	if (n < 2)
		return 0;
	for (unsigned long d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

__attribute__((noinline)) static unsigned long find_primes(unsigned long from, unsigned long count)
{
	unsigned long found = 0, n = from;
	while (found < count)
		found += (unsigned long)is_prime(n++);
	return n;
}

#define N 96
__attribute__((noinline)) static double matrix_multiply(void)
{
	static double a[N][N], b[N][N], c[N][N];
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = i + j;
			b[i][j] = i - j;
		}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int k = 0; k < N; k++)
				s += a[i][k] * b[k][j];
			c[i][j] = s;
		}
	return c[N / 2][N / 3];
}

__attribute__((noinline)) static size_t process_strings(void)
{
	char text[4096];
	size_t words = 0;
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)((i % 7 == 0) ? ' ' : 'a' + (char)(i % 26));
	text[sizeof(text) - 1] = '\0';
	for (char *p = text; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (char *w = strtok(text, " "); w; w = strtok(NULL, " "))
		words += strlen(w) > 3;
	return words;
}

__attribute__((noinline)) static size_t serialize_record(char *out, size_t cap, int id)
{
	return (size_t)snprintf(out, cap,
				"{\"id\":%d,\"name\":\"user%d\",\"score\":%.3f,\"tags\":[\"a\",\"b\",\"c\"],"
				"\"active\":%s}",
				id, id, id * 1.5, id % 2 ? "true" : "false");
}

__attribute__((noinline)) static size_t serialize_json(void)
{
	char buf[256];
	size_t total = 0;
	for (int i = 0; i < 200; i++)
		total += serialize_record(buf, sizeof(buf), i);
	return total;
}

__attribute__((noinline)) static void simulated_io(void)
{
	struct timespec ts = {0, 2000000}; /* 2 ms: off-CPU, invisible to a CPU profile */
	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void handle_request(int i)
{
	sink += fib_recursive(24);
	sink += fib_cached(90);
	sink += find_primes(1000000 + (unsigned long)i, 40);
	sink += (unsigned long)matrix_multiply();
	sink += process_strings();
	sink += serialize_json();
	if (i % 10 == 0)
		simulated_io();
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	double end = now() + seconds;
	int requests = 0;
	while (now() < end)
		handle_request(requests++);
	printf("demo: handled %d requests in %.1f s\n", requests, seconds);
	return 0;
}
