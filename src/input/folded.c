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
	/* The previous stack: its bytes, where each frame ends, and the node after each
	 * frame. Folded files are usually sorted, so a line mostly repeats the previous
	 * line's first frames, and those are taken from here, not looked up again. */
	char *prev;
	size_t prev_len, prev_cap;
	size_t *frame_ends;
	fk_node_id *frame_nodes;
	size_t nframes, frames_cap;
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
	if (!fp)
		return;
	free(fp->prev);
	free(fp->frame_ends);
	free(fp->frame_nodes);
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
	/* the count is the text after the last white space; only digits and '.' can be in
	 * it, so scan back over those alone (not over a whole stack with no space) */
	size_t i = len;
	while (i > 0 && ((line[i - 1] >= '0' && line[i - 1] <= '9') || line[i - 1] == '.'))
		i--;
	if (i == 0 || i == len || !is_space((unsigned char)line[i - 1]))
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

/* How many of the previous stack's frames the stack s[0..n) starts with. */
static size_t shared_frames(const fk_folded_parser *fp, const char *s, size_t n)
{
	size_t max = n < fp->prev_len ? n : fp->prev_len, common = 0;
	while (common < max && s[common] == fp->prev[common])
		common++;
	size_t k = 0;
	while (k < fp->nframes) {
		size_t end = fp->frame_ends[k];
		if (end < common || (end == common && (n == common || s[common] == ';')))
			k++;
		else
			break;
	}
	return k;
}

static void remember_frame(fk_folded_parser *fp, size_t index, size_t end, fk_node_id node)
{
	if (index >= fp->frames_cap) {
		size_t cap = fp->frames_cap;
		fk_grow((void **)&fp->frame_ends, sizeof(size_t), &cap, index + 1);
		fk_grow((void **)&fp->frame_nodes, sizeof(fk_node_id), &fp->frames_cap, index + 1);
	}
	fp->frame_ends[index] = end;
	fp->frame_nodes[index] = node;
}

/* The node of the stack "a;b;c" (s[0..n)), created as needed. */
static fk_node_id walk_stack(fk_folded_parser *fp, const char *s, size_t n)
{
	if (n == 0 && fp->drop_trailing_empty)
		return FK_ROOT;
	size_t k = shared_frames(fp, s, n);
	fk_node_id node = k ? fp->frame_nodes[k - 1] : FK_ROOT;
	size_t pos = k ? fp->frame_ends[k - 1] + 1 : 0;
	size_t index = k;
	if (!(k && fp->frame_ends[k - 1] == n)) {
		for (;;) {
			const char *semi = memchr(s + pos, ';', n - pos);
			size_t end = semi ? (size_t)(semi - s) : n;
			node = fk_profile_child(fp->profile, node, fk_intern(fp->names, s + pos, end - pos));
			remember_frame(fp, index++, end, node);
			if (!semi)
				break;
			pos = end + 1;
		}
	}
	fp->nframes = index;
	fk_grow((void **)&fp->prev, 1, &fp->prev_cap, n + 1);
	memcpy(fp->prev, s, n);
	fp->prev_len = n;
	return node;
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
	fk_node_id node = walk_stack(fp, line, stack_len);
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
