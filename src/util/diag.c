/* diag.c: collection and ordered printing of input warnings. */
#include "diag.h"

#include <stdarg.h>

void fk_diag_init(fk_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->keep = 5;
}

void fk_diag_free(fk_diag *d)
{
	for (size_t i = 0; i < d->count; i++)
		free(d->entries[i].text);
	free(d->entries);
	memset(d, 0, sizeof(*d));
}

void fk_diag_add(fk_diag *d, uint32_t file, uint64_t line, const char *fmt, ...)
{
	d->total++;
	if (d->count >= d->keep)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fk_grow((void **)&d->entries, sizeof(*d->entries), &d->cap, d->count + 1);
	d->entries[d->count++] = (fk_diag_entry){file, line, fk_xstrdup(buf)};
}

size_t fk_diag_quote(char *out, size_t cap, const char *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	const size_t limit = 100;
	for (size_t i = 0; i < len && o + 8 < cap; i++) {
		if (i == limit) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char c = (unsigned char)bytes[i];
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

void fk_diag_merge(fk_diag *dst, fk_diag *src)
{
	dst->total += src->total;
	for (size_t i = 0; i < src->count; i++) {
		fk_grow((void **)&dst->entries, sizeof(*dst->entries), &dst->cap, dst->count + 1);
		dst->entries[dst->count++] = src->entries[i];
	}
	free(src->entries);
	src->entries = NULL;
	src->count = src->cap = src->total = 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const fk_diag_entry *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

void fk_diag_print(fk_diag *d, FILE *out, const char *prog, const char *const *file_names)
{
	if (d->count > 1)
		qsort(d->entries, d->count, sizeof(*d->entries), entry_cmp);
	size_t shown = d->count < d->keep ? d->count : d->keep;
	for (size_t i = 0; i < shown; i++) {
		const fk_diag_entry *e = &d->entries[i];
		if (e->line)
			fprintf(out, "%s: %s:%llu: %s\n", prog, file_names[e->file],
				(unsigned long long)e->line, e->text);
		else
			fprintf(out, "%s: %s: %s\n", prog, file_names[e->file], e->text);
	}
	if (d->total > shown)
		fprintf(out, "%s: ... and %zu more warning%s like these (-q silences them)\n", prog,
			d->total - shown, d->total - shown == 1 ? "" : "s");
}
