/* perf_event.c: perf_event_open sampling events and their ring buffers (see
 * perf_event.h). One ring buffer is mapped per CPU; every other event on that CPU writes
 * into it (PERF_EVENT_IOC_SET_OUTPUT). Wake-ups are batched with a watermark of a quarter
 * of the buffer, so the reader wakes a few times a second, not once per sample. */
#define _GNU_SOURCE
#include "perf_event.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
	int fd;             /* the event whose buffer this is */
	void *base;         /* header page + data pages */
	size_t data_size;   /* bytes of data (a power of two) */
	bool hung_up;
};

struct fk_sampler {
	fk_sampler_config config;
	int *fds; /* every event */
	size_t nfds, fds_cap;
	struct ring *rings; /* one per CPU */
	size_t nrings;
	struct pollfd *pollfds;
	uint64_t sample_type;
	size_t page_size;
	uint8_t *scratch; /* a record that wraps around the buffer's end, copied */
	size_t scratch_cap;
	int cgroup_fd;
	uint64_t *second_ids; /* the kernel's ids of the second event's fds, sorted */
	size_t nsecond_ids, second_ids_cap;
	uint32_t *second_events; /* 1 for each of second_ids */
	fk_decoder_event events[2];
	fk_record_decoder decoder;
};

/* ---- events by name ---- */

