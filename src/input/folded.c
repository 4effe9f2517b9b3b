/* folded.c: reads folded stacks. A line is a stack, white space, and a count (integer or
 * decimal), following flamegraph.pl's rule; with two count columns (difffolded.pl
 * output) the stack gets both. CRLF line ends are accepted. */
#include "folded.h"

struct fk_folded_parser {
	fk_profile *profile;
	fk_interner *names;
	fk_diag *diag;
	bool drop_trailing_empty;
	uint64_t invalid;
	uint64_t blank;
};

fk_folded_parser *fk_folded_parser_new(fk_profile *profile, fk_diag *diag)
{
	fk_folded_parser *fp = fk_xcalloc(1, sizeof(*fp));
	fp->profile = profile;
	fp->names = fk_profile_names(profile);
	fp->diag = diag;
	return fp;
}

void fk_folded_parser_free(fk_folded_parser *fp)
{
	free(fp);
}

void fk_folded_parser_drop_trailing_empty(fk_folded_parser *fp, bool drop)
{
	fp->drop_trailing_empty = drop;
}

uint64_t fk_folded_parser_invalid(const fk_folded_parser *fp)
{
	return fp->invalid;
}

uint64_t fk_folded_parser_blank(const fk_folded_parser *fp)
{
	return fp->blank;
}

static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool fk_folded_split_count(const char *line, size_t len, size_t *stack_len, double *count)
{
	size_t i = len;
	while (i > 0 && !is_space((unsigned char)line[i - 1]))
		i--;
	if (i == 0 || i == len)
		return false;
	/* \d+(?:\.\d*)? */
	size_t d = i;
	while (d < len && line[d] >= '0' && line[d] <= '9')
		d++;
	if (d == i)
		return false;
	size_t int_end = d;
	if (d < len && line[d] == '.') {
		d++;
		while (d < len && line[d] >= '0' && line[d] <= '9')
			d++;
	}
	if (d != len)
		return false;
	if (int_end == len && len - i <= 15) {
		uint64_t v = 0;
		for (size_t k = i; k < len; k++)
			v = v * 10 + (uint64_t)(line[k] - '0');
		*count = (double)v;
	} else {
		char buf[64];
		size_t n = len - i < sizeof(buf) - 1 ? len - i : sizeof(buf) - 1;
		memcpy(buf, line + i, n);
		buf[n] = '\0';
		*count = strtod(buf, NULL);
	}
	*stack_len = i - 1;
	return true;
}

static void parse_line(fk_folded_parser *fp, const char *line, size_t len, uint32_t file,
		       uint64_t lineno)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		fp->blank++;
		return;
	}
	size_t stack_len;
	double count;
	if (!fk_folded_split_count(line, len, &stack_len, &count)) {
		char quoted[512];
		fp->invalid++;
		fk_diag_quote(quoted, sizeof(quoted), line, len);
		fk_diag_add(fp->diag, file, lineno, "invalid folded line (want 'frame;...;frame COUNT'): %s",
			    quoted);
		return;
	}
	size_t stack2_len;
	double before;
	bool pair = fk_folded_split_count(line, stack_len, &stack2_len, &before);
	if (pair)
		stack_len = stack2_len; /* "stack before after" */
	if (fp->drop_trailing_empty)
		while (stack_len > 0 && line[stack_len - 1] == ';')
			stack_len--;
	fk_node_id node = FK_ROOT;
	const char *s = line, *end = line + stack_len;
	for (; stack_len > 0 || !fp->drop_trailing_empty;) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *fe = semi ? semi : end;
		node = fk_profile_child(fp->profile, node, fk_intern(fp->names, s, (size_t)(fe - s)));
		if (!semi)
			break;
		s = semi + 1;
	}
	if (pair)
		fk_profile_add_pair(fp->profile, node, before, count);
	else
		fk_profile_add_at(fp->profile, node, count);
}

void fk_folded_parse_chunk(fk_folded_parser *fp, const fk_chunk *c)
{
	const char *p = c->data, *end = c->data + c->len;
	uint64_t lineno = c->first_line;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		parse_line(fp, p, (size_t)(le - p), c->file, lineno++);
		p = nl ? nl + 1 : end;
	}
}
