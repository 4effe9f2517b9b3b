/* perf_script.c: folds the text of `perf script` into a profile. Each rule below is one
 * of stackcollapse-perf.pl's regexes, matched by hand (no regex engine) with the same
 * result, including how Perl backtracks, so the output is byte-identical. */
#define _GNU_SOURCE
#include "perf_script.h"

#include "../stack/stack_builder.h"
#include "../util/hash.h"

/* Perl's \s, \w, \d on bytes (no locale, no Unicode rules). */
static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static inline bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}
static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/* The first "->" in s[0..len), or NULL. */
static inline const char *find_arrow(const char *s, size_t len)
{
	const char *end = s + len;
	const char *p = s + 1;
	while (p < end) {
		const char *gt = memchr(p, '>', (size_t)(end - p));
		if (!gt)
			return NULL;
		if (gt[-1] == '-')
			return gt - 1;
		p = gt + 1;
	}
	return NULL;
}

struct fk_perf_parser {
	fk_perf_options opt;
	fk_profile *profile;
	fk_interner *names;
	fk_diag *diag;
	fk_inliner *inliner;

	/* event filter */
	char *event;
	size_t event_len;
	bool event_set, event_defaulted;

	/* the sample being read: $pname and @stack */
	bool have_pname;
	bool java; /* $pname =~ /^java/ */
	char *pname;
	size_t pname_len, pname_cap;
	double period;
	fk_stack_builder stack; /* @stack, root first */
	fk_node_id last_node;   /* where the last sample was added */

	/* scratch for building a frame name */
	char *name;
	size_t name_cap;
	fk_name_id *group; /* the names from one stack line, in order */
	size_t group_len, group_cap;

	/* Stack lines repeat: the text after the address ("symbol (module)") maps to the
	 * same frames every time, so the result of the rules is cached by that text. */
	struct line_cache_slot *cache;
	size_t cache_mask, cache_count;
	char *cache_keys;
	size_t cache_keys_len, cache_keys_cap;
	fk_name_id *cache_ids;
	size_t cache_ids_len, cache_ids_cap;
	bool cache_enabled;

	/* --srcline: a stack line whose source lines run past the end of its chunk, with
	 * the rest of that chunk; parsed again in front of the next chunk */
	char *pending;
	size_t pending_len, pending_cap;
	uint64_t pending_line;

	uint64_t filtered, unrecognized, samples;
};

struct line_cache_slot {
	uint64_t hash; /* 0 = empty */
	uint32_t key_off, key_len;
	uint32_t ids_off, ids_len;
};

fk_perf_parser *fk_perf_parser_new(const fk_perf_options *options, fk_profile *profile,
				   fk_diag *diag, fk_inliner *inliner)
{
	fk_perf_parser *pp = fk_xcalloc(1, sizeof(*pp));
	pp->opt = *options;
	pp->profile = profile;
	pp->names = fk_profile_names(profile);
	pp->diag = diag;
	pp->inliner = inliner;
	if (options->event_filter && options->event_filter[0]) {
		pp->event = fk_xstrdup(options->event_filter);
		pp->event_len = strlen(pp->event);
		pp->event_set = true;
	}
	fk_stack_builder_init(&pp->stack);
	pp->name_cap = 256;
	pp->name = fk_xmalloc(pp->name_cap);
	/* --srcline reads extra lines per frame, --inline depends on the address */
	pp->cache_enabled = !options->srcline && !options->show_inline;
	pp->cache_mask = 4095;
	pp->cache = fk_xcalloc(pp->cache_mask + 1, sizeof(*pp->cache));
	return pp;
}

void fk_perf_parser_free(fk_perf_parser *pp)
{
	if (!pp)
		return;
	free(pp->event);
	free(pp->pname);
	fk_stack_builder_free(&pp->stack);
	free(pp->name);
	free(pp->group);
	free(pp->cache);
	free(pp->cache_keys);
	free(pp->cache_ids);
	free(pp->pending);
	free(pp);
}

void fk_perf_parser_set_default_event(fk_perf_parser *pp, const char *event, size_t len)
{
	if (pp->event_set)
		return;
	pp->event = fk_xstrndup(event, len);
	pp->event_len = len;
	pp->event_set = true;
	pp->event_defaulted = true;
}

