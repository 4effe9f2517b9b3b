/* common.h: basic includes, allocation helpers that abort on out-of-memory, and small
 * attributes shared by every flamekit module. */
#ifndef FK_COMMON_H
#define FK_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FK_LIKELY(x) __builtin_expect(!!(x), 1)
#define FK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FK_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocation failure is not an input error: there is nothing sensible to return, so
 * these report and abort (like git's xmalloc). */
void *fk_xmalloc(size_t size);
void *fk_xcalloc(size_t count, size_t size);
void *fk_xrealloc(void *ptr, size_t size);
char *fk_xstrdup(const char *s);
char *fk_xstrndup(const char *s, size_t len);

/* Grows *array (element size elem) so that it holds at least need elements. */
void fk_grow(void **array, size_t elem, size_t *cap, size_t need);

/* An error message filled in by functions that fail; callers print it. */
typedef struct fk_error {
	char msg[512];
} fk_error;

int fk_error_set(fk_error *err, const char *fmt, ...) FK_PRINTF(2, 3);

/* Where library code that runs on (threads, timers) says what it did: one line per call,
 * without a newline; the command decides how it is shown. */
typedef void (*fk_log_fn)(void *ctx, const char *message);
/* Formats a line and hands it to fn (nothing when fn is NULL). */
void fk_logf(fk_log_fn fn, void *ctx, const char *fmt, ...) FK_PRINTF(3, 4);

#endif
