/* series.c: series names ("APP.TYPE{k=v}") as ingest gives them, their canonical form,
 * queries over them with label matchers (= != =~ !~), and the times and durations of the
 * HTTP API (series.h). Every string comes from the network: lengths and counts are
 * bounded, and errors say which character is wrong. */
#include "series.h"

#include <ctype.h>
#include <limits.h>

enum {
	MAX_NAME_LEN = 1024,   /* an ingest name */
	MAX_QUERY_LEN = 4096,  /* a query (regexes make them longer) */
	MAX_LABELS = 64,       /* labels of a name, matchers of a query */
	MAX_REGEX_REPEAT = 4096, /* product of the repetition factors of one regex */
	MAX_REGEX_LEN = 1024,
};
/* The last second whose Unix time in nanoseconds fits in int64_t (2262). */
#define MAX_TIME_SEC (INT64_MAX / 1000000000)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_label_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

static bool is_type_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A byte a label value may hold. */
static bool is_value_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 0x20 && u != 0x7f && c != ',' && c != '{' && c != '}' && c != '=' &&
	       c != '"' && c != '\\';
}

/* A byte an app name may hold: a value byte that is not white space. */
static bool is_app_char(char c)
{
	return is_value_char(c) && c != ' ';
}

/* A printable description of byte c for messages. */
static const char *describe(char c, char buf[16])
{
	unsigned char u = (unsigned char)c;
	if (u > 0x20 && u < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", u);
	return buf;
}

/* A cursor over the text being parsed. */
typedef struct scanner {
	const char *s;
	size_t len, pos;
	const char *what; /* "name" or "query", for messages */
} scanner;

static void skip_space(scanner *sc)
{
	while (sc->pos < sc->len && is_space(sc->s[sc->pos]))
		sc->pos++;
}

static bool at_end(const scanner *sc)
{
	return sc->pos >= sc->len;
}

static char peek(const scanner *sc)
{
	return sc->pos < sc->len ? sc->s[sc->pos] : '\0';
}

/* Sets err to "WHAT: at character N: MESSAGE" (N 1-based) and returns -1. */
static int fail_at(const scanner *sc, size_t pos, fk_error *err, const char *message)
{
	return fk_error_set(err, "%s: at character %zu: %s", sc->what, pos + 1, message);
}

static int fail_unexpected(const scanner *sc, fk_error *err, const char *expected)
{
	char buf[16], msg[128];
	if (at_end(sc))
		snprintf(msg, sizeof msg, "expected %s, found the end", expected);
	else
		snprintf(msg, sizeof msg, "expected %s, found %s", expected,
			 describe(peek(sc), buf));
	return fail_at(sc, sc->pos, err, msg);
}

/* The part before '{' (or the whole text): [start, end) trimmed. Checks its bytes with
 * ok. Returns 0, or -1. */
static int scan_head(scanner *sc, size_t *start, size_t *end, bool (*ok)(char), fk_error *err)
{
	skip_space(sc);
	*start = sc->pos;
	while (sc->pos < sc->len && sc->s[sc->pos] != '{' && !is_space(sc->s[sc->pos])) {
		if (!ok(sc->s[sc->pos])) {
			char buf[16], msg[64];
			snprintf(msg, sizeof msg, "%s is not allowed in the name",
				 describe(sc->s[sc->pos], buf));
			return fail_at(sc, sc->pos, err, msg);
		}
		sc->pos++;
	}
	*end = sc->pos;
	skip_space(sc);
	if (*start == *end)
		return fail_at(sc, *start, err, "the app name is empty");
	if (!at_end(sc) && peek(sc) != '{')
		return fail_unexpected(sc, err, "'{' or the end");
	return 0;
}

/* A label name [A-Za-z0-9_.]+ at the cursor. */
static int scan_label_name(scanner *sc, size_t *start, size_t *end, fk_error *err)
{
	*start = sc->pos;
	while (sc->pos < sc->len && is_label_name_char(sc->s[sc->pos]))
		sc->pos++;
	*end = sc->pos;
	if (*start == *end)
		return fail_unexpected(sc, err, "a label name ([A-Za-z0-9_.])");
	return 0;
}

/* Splits head [start, end) into app and type at its last dot. */
static int split_app_type(const scanner *sc, size_t start, size_t end, char **app, char **type,
			  fk_error *err)
{
	size_t dot = end;
	for (size_t i = end; i > start; i--)
		if (sc->s[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	if (dot == end)
		return 1; /* no dot */
	if (dot == start)
		return fail_at(sc, start, err, "the app name is empty");
	if (dot + 1 == end)
		return fail_at(sc, dot, err, "the profile type after the last '.' is empty");
	for (size_t i = dot + 1; i < end; i++)
		if (!is_type_char(sc->s[i])) {
			char buf[16], msg[96];
			snprintf(msg, sizeof msg,
				 "%s is not allowed in the profile type ([A-Za-z0-9_-])",
				 describe(sc->s[i], buf));
			return fail_at(sc, i, err, msg);
		}
	*app = fk_xstrndup(sc->s + start, dot - start);
	*type = fk_xstrndup(sc->s + dot + 1, end - dot - 1);
	return 0;
}

/* ---- series keys ---- */

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const fk_label *)a)->name, ((const fk_label *)b)->name);
}