uint64_t fk_perf_parser_filtered(const fk_perf_parser *pp)
{
	return pp->filtered;
}
uint64_t fk_perf_parser_unrecognized(const fk_perf_parser *pp)
{
	return pp->unrecognized;
}
uint64_t fk_perf_parser_samples(const fk_perf_parser *pp)
{
	return pp->samples;
}
const char *fk_perf_parser_event(const fk_perf_parser *pp, bool *defaulted)
{
	if (defaulted)
		*defaulted = pp->event_defaulted;
	return pp->event ? pp->event : "";
}

/* ---- the line rules ---- */

/* The event line: comm, white space, PID, optional "/TID", white space (the regex
 * ^(\S.+?)\s+(\d+)\/ *(\d+)*\s+ without the space). */
bool fk_perf_match_event_line(const char *line, size_t len, fk_perf_event_line *ev)
{
	const unsigned char *s = (const unsigned char *)line;
	if (len < 2 || is_space(s[0]) || s[0] == '\n')
		return false;
	/* the shortest comm (at least 2 bytes, no newline) after which the rest matches */
	for (size_t e = 2; e < len; e++) {
		if (s[e - 1] == '\n')
			return false; /* '.' does not match a newline */
		if (!is_space(s[e]))
			continue;
		size_t i = e;
		while (i < len && is_space(s[i]))
			i++;
		size_t pid = i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == pid)
			goto next;
		size_t pid_end = i;
		while (i < len && s[i] == '/')
			i++;
		size_t tid = i;
		while (i < len && is_digit(s[i]))
			i++;
		size_t tid_end = i;
		if (i >= len || !is_space(s[i]))
			goto next;
		ev->comm_len = e;
		ev->pid = line + pid;
		ev->pid_len = pid_end - pid;
		ev->tid = tid_end > tid ? line + tid : NULL;
		ev->tid_len = tid_end - tid;
		return true;
	next:
		/* a comm ending later in this run of white space meets the same rest: skip the
		 * run (linear time, not quadratic), unless a newline in it ends the comm */
		if (memchr(s + e, '\n', pid - 1 - e))
			return false;
		e = pid - 1;
	}
	return false;
}

/* /:\s*(\d+)*\s+(\S+):\s*$/ : the event name is the last run of non-space bytes before a
 * final ':'; the period, if any, the digits between it and the ':' before. */
bool fk_perf_match_period(const char *line, size_t len, const char **period, size_t *period_len,
			  const char **event, size_t *event_len)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t end = len;
	while (end > 0 && is_space(s[end - 1]))
		end--;
	if (end == 0 || s[end - 1] != ':')
		return false;
	size_t ev_end = end - 1, ev = ev_end;
	while (ev > 0 && !is_space(s[ev - 1]))
		ev--;
	if (ev == ev_end || ev == 0)
		return false;
	size_t ws = ev;
	while (ws > 0 && is_space(s[ws - 1]))
		ws--;
	size_t dig = ws;
	while (dig > 0 && is_digit(s[dig - 1]))
		dig--;
	size_t colon = dig;
	while (colon > 0 && is_space(s[colon - 1]))
		colon--;
	if (colon == 0 || s[colon - 1] != ':')
		return false;
	/* '.' in (\S+) is not involved; \s includes '\n' which lines never contain */
	*period = dig < ws ? line + dig : NULL;
	*period_len = ws - dig;
	*event = line + ev;
	*event_len = ev_end - ev;
	return true;
}

/* /^\s*(\w+)\s*(.+) \((.*)\)/ with Perl's backtracking: the module is between the last
 * " (" that has a ')' after it and the last ')'. */
bool fk_perf_match_stack_line(const char *line, size_t len, fk_perf_stack_line *sl)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t w = 0;
	while (w < len && is_space(s[w]))
		w++;
	size_t w_end = w;
	while (w_end < len && is_word(s[w_end]))
		w_end++;
	if (w_end == w)
		return false;
	const char *close = memrchr(line, ')', len);
	if (!close)
		return false;
	size_t q = (size_t)(close - line);
	if (q < 2)
		return false;
	/* the last " (" at p with p + 2 <= q, and no newline between it and q ('.' stops
	 * at newlines, which lines never contain) */
	size_t p = q - 1;
	for (;;) {
		if (p == 0)
			return false;
		p--;
		if (s[p] == ' ' && s[p + 1] == '(')
			break;
	}
	/* (.+) needs one byte at least: start it at the latest backtracking choice */
	size_t f = w_end;
	while (f < len && is_space(s[f]))
		f++;
	if (f > p - 1)
		f = p - 1;
	if (f < w + 1)
		return false;
	sl->pc = line + w;
	sl->pc_len = (f < w_end ? f : w_end) - w;
	sl->func = line + f;
	sl->func_len = p - f;
	sl->mod = line + p + 2;
	sl->mod_len = q - (p + 2);
	sl->verbatim = false;
	return true;
}

