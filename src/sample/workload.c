/* workload.c: forking, holding and starting the profiled command (see workload.h). */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int fk_workload_prepare(fk_workload *w, char *const argv[], fk_error *err)
{
	int go[2], status[2];
	if (pipe(go) != 0)
		return fk_error_set(err, "pipe: %s", strerror(errno));
	if (pipe(status) != 0) {
		close(go[0]);
		close(go[1]);
		return fk_error_set(err, "pipe: %s", strerror(errno));
	}
	fcntl(go[1], F_SETFD, FD_CLOEXEC);
	fcntl(status[0], F_SETFD, FD_CLOEXEC);
	fcntl(status[1], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		close(status[0]);
		close(status[1]);
		return fk_error_set(err, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(go[1]);
		close(status[0]);
		char byte;
		ssize_t n;
		do
			n = read(go[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127); /* the parent gave up */
		close(go[0]);
		execvp(argv[0], argv);
		int e = errno;
		ssize_t wr = write(status[1], &e, sizeof(e));
		(void)wr;
		_exit(127);
	}
	close(go[0]);
	close(status[1]);
	w->pid = pid;
	w->go_fd = go[1];
	w->status_fd = status[0];
	return 0;
}

int fk_workload_start(fk_workload *w, const char *name, fk_error *err)
{
	char byte = 1;
	ssize_t n = write(w->go_fd, &byte, 1);
	close(w->go_fd);
	w->go_fd = -1;
	int e = 0;
	ssize_t got;
	do
		got = read(w->status_fd, &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	close(w->status_fd);
	w->status_fd = -1;
	if (n == 1 && got == 0)
		return 0; /* exec closed the pipe */
	int status;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof(e))
		return fk_error_set(err, "cannot run '%s': %s", name, strerror(e));
	return fk_error_set(err, "cannot run '%s': the child process failed to start", name);
}

void fk_workload_abort(fk_workload *w)
{
	if (w->go_fd >= 0)
		close(w->go_fd); /* the child sees EOF and exits */
	if (w->status_fd >= 0)
		close(w->status_fd);
	w->go_fd = w->status_fd = -1;
	int status;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
}

int fk_wait_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
