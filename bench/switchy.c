/* switchy.c: a context-switch-heavy program for bench/offcpu.sh: two processes bounce a
 * byte over a pair of pipes N times (default 100,000 round trips: 400,000 context
 * switches), then it prints its own elapsed time in seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int ping[2], pong[2];
	if (pipe(ping) || pipe(pong))
		return 1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t child = fork();
	if (child == 0) {
		close(ping[1]);
		close(pong[0]);
		char c;
		while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	char c = 'x';
	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	close(ping[1]);
	waitpid(child, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.4f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