/* The first event type a parser would use as the default filter. */
bool fk_perf_first_event(const char *text, size_t len, const char **event, size_t *event_len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		fk_perf_event_line ev;
		const char *period;
		size_t period_len;
		if (n && p[0] != '#' && fk_perf_match_event_line(p, n, &ev) &&
		    fk_perf_match_period(p, n, &period, &period_len, event, event_len))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* ---- building the sample ---- */

static void name_reserve(fk_perf_parser *pp, size_t need)
{
	if (need > pp->name_cap) {
		while (pp->name_cap < need)
			pp->name_cap *= 2;
		pp->name = fk_xrealloc(pp->name, pp->name_cap);
	}
}

static void group_push(fk_perf_parser *pp, fk_name_id id)
{
	fk_grow((void **)&pp->group, sizeof(*pp->group), &pp->group_cap, pp->group_len + 1);
	pp->group[pp->group_len++] = id;
}

/* Interns a name; a ';' inside makes several frames (as the joined folded line would). */
static void group_push_name(fk_perf_parser *pp, const char *s, size_t len)
{
	const char *semi = memchr(s, ';', len);
	if (FK_LIKELY(!semi)) {
		group_push(pp, fk_intern(pp->names, s, len));
		return;
	}
	for (;;) {
		size_t n = semi ? (size_t)(semi - s) : len;
		group_push(pp, fk_intern(pp->names, s, n));
		if (!semi)
			return;
		len -= n + 1;
		s = semi + 1;
		semi = memchr(s, ';', len);
	}
}

static void stack_prepend(fk_perf_parser *pp, const fk_name_id *ids, size_t n);

/* unshift @stack, @group */
static void stack_prepend_group(fk_perf_parser *pp)
{
	stack_prepend(pp, pp->group, pp->group_len);
	pp->group_len = 0;
}

static void sample_reset(fk_perf_parser *pp)
{
	pp->have_pname = false;
	fk_stack_builder_clear(&pp->stack);
}

/* Adds the finished stack with the sample's period. */
static void add_stack(fk_perf_parser *pp)
{
	const fk_name_id *names = fk_stack_builder_names(&pp->stack);
	size_t depth = fk_stack_builder_depth(&pp->stack);
	fk_node_id node = FK_ROOT;
	for (size_t i = 0; i < depth; i++)
		node = fk_profile_child(pp->profile, node, names[i]);
	fk_profile_add_at(pp->profile, node, pp->period);
	pp->last_node = node;
}

/* The blank line that ends a sample. */
static void sample_end(fk_perf_parser *pp)
{
	if (!pp->have_pname)
		return; /* a filtered sample: Perl keeps @stack too */
	pp->group_len = 0;
	group_push_name(pp, pp->pname, pp->pname_len);
	stack_prepend_group(pp);
	add_stack(pp);
	pp->samples++;
	sample_reset(pp);
}

/* Perl's numeric value of a string of digits. */
static double digits_value(const char *s, size_t len)
{
	if (len <= 15) {
		uint64_t v = 0;
		for (size_t i = 0; i < len; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		return (double)v;
	}
	char *buf = fk_xstrndup(s, len);
	double v = strtod(buf, NULL);
	free(buf);
	return v;
}

static void event_line(fk_perf_parser *pp, const char *line, size_t len,
		       const fk_perf_event_line *ev, uint32_t file, uint64_t lineno)
{
	const char *period = NULL, *event;
	size_t period_len = 0, event_len;
	if (fk_perf_match_period(line, len, &period, &period_len, &event, &event_len)) {
		if (!pp->event_set) {
			fk_perf_parser_set_default_event(pp, event, event_len);
		} else if (event_len != pp->event_len || memcmp(event, pp->event, event_len) != 0) {
			pp->filtered++;
			return;
		}
	}
	/* if (not $period) { $period = 1 }: "" and "0" are false in Perl */
	if (!period || (period_len == 1 && period[0] == '0'))
		pp->period = 1;
	else
		pp->period = digits_value(period, period_len);

	const char *pid = ev->pid, *tid = ev->tid;
	size_t pid_len = ev->pid_len, tid_len = ev->tid_len;
	if (!tid || (tid_len == 1 && tid[0] == '0')) { /* not $tid */
		tid = pid;
		tid_len = pid_len;
		pid = "?";
		pid_len = 1;
	}
	size_t need = ev->comm_len + pid_len + tid_len + 3;
	fk_grow((void **)&pp->pname, 1, &pp->pname_cap, need);
	char *o = pp->pname;
	memcpy(o, line, ev->comm_len);
	o += ev->comm_len;
	if (pp->opt.include_tid || pp->opt.include_pid) {
		*o++ = '-';
		memcpy(o, pid, pid_len);
		o += pid_len;
		if (pp->opt.include_tid) {
			*o++ = '/';
			memcpy(o, tid, tid_len);
			o += tid_len;
		}
	}
	pp->pname_len = (size_t)(o - pp->pname);
	for (size_t i = 0; i < pp->pname_len; i++)
		if (pp->pname[i] == ' ')
			pp->pname[i] = '_';
	pp->have_pname = true;
	pp->java = pp->pname_len >= 4 && memcmp(pp->pname, "java", 4) == 0;
	(void)file;
	(void)lineno;
}

/* Module-name tests, once per stack line. */
static bool mod_is_kernel(const char *mod, size_t len)
{
	/* $mod =~ m/(^\[|vmlinux$)/ && $mod !~ /unknown/ */
	bool k = (len > 0 && mod[0] == '[') || (len >= 7 && memcmp(mod + len - 7, "vmlinux", 7) == 0);
	return k && !contains(mod, len, "unknown");
}

/* m:/tmp/perf-\d+\.map: */
static bool mod_is_jit(const char *mod, size_t len)
{
	const char *p = mod, *end = mod + len;
	while ((p = memmem(p, (size_t)(end - p), "/tmp/perf-", 10)) != NULL) {
		const char *d = p + 10;
		const char *q = d;
		while (q < end && is_digit((unsigned char)*q))
			q++;
		if (q > d && end - q >= 4 && memcmp(q, ".map", 4) == 0)
			return true;
		p++;
	}
	return false;
}

/* m/(perf-\d+.map|kernel\.|\[[^\]]+\])/ : modules --inline leaves alone */
static bool mod_skips_inline(const char *mod, size_t len)
{
	const char *end = mod + len;
	for (const char *p = mod; (p = memmem(p, (size_t)(end - p), "perf-", 5)) != NULL; p++) {
		const char *q = p + 5;
		const char *d = q;
		while (q < end && is_digit((unsigned char)*q))
			q++;
		/* \d+ may give back digits for the '.', which can match a digit */
		for (const char *dot = q; dot > d; dot--) {
			if (end - dot >= 4 && dot[0] != '\n' && memcmp(dot + 1, "map", 3) == 0)
				return true;
		}
	}
	if (contains(mod, len, "kernel."))
		return true;
	for (const char *p = mod; p < end; p++) {
		if (*p != '[')
			continue;
		const char *q = p + 1;
		if (q < end && *q != ']') {
			const char *close = memchr(q, ']', (size_t)(end - q));
			if (close)
				return true;
		}
	}
	return false;
}

/* Scans for the bytes that tidying changes. */
static inline bool needs_tidy(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ';' || c == '(' || c == '"' || c == '\'')
			return true;
	}
	return false;
}