static void remove_label(fk_series_key *key, size_t i)
{
	free(key->labels[i].name);
	free(key->labels[i].value);
	memmove(&key->labels[i], &key->labels[i + 1], (key->nlabels - i - 1) * sizeof(fk_label));
	key->nlabels--;
}

void fk_series_key_set_label(fk_series_key *key, const char *name, const char *value)
{
	size_t lo = 0, hi = key->nlabels;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key->labels[mid].name, name);
		if (c == 0) {
			if (!*value) {
				remove_label(key, mid);
				return;
			}
			free(key->labels[mid].value);
			key->labels[mid].value = fk_xstrdup(value);
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!*value)
		return;
	key->labels = fk_xrealloc(key->labels, (key->nlabels + 1) * sizeof(fk_label));
	memmove(&key->labels[lo + 1], &key->labels[lo], (key->nlabels - lo) * sizeof(fk_label));
	key->labels[lo].name = fk_xstrdup(name);
	key->labels[lo].value = fk_xstrdup(value);
	key->nlabels++;
}

/* A label value at the cursor, quoted or bare; [*vs, *ve) its bytes. */
static int scan_key_value(scanner *sc, size_t *vs, size_t *ve, fk_error *err)
{
	char buf[16], msg[96];
	if (peek(sc) == '"') {
		size_t open = sc->pos++;
		*vs = sc->pos;
		if (!memchr(sc->s + sc->pos, '"', sc->len - sc->pos))
			return fail_at(sc, open, err, "unterminated '\"'");
		while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
			if (!is_value_char(sc->s[sc->pos])) {
				snprintf(msg, sizeof msg, "%s is not allowed in a label value",
					 describe(sc->s[sc->pos], buf));
				return fail_at(sc, sc->pos, err, msg);
			}
			sc->pos++;
		}
		if (at_end(sc))
			return fail_at(sc, open, err, "unterminated '\"'");
		*ve = sc->pos++;
		return 0;
	}
	*vs = sc->pos;
	while (sc->pos < sc->len && sc->s[sc->pos] != ',' && sc->s[sc->pos] != '}') {
		if (!is_value_char(sc->s[sc->pos])) {
			snprintf(msg, sizeof msg, "%s is not allowed in a label value",
				 describe(sc->s[sc->pos], buf));
			return fail_at(sc, sc->pos, err, msg);
		}
		sc->pos++;
	}
	*ve = sc->pos;
	while (*ve > *vs && is_space(sc->s[*ve - 1]))
		(*ve)--;
	return 0;
}

