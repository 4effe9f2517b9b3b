/* unwind.h: DWARF unwinding of the user stacks the kernel copies with each sample
 * (PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER, `--call-graph dwarf`), with elfutils
 * libdwfl: CFI from .eh_frame/.debug_frame of each binary, memory reads from the copied
 * stack, and from the binaries' files for anything else. One libdwfl session is kept per
 * process and its modules (with their parsed CFI) are reused until the process's mappings
 * change. x86_64 only. */
#ifndef FK_UNWIND_H
#define FK_UNWIND_H

#include "../symbol/maps.h"

/* The user registers to request (perf_event_attr.sample_regs_user): x86_64 AX..R15 in
 * the kernel's perf_regs numbering (PERF_REG_X86_*), without the segment registers. */
#define FK_UNWIND_REGS_MASK 0xff01ffULL

typedef struct fk_unwinder fk_unwinder;

fk_unwinder *fk_unwinder_new(void);
void fk_unwinder_free(fk_unwinder *u);

/* Unwinds one sample of thread tid of process pid. regs: the sampled values, one per set
 * bit of regs_mask in bit order (as in the sample record); stack: the copied bytes, which
 * start at the sampled stack pointer (regs' SP). Writes up to max program counters, the
 * sampled IP first then each caller's return address, into pcs and returns their number
 * (0 when even the IP is missing). Stops quietly where the CFI or the copied stack ends. */
size_t fk_unwind(fk_unwinder *u, const fk_processes *ps, int pid, int tid, const uint64_t *regs,
		 uint64_t regs_mask, const uint8_t *stack, size_t stack_size, uint64_t *pcs,
		 size_t max);

#endif