/* $tidy_generic: ";" becomes ":"; unless the name looks like a Go method, cut at the first "(" that
 * does not open "(anonymous namespace)"; drop quote characters.
 * Works in place on pp->name[0..len); returns the new length. */
static size_t tidy_generic(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == ';')
			s[i] = ':';
	/* m/\.\(.*\)\./ : a ".(" with a ")." after it (no newline in between) */
	bool go_like = false;
	const char *open = memmem(s, len, ".(", 2);
	if (open) {
		for (size_t j = len; j >= 2 && !go_like; j--) {
			const char *close = s + j - 2;
			if (close < open + 2)
				break;
			if (close[0] == ')' && close[1] == '.')
				go_like = !memchr(open, '\n', (size_t)(close - open));
		}
	}
	if (!go_like) {
		static const char anon[] = "anonymous namespace)";
		const size_t anon_len = sizeof(anon) - 1;
		for (size_t i = 0; i < len; i++) {
			if (s[i] != '(')
				continue;
			if (len - i - 1 >= anon_len && memcmp(s + i + 1, anon, anon_len) == 0)
				continue;
			/* '.*' stops at a newline: keep what follows one */
			const char *nl = memchr(s + i, '\n', len - i);
			if (nl) {
				size_t rest = len - (size_t)(nl - s);
				memmove(s + i, nl, rest);
				len = i + rest;
			} else {
				len = i;
			}
			break;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '"' && s[i] != '\'')
			s[o++] = s[i];
	return o;
}