static int parse_key(scanner *sc, const char *default_type, fk_series_key *key, fk_error *err)
{
	size_t hs = 0, he = 0;
	if (scan_head(sc, &hs, &he, is_app_char, err) < 0)
		return -1;
	if (default_type) {
		int r = split_app_type(sc, hs, he, &key->app, &key->type, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			key->app = fk_xstrndup(sc->s + hs, he - hs);
			key->type = fk_xstrdup(default_type);
		}
	} else {
		key->app = fk_xstrndup(sc->s + hs, he - hs);
		key->type = fk_xstrdup("");
	}
	if (at_end(sc))
		return 0;
	sc->pos++; /* '{' */
	size_t given = 0;
	for (;;) {
		skip_space(sc);
		if (peek(sc) == '}')
			break;
		size_t ns = 0, ne = 0, vs = 0, ve = 0;
		if (scan_label_name(sc, &ns, &ne, err) < 0)
			return -1;
		if (ne - ns == 8 && memcmp(sc->s + ns, "__name__", 8) == 0)
			return fail_at(sc, ns, err, "the label name __name__ is reserved");
		skip_space(sc);
		if (peek(sc) != '=')
			return fail_unexpected(sc, err, "'=' after the label name");
		sc->pos++;
		skip_space(sc);
		if (scan_key_value(sc, &vs, &ve, err) < 0)
			return -1;
		if (++given > MAX_LABELS)
			return fail_at(sc, ns, err, "more than 64 labels");
		char *name = fk_xstrndup(sc->s + ns, ne - ns);
		char *value = fk_xstrndup(sc->s + vs, ve - vs);
		fk_series_key_set_label(key, name, value);
		free(name);
		free(value);
		skip_space(sc);
		if (peek(sc) == ',') {
			sc->pos++;
			continue;
		}
		if (peek(sc) != '}')
			return fail_unexpected(sc, err, "',' or '}' after the label value");
	}
	sc->pos++; /* '}' */
	skip_space(sc);
	if (!at_end(sc))
		return fail_unexpected(sc, err, "the end after '}'");
	return 0;
}

int fk_series_key_parse(const char *name, size_t len, const char *default_type,
			fk_series_key *key, fk_error *err)
{
	memset(key, 0, sizeof *key);
	if (len > MAX_NAME_LEN)
		return fk_error_set(err, "name: longer than %d bytes", MAX_NAME_LEN);
	scanner sc = {.s = name, .len = len, .what = "name"};
	if (parse_key(&sc, default_type, key, err) < 0) {
		fk_series_key_free(key);
		return -1;
	}
	return 0;
}

void fk_series_key_copy(fk_series_key *dst, const fk_series_key *src)
{
	dst->app = fk_xstrdup(src->app ? src->app : "");
	dst->type = fk_xstrdup(src->type ? src->type : "");
	dst->nlabels = src->nlabels;
	dst->labels = src->nlabels ? fk_xcalloc(src->nlabels, sizeof(fk_label)) : NULL;
	for (size_t i = 0; i < src->nlabels; i++) {
		dst->labels[i].name = fk_xstrdup(src->labels[i].name);
		dst->labels[i].value = fk_xstrdup(src->labels[i].value);
	}
}

void fk_series_key_free(fk_series_key *key)
{
	if (!key)
		return;
	for (size_t i = 0; i < key->nlabels; i++) {
		free(key->labels[i].name);
		free(key->labels[i].value);
	}
	free(key->labels);
	free(key->app);
	free(key->type);
	memset(key, 0, sizeof *key);
}

