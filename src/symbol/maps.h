/* maps.h: what the profiled processes look like over time: each process's memory
 * mappings (read from /proc/PID/maps when recording starts, then kept up to date from the
 * kernel's MMAP2/COMM/FORK/EXIT records) and each thread's name. Processes that have
 * exited are kept, so their samples still resolve. Lookups are binary searches over a
 * sorted array of mappings. */
#ifndef FK_MAPS_H
#define FK_MAPS_H

#include "../util/common.h"

typedef struct fk_mapping {
	uint64_t start, end; /* [start, end) in the process */
	uint64_t pgoff;      /* file offset mapped at start */
	uint32_t prot;       /* PROT_READ | PROT_WRITE | PROT_EXEC */
	uint32_t maj, min;   /* device of the file (0 when unknown) */
	uint64_t ino;        /* inode of the file (0 when unknown) */
	const char *path;    /* as the kernel names it: "/usr/lib/x.so", "[vdso]", "[heap]",
			      * "//anon", "" for anonymous memory; stored by fk_processes,
			      * valid while it lives */
} fk_mapping;

typedef struct fk_processes fk_processes;

fk_processes *fk_processes_new(void);
void fk_processes_free(fk_processes *ps);

/* Reads the mappings (/proc/PID/maps) and the thread names (/proc/PID/task/TID/comm) of a
 * running process. Returns 0, or -1 with err set (no such process, no permission). */
int fk_processes_read_proc(fk_processes *ps, int pid, fk_error *err);

/* A new mapping (m->path is copied): replaces whatever part of older mappings it
 * overlaps, as mmap(2) does. */
void fk_processes_mmap(fk_processes *ps, int pid, const fk_mapping *m);
/* A thread's name changed; exec: the process exec'd a new program (its old mappings are
 * dropped). */
void fk_processes_comm(fk_processes *ps, int pid, int tid, const char *comm, bool exec);
/* A new thread (pid == ppid) or a new process (a copy of the parent's mappings and the
 * parent thread's name). */
void fk_processes_fork(fk_processes *ps, int ppid, int ptid, int pid, int tid);
/* A thread or (tid == pid) a process exited. Its data stays for later lookups. */
void fk_processes_exit(fk_processes *ps, int pid, int tid);

/* The mapping containing addr in process pid, or NULL. Valid until the next change to
 * that process. */
const fk_mapping *fk_processes_find(const fk_processes *ps, int pid, uint64_t addr);
/* All mappings of pid, sorted by start; *count receives their number (0 if unknown). */
const fk_mapping *fk_processes_mappings(const fk_processes *ps, int pid, size_t *count);
/* Changes whenever pid's mappings change (for caches built from them). */
uint64_t fk_processes_maps_version(const fk_processes *ps, int pid);
/* The name of thread tid of pid (else the process's name), or NULL if unknown. */
const char *fk_processes_comm_of(const fk_processes *ps, int pid, int tid);
/* True if anything is known of pid. */
bool fk_processes_known(const fk_processes *ps, int pid);

#endif