typedef struct line_cursor {
	const char *p, *end;
	uint64_t lineno;
	bool more;     /* more chunks of this file follow */
	bool ran_out;  /* a line was taken past the end */
} line_cursor;

/* $_ = <>; chomp: the next line, or "" at the end. */
static const char *cursor_take_line(line_cursor *cur, size_t *len)
{
	if (cur->p >= cur->end) {
		cur->ran_out = true;
		*len = 0;
		return "";
	}
	const char *nl = memchr(cur->p, '\n', (size_t)(cur->end - cur->p));
	const char *le = nl ? nl : cur->end;
	const char *line = cur->p;
	*len = (size_t)(le - line);
	cur->p = nl ? nl + 1 : cur->end;
	cur->lineno++;
	return line;
}

/* Appends ":" and the cleaned source line of `perf script -F+srcline`. */
static size_t append_srcline(fk_perf_parser *pp, size_t len, const char *src, size_t src_len)
{
	/* drop every "[...]", then white space at both ends */
	name_reserve(pp, len + src_len + 2);
	char *tmp = fk_xmalloc(src_len + 1);
	size_t t = 0;
	for (size_t i = 0; i < src_len;) {
		if (src[i] == '[') {
			const char *close = memchr(src + i + 1, ']', src_len - i - 1);
			const char *nl = memchr(src + i + 1, '\n', src_len - i - 1);
			if (close && (!nl || nl > close)) {
				i = (size_t)(close - src) + 1;
				continue;
			}
		}
		tmp[t++] = src[i++];
	}
	size_t b = 0, e = t;
	while (b < e && is_space((unsigned char)tmp[b]))
		b++;
	while (e > b && is_space((unsigned char)tmp[e - 1]))
		e--;
	if (e > b) {
		pp->name[len++] = ':';
		memcpy(pp->name + len, tmp + b, e - b);
		len += e - b;
	}
	free(tmp);
	return len;
}

/* The cache key of a stack line: from the symbol to the last ')' (the address is left
 * out unless --addrs may print it), and whether the process is Java. */
static inline uint64_t cache_hash(const char *key, size_t len, bool java)
{
	uint64_t h = fk_hash_bytes(key, len) ^ (java ? 0x5bd1e9955bd1e995ULL : 0);
	return h ? h : 1;
}

static const struct line_cache_slot *cache_find(const fk_perf_parser *pp, const char *key,
						size_t len, uint64_t h)
{
	size_t i = h & pp->cache_mask;
	for (;;) {
		const struct line_cache_slot *sl = &pp->cache[i];
		if (!sl->hash)
			return NULL;
		if (sl->hash == h && sl->key_len == len &&
		    memcmp(pp->cache_keys + sl->key_off, key, len) == 0)
			return sl;
		i = (i + 1) & pp->cache_mask;
	}
}

static void cache_insert(fk_perf_parser *pp, const char *key, size_t len, uint64_t h)
{
	if (len > UINT32_MAX / 2 || pp->cache_keys_len + len > UINT32_MAX ||
	    pp->cache_ids_len + pp->group_len > UINT32_MAX)
		return;
	if ((pp->cache_count + 1) * 2 > pp->cache_mask) {
		size_t nmask = pp->cache_mask * 2 + 1;
		struct line_cache_slot *ns = fk_xcalloc(nmask + 1, sizeof(*ns));
		for (size_t i = 0; i <= pp->cache_mask; i++) {
			if (!pp->cache[i].hash)
				continue;
			size_t j = pp->cache[i].hash & nmask;
			while (ns[j].hash)
				j = (j + 1) & nmask;
			ns[j] = pp->cache[i];
		}
		free(pp->cache);
		pp->cache = ns;
		pp->cache_mask = nmask;
	}
	fk_grow((void **)&pp->cache_keys, 1, &pp->cache_keys_cap, pp->cache_keys_len + len);
	memcpy(pp->cache_keys + pp->cache_keys_len, key, len);
	/* + 1: allocated even when every line so far gave no frame (cache_ids + off stays
	 * valid pointer arithmetic); group is NULL until a frame was pushed */
	fk_grow((void **)&pp->cache_ids, sizeof(fk_name_id), &pp->cache_ids_cap,
		pp->cache_ids_len + pp->group_len + 1);
	if (pp->group_len)
		memcpy(pp->cache_ids + pp->cache_ids_len, pp->group,
		       pp->group_len * sizeof(fk_name_id));
	size_t i = h & pp->cache_mask;
	while (pp->cache[i].hash)
		i = (i + 1) & pp->cache_mask;
	pp->cache[i] = (struct line_cache_slot){h, (uint32_t)pp->cache_keys_len, (uint32_t)len,
						(uint32_t)pp->cache_ids_len, (uint32_t)pp->group_len};
	pp->cache_keys_len += len;
	pp->cache_ids_len += pp->group_len;
	pp->cache_count++;
}

