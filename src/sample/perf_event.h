/* perf_event.h: the kernel side of sampling. Names events (-e), opens perf_event_open
 * sampling events for a target (a process tree, threads, CPUs, a cgroup), maps one ring
 * buffer per CPU, and hands back the records the kernel writes (samples, mmaps, comms,
 * forks, exits, lost counts), decoded. Errors say which sysctl, capability or missing
 * hardware is behind them. */
#ifndef FK_PERF_EVENT_H
#define FK_PERF_EVENT_H

#include "../util/common.h"

typedef struct fk_event_spec {
	char name[128];   /* as the user gave it: "cpu-clock", "sched:sched_switch" */
	uint32_t type;    /* PERF_TYPE_* */
	uint64_t config;
	bool time_based;  /* cpu-clock/task-clock: sampled by frequency (-F) */
} fk_event_spec;

/* Parses an event name: software events (cpu-clock, task-clock, page-faults/faults,
 * minor-faults, major-faults, context-switches/cs, cpu-migrations/migrations,
 * alignment-faults, emulation-faults), hardware events (cycles, instructions,
 * cache-references, cache-misses, branches, branch-misses, bus-cycles, ref-cycles) and
 * tracepoints SUBSYS:NAME (id from tracefs, mounted if needed). Returns 0 or -1. */
int fk_event_parse(const char *name, fk_event_spec *out, fk_error *err);

typedef enum {
	FK_CALLGRAPH_FP,    /* kernel + user callchains walked by the kernel */
	FK_CALLGRAPH_DWARF, /* kernel callchain + a copy of the user stack and registers */
	FK_CALLGRAPH_LBR,   /* branch stack (last-branch records) */
	FK_CALLGRAPH_NONE,  /* just the sampled address */
} fk_callgraph;

typedef enum {
	FK_TARGET_TASKS,  /* the threads in tids (inherit: their future threads and children) */
	FK_TARGET_SYSTEM, /* every task on the CPUs */
	FK_TARGET_CGROUP, /* the tasks of a cgroup v2 directory */
} fk_target_kind;

typedef struct fk_sampler_config {
	fk_event_spec event;
	uint64_t frequency;    /* samples per second for time-based events (-F) */
	uint64_t period;       /* events per sample for other events (0: 1) */
	fk_callgraph callgraph;
	uint32_t stack_bytes;  /* dwarf: user stack bytes copied per sample */
	uint64_t regs_mask;    /* dwarf: user registers copied per sample */
	bool exclude_kernel;   /* no kernel samples or kernel frames */
	const int *cpus;       /* the CPUs to sample on */
	size_t ncpus;
	fk_target_kind target;
	const int *tids;       /* FK_TARGET_TASKS */
	size_t ntids;
	const char *cgroup;    /* FK_TARGET_CGROUP: the directory */
	bool enable_on_exec;   /* start counting when the (single) task execs */
	size_t buffer_pages;   /* per CPU ring buffer, a power of two */
	bool context_switch;   /* also PERF_RECORD_SWITCH records (switch in and out) */
	bool wake_each_sample; /* wake the reader for every sample, not a quarter buffer
				* (record --python --native reads each sample's Python stack
				* as soon as the sample is there) */
	/* A second event written to the same buffers (--wall: sched:sched_switch next to
	 * cpu-clock), sampled on every occurrence (or every second_period), without
	 * tracking records of its own; its records have event == 1. */
	bool with_second;
	fk_event_spec second;
	uint64_t second_period;
	bool second_context_switch;
} fk_sampler_config;

typedef struct fk_sampler fk_sampler;

/* Opens the events (disabled unless enable_on_exec). On failure returns -1 with err
 * naming the reason; *eperm_kernel is set when the failure was a permission error that
 * excluding the kernel might avoid (may be NULL). */
int fk_sampler_open(const fk_sampler_config *config, fk_sampler **out, bool *eperm_kernel,
		    fk_error *err);
void fk_sampler_free(fk_sampler *s);
int fk_sampler_enable(fk_sampler *s, fk_error *err);
void fk_sampler_disable(fk_sampler *s);

/* Waits up to timeout_ms for data (or a hang-up). Returns the number of ring buffers
 * whose tasks are all gone (POLLHUP) when every buffer has hung up, so callers can stop;
 * 0 otherwise; -1 on EINTR. */
int fk_sampler_wait(fk_sampler *s, int timeout_ms);

/* Decoded records. Pointers point into the ring buffer (or a copy of a record that wrapped)
 * and are valid only during the callback. */
