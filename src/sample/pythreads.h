/* pythreads.h: what a Python sampler needs to know about a process's threads besides
 * their Python stacks: whether each is running (the state letter of
 * /proc/PID/task/TID/stat, read through descriptors kept open), and, for --blocking,
 * stopping every thread for the moment the stacks are read (ptrace seize + interrupt,
 * then detach, which gives back any signal that arrived meanwhile). */
#ifndef FK_PYTHREADS_H
#define FK_PYTHREADS_H

#include "../symbol/sym_util.h"
#include "../util/common.h"

typedef enum { FK_THREAD_UNKNOWN, FK_THREAD_RUNNING, FK_THREAD_IDLE } fk_thread_state;

/* One read of /proc/PID/task/TID/stat: R is running (or runnable), anything else idle. */
fk_thread_state fk_thread_state_read(int pid, int tid);

/* The same, with each thread's stat file kept open between calls. */
typedef struct fk_thread_states {
	fk_u64map fds; /* tid -> (void *)(intptr_t)(fd + 1) */
} fk_thread_states;

void fk_thread_states_init(fk_thread_states *s);
void fk_thread_states_free(fk_thread_states *s);
fk_thread_state fk_thread_states_get(fk_thread_states *s, int pid, int tid);
/* Closes the descriptors of threads that have gone. */
void fk_thread_states_forget(fk_thread_states *s, int tid);

typedef struct fk_thread_stopper {
	struct fk_stopped_thread {
		int tid, signal; /* a signal to give back at detach */
	} *threads;
	size_t n, cap;
} fk_thread_stopper;

void fk_thread_stopper_init(fk_thread_stopper *s);
void fk_thread_stopper_free(fk_thread_stopper *s);
/* Stops every thread of pid (threads that exit meanwhile are skipped). Returns 0, or -1
 * with err (no permission: another tracer, ptrace_scope); nothing stays stopped then. */
int fk_thread_stopper_stop(fk_thread_stopper *s, int pid, fk_error *err);
/* Lets them all run again. */
void fk_thread_stopper_resume(fk_thread_stopper *s);

#endif
