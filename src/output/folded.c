/* folded.c: the folded-stack writer, buffered. A two-valued profile (a comparison)
 * writes "stack BEFORE AFTER", as difffolded.pl does. */
#include "folded.h"

#include <errno.h>

struct folded_writer {
	FILE *out;
	char *buf;
	size_t len, cap;
	bool failed;
};

static void flush_buf(struct folded_writer *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

static int write_stack(const fk_profile *p, const fk_name_id *names, size_t depth,
		       fk_node_id node, void *ctx)
{
	struct folded_writer *w = ctx;
	for (size_t i = 0; i < depth; i++) {
		size_t len;
		const char *s = fk_profile_name(p, names[i], &len);
		if (w->len + len + 2 > w->cap) {
			flush_buf(w);
			if (len + 2 > w->cap) {
				if (fwrite(s, 1, len, w->out) != len)
					w->failed = true;
				len = 0;
			}
		}
		memcpy(w->buf + w->len, s, len);
		w->len += len;
		if (i + 1 < depth)
			w->buf[w->len++] = ';';
	}
	if (w->len + 80 > w->cap)
		flush_buf(w);
	const fk_node *n = fk_profile_node(p, node);
	if (fk_profile_has_before(p)) {
		w->buf[w->len++] = ' ';
		w->len += fk_format_count(n->self_before, w->buf + w->len);
	}
	w->buf[w->len++] = ' ';
	w->len += fk_format_count(n->self, w->buf + w->len);
	w->buf[w->len++] = '\n';
	return w->failed ? -1 : 0;
}

int fk_write_folded(const fk_profile *p, FILE *out, fk_error *err)
{
	struct folded_writer w = {.out = out, .cap = 1 << 16};
	w.buf = fk_xmalloc(w.cap);
	int rc = fk_profile_walk(p, FK_ORDER_STACKS, write_stack, &w);
	if (rc == 0)
		flush_buf(&w);
	free(w.buf);
	if (rc || w.failed || fflush(out) != 0 || ferror(out))
		return fk_error_set(err, "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
