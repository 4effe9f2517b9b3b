/* common.c: allocation helpers and error formatting. */
#include "common.h"

#include <stdarg.h>

static void out_of_memory(size_t size)
{
	fprintf(stderr, "flamekit: out of memory allocating %zu bytes\n", size);
	abort();
}

void *fk_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		out_of_memory(size);
	return p;
}

void *fk_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(count * size);
	return p;
}

void *fk_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		out_of_memory(size);
	return p;
}

char *fk_xstrndup(const char *s, size_t len)
{
	char *p = fk_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *fk_xstrdup(const char *s)
{
	return fk_xstrndup(s, strlen(s));
}

void fk_grow(void **array, size_t elem, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*array = fk_xrealloc(*array, n * elem);
	*cap = n;
}

int fk_error_set(fk_error *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

void fk_logf(fk_log_fn fn, void *ctx, const char *fmt, ...)
{
	if (!fn)
		return;
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	fn(ctx, message);
}