/* unshift @stack, ids */
static void stack_prepend(fk_perf_parser *pp, const fk_name_id *ids, size_t n)
{
	fk_stack_builder_prepend(&pp->stack, ids, n);
}

static void unrecognized(fk_perf_parser *pp, const char *line, size_t len, uint32_t file,
			 uint64_t lineno);

/* Records where the frames first named by this stack line (ids from known on) came from:
 * its address and module (pprof output's locations and mappings). Only new names get
 * here, so samples made of names seen before cost nothing. */
static void note_origins(fk_perf_parser *pp, const fk_perf_stack_line *sl, size_t known)
{
	uint64_t address = 0;
	size_t i = 0;
	if (sl->pc_len > 2 && sl->pc[0] == '0' && (sl->pc[1] == 'x' || sl->pc[1] == 'X'))
		i = 2;
	for (; i < sl->pc_len && i < 18; i++) {
		unsigned char ch = (unsigned char)sl->pc[i];
		unsigned d = is_digit(ch) ? ch - '0' : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ?
			(ch | 0x20) - 'a' + 10 : 16;
		if (d == 16)
			break;
		address = address << 4 | d;
	}
	bool no_module = sl->mod_len == 0 || (sl->mod_len == 9 && memcmp(sl->mod, "[unknown]", 9) == 0);
	for (size_t g = 0; g < pp->group_len; g++)
		if (pp->group[g] >= known)
			fk_profile_set_origin(pp->profile, pp->group[g], address,
					      no_module ? NULL : sl->mod, no_module ? 0 : sl->mod_len);
}

static void stack_line_frames_named(fk_perf_parser *pp, const fk_perf_stack_line *sl,
				    line_cursor *cur);

/* Applies the rules to one stack line; leaves its frames in pp->group (maybe none). */
static void stack_line_frames(fk_perf_parser *pp, const fk_perf_stack_line *sl, line_cursor *cur)
{
	size_t known = fk_interner_count(pp->names);
	stack_line_frames_named(pp, sl, cur);
	if (FK_UNLIKELY(fk_interner_count(pp->names) > known) && !sl->verbatim)
		note_origins(pp, sl, known);
}