typedef struct strbuf {
	char *s;
	size_t len, cap;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
	fk_grow((void **)&b->s, 1, &b->cap, b->len + n + 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

char *fk_series_key_name(const fk_series_key *key)
{
	size_t a = strlen(key->app), t = strlen(key->type);
	char *name = fk_xmalloc(a + t + 2);
	memcpy(name, key->app, a);
	name[a] = '.';
	memcpy(name + a + 1, key->type, t + 1);
	if (!t)
		name[a] = '\0';
	return name;
}

char *fk_series_key_format(const fk_series_key *key)
{
	strbuf b = {0};
	sb_puts(&b, key->app ? key->app : "");
	if (key->type && *key->type) {
		sb_put(&b, ".", 1);
		sb_puts(&b, key->type);
	}
	sb_put(&b, "{", 1);
	for (size_t i = 0; i < key->nlabels; i++) {
		const char *v = key->labels[i].value;
		size_t vlen = strlen(v);
		/* white space at either end would be trimmed from a bare value */
		bool quote = vlen && (is_space(v[0]) || is_space(v[vlen - 1]));
		if (i)
			sb_put(&b, ",", 1);
		sb_puts(&b, key->labels[i].name);
		sb_put(&b, quote ? "=\"" : "=", quote ? 2 : 1);
		sb_put(&b, v, vlen);
		if (quote)
			sb_put(&b, "\"", 1);
	}
	sb_put(&b, "}", 1);
	return b.s;
}

const char *fk_series_key_label(const fk_series_key *key, const char *name)
{
	if (strcmp(name, "__name__") == 0)
		return NULL; /* not a stored label: fk_series_query_match builds it */
	fk_label probe = {.name = (char *)name};
	const fk_label *l = key->nlabels ? bsearch(&probe, key->labels, key->nlabels,
						   sizeof(fk_label), label_cmp)
					 : NULL;
	return l ? l->value : NULL;
}

/* ---- queries ---- */

static void matcher_free(fk_label_matcher *m)
{
	free(m->name);
	free(m->value);
	if (m->has_re)
		regfree(&m->re);
}

void fk_series_query_free(fk_series_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nmatchers; i++)
		matcher_free(&q->matchers[i]);
	free(q->matchers);
	free(q->app);
	free(q->type);
	memset(q, 0, sizeof *q);
}

/* A double-quoted value with \" and \\ escapes at the cursor, unescaped into *out. */
static int scan_quoted(scanner *sc, char **out, fk_error *err)
{
	if (peek(sc) != '"')
		return fail_unexpected(sc, err, "a '\"'-quoted value");
	size_t open = sc->pos++;
	strbuf b = {0};
	sb_put(&b, "", 0);
	while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
		char c = sc->s[sc->pos];
		if (c == '\\') {
			if (sc->pos + 1 >= sc->len)
				break;
			char e = sc->s[sc->pos + 1];
			if (e != '"' && e != '\\') {
				/* keep the backslash: regexes use \. and the like */
				sb_put(&b, "\\", 1);
				sc->pos++;
				continue;
			}
			sb_put(&b, &e, 1);
			sc->pos += 2;
			continue;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f) {
			char buf[16], msg[96];
			snprintf(msg, sizeof msg, "%s is not allowed in a value", describe(c, buf));
			free(b.s);
			return fail_at(sc, sc->pos, err, msg);
		}
		sb_put(&b, &c, 1);
		sc->pos++;
	}
	if (at_end(sc)) {
		free(b.s);
		return fail_at(sc, open, err, "unterminated '\"'");
	}
	sc->pos++;
	*out = b.s;
	return 0;
}

/* What glibc's regcomp would make of re is bounded: it expands "x+" into "xx*" and
 * "x{m,n}" into n copies of x, so nested or stacked repetitions cost memory exponential in
 * their depth. The product of the factors (2 per '+', the largest bound per {m,n}) stays
 * under MAX_REGEX_REPEAT. Back-references (\1..\9), which glibc matches by backtracking,
 * are refused. Returns NULL, or what is wrong. */
static const char *regex_cost_problem(const char *re)
{
	if (strlen(re) > MAX_REGEX_LEN)
		return "the regex is longer than 1024 bytes";
	double product = 1;
	bool after_repetition = false;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			if (*p >= '1' && *p <= '9')
				return "back-references (\\1 ... \\9) are not supported";
			after_repetition = false;
			continue;
		}
		if (*p == '[') {
			/* a bracket expression: its bytes are no operators */
			const char *q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']') {
				if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
					char close = q[1];
					q += 2;
					while (*q && !(q[0] == close && q[1] == ']'))
						q++;
					if (*q)
						q += 2;
					continue;
				}
				q++;
			}
			if (!*q)
				break; /* unterminated: regcomp says so */
			p = q;
			after_repetition = false;
			continue;
		}
		bool repetition = *p == '*' || *p == '+' || *p == '?' || *p == '{';
		if (!repetition) {
			after_repetition = false;
			continue;
		}
		if (after_repetition)
			return "a repetition (*, +, ?, {m,n}) directly after another";
		after_repetition = true;
		double factor = *p == '+' ? 2 : 1;
		if (*p == '{') {
			const char *q = p + 1;
			while (*q && *q != '}') {
				if (*q >= '0' && *q <= '9') {
					double n = 0;
					while (*q >= '0' && *q <= '9' && n < 1e9)
						n = n * 10 + (*q++ - '0');
					if (n > factor)
						factor = n;
					continue;
				}
				q++;
			}
			if (*q)
				p = q; /* on to the '}' */
		}
		product *= factor;
		if (product > MAX_REGEX_REPEAT)
			return "the regex repeats too much (its '+' and {m,n} multiply past 4096)";
	}
	return NULL;
}