static const struct named_event {
	const char *name;
	uint32_t type;
	uint64_t config;
} named_events[] = {
	{"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
	{"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
	{"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
	{"faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
	{"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
	{"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
	{"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
	{"cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
	{"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
	{"migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
	{"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS},
	{"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS},
	{"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
	{"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
	{"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
	{"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
	{"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
	{"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
	{"branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
	{"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
	{"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
	{"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
};

static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

/* Reads a tracepoint's id from tracefs; mounts tracefs once if it is not there. */
static int tracepoint_id(const char *subsys, const char *name, uint64_t *id, fk_error *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		bool any_tracefs = false;
		for (size_t i = 0; i < FK_ARRAY_LEN(tracefs_dirs); i++) {
			char path[512];
			snprintf(path, sizeof(path), "%s/events", tracefs_dirs[i]);
			struct stat st;
			if (stat(path, &st) != 0)
				continue;
			any_tracefs = true;
			snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs_dirs[i], subsys, name);
			FILE *f = fopen(path, "r");
			if (!f)
				continue;
			unsigned long long v;
			int n = fscanf(f, "%llu", &v);
			fclose(f);
			if (n == 1) {
				*id = v;
				return 0;
			}
		}
		if (any_tracefs || attempt > 0)
			break;
		/* tracefs is often not mounted in containers and VMs */
		if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
			return fk_error_set(err,
					    "tracepoint %s:%s: tracefs is not mounted and mounting it failed (%s); "
					    "run: mount -t tracefs nodev /sys/kernel/tracing",
					    subsys, name, strerror(errno));
	}
	return fk_error_set(err, "unknown tracepoint '%s:%s' (not in /sys/kernel/tracing/events; "
				 "`perf list tracepoint` lists them)",
			    subsys, name);
}

int fk_event_parse(const char *name, fk_event_spec *out, fk_error *err)
{
	memset(out, 0, sizeof(*out));
	if (strlen(name) >= sizeof(out->name))
		return fk_error_set(err, "event name too long: '%.40s...'", name);
	snprintf(out->name, sizeof(out->name), "%s", name);
	for (size_t i = 0; i < FK_ARRAY_LEN(named_events); i++) {
		if (strcmp(name, named_events[i].name) == 0) {
			out->type = named_events[i].type;
			out->config = named_events[i].config;
			out->time_based = out->type == PERF_TYPE_SOFTWARE &&
					  (out->config == PERF_COUNT_SW_CPU_CLOCK ||
					   out->config == PERF_COUNT_SW_TASK_CLOCK);
			return 0;
		}
	}
	const char *colon = strchr(name, ':');
	if (colon && colon > name && colon[1] && !strchr(colon + 1, ':') && !strchr(name, '/')) {
		char subsys[64];
		size_t n = (size_t)(colon - name);
		if (n >= sizeof(subsys))
			return fk_error_set(err, "unknown event '%s'", name);
		memcpy(subsys, name, n);
		subsys[n] = '\0';
		uint64_t id = 0;
		if (tracepoint_id(subsys, colon + 1, &id, err) < 0)
			return -1;
		out->type = PERF_TYPE_TRACEPOINT;
		out->config = id;
		return 0;
	}
	return fk_error_set(err,
			    "unknown event '%s' (software: cpu-clock, task-clock, page-faults, "
			    "minor-faults, major-faults, context-switches, cpu-migrations; hardware: "
			    "cycles, instructions, cache-misses, branch-misses...; tracepoints: "
			    "SUBSYS:NAME)",
			    name);
}

/* ---- system facts ---- */

static int read_int_file(const char *path, int fallback)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return fallback;
	int v;
	if (fscanf(f, "%d", &v) != 1)
		v = fallback;
	fclose(f);
	return v;
}

int fk_perf_paranoid(void)
{
	return read_int_file("/proc/sys/kernel/perf_event_paranoid", 2);
}

int fk_parse_cpu_list(const char *text, int *cpus, size_t max, fk_error *err)
{
	size_t n = 0;
	const char *p = text;
	if (!*p)
		return fk_error_set(err, "empty CPU list");
	while (*p) {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10);
		if (end == p || errno || a < 0 || a > 65535)
			return fk_error_set(err, "bad CPU list '%s' (want e.g. 0,2-3)", text);
		long b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p || errno || b < a || b > 65535)
				return fk_error_set(err, "bad CPU list '%s' (want e.g. 0,2-3)", text);
			p = end;
		}
		for (long c = a; c <= b; c++) {
			bool seen = false;
			for (size_t i = 0; i < n; i++)
				seen |= cpus[i] == (int)c;
			if (seen)
				continue;
			if (n == max)
				return fk_error_set(err, "too many CPUs in '%s'", text);
			cpus[n++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return fk_error_set(err, "bad CPU list '%s' (want e.g. 0,2-3)", text);
		else if (*p == '\n')
			break;
	}
	return (int)n;
}

size_t fk_online_cpus(int *cpus, size_t max)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		fk_error err;
		int count = fk_parse_cpu_list(buf, cpus, max, &err);
		if (count > 0)
			return (size_t)count;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	size_t count = n > 0 ? (size_t)n : 1;
	if (count > max)
		count = max;
	for (size_t i = 0; i < count; i++)
		cpus[i] = (int)i;
	return count;
}

/* ---- opening ---- */

static int sys_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group,
			       unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

/* The attributes of the sampler's event (second: of its second event). Both have the
 * same sample_type, so records in one buffer decode alike. */
static void fill_attr(const fk_sampler_config *c, bool second, struct perf_event_attr *attr,
		      uint64_t *type)
{
	const fk_event_spec *e = second ? &c->second : &c->event;
	uint64_t period = second ? c->second_period : c->period;
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = e->type;
	attr->config = e->config;
	if (e->time_based) {
		attr->freq = 1;
		attr->sample_freq = c->frequency;
	} else {
		attr->sample_period = period ? period : 1;
	}
	uint64_t st = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
		      PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
	if (c->callgraph != FK_CALLGRAPH_NONE)
		st |= PERF_SAMPLE_CALLCHAIN;
	if (c->callgraph == FK_CALLGRAPH_DWARF) {
		st |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		attr->sample_regs_user = c->regs_mask;
		attr->sample_stack_user = c->stack_bytes;
		attr->exclude_callchain_user = 1;
	}
	if (c->callgraph == FK_CALLGRAPH_LBR) {
		st |= PERF_SAMPLE_BRANCH_STACK;
		attr->branch_sample_type = PERF_SAMPLE_BRANCH_USER | PERF_SAMPLE_BRANCH_CALL_STACK;
	}
	attr->sample_type = st;
	*type = st;
	attr->disabled = 1;
	attr->enable_on_exec = c->enable_on_exec;
	attr->inherit = c->target == FK_TARGET_TASKS;
	attr->exclude_kernel = c->exclude_kernel;
	attr->exclude_callchain_kernel = c->exclude_kernel;
	attr->exclude_hv = 1;
	/* the first event reports mmaps, comms, forks and exits for both */
	attr->mmap = !second;
	attr->mmap2 = !second;
	attr->comm = !second;
	attr->comm_exec = !second;
	attr->task = !second;
	attr->sample_id_all = 1;
	attr->watermark = 1;
	attr->context_switch = second ? c->second_context_switch : c->context_switch;
}

static const char *event_kind(const fk_event_spec *e)
{
	switch (e->type) {
	case PERF_TYPE_HARDWARE:
		return "hardware";
	case PERF_TYPE_TRACEPOINT:
		return "tracepoint";
	default:
		return "software";
	}
}

/* Explains a failed perf_event_open. */
static int open_error(const fk_sampler_config *c, const fk_event_spec *ev, int e, int pid, int cpu,
		      bool *eperm_kernel, fk_error *err)
{
	int paranoid = fk_perf_paranoid();
	if (c->callgraph == FK_CALLGRAPH_LBR && (e == EOPNOTSUPP || e == ENOENT || e == EINVAL))
		return fk_error_set(err,
				    "--call-graph lbr needs the CPU's last branch records (LBR call "
				    "stacks, Intel hardware PMU); this machine has none (hardware "
				    "counters are not available, as in most VMs): use --call-graph fp "
				    "or dwarf");
	if (ev->type == PERF_TYPE_HARDWARE && (e == ENOENT || e == EOPNOTSUPP || e == ENODEV))
		return fk_error_set(err,
				    "event '%s': this machine has no hardware performance counters "
				    "(usual in a VM: the hypervisor does not expose a PMU); use a "
				    "software event such as -e cpu-clock (the default)",
				    ev->name);
	if (e == ESRCH)
		return fk_error_set(err, "no such process: %d", pid);
	if (c->target == FK_TARGET_CGROUP && e == EBADF)
		return fk_error_set(err,
				    "'%s' is not a cgroup the perf_event controller knows: give a cgroup "
				    "v2 directory (e.g. /sys/fs/cgroup/system.slice/NAME.service, or under "
				    "/sys/fs/cgroup/unified on hybrid systems) or a v1 perf_event one",
				    c->cgroup);
	if (e == EACCES || e == EPERM) {
		if (eperm_kernel && !c->exclude_kernel)
			*eperm_kernel = true;
		if (c->target == FK_TARGET_TASKS)
			return fk_error_set(err,
					    "not allowed to profile process %d: kernel.perf_event_paranoid "
					    "is %d; profiling another user's process needs CAP_PERFMON "
					    "(or root) and ptrace permission (CAP_SYS_PTRACE, "
					    "kernel.yama.ptrace_scope); or lower it: sysctl "
					    "kernel.perf_event_paranoid=1",
					    pid, paranoid);
		return fk_error_set(err,
				    "not allowed to profile %s: kernel.perf_event_paranoid is %d (CPU-wide "
				    "profiling needs <= 0, or CAP_PERFMON / root); run as root, grant "
				    "CAP_PERFMON, or: sysctl kernel.perf_event_paranoid=0",
				    c->target == FK_TARGET_SYSTEM ? "the whole system" : "a cgroup",
				    paranoid);
	}
	if (e == EMFILE)
		return fk_error_set(err, "too many open files opening perf events (raise ulimit -n)");
	if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV)
		return fk_error_set(err, "%s event '%s' is not supported here: %s", event_kind(ev),
				    ev->name, strerror(e));
	if (e == EINVAL && cpu >= 0)
		return fk_error_set(err, "perf_event_open for %s event '%s' on CPU %d: %s (is CPU %d online?)",
				    event_kind(ev), ev->name, cpu, strerror(e), cpu);
	return fk_error_set(err, "perf_event_open for %s event '%s': %s", event_kind(ev), ev->name,
			    strerror(e));
}

static void add_fd(fk_sampler *s, int fd)
{
	fk_grow((void **)&s->fds, sizeof(int), &s->fds_cap, s->nfds + 1);
	s->fds[s->nfds++] = fd;
}

/* The first event on a CPU gets the ring buffer; the others write into it. */
static int attach_to_ring(fk_sampler *s, size_t ring, int fd, fk_error *err)
{
	struct ring *r = &s->rings[ring];
	if (r->fd < 0) {
		size_t pages = s->config.buffer_pages;
		size_t len = (pages + 1) * s->page_size;
		void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (base == MAP_FAILED) {
			int e = errno;
			if (e == EPERM)
				return fk_error_set(err,
						    "cannot map the perf ring buffer (%zu KiB): over "
						    "kernel.perf_event_mlock_kb; raise it or run as root",
						    pages * s->page_size / 1024);
			return fk_error_set(err, "cannot map the perf ring buffer: %s", strerror(e));
		}
		r->fd = fd;
		r->base = base;
		r->data_size = pages * s->page_size;
		return 0;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) != 0)
		return fk_error_set(err, "cannot share the perf ring buffer: %s", strerror(errno));
	return 0;
}

int fk_sampler_open(const fk_sampler_config *config, fk_sampler **out, bool *eperm_kernel,
		    fk_error *err)
{
	fk_sampler *s = fk_xcalloc(1, sizeof(*s));
	s->config = *config;
	s->cgroup_fd = -1;
	s->page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (s->config.buffer_pages == 0 || (s->config.buffer_pages & (s->config.buffer_pages - 1)))
		s->config.buffer_pages = 128;
	s->nrings = config->ncpus;
	s->rings = fk_xcalloc(s->nrings, sizeof(*s->rings));
	for (size_t i = 0; i < s->nrings; i++)
		s->rings[i].fd = -1;
	if (eperm_kernel)
		*eperm_kernel = false;

	struct perf_event_attr attrs[2];
	uint64_t second_type;
	fill_attr(&s->config, false, &attrs[0], &s->sample_type);
	fill_attr(&s->config, true, &attrs[1], &second_type);
	for (int i = 0; i < 2; i++) {
		if (config->wake_each_sample) {
			attrs[i].watermark = 0;
			attrs[i].wakeup_events = 1;
		} else {
			attrs[i].wakeup_watermark = (uint32_t)(s->config.buffer_pages * s->page_size / 4);
		}
	}
	const fk_event_spec *specs[2] = {&config->event, &config->second};
	int nevents = config->with_second ? 2 : 1;

	unsigned long flags = PERF_FLAG_FD_CLOEXEC;
	if (config->target == FK_TARGET_CGROUP) {
		s->cgroup_fd = open(config->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->cgroup_fd < 0) {
			fk_error_set(err, "cgroup '%s': %s (want a cgroup v2 directory such as "
					  "/sys/fs/cgroup/system.slice/NAME.service)",
				     config->cgroup, strerror(errno));
			goto fail;
		}
		flags |= PERF_FLAG_PID_CGROUP;
	}

	for (size_t ci = 0; ci < config->ncpus; ci++) {
		int cpu = config->cpus[ci];
		size_t ntargets = config->target == FK_TARGET_TASKS ? config->ntids : 1;
		size_t opened = 0;
		int last_errno = 0, last_pid = 0, last_event = 0;
		for (size_t t = 0; t < ntargets; t++) {
			int pid = config->target == FK_TARGET_TASKS  ? config->tids[t]
				  : config->target == FK_TARGET_CGROUP ? s->cgroup_fd
								       : -1;
			for (int e = 0; e < nevents; e++) {
				int fd = sys_perf_event_open(&attrs[e], pid, cpu, -1, flags);
				if (fd < 0) {
					last_errno = errno;
					last_pid = pid;
					last_event = e;
					/* a thread that exited meanwhile is not an error */
					if (last_errno == ESRCH && ntargets > 1)
						break;
					open_error(config, specs[e], last_errno, pid, cpu, eperm_kernel, err);
					goto fail;
				}
				add_fd(s, fd);
				if (e == 1) {
					uint64_t id;
					if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
						fk_error_set(err, "cannot read a perf event's id: %s",
							     strerror(errno));
						goto fail;
					}
					fk_grow((void **)&s->second_ids, sizeof(uint64_t), &s->second_ids_cap,
						s->nsecond_ids + 1);
					s->second_ids[s->nsecond_ids++] = id;
				}
				if (attach_to_ring(s, ci, fd, err) < 0)
					goto fail;
				opened += e == 0;
			}
		}
		if (!opened) {
			open_error(config, specs[last_event], last_errno, last_pid, cpu, eperm_kernel, err);
			goto fail;
		}
	}
	/* ids of the second event, sorted for lookups */
	for (size_t i = 1; i < s->nsecond_ids; i++)
		for (size_t j = i; j > 0 && s->second_ids[j - 1] > s->second_ids[j]; j--) {
			uint64_t t = s->second_ids[j];
			s->second_ids[j] = s->second_ids[j - 1];
			s->second_ids[j - 1] = t;
		}
	s->second_events = fk_xcalloc(s->nsecond_ids + 1, sizeof(uint32_t));
	for (size_t i = 0; i < s->nsecond_ids; i++)
		s->second_events[i] = 1;
	for (int e = 0; e < 2; e++)
		s->events[e] = (fk_decoder_event){attrs[e].sample_type, attrs[e].read_format,
						  attrs[e].sample_regs_user, attrs[e].branch_sample_type,
						  true};
	s->decoder = (fk_record_decoder){s->events, (size_t)nevents, s->second_ids,
					 s->second_events, s->nsecond_ids};
	s->pollfds = fk_xcalloc(s->nrings, sizeof(*s->pollfds));
	for (size_t i = 0; i < s->nrings; i++) {
		s->pollfds[i].fd = s->rings[i].fd;
		s->pollfds[i].events = POLLIN;
	}
	*out = s;
	return 0;
fail:
	fk_sampler_free(s);
	return -1;
}

void fk_sampler_free(fk_sampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrings; i++)
		if (s->rings[i].base)
			munmap(s->rings[i].base, s->rings[i].data_size + s->page_size);
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	free(s->fds);
	free(s->rings);
	free(s->pollfds);
	free(s->scratch);
	free(s->second_ids);
	free(s->second_events);
	free(s);
}

int fk_sampler_enable(fk_sampler *s, fk_error *err)
{
	for (size_t i = 0; i < s->nfds; i++)
		if (ioctl(s->fds[i], PERF_EVENT_IOC_ENABLE, 0) != 0)
			return fk_error_set(err, "cannot enable perf event: %s", strerror(errno));
	return 0;
}

void fk_sampler_disable(fk_sampler *s)
{
	for (size_t i = 0; i < s->nfds; i++)
		ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

int fk_sampler_wait(fk_sampler *s, int timeout_ms)
{
	int n = poll(s->pollfds, s->nrings, timeout_ms);
	if (n < 0)
		return errno == EINTR ? -1 : 0;
	size_t hung = 0;
	for (size_t i = 0; i < s->nrings; i++) {
		if (s->pollfds[i].revents & (POLLHUP | POLLERR))
			s->rings[i].hung_up = true;
		hung += s->rings[i].hung_up;
	}
	return hung == s->nrings ? (int)hung : 0;
}

/* ---- decoding ---- */

/* A bounds-checked reader over one record's bytes. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t take_u64(struct cursor *c)
{
	if (c->end - c->p < 8) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	uint64_t v;
	memcpy(&v, c->p, 8);
	c->p += 8;
	return v;
}

static const uint8_t *take_bytes(struct cursor *c, uint64_t n)
{
	if ((uint64_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	const uint8_t *at = c->p;
	c->p += n;
	return at;
}

static void take_pid_tid(struct cursor *c, fk_record *r)
{
	uint64_t v = take_u64(c);
	r->pid = (int)(uint32_t)v;
	r->tid = (int)(uint32_t)(v >> 32);
}

/* The event of id (0 when not listed). */
static uint32_t event_of_id(const fk_record_decoder *d, uint64_t id)
{
	size_t lo = 0, hi = d->nids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nids && d->ids[lo] == id ? d->id_event[lo] : 0;
}

/* Which event wrote the record: its id is found where the first event's sample_type
 * puts it (perf's id_pos for samples, is_pos from the end for other records). */
static uint32_t record_event(const fk_record_decoder *d, const uint8_t *body, size_t len,
			     bool sample)
{
	if (d->nevents <= 1 || d->nids == 0)
		return 0;
	uint64_t st = d->events[0].sample_type;
	size_t words = len / 8, pos;
	if (sample) {
		if (st & PERF_SAMPLE_IDENTIFIER)
			pos = 0;
		else if (st & PERF_SAMPLE_ID)
			pos = !!(st & PERF_SAMPLE_IP) + !!(st & PERF_SAMPLE_TID) +
			      !!(st & PERF_SAMPLE_TIME) + !!(st & PERF_SAMPLE_ADDR);
		else
			return 0;
	} else {
		if (!d->events[0].sample_id_all)
			return 0;
		size_t from_end;
		if (st & PERF_SAMPLE_IDENTIFIER)
			from_end = 1;
		else if (st & PERF_SAMPLE_ID)
			from_end = 1 + !!(st & PERF_SAMPLE_CPU) + !!(st & PERF_SAMPLE_STREAM_ID);
		else
			return 0;
		if (from_end > words)
			return 0;
		pos = words - from_end;
	}
	if (pos >= words)
		return 0;
	uint64_t id;
	memcpy(&id, body + pos * 8, 8);
	uint32_t e = event_of_id(d, id);
	return e < d->nevents ? e : 0;
}

/* The sample_id_all trailer of non-sample records: TID, TIME, ID, STREAM_ID, CPU,
 * IDENTIFIER as chosen in sample_type. */
static void take_sample_id(const fk_decoder_event *ev, struct cursor *c, fk_record *r)
{
	if (!ev->sample_id_all)
		return;
	uint64_t st = ev->sample_type;
	int pid = r->pid, tid = r->tid;
	if (st & PERF_SAMPLE_TID)
		take_pid_tid(c, r);
	if (st & PERF_SAMPLE_TIME)
		r->time = take_u64(c);
	if (st & PERF_SAMPLE_ID)
		r->id = take_u64(c);
	if (st & PERF_SAMPLE_STREAM_ID)
		take_u64(c);
	if (st & PERF_SAMPLE_CPU)
		r->cpu = (int)(uint32_t)take_u64(c);
	if (st & PERF_SAMPLE_IDENTIFIER)
		r->id = take_u64(c);
	if (r->type == FK_REC_COMM || r->type == FK_REC_FORK || r->type == FK_REC_EXIT ||
	    r->type == FK_REC_MMAP) {
		/* the record's own pid/tid win over the trailer's */
		r->pid = pid;
		r->tid = tid;
	}
}

/* PERF_SAMPLE_READ's values, skipped. */
static void skip_read(const fk_decoder_event *ev, struct cursor *c)
{
	uint64_t rf = ev->read_format;
	uint64_t per_value = 1 + !!(rf & PERF_FORMAT_ID) + !!(rf & (1u << 4) /* LOST */);
	if (rf & PERF_FORMAT_GROUP) {
		uint64_t nr = take_u64(c);
		take_bytes(c, 8 * (uint64_t)(!!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
					     !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING)));
		if (nr > (uint64_t)(c->end - c->p) / (8 * per_value)) {
			c->bad = true;
			c->p = c->end;
			return;
		}
		take_bytes(c, nr * 8 * per_value);
	} else {
		take_bytes(c, 8 * (per_value + !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
				   !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING)));
	}
}

static bool decode_sample(const fk_decoder_event *ev, struct cursor *c, fk_record *r,
			  uint16_t misc)
{
	uint64_t st = ev->sample_type;
	if (st & PERF_SAMPLE_IDENTIFIER)
		r->id = take_u64(c);
	if (st & PERF_SAMPLE_IP)
		r->ip = take_u64(c);
	if (st & PERF_SAMPLE_TID)
		take_pid_tid(c, r);
	if (st & PERF_SAMPLE_TIME)
		r->time = take_u64(c);
	if (st & PERF_SAMPLE_ADDR)
		take_u64(c);
	if (st & PERF_SAMPLE_ID)
		r->id = take_u64(c);
	if (st & PERF_SAMPLE_STREAM_ID)
		take_u64(c);
	if (st & PERF_SAMPLE_CPU)
		r->cpu = (int)(uint32_t)take_u64(c);
	if (st & PERF_SAMPLE_PERIOD)
		r->period = take_u64(c);
	if (st & PERF_SAMPLE_READ)
		skip_read(ev, c);
	if (st & PERF_SAMPLE_CALLCHAIN) {
		uint64_t nr = take_u64(c);
		if (nr > (uint64_t)(c->end - c->p) / 8)
			return false;
		r->callchain = (const uint64_t *)take_bytes(c, nr * 8);
		r->callchain_len = nr;
	}
	if (st & PERF_SAMPLE_RAW) {
		if (c->end - c->p < 4)
			return false;
		uint32_t size;
		memcpy(&size, c->p, 4);
		c->p += 4;
		r->raw = take_bytes(c, size);
		r->raw_size = r->raw ? size : 0;
	}
	if (st & PERF_SAMPLE_BRANCH_STACK) {
		uint64_t nr = take_u64(c);
		if (ev->branch_sample_type & (1u << 17) /* PERF_SAMPLE_BRANCH_HW_INDEX */)
			take_u64(c);
		if (nr > (uint64_t)(c->end - c->p) / 24)
			return false;
		take_bytes(c, nr * 24);
	}
	if (st & PERF_SAMPLE_REGS_USER) {
		r->regs_abi = take_u64(c);
		if (r->regs_abi) {
			uint64_t n = (uint64_t)__builtin_popcountll(ev->regs_user);
			r->regs = (const uint64_t *)take_bytes(c, n * 8);
			r->regs_mask = ev->regs_user;
		}
	}
	if (st & PERF_SAMPLE_STACK_USER) {
		uint64_t size = take_u64(c);
		if (size) {
			const uint8_t *data = take_bytes(c, size);
			uint64_t dyn = take_u64(c);
			r->stack = data;
			r->stack_size = dyn < size ? dyn : size;
		}
	}
	/* the fields after these (weight, data source...) are not used */
	r->kernel_mode = (misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
	return !c->bad;
}

/* The file name of an MMAP/MMAP2 record at c, then the trailer. */
static bool take_filename(const fk_decoder_event *ev, struct cursor *c, fk_record *r)
{
	const uint8_t *nul = c->bad ? NULL : memchr(c->p, 0, (size_t)(c->end - c->p));
	if (!nul)
		return false;
	r->filename = (const char *)c->p;
	size_t used = (size_t)(nul + 1 - c->p);
	take_bytes(c, (used + 7) & ~(size_t)7); /* padded to 8 bytes */
	c->bad = false; /* the padding may be cut at the end of the record */
	take_sample_id(ev, c, r);
	return !c->bad;
}

bool fk_record_decode(const fk_record_decoder *d, const void *raw, size_t size, fk_record *r)
{
	const uint8_t *data = raw;
	struct perf_event_header h;
	memset(r, 0, sizeof(*r));
	r->pid = r->tid = -1;
	r->cpu = -1;
	if (size < sizeof(h) || d->nevents == 0)
		return false;
	memcpy(&h, data, sizeof(h));
	if (h.size < sizeof(h) || h.size > size)
		return false;
	size = h.size;
	struct cursor c = {data + sizeof(h), data + size, false};
	uint32_t e = record_event(d, c.p, size - sizeof(h), h.type == PERF_RECORD_SAMPLE);
	const fk_decoder_event *ev = &d->events[e];
	r->event = (int)e;
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		r->type = FK_REC_SAMPLE;
		return decode_sample(ev, &c, r, h.misc);
	case PERF_RECORD_MMAP:
		r->type = FK_REC_MMAP;
		take_pid_tid(&c, r);
		r->addr = take_u64(&c);
		r->len = take_u64(&c);
		r->pgoff = take_u64(&c);
		/* MMAP (not MMAP2) reports executable mappings unless flagged as data */
		r->prot = (h.misc & PERF_RECORD_MISC_MMAP_DATA) ? 1 /* PROT_READ */ : 5 /* R|X */;
		return take_filename(ev, &c, r);
	case PERF_RECORD_MMAP2: {
		r->type = FK_REC_MMAP;
		take_pid_tid(&c, r);
		r->addr = take_u64(&c);
		r->len = take_u64(&c);
		r->pgoff = take_u64(&c);
		if (h.misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
			take_bytes(&c, 24); /* build id size, reserved, 20 bytes of id */
		} else {
			uint64_t majmin = take_u64(&c);
			r->maj = (uint32_t)majmin;
			r->min = (uint32_t)(majmin >> 32);
			r->ino = take_u64(&c);
			take_u64(&c); /* ino_generation */
		}
		uint64_t protflags = take_u64(&c);
		r->prot = (uint32_t)protflags;
		return take_filename(ev, &c, r);
	}
	case PERF_RECORD_COMM: {
		r->type = FK_REC_COMM;
		take_pid_tid(&c, r);
		r->exec = (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
		const uint8_t *nul = c.bad ? NULL : memchr(c.p, 0, (size_t)(c.end - c.p));
		if (!nul)
			return false;
		r->comm = (const char *)c.p;
		size_t used = (size_t)(nul + 1 - c.p);
		take_bytes(&c, (used + 7) & ~(size_t)7);
		c.bad = false;
		take_sample_id(ev, &c, r);
		return !c.bad;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		r->type = h.type == PERF_RECORD_FORK ? FK_REC_FORK : FK_REC_EXIT;
		uint64_t v = take_u64(&c);
		r->pid = (int)(uint32_t)v;
		r->ppid = (int)(uint32_t)(v >> 32);
		v = take_u64(&c);
		r->tid = (int)(uint32_t)v;
		r->ptid = (int)(uint32_t)(v >> 32);
		r->time = take_u64(&c);
		take_sample_id(ev, &c, r);
		return !c.bad;
	}
	case PERF_RECORD_LOST:
		r->type = FK_REC_LOST;
		take_u64(&c); /* id */
		r->lost = take_u64(&c);
		take_sample_id(ev, &c, r);
		return !c.bad;
	case PERF_RECORD_LOST_SAMPLES:
		r->type = FK_REC_LOST;
		r->lost = take_u64(&c);
		take_sample_id(ev, &c, r);
		return !c.bad;
	case PERF_RECORD_SWITCH:
	case PERF_RECORD_SWITCH_CPU_WIDE:
		/* the sample_id names the task switched in or out (CPU-wide records also carry
		 * the other task, which the next record for that task tells again) */
		r->type = FK_REC_SWITCH;
		r->switch_out = (h.misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
		if (h.type == PERF_RECORD_SWITCH_CPU_WIDE)
			take_u64(&c); /* next_prev_pid, next_prev_tid */
		take_sample_id(ev, &c, r);
		return !c.bad;
	case PERF_RECORD_THROTTLE:
		r->type = FK_REC_THROTTLE;
		r->time = take_u64(&c);
		return !c.bad;
	default:
		return false;
	}
}

bool fk_sampler_decode(const fk_sampler *s, const void *raw, size_t size, fk_record *r)
{
	return fk_record_decode(&s->decoder, raw, size, r);
}

const fk_record_decoder *fk_sampler_decoder(const fk_sampler *s)
{
	return &s->decoder;
}

static size_t read_ring(fk_sampler *s, struct ring *r, fk_record_fn fn, void *ctx)
{
	struct perf_event_mmap_page *meta = r->base;
	const uint8_t *data = (const uint8_t *)r->base + s->page_size;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	uint64_t mask = r->data_size - 1;
	size_t count = 0;
	while (tail < head) {
		struct perf_event_header h;
		uint64_t off = tail & mask;
		if (off + sizeof(h) <= r->data_size) {
			memcpy(&h, data + off, sizeof(h));
		} else {
			size_t first = r->data_size - off;
			memcpy(&h, data + off, first);
			memcpy((uint8_t *)&h + first, data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || h.size > head - tail)
			break; /* cannot happen with a sane kernel; stop rather than loop */
		const uint8_t *rec = data + off;
		if (off + h.size > r->data_size) {
			fk_grow((void **)&s->scratch, 1, &s->scratch_cap, h.size);
			size_t first = r->data_size - off;
			memcpy(s->scratch, data + off, first);
			memcpy(s->scratch + first, data, h.size - first);
			rec = s->scratch;
		}
		fk_record out;
		if (fk_sampler_decode(s, rec, h.size, &out)) {
			fn(&out, rec, h.size, ctx);
			count++;
		}
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
	return count;
}

size_t fk_sampler_read(fk_sampler *s, fk_record_fn fn, void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nrings; i++)
		if (s->rings[i].base)
			n += read_ring(s, &s->rings[i], fn, ctx);
	return n;
}
