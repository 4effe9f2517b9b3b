/* pythreads.c: thread states and the thread stopper of pythreads.h. */
#define _GNU_SOURCE
#include "pythreads.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* The state letter after "pid (comm) ", whatever comm holds. */
static fk_thread_state parse_stat(const char *buf, ssize_t n)
{
	if (n <= 0)
		return FK_THREAD_UNKNOWN;
	const char *paren = NULL;
	for (ssize_t i = n - 1; i >= 0; i--)
		if (buf[i] == ')') {
			paren = buf + i;
			break;
		}
	if (!paren || paren + 2 >= buf + n)
		return FK_THREAD_UNKNOWN;
	return paren[2] == 'R' ? FK_THREAD_RUNNING : FK_THREAD_IDLE;
}

static int open_stat(int pid, int tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

fk_thread_state fk_thread_state_read(int pid, int tid)
{
	int fd = open_stat(pid, tid);
	if (fd < 0)
		return FK_THREAD_UNKNOWN;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return parse_stat(buf, n);
}

void fk_thread_states_init(fk_thread_states *s)
{
	memset(s, 0, sizeof(*s));
}

void fk_thread_states_free(fk_thread_states *s)
{
	for (size_t i = 0; s->fds.mask && i <= s->fds.mask; i++)
		if (s->fds.values[i])
			close((int)(intptr_t)s->fds.values[i] - 1);
	fk_u64map_free(&s->fds);
}

void fk_thread_states_forget(fk_thread_states *s, int tid)
{
	void *v = fk_u64map_get(&s->fds, (uint64_t)(uint32_t)tid);
	if (v) {
		close((int)(intptr_t)v - 1);
		fk_u64map_put(&s->fds, (uint64_t)(uint32_t)tid, NULL);
	}
}

fk_thread_state fk_thread_states_get(fk_thread_states *s, int pid, int tid)
{
	void *v = fk_u64map_get(&s->fds, (uint64_t)(uint32_t)tid);
	int fd;
	if (v) {
		fd = (int)(intptr_t)v - 1;
	} else {
		fd = open_stat(pid, tid);
		if (fd < 0)
			return FK_THREAD_UNKNOWN;
		fk_u64map_put(&s->fds, (uint64_t)(uint32_t)tid, (void *)(intptr_t)(fd + 1));
	}
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	if (n <= 0) {
		fk_thread_states_forget(s, tid); /* the thread is gone */
		return FK_THREAD_UNKNOWN;
	}
	return parse_stat(buf, n);
}

void fk_thread_stopper_init(fk_thread_stopper *s)
{
	memset(s, 0, sizeof(*s));
}

void fk_thread_stopper_free(fk_thread_stopper *s)
{
	fk_thread_stopper_resume(s);
	free(s->threads);
	s->threads = NULL;
	s->cap = 0;
}

/* Waits for tid's stop; false if it exited instead. An exit is only looked at, not
 * collected (WNOWAIT): the thread may be the main thread of flamekit's own child, whose
 * exit status the command loop waits for. */
static bool wait_stopped(int tid, int *signal)
{
	*signal = 0;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
			return false;
		int st;
		pid_t w = waitpid(tid, &st, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return false;
		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);
			/* PTRACE_EVENT_STOP: our interrupt (or a group stop); anything else is a
			 * signal on its way to the thread: give it back at detach */
			if ((st >> 16) != PTRACE_EVENT_STOP && sig != SIGTRAP)
				*signal = sig;
			return true;
		}
	}
}

int fk_thread_stopper_stop(fk_thread_stopper *s, int pid, fk_error *err)
{
	int *tids = NULL;
	size_t ntids = 0, cap = 0;
	if (fk_proc_task_ids(pid, &tids, &ntids, &cap) < 0)
		return fk_error_set(err, "no such process: %d", pid);
	int rc = 0;
	for (size_t i = 0; i < ntids; i++) {
		long tid = tids[i];
		if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) < 0) {
			if (errno == ESRCH)
				continue; /* exited */
			rc = fk_error_set(err, "cannot stop thread %ld of process %d: %s%s", tid, pid,
					  strerror(errno),
					  errno == EPERM ? " (another debugger attached, or ptrace not "
							   "allowed: kernel.yama.ptrace_scope, CAP_SYS_PTRACE)"
							 : "");
			break;
		}
		int sig;
		if (ptrace(PTRACE_INTERRUPT, (pid_t)tid, NULL, NULL) < 0 || !wait_stopped((int)tid, &sig)) {
			ptrace(PTRACE_DETACH, (pid_t)tid, NULL, NULL);
			continue;
		}
		fk_grow((void **)&s->threads, sizeof(*s->threads), &s->cap, s->n + 1);
		s->threads[s->n++] = (struct fk_stopped_thread){(int)tid, sig};
	}
	free(tids);
	if (rc < 0)
		fk_thread_stopper_resume(s);
	return rc;
}

void fk_thread_stopper_resume(fk_thread_stopper *s)
{
	for (size_t i = 0; i < s->n; i++)
		ptrace(PTRACE_DETACH, (pid_t)s->threads[i].tid, NULL,
		       (void *)(intptr_t)s->threads[i].signal);
	s->n = 0;
}
