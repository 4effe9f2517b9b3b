/* dtrace.c: folds DTrace stack aggregations as stackcollapse.pl does: frames one per
 * line (leaf first), then a line with only the count. */
#define _GNU_SOURCE
#include "dtrace.h"

#include "../stack/stack_builder.h"

#define HEADER_LINES 3

struct fk_dtrace_parser {
	fk_profile *profile;
	fk_interner *names;
	fk_diag *diag;
	uint32_t file;
	uint64_t lines_in_file;
	bool started;
	fk_stack_builder stack; /* the stack so far, root first */
	char *buf;
	size_t buf_cap;
};

fk_dtrace_parser *fk_dtrace_parser_new(fk_profile *profile, fk_diag *diag)
{
	fk_dtrace_parser *dp = fk_xcalloc(1, sizeof(*dp));
	dp->profile = profile;
	dp->names = fk_profile_names(profile);
	dp->diag = diag;
	fk_stack_builder_init(&dp->stack);
	return dp;
}

void fk_dtrace_parser_free(fk_dtrace_parser *dp)
{
	if (!dp)
		return;
	fk_stack_builder_free(&dp->stack);
	free(dp->buf);
	free(dp);
}

static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}


/* /^\s*(\d+)+$/ */
static bool count_line(const char *s, size_t len, double *count)
{
	size_t i = 0;
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	if (i == len)
		return false;
	size_t d = i;
	uint64_t v = 0;
	for (; d < len; d++) {
		if (s[d] < '0' || s[d] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[d] - '0');
	}
	if (len - i > 15) {
		char *tmp = fk_xstrndup(s + i, len - i);
		*count = strtod(tmp, NULL);
		free(tmp);
	} else {
		*count = (double)v;
	}
	return true;
}

static void frame_line(fk_dtrace_parser *dp, const char *s, size_t len)
{
	/* strip leading white space */
	while (len > 0 && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	fk_grow((void **)&dp->buf, 1, &dp->buf_cap, len + 8);
	char *f = dp->buf;
	memcpy(f, s, len);
	/* s/\+[^+]*$// : from the last '+' */
	char *plus = memrchr(f, '+', len);
	if (plus)
		len = (size_t)(plus - f);
	/* Remove C++ arguments: cut at the last "(" or "<" after the first "::" */
	char *colons = memmem(f, len, "::", 2);
	if (colons) {
		for (size_t i = len; i > (size_t)(colons - f) + 2; i--) {
			if (f[i - 1] == '(' || f[i - 1] == '<') {
				len = i - 1;
				break;
			}
		}
	}
	if (len == 0) {
		f[0] = '-';
		len = 1;
	}
	/* split /\->/ (trailing empty fields dropped) */
	while (len >= 2 && f[len - 2] == '-' && f[len - 1] == '>')
		len -= 2;
	fk_name_id group[64];
	fk_name_id *g = group;
	size_t gcap = FK_ARRAY_LEN(group), gn = 0;
	const char *piece = f, *end = f + len;
	while (len > 0) {
		const char *arrow = memmem(piece, (size_t)(end - piece), "->", 2);
		size_t plen = arrow ? (size_t)(arrow - piece) : (size_t)(end - piece);
		char *name = fk_xmalloc(plen + 5);
		memcpy(name, piece, plen);
		for (size_t i = 0; i < plen; i++)
			if (name[i] == ';')
				name[i] = ':';
		size_t off = plen > 0 && name[0] == 'L' ? 1 : 0;
		size_t nlen = plen - off;
		if (gn > 0) {
			memcpy(name + plen, "_[i]", 4);
			nlen += 4;
		}
		if (gn == gcap) {
			fk_name_id *ng = fk_xmalloc(gcap * 2 * sizeof(*ng));
			memcpy(ng, g, gn * sizeof(*ng));
			if (g != group)
				free(g);
			g = ng;
			gcap *= 2;
		}
		g[gn++] = fk_intern(dp->names, name + off, nlen);
		free(name);
		if (!arrow)
			break;
		piece = arrow + 2;
	}
	fk_stack_builder_prepend(&dp->stack, g, gn);
	if (g != group)
		free(g);
}

void fk_dtrace_parse_chunk(fk_dtrace_parser *dp, const fk_chunk *c)
{
	if (!dp->started || c->file != dp->file) { /* a new file: its header comes first */
		dp->lines_in_file = 0;
		dp->started = true;
		dp->file = c->file;
	}
	const char *p = c->data, *end = c->data + c->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t len = (size_t)(le - p);
		const char *line = p;
		p = nl ? nl + 1 : end;
		if (dp->lines_in_file++ < HEADER_LINES)
			continue;
		double count;
		if (count_line(line, len, &count)) {
			if (fk_stack_builder_depth(&dp->stack) == 0) {
				/* no frames: the Perl script's key is "", as for one empty frame */
				fk_name_id empty = fk_intern(dp->names, "", 0);
				fk_profile_add_stack(dp->profile, &empty, 1, count);
				continue;
			}
			fk_profile_add_stack(dp->profile, fk_stack_builder_names(&dp->stack),
					     fk_stack_builder_depth(&dp->stack), count);
			fk_stack_builder_clear(&dp->stack);
			continue;
		}
		size_t i = 0;
		while (i < len && is_space((unsigned char)line[i]))
			i++;
		if (i == len)
			continue;
		frame_line(dp, line, len);
	}
	if (c->file_end) {
		fk_stack_builder_clear(&dp->stack); /* frames with no count after them are dropped */
		dp->started = false;
	}
}