enum {
	FK_REC_SAMPLE = 1,
	FK_REC_MMAP,
	FK_REC_COMM,
	FK_REC_FORK,
	FK_REC_EXIT,
	FK_REC_LOST,
	FK_REC_THROTTLE,
	FK_REC_SWITCH, /* the task pid/tid was switched in (or out: switch_out) at time */
};

typedef struct fk_record {
	int type;          /* FK_REC_* */
	uint64_t time;     /* perf clock, ns */
	int pid, tid, cpu;
	/* FK_REC_SAMPLE */
	uint64_t ip, period;
	bool kernel_mode;  /* sampled in the kernel */
	const uint64_t *callchain; /* with the kernel's PERF_CONTEXT_* markers */
	uint64_t callchain_len;
	uint64_t regs_abi; /* 0: no user registers (a kernel thread) */
	const uint64_t *regs;
	uint64_t regs_mask;
	const uint8_t *stack; /* user stack copy, from the sampled SP */
	uint64_t stack_size;  /* bytes valid */
	const uint8_t *raw;   /* tracepoint data (PERF_SAMPLE_RAW) */
	uint32_t raw_size;
	uint64_t id;          /* the kernel's id of the event that wrote it */
	int event;            /* 0: the sampler's event, 1: its second event */
	/* FK_REC_MMAP (MMAP2) */
	uint64_t addr, len, pgoff;
	uint32_t prot, maj, min;
	uint64_t ino;
	const char *filename;
	/* FK_REC_COMM */
	const char *comm;
	bool exec;
	/* FK_REC_FORK / FK_REC_EXIT */
	int ppid, ptid;
	/* FK_REC_LOST */
	uint64_t lost;
	/* FK_REC_SWITCH */
	bool switch_out;
} fk_record;

/* Called for every record: decoded, and as the raw bytes (to keep for later decoding with
 * fk_sampler_decode, e.g. to put records of several CPUs in time order first). */
typedef void (*fk_record_fn)(const fk_record *r, const void *raw, size_t size, void *ctx);

/* Reads and decodes every record now in the ring buffers, calling fn for each (one buffer
 * after the other; records of different CPUs are not in time order). Records the sampler
 * does not use or cannot decode are skipped. Returns the number of records passed. */
size_t fk_sampler_read(fk_sampler *s, fk_record_fn fn, void *ctx);

/* Decodes the raw bytes of a record read by this sampler. Returns false if unused or
 * malformed. */
bool fk_sampler_decode(const fk_sampler *s, const void *raw, size_t size, fk_record *r);

/* ---- decoding records of any sampler (a live one, or perf.data's attributes) ---- */

/* What the kernel was asked to put in one event's records (its perf_event_attr). */
typedef struct fk_decoder_event {
	uint64_t sample_type;        /* PERF_SAMPLE_* */
	uint64_t read_format;        /* PERF_FORMAT_* (PERF_SAMPLE_READ) */
	uint64_t regs_user;          /* sample_regs_user: the registers copied */
	uint64_t branch_sample_type; /* PERF_SAMPLE_BRANCH_* (HW_INDEX adds a word) */
	bool sample_id_all;          /* non-sample records end with the sample_id fields */
} fk_decoder_event;

/* Decodes records written by one or more events into the same stream: a record's event
 * is found from its id (PERF_SAMPLE_IDENTIFIER, else PERF_SAMPLE_ID at the place the
 * first event's sample_type puts it); ids not listed belong to event 0. */
typedef struct fk_record_decoder {
	const fk_decoder_event *events;
	size_t nevents;
	const uint64_t *ids;      /* sorted */
	const uint32_t *id_event; /* the event of ids[i] */
	size_t nids;
} fk_record_decoder;

/* Decodes one record (header included) of size bytes. Returns false for record types
 * that are not decoded (r->type is then 0) and for malformed records (every length is
 * checked against size; r->type is set). Pointers in r point into raw. */
bool fk_record_decode(const fk_record_decoder *d, const void *raw, size_t size, fk_record *r);

/* The decoder a sampler's records need. */
const fk_record_decoder *fk_sampler_decoder(const fk_sampler *s);

/* CPUs online (from /sys/devices/system/cpu/online). Returns the count written. */
size_t fk_online_cpus(int *cpus, size_t max);
/* Parses a CPU list "0,2-3". Returns the count, or -1 with err. */
int fk_parse_cpu_list(const char *text, int *cpus, size_t max, fk_error *err);
/* kernel.perf_event_paranoid, or 2 if unreadable. */
int fk_perf_paranoid(void);

#endif