static int compile_matcher(scanner *sc, size_t at, fk_label_matcher *m, fk_error *err)
{
	const char *problem = regex_cost_problem(m->value);
	if (problem)
		return fail_at(sc, at, err, problem);
	size_t n = strlen(m->value);
	char *anchored = fk_xmalloc(n + 5);
	memcpy(anchored, "^(", 2);
	memcpy(anchored + 2, m->value, n);
	memcpy(anchored + 2 + n, ")$", 3);
	int rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		char rbuf[128], msg[192];
		regerror(rc, &m->re, rbuf, sizeof rbuf);
		snprintf(msg, sizeof msg, "bad regex: %s", rbuf);
		return fail_at(sc, at, err, msg);
	}
	m->has_re = true;
	return 0;
}

static int parse_query(scanner *sc, fk_series_query *q, fk_error *err)
{
	size_t hs = 0, he = 0;
	if (scan_head(sc, &hs, &he, is_app_char, err) < 0)
		return -1;
	int r = split_app_type(sc, hs, he, &q->app, &q->type, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		q->app = fk_xstrndup(sc->s + hs, he - hs);
		q->type = fk_xstrdup("");
	}
	if (at_end(sc))
		return 0;
	sc->pos++; /* '{' */
	size_t cap = 0;
	for (;;) {
		skip_space(sc);
		if (peek(sc) == '}')
			break;
		size_t ns = 0, ne = 0;
		if (scan_label_name(sc, &ns, &ne, err) < 0)
			return -1;
		if (q->nmatchers >= MAX_LABELS)
			return fail_at(sc, ns, err, "more than 64 matchers");
		skip_space(sc);
		fk_match_op op;
		if (peek(sc) == '=') {
			sc->pos++;
			op = FK_MATCH_EQ;
			if (peek(sc) == '~') {
				sc->pos++;
				op = FK_MATCH_RE;
			}
		} else if (peek(sc) == '!' && sc->pos + 1 < sc->len &&
			   (sc->s[sc->pos + 1] == '=' || sc->s[sc->pos + 1] == '~')) {
			op = sc->s[sc->pos + 1] == '=' ? FK_MATCH_NE : FK_MATCH_NRE;
			sc->pos += 2;
		} else {
			return fail_unexpected(sc, err, "'=', '!=', '=~' or '!~' after the label name");
		}
		skip_space(sc);
		size_t vat = sc->pos;
		char *value = NULL;
		if (scan_quoted(sc, &value, err) < 0)
			return -1;
		fk_grow((void **)&q->matchers, sizeof(fk_label_matcher), &cap, q->nmatchers + 1);
		fk_label_matcher *m = &q->matchers[q->nmatchers];
		memset(m, 0, sizeof *m);
		m->name = fk_xstrndup(sc->s + ns, ne - ns);
		m->op = op;
		m->value = value;
		q->nmatchers++;
		if ((op == FK_MATCH_RE || op == FK_MATCH_NRE) && compile_matcher(sc, vat, m, err) < 0)
			return -1;
		skip_space(sc);
		if (peek(sc) == ',') {
			sc->pos++;
			continue;
		}
		if (peek(sc) != '}')
			return fail_unexpected(sc, err, "',' or '}' after the value");
	}
	sc->pos++; /* '}' */
	skip_space(sc);
	if (!at_end(sc))
		return fail_unexpected(sc, err, "the end after '}'");
	return 0;
}