static void stack_line_frames_named(fk_perf_parser *pp, const fk_perf_stack_line *sl,
				    line_cursor *cur)
{
	const char *func = sl->func;
	size_t func_len = sl->func_len;
	const char *mod = sl->mod;
	size_t mod_len = sl->mod_len;

	if (sl->verbatim) {
		pp->group_len = 0;
		group_push_name(pp, func, func_len);
		return;
	}
	if (pp->opt.show_inline && pp->inliner && !mod_skips_inline(mod, mod_len)) {
		const char *res = fk_inliner_lookup(pp->inliner, sl->pc, sl->pc_len, func, func_len,
						    mod, mod_len);
		pp->group_len = 0;
		if (res && res[0] && strcmp(res, "??") != 0 && strcmp(res, "??:??:0") != 0) {
			group_push_name(pp, res, strlen(res));
			return;
		}
	}

	/* s/\+0x[\da-f]+$// */
	{
		size_t i = func_len;
		while (i > 0 && (is_digit((unsigned char)func[i - 1]) ||
				 (func[i - 1] >= 'a' && func[i - 1] <= 'f')))
			i--;
		if (i < func_len && i >= 3 && memcmp(func + i - 3, "+0x", 3) == 0)
			func_len = i - 3;
	}
	pp->group_len = 0;
	if (func_len > 0 && func[0] == '(')
		return; /* skip process names */

	bool kernel = pp->opt.annotate_kernel && mod_is_kernel(mod, mod_len);
	bool jit = !kernel && pp->opt.annotate_jit && mod_is_jit(mod, mod_len);
	bool is_unknown = false;
	pp->group_len = 0;

	/* split /\->/, $rawfunc (trailing empty fields dropped) */
	const char *end = func + func_len;
	size_t pieces_end = func_len;
	while (pieces_end >= 2 && memcmp(func + pieces_end - 2, "->", 2) == 0)
		pieces_end -= 2;
	if (pieces_end == 0)
		return;
	end = func + pieces_end;
	const char *piece = func;
	size_t index = 0;
	for (;;) {
		const char *arrow = find_arrow(piece, (size_t)(end - piece));
		size_t plen = arrow ? (size_t)(arrow - piece) : (size_t)(end - piece);
		size_t len;

		if (plen == 9 && memcmp(piece, "[unknown]", 9) == 0) {
			const char *base;
			size_t base_len;
			if (!(mod_len == 9 && memcmp(mod, "[unknown]", 9) == 0)) {
				/* s/.*\/// : after the last '/' (before any newline) */
				const char *slash = memrchr(mod, '/', mod_len);
				base = slash ? slash + 1 : mod;
				base_len = mod_len - (size_t)(base - mod);
			} else {
				base = "unknown";
				base_len = 7;
				is_unknown = true;
			}
			name_reserve(pp, base_len + sl->pc_len + 8);
			len = 0;
			pp->name[len++] = '[';
			memcpy(pp->name + len, base, base_len);
			len += base_len;
			if (pp->opt.include_addrs) {
				pp->name[len++] = ' ';
				pp->name[len++] = '<';
				memcpy(pp->name + len, sl->pc, sl->pc_len);
				len += sl->pc_len;
				pp->name[len++] = '>';
			}
			pp->name[len++] = ']';
		} else {
			name_reserve(pp, plen + 8);
			memcpy(pp->name, piece, plen);
			len = plen;
		}
		if (needs_tidy(pp->name, len))
			len = tidy_generic(pp->name, len);
		char *name = pp->name;
		if (pp->java && len > 0 && name[0] == 'L' && memchr(name, '/', len)) {
			memmove(name, name + 1, len - 1);
			len--;
		}
		name_reserve(pp, len + 8);
		name = pp->name;
		if (index > 0) {
			if (!contains(name, len, "_[i]")) {
				memcpy(name + len, "_[i]", 4);
				len += 4;
			}
		} else if (kernel) {
			memcpy(name + len, "_[k]", 4);
			len += 4;
		} else if (jit && !contains(name, len, "_[j]")) {
			memcpy(name + len, "_[j]", 4);
			len += 4;
		}
		if (pp->opt.srcline && !is_unknown) {
			size_t src_len;
			const char *src = cursor_take_line(cur, &src_len);
			len = append_srcline(pp, len, src, src_len);
		}
		group_push_name(pp, pp->name, len);
		index++;
		if (!arrow)
			break;
		piece = arrow + 2;
	}
}

/* A stack line: from the cache, or through the rules (then cached). */
static void stack_line(fk_perf_parser *pp, const char *line, size_t len, line_cursor *cur,
		       uint32_t file, uint64_t lineno)
{
	const unsigned char *s = (const unsigned char *)line;
	const char *key = NULL;
	size_t key_len = 0, f = 0;
	uint64_t h = 0;
	if (pp->cache_enabled && pp->have_pname) {
		size_t w = 0;
		while (w < len && is_space(s[w]))
			w++;
		size_t w_end = w;
		while (w_end < len && is_word(s[w_end]))
			w_end++;
		f = w_end;
		while (f < len && is_space(s[f]))
			f++;
		const char *close = len && line[len - 1] == ')' ? line + len - 1 : memrchr(line, ')', len);
		if (w_end > w && close && close > line + f) {
			size_t from = pp->opt.include_addrs ? w : f;
			key = line + from;
			key_len = (size_t)(close + 1 - key);
			h = cache_hash(key, key_len, pp->java);
			const struct line_cache_slot *hit = cache_find(pp, key, key_len, h);
			if (hit) {
				stack_prepend(pp, pp->cache_ids + hit->ids_off, hit->ids_len);
				return;
			}
		}
	}
	fk_perf_stack_line sl;
	if (!fk_perf_match_stack_line(line, len, &sl)) {
		unrecognized(pp, line, len, file, lineno);
		return;
	}
	if (!pp->have_pname)
		return;
	stack_line_frames(pp, &sl, cur);
	if (cur->ran_out && cur->more) {
		pp->group_len = 0; /* its source lines are in the next chunk: done again there */
		return;
	}
	/* lines where Perl's backtracking moved the symbol's start are not cached */
	if (key && sl.func == line + f)
		cache_insert(pp, key, key_len, h);
	stack_prepend_group(pp);
}

