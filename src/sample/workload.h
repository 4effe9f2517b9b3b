/* workload.h: the command `flamekit record -- CMD` profiles. It is forked first and held
 * until its events are open (they start counting at its exec), then released; an exec
 * that fails is reported to the parent with its errno, as perf does. */
#ifndef FK_WORKLOAD_H
#define FK_WORKLOAD_H

#include "../util/common.h"

typedef struct fk_workload {
	int pid;
	int go_fd;     /* parent's end: a byte lets the child exec */
	int status_fd; /* parent's end: the child's exec errno, or EOF once exec'd */
} fk_workload;

/* Forks the child, which waits. Returns 0 or -1 with err. */
int fk_workload_prepare(fk_workload *w, char *const argv[], fk_error *err);
/* Lets the child exec argv. Returns 0 once it runs the program, or -1 with err ("cannot
 * run 'CMD': No such file or directory"); the child has then exited and been reaped. */
int fk_workload_start(fk_workload *w, const char *name, fk_error *err);
/* Kills and reaps a child that was prepared but not started. */
void fk_workload_abort(fk_workload *w);
/* An exit status as a shell reports it: the code, or 128 + the signal. */
int fk_wait_status_code(int status);

#endif