int fk_series_query_parse(const char *query, size_t len, fk_series_query *q, fk_error *err)
{
	memset(q, 0, sizeof *q);
	if (len > MAX_QUERY_LEN)
		return fk_error_set(err, "query: longer than %d bytes", MAX_QUERY_LEN);
	scanner sc = {.s = query, .len = len, .what = "query"};
	if (parse_query(&sc, q, err) < 0) {
		fk_series_query_free(q);
		return -1;
	}
	return 0;
}

bool fk_series_query_match(const fk_series_query *q, const fk_series_key *key)
{
	if (strcmp(q->app, key->app) != 0)
		return false;
	if (*q->type && strcmp(q->type, key->type) != 0)
		return false;
	char *full_name = NULL;
	bool ok = true;
	for (size_t i = 0; i < q->nmatchers && ok; i++) {
		const fk_label_matcher *m = &q->matchers[i];
		const char *v;
		if (strcmp(m->name, "__name__") == 0) {
			if (!full_name)
				full_name = fk_series_key_name(key);
			v = full_name;
		} else {
			v = fk_series_key_label(key, m->name);
			if (!v)
				v = "";
		}
		switch (m->op) {
		case FK_MATCH_EQ:
			ok = strcmp(v, m->value) == 0;
			break;
		case FK_MATCH_NE:
			ok = strcmp(v, m->value) != 0;
			break;
		case FK_MATCH_RE:
			ok = regexec(&m->re, v, 0, NULL, 0) == 0;
			break;
		case FK_MATCH_NRE:
			ok = regexec(&m->re, v, 0, NULL, 0) != 0;
			break;
		}
	}
	free(full_name);
	return ok;
}

/* ---- times and durations ---- */

/* Digits [p, end) to *out; false on none, another byte, or overflow. */
static bool parse_digits(const char *p, const char *end, int64_t *out)
{
	if (p == end)
		return false;
	int64_t v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* "90", "90s", "15m", "2h", "30d", "1w" at [p, end) to seconds (>= 0). */
static bool parse_amount(const char *p, const char *end, int64_t *out)
{
	int64_t mult = 1;
	if (end > p) {
		switch (end[-1]) {
		case 's': mult = 1; end--; break;
		case 'm': mult = 60; end--; break;
		case 'h': mult = 3600; end--; break;
		case 'd': mult = 86400; end--; break;
		case 'w': mult = 7 * 86400; end--; break;
		default: break;
		}
	}
	int64_t n;
	if (!parse_digits(p, end, &n) || n > INT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

int fk_parse_time(const char *text, int64_t now_sec, int64_t *out_sec, fk_error *err)
{
	size_t len = strnlen(text, 64);
	if (len == 0)
		return fk_error_set(err, "empty time");
	if (len >= 64)
		return fk_error_set(err, "bad time (too long)");
	const char *end = text + len;
	if (len >= 3 && memcmp(text, "now", 3) == 0) {
		if (len == 3) {
			*out_sec = now_sec;
			return 0;
		}
		int64_t back;
		if (text[3] != '-' || !parse_amount(text + 4, end, &back))
			return fk_error_set(err, "bad time '%s' (want now, now-30s, now-15m, now-1h, now-2d, now-1w or a Unix time)", text);
		if (back > now_sec)
			return fk_error_set(err, "bad time '%s' (before 1970)", text);
		*out_sec = now_sec - back;
		return 0;
	}
	int64_t v;
	if (!parse_digits(text, end, &v))
		return fk_error_set(err, "bad time '%s' (want now, now-1h or a Unix time in s, ms, us or ns)", text);
	if (v > 100000000000000000LL)
		v /= 1000000000;
	else if (v > 100000000000000LL)
		v /= 1000000;
	else if (v > 100000000000LL)
		v /= 1000;
	if (v > MAX_TIME_SEC)
		return fk_error_set(err, "bad time '%s' (after the year 2262)", text);
	*out_sec = v;
	return 0;
}

int fk_parse_duration(const char *text, int64_t *out_sec, fk_error *err)
{
	size_t len = strnlen(text, 64);
	int64_t v;
	if (len == 0 || len >= 64 || !parse_amount(text, text + len, &v) || v <= 0)
		return fk_error_set(err, "bad duration '%.63s' (want a positive number of seconds, or 90s, 15m, 2h, 30d, 1w)", text);
	*out_sec = v;
	return 0;
}