fk_node_id fk_perf_parser_last_node(const fk_perf_parser *pp)
{
	return pp->last_node;
}

void fk_perf_parser_add_sample(fk_perf_parser *pp, const char *root, const char *comm, int pid,
			       int tid, double period, const fk_perf_stack_line *frames, size_t n)
{
	/* the event line perf script would print: "comm PID/TID ..." */
	char line[128];
	size_t comm_len = strlen(comm);
	if (comm_len > 64)
		comm_len = 64;
	int m = snprintf(line, sizeof(line), "%.*s %d/%d", (int)comm_len, comm, pid, tid);
	fk_perf_event_line ev = {comm_len, NULL, 0, NULL, 0};
	const char *slash = memchr(line + comm_len + 1, '/', (size_t)m - comm_len - 1);
	ev.pid = line + comm_len + 1;
	ev.pid_len = (size_t)(slash - ev.pid);
	ev.tid = slash + 1;
	ev.tid_len = (size_t)(line + m - ev.tid);
	sample_reset(pp);
	event_line(pp, line, (size_t)m, &ev, 0, 0);
	pp->period = period;
	line_cursor none = {NULL, NULL, 0, false, false};
	for (size_t i = 0; i < n; i++) {
		stack_line_frames(pp, &frames[i], &none);
		stack_prepend_group(pp);
	}
	if (root) {
		/* the process frame goes on first, then root under it */
		pp->group_len = 0;
		group_push_name(pp, pp->pname, pp->pname_len);
		stack_prepend_group(pp);
		group_push(pp, fk_intern(pp->names, root, strlen(root)));
		stack_prepend_group(pp);
		add_stack(pp);
		pp->samples++;
		sample_reset(pp);
		return;
	}
	sample_end(pp);
}

static void unrecognized(fk_perf_parser *pp, const char *line, size_t len, uint32_t file,
			 uint64_t lineno)
{
	char quoted[512];
	pp->unrecognized++;
	if (pp->diag->count < pp->diag->keep)
		fk_diag_quote(quoted, sizeof(quoted), line, len);
	else
		quoted[0] = '\0';
	fk_diag_add(pp->diag, file, lineno, "unrecognized line: %s", quoted);
}

static void parse_lines(fk_perf_parser *pp, const fk_chunk *c);

void fk_perf_parse_chunk(fk_perf_parser *pp, const fk_chunk *c)
{
	if (!pp->pending_len) {
		parse_lines(pp, c);
		return;
	}
	/* the pending stack line (and its lines) first, joined with this chunk */
	fk_grow((void **)&pp->pending, 1, &pp->pending_cap, pp->pending_len + c->len);
	if (c->len)
		memcpy(pp->pending + pp->pending_len, c->data, c->len);
	fk_chunk joined = *c;
	joined.data = pp->pending;
	joined.len = pp->pending_len + c->len;
	joined.first_line = pp->pending_line;
	pp->pending_len = 0;
	/* parse_lines may keep a tail of the joined text as pending again, in a new buffer */
	char *buf = pp->pending;
	pp->pending = NULL;
	pp->pending_cap = 0;
	parse_lines(pp, &joined);
	free(buf);
}

static void parse_lines(fk_perf_parser *pp, const fk_chunk *c)
{
	line_cursor cur = {c->data, c->data + c->len, c->first_line, !c->file_end && !c->cut, false};
	while (cur.p < cur.end) {
		uint64_t lineno = cur.lineno;
		size_t len;
		const char *line = cursor_take_line(&cur, &len);
		if (len == 0) {
			sample_end(pp);
			continue;
		}
		unsigned char first = (unsigned char)line[0];
		if (first == '#')
			continue;
		fk_perf_event_line ev;
		if (!is_space(first) && fk_perf_match_event_line(line, len, &ev))
			event_line(pp, line, len, &ev, c->file, lineno);
		else
			stack_line(pp, line, len, &cur, c->file, lineno);
		if (cur.ran_out && cur.more) {
			/* keep this stack line and the rest of the chunk for the next chunk */
			size_t n = (size_t)(c->data + c->len - line);
			fk_grow((void **)&pp->pending, 1, &pp->pending_cap, n);
			memcpy(pp->pending, line, n);
			pp->pending_len = n;
			pp->pending_line = lineno;
			return;
		}
	}
	if (c->file_end)
		sample_end(pp); /* the Perl script drops this sample; flamekit keeps it */
	if (c->cut || c->file_end)
		sample_reset(pp);
}
