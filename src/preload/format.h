/* format.h: the file that libflamekit-preload.so (src/preload/preload.c, loaded into a
 * profiled program with LD_PRELOAD) writes when the program exits, and that
 * src/input/preload_file.c reads back into a flamekit profile; the names of the
 * environment variables that drive the library. Shared by both sides, so it holds
 * constants only.
 *
 * Environment of the profiled program:
 *   FLAMEKIT_PRELOAD_OUT       output prefix: each process writes PREFIX.PID (forked
 *                              children their own file); unset or empty: nothing recorded
 *   FLAMEKIT_PRELOAD_MODE      alloc (default) | lock
 *   FLAMEKIT_PRELOAD_INTERVAL  alloc: mean bytes between samples (default 524288, as Go's
 *                              runtime.MemProfileRate); 1 samples every allocation
 *   FLAMEKIT_PRELOAD_SEED      optional seed of the sampling PRNG: with it, the n-th
 *                              thread to allocate gets the n-th stream, so runs of a
 *                              deterministic program sample alike (tests); without it,
 *                              each thread's stream comes from the clock, pid and tid
 *
 * The file (written to PREFIX.PID.tmp, then renamed to PREFIX.PID: whole or absent) is
 * text, one record per line, fields separated by one space, every line ending in '\n':
 *
 *   flamekit-preload 1                 first line: magic and version
 *   mode alloc                         or "mode lock"
 *   interval 524288                    alloc: the mean sampling interval in bytes; lock: 0
 *   pid 1234                           the process (decimal)
 *   comm NAME                          /proc/self/comm; the rest of the line, may be empty
 *   map START END PGOFF PERMS PATH     an executable mapping of /proc/self/maps at exit:
 *                                      START, END, PGOFF in hex (no 0x), PERMS as in
 *                                      /proc (r-xp), PATH the rest of the line (may be
 *                                      empty for anonymous memory; may contain spaces)
 *   stack ID ADDR ADDR ...             a distinct stack: ID is 0, 1, 2... in order of the
 *                                      stack lines; ADDRs in hex (no 0x), leaf first, at
 *                                      most FK_PRELOAD_MAX_FRAMES; every ADDR is a return
 *                                      address as found on the stack by walking frame
 *                                      pointers (the leaf is the return address into the
 *                                      caller of malloc / pthread_mutex_lock, so the
 *                                      allocating or waiting function is the leaf frame)
 *   sample ID AB AO IB IO              alloc: for stack ID (defined above), the estimated
 *                                      bytes and objects allocated and still in use at
 *                                      exit (decimal integers, already scaled up from the
 *                                      samples: see preload.c)
 *   sample ID WAIT_NS COUNT            lock: nanoseconds spent waiting for contended locks
 *                                      and the number of such waits (not sampled: all)
 *   lost N                             samples that could not be recorded (the library
 *                                      ran out of memory for its tables); optional
 *   end                                last line: a file without it is truncated
 *
 * The header line comes first and "end" last; the other lines may come in any order,
 * except that a sample follows the stack line it names. Lines other than these are
 * errors (a new field means a new version). */
#ifndef FK_PRELOAD_FORMAT_H
#define FK_PRELOAD_FORMAT_H

#define FK_PRELOAD_MAGIC "flamekit-preload 1"
#define FK_PRELOAD_MAX_FRAMES 64
#define FK_PRELOAD_DEFAULT_INTERVAL 524288

#define FK_PRELOAD_ENV_OUT "FLAMEKIT_PRELOAD_OUT"
#define FK_PRELOAD_ENV_MODE "FLAMEKIT_PRELOAD_MODE"
#define FK_PRELOAD_ENV_INTERVAL "FLAMEKIT_PRELOAD_INTERVAL"
#define FK_PRELOAD_ENV_SEED "FLAMEKIT_PRELOAD_SEED"

#endif
