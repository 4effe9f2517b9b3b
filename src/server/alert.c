/* alert.c: regression alert rules, their evaluation against the store, and the webhook
 * sender (alert.h). Queries and quoted values go through the query parser of series.h;
 * shares are the totals the sample filter keeps (stack/filter.h: an exact function as a
 * base name, a regex as a focus). */
#define _GNU_SOURCE
#include "alert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "../output/json_text.h"
#include "../util/http_client.h"
#include "../util/options.h"
#include "query.h"

enum {
	MAX_NAME_LEN = 128,             /* alert=NAME */
	MAX_DURATION_SEC = 10 * 366 * 86400, /* window=, baseline= */
};

/* ---- parsing rules ---- */

static int fail_at(fk_error *err, size_t pos, const char *fmt, ...) FK_PRINTF(3, 4);
static int fail_at(fk_error *err, size_t pos, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fk_error_set(err, "at character %zu: %s", pos + 1, msg);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A byte for a message: 'x', or \xNN when unprintable. */
static const char *describe_byte(char c, char buf[8])
{
	if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	return buf;
}

/* The message of a query parser error without its "query: at character N: " head, and
 * N (1-based; 0 when absent). */
static const char *query_error_message(const fk_error *qerr, size_t *at)
{
	const char *m = qerr->msg;
	*at = 0;
	const char *p = strstr(m, "at character ");
	if (!p)
		return m;
	char *end;
	unsigned long n = strtoul(p + 13, &end, 10);
	if (end[0] != ':' || end[1] != ' ')
		return m;
	*at = n;
	return end + 2;
}

/* Where the query starting at text[start] ends: the first prefix, ending before a blank
 * or the end, that the query parser takes (a name with braces ends at a '}', so the
 * values in them may hold blanks and braces). Parses it into *q. Returns the end, or
 * (size_t)-1 with err. */
static size_t scan_query(const char *text, size_t len, size_t start, fk_series_query *q,
			 fk_error *err)
{
	bool braces = false, tried = false;
	fk_error first = {{0}};
	if (start >= len || is_blank(text[start])) {
		fail_at(err, start, "name= needs a query (APP.TYPE{LABEL=\"VALUE\",...})");
		return (size_t)-1;
	}
	for (size_t i = start; i <= len; i++) {
		bool boundary = i == len || is_blank(text[i]);
		if (i < len && text[i] == '{')
			braces = true;
		if (!boundary || i == start)
			continue;
		if (braces && text[i - 1] != '}')
			continue;
		fk_error qerr = {{0}};
		if (fk_series_query_parse(text + start, i - start, q, &qerr) == 0)
			return i;
		if (!tried)
			first = qerr;
		tried = true;
		if (!braces)
			break; /* a plain name ends at the first blank */
	}
	if (!tried) {
		/* braces that never close: the parser says where */
		size_t end = start;
		while (end < len && !is_blank(text[end]))
			end++;
		if (fk_series_query_parse(text + start, end - start, q, &first) == 0) {
			fk_series_query_free(q);
			fk_error_set(&first, "query: at character %zu: expected '}'", end - start + 1);
		}
	}
	size_t at;
	const char *msg = query_error_message(&first, &at);
	fail_at(err, at ? start + at - 1 : start, "name=: %s", msg);
	return (size_t)-1;
}

/* A "quoted" value at text[start] (the query parser's quoting: \" and \\ escapes):
 * parsed as the value of a matcher, so both read values alike. Returns the end of the
 * value, with the unquoted bytes in *out, or (size_t)-1 with err. */
static size_t scan_quoted_value(const char *text, size_t len, size_t start, char **out,
				fk_error *err)
{
	for (size_t i = start + 2; i <= len; i++) {
		if (text[i - 1] != '"' || (i < len && !is_blank(text[i])))
			continue;
		size_t n = i - start;
		char *wrapped = fk_xmalloc(n + 6);
		memcpy(wrapped, "x{v=", 4);
		memcpy(wrapped + 4, text + start, n);
		memcpy(wrapped + 4 + n, "}", 2);
		fk_series_query q;
		fk_error qerr;
		int rc = fk_series_query_parse(wrapped, n + 5, &q, &qerr);
		free(wrapped);
		if (rc == 0) {
			*out = q.matchers[0].value;
			q.matchers[0].value = fk_xstrdup("");
			fk_series_query_free(&q);
			return i;
		}
	}
	fail_at(err, start, "unterminated '\"' (or no blank after the closing one)");
	return (size_t)-1;
}

/* A value: "quoted", or bare bytes up to the next blank. Returns its end, or (size_t)-1
 * with err. */
static size_t scan_value(const char *text, size_t len, size_t start, const char *key,
			 char **out, fk_error *err)
{
	if (start < len && text[start] == '"')
		return scan_quoted_value(text, len, start, out, err);
	size_t end = start;
	while (end < len && !is_blank(text[end]))
		end++;
	if (end == start) {
		fail_at(err, start, "%s= needs a value", key);
		return (size_t)-1;
	}
	*out = fk_xstrndup(text + start, end - start);
	return end;
}

/* Compiles fn=~REGEX with the query parser's checks (anchored, bounded repetition, no
 * back-references) and then as the sample filter's focus. */
static int compile_fn_regex(fk_alert_rule *r, size_t at, fk_error *err)
{
	size_t n = strlen(r->fn);
	char *q = fk_xmalloc(2 * n + 16);
	size_t k = 0;
	memcpy(q, "x{v=~\"", 6);
	k = 6;
	for (size_t i = 0; i < n; i++) {
		if (r->fn[i] == '"' || r->fn[i] == '\\')
			q[k++] = '\\';
		q[k++] = r->fn[i];
	}
	memcpy(q + k, "\"}", 3);
	k += 2;
	fk_series_query parsed;
	fk_error qerr;
	int rc = fk_series_query_parse(q, k, &parsed, &qerr);
	free(q);
	if (rc < 0) {
		size_t ignored;
		return fail_at(err, at, "fn=~: %s", query_error_message(&qerr, &ignored));
	}
	fk_series_query_free(&parsed);
	char *anchored = fk_xmalloc(n + 5);
	memcpy(anchored, "^(", 2);
	memcpy(anchored + 2, r->fn, n);
	memcpy(anchored + 2 + n, ")$", 3);
	fk_error ferr;
	rc = fk_sample_filter_init(&r->fn_filter, anchored, NULL, &ferr);
	free(anchored);
	if (rc < 0)
		return fail_at(err, at, "fn=~: %s", ferr.msg);
	r->fn_is_regex = true;
	return 0;
}

/* grow>N% or grow>Npp at text[start] (after "grow>"). Returns the end or (size_t)-1. */
static size_t scan_growth(const char *text, size_t len, size_t start, fk_alert_rule *r,
			  fk_error *err)
{
	size_t i = start, dots = 0;
	while (i < len && (isdigit((unsigned char)text[i]) || text[i] == '.')) {
		dots += text[i] == '.';
		i++;
	}
	if (i == start || dots > 1 || i - start > 12 || text[start] == '.' || text[i - 1] == '.') {
		fail_at(err, start, "grow> needs a number such as 20 or 12.5, then %% or pp");
		return (size_t)-1;
	}
	char num[16];
	memcpy(num, text + start, i - start);
	num[i - start] = '\0';
	r->grow = strtod(num, NULL);
	if (!(r->grow > 0) || r->grow > 1e6) {
		fail_at(err, start, "grow> needs a threshold above 0 (and at most 1000000)");
		return (size_t)-1;
	}
	if (i < len && text[i] == '%') {
		r->grow_unit = FK_ALERT_GROW_RELATIVE;
		i++;
	} else if (i + 1 < len && text[i] == 'p' && text[i + 1] == 'p') {
		r->grow_unit = FK_ALERT_GROW_POINTS;
		i += 2;
	} else {
		fail_at(err, i, "grow>%s needs a unit: %% (relative growth) or pp (percentage points)", num);
		return (size_t)-1;
	}
	return i;
}

static bool valid_alert_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAX_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!isalnum((unsigned char)c) && !strchr("_.:/@-", c))
			return false;
	}
	return true;
}

static bool valid_label_name(const char *s)
{
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return false;
	return true;
}

static const char *const rule_keys[] = {"alert", "name",  "fn",      "grow", "window",
					"baseline", "label", "current", "min"};
enum { KEY_ALERT, KEY_NAME, KEY_FN, KEY_GROW, KEY_WINDOW, KEY_BASELINE, KEY_LABEL, KEY_CURRENT,
       KEY_MIN, NKEYS };

static int parse_duration_value(const char *value, size_t at, const char *key, int64_t *out,
				fk_error *err)
{
	fk_error derr;
	if (fk_parse_duration(value, out, &derr) < 0)
		return fail_at(err, at, "%s=: %s", key, derr.msg);
	if (*out > MAX_DURATION_SEC)
		return fail_at(err, at, "%s=: longer than 10 years", key);
	return 0;
}

int fk_alert_rule_parse(const char *text, size_t len, fk_alert_rule *r, fk_error *err)
{
	memset(r, 0, sizeof *r);
	r->min_samples = FK_ALERT_DEFAULT_MIN_SAMPLES;
	if (len > FK_ALERT_MAX_RULE_LEN)
		return fk_error_set(err, "the rule is longer than %d bytes", FK_ALERT_MAX_RULE_LEN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			char buf[8];
			return fail_at(err, i, "%s is not allowed in a rule", describe_byte(text[i], buf));
		}
	}
	char *values[NKEYS] = {0};
	size_t value_at[NKEYS] = {0};
	bool query_parsed = false;
	int rc = -1;
	size_t pos = 0;
	for (;;) {
		while (pos < len && is_blank(text[pos]))
			pos++;
		if (pos == len)
			break;
		size_t ks = pos;
		while (pos < len && islower((unsigned char)text[pos]))
			pos++;
		int key = -1;
		for (int k = 0; k < NKEYS; k++)
			if (strlen(rule_keys[k]) == pos - ks && memcmp(rule_keys[k], text + ks, pos - ks) == 0)
				key = k;
		if (key < 0) {
			fail_at(err, ks, "unknown key '%.*s' (want alert=, name=, fn=, grow>, window=, baseline=, label=, current= or min=)",
				(int)(pos - ks > 40 ? 40 : pos - ks), text + ks);
			goto out;
		}
		if (values[key] || (key == KEY_NAME && query_parsed) || (key == KEY_GROW && r->grow > 0)) {
			fail_at(err, ks, "%s given twice", rule_keys[key]);
			goto out;
		}
		char want = key == KEY_GROW ? '>' : '=';
		if (pos >= len || text[pos] != want) {
			char buf[8];
			fail_at(err, pos, "expected '%c' after %s, found %s", want, rule_keys[key],
				pos < len ? describe_byte(text[pos], buf) : "the end");
			goto out;
		}
		pos++;
		size_t end;
		if (key == KEY_GROW) {
			end = scan_growth(text, len, pos, r, err);
		} else if (key == KEY_NAME) {
			end = scan_query(text, len, pos, &r->query, err);
			if (end != (size_t)-1) {
				query_parsed = true;
				r->query_text = fk_xstrndup(text + pos, end - pos);
			}
		} else {
			if (key == KEY_FN && pos < len && text[pos] == '~') {
				pos++;
				r->fn_is_regex = true; /* compiled below */
			}
			value_at[key] = pos;
			end = scan_value(text, len, pos, rule_keys[key], &values[key], err);
		}
		if (end == (size_t)-1)
			goto out;
		if (end < len && !is_blank(text[end])) {
			char buf[8];
			fail_at(err, end, "expected a blank after the value of %s, found %s", rule_keys[key],
				describe_byte(text[end], buf));
			goto out;
		}
		pos = end;
	}

	if (!query_parsed) {
		fail_at(err, len, "missing name=QUERY (the series, as /render's query)");
		goto out;
	}
	if (!values[KEY_FN]) {
		fail_at(err, len, "missing fn=FUNCTION");
		goto out;
	}
	if (!(r->grow > 0)) {
		fail_at(err, len, "missing grow>N%% (or grow>Npp)");
		goto out;
	}
	if (!values[KEY_WINDOW]) {
		fail_at(err, len, "missing window=DURATION (the latest window: 10m, 1h, ...)");
		goto out;
	}
	if (!values[KEY_BASELINE]) {
		fail_at(err, len, values[KEY_LABEL] ? "missing baseline=VALUE (the label value to compare with)"
						    : "missing baseline=DURATION (the time before the window: 1h, 1d, ...)");
		goto out;
	}
	if (values[KEY_CURRENT] && !values[KEY_LABEL]) {
		fail_at(err, value_at[KEY_CURRENT], "current= needs label=LABEL");
		goto out;
	}
	if (values[KEY_LABEL] && !values[KEY_CURRENT]) {
		fail_at(err, len, "missing current=VALUE (label= compares current=VALUE with baseline=VALUE)");
		goto out;
	}
	r->fn = values[KEY_FN];
	values[KEY_FN] = NULL;
	if (r->fn_is_regex) {
		r->fn_is_regex = false;
		if (compile_fn_regex(r, value_at[KEY_FN], err) < 0)
			goto out;
	}
	if (parse_duration_value(values[KEY_WINDOW], value_at[KEY_WINDOW], "window", &r->window_sec,
				 err) < 0)
		goto out;
	if (values[KEY_LABEL]) {
		if (!valid_label_name(values[KEY_LABEL])) {
			fail_at(err, value_at[KEY_LABEL], "label=: a label name is letters, digits, '_' and '.'");
			goto out;
		}
		r->label = values[KEY_LABEL];
		r->current_value = values[KEY_CURRENT];
		r->baseline_value = values[KEY_BASELINE];
		values[KEY_LABEL] = values[KEY_CURRENT] = values[KEY_BASELINE] = NULL;
		if (strcmp(r->current_value, r->baseline_value) == 0) {
			fail_at(err, value_at[KEY_BASELINE], "current= and baseline= are the same value");
			goto out;
		}
	} else if (parse_duration_value(values[KEY_BASELINE], value_at[KEY_BASELINE], "baseline",
					&r->baseline_sec, err) < 0) {
		goto out;
	}
	if (values[KEY_MIN]) {
		unsigned long min;
		if (fk_parse_uint(values[KEY_MIN], 1, 1000000000000UL, &min) < 0) {
			fail_at(err, value_at[KEY_MIN], "min=: a whole number of samples from 1 to 10^12");
			goto out;
		}
		r->min_samples = (double)min;
	}
	if (values[KEY_ALERT]) {
		if (!valid_alert_name(values[KEY_ALERT])) {
			fail_at(err, value_at[KEY_ALERT], "alert=: a name is 1 to 128 letters, digits and _.:/@-");
			goto out;
		}
		r->name = values[KEY_ALERT];
		values[KEY_ALERT] = NULL;
	}
	size_t s = 0, e = len;
	while (s < e && is_blank(text[s]))
		s++;
	while (e > s && is_blank(text[e - 1]))
		e--;
	r->text = fk_xstrndup(text + s, e - s);
	rc = 0;
out:
	for (int k = 0; k < NKEYS; k++)
		free(values[k]);
	if (rc < 0) {
		if (!query_parsed)
			memset(&r->query, 0, sizeof r->query);
		fk_alert_rule_free(r);
	}
	return rc;
}

void fk_alert_rule_free(fk_alert_rule *r)
{
	free(r->name);
	free(r->text);
	if (r->query_text)
		fk_series_query_free(&r->query);
	free(r->query_text);
	free(r->fn);
	if (r->fn_is_regex)
		fk_sample_filter_free(&r->fn_filter);
	free(r->label);
	free(r->current_value);
	free(r->baseline_value);
	memset(r, 0, sizeof *r);
}

static bool name_taken(const fk_alert_rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->count; i++)
		if (strcmp(rules->items[i].name, name) == 0)
			return true;
	return false;
}

/* "APP.TYPE/FN" ("/~RE" for a regex, "/LABEL=VALUE" added in label mode), made unique
 * with "#2", "#3", ... */
static char *derive_name(const fk_alert_rules *rules, const fk_alert_rule *r)
{
	size_t cap = strlen(r->query.app) + strlen(r->query.type) + strlen(r->fn) + 64 +
		     (r->label ? strlen(r->label) + strlen(r->current_value) : 0);
	char *base = fk_xmalloc(cap);
	int n = snprintf(base, cap, "%s%s%s/%s%s", r->query.app, *r->query.type ? "." : "",
			 r->query.type, r->fn_is_regex ? "~" : "", r->fn);
	if (r->label)
		snprintf(base + n, cap - (size_t)n, "/%s=%s", r->label, r->current_value);
	char *name = fk_xmalloc(cap + 24);
	snprintf(name, cap + 24, "%s", base);
	for (unsigned k = 2; name_taken(rules, name); k++)
		snprintf(name, cap + 24, "%s#%u", base, k);
	free(base);
	return name;
}

int fk_alert_rules_add(fk_alert_rules *rules, const char *text, size_t len, const char *where,
		       fk_error *err)
{
	fk_alert_rule r;
	fk_error perr;
	if (fk_alert_rule_parse(text, len, &r, &perr) < 0)
		return fk_error_set(err, "%s: %s", where, perr.msg);
	if (r.name && name_taken(rules, r.name)) {
		fk_error_set(err, "%s: alert=%s: another rule has that name", where, r.name);
		fk_alert_rule_free(&r);
		return -1;
	}
	if (!r.name)
		r.name = derive_name(rules, &r);
	fk_grow((void **)&rules->items, sizeof *rules->items, &rules->cap, rules->count + 1);
	rules->items[rules->count++] = r;
	return 0;
}

int fk_alert_rules_load(fk_alert_rules *rules, const char *path, fk_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return fk_error_set(err, "%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (lineno > 1000000) {
			rc = fk_error_set(err, "%s: more than a million lines", path);
			break;
		}
		size_t len = (size_t)n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t s = 0;
		while (s < len && is_blank(line[s]))
			s++;
		if (s == len || line[s] == '#')
			continue;
		if (memchr(line, '\0', len)) {
			rc = fk_error_set(err, "%s:%lu: a NUL byte in the line", path, lineno);
			break;
		}
		char where[600];
		snprintf(where, sizeof where, "%.500s:%lu", path, lineno);
		if (fk_alert_rules_add(rules, line, len, where, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = fk_error_set(err, "%s: %s", path, strerror(errno ? errno : EIO));
	free(line);
	fclose(f);
	return rc;
}

void fk_alert_rules_free(fk_alert_rules *rules)
{
	for (size_t i = 0; i < rules->count; i++)
		fk_alert_rule_free(&rules->items[i]);
	free(rules->items);
	memset(rules, 0, sizeof *rules);
}

/* ---- shares and verdicts ---- */

void fk_alert_share(const fk_alert_rule *rule, const fk_profile *p, fk_alert_side *side)
{
	memset(side, 0, sizeof *side);
	/* the stacks with a frame named fn: the filter's base names (flamegraph --base) */
	fk_sample_filter exact = {.bases = (const char *const[]){rule->fn}, .nbases = 1};
	side->samples = fk_profile_total(p);
	side->fn_samples = fk_sample_filter_kept_total(p, rule->fn_is_regex ? &rule->fn_filter : &exact);
	side->share = side->samples > 0 ? side->fn_samples / side->samples : 0;
}

fk_alert_verdict fk_alert_judge(const fk_alert_rule *rule, const fk_alert_side *current,
				const fk_alert_side *baseline, double *growth)
{
	*growth = 0;
	if (current->samples < rule->min_samples || baseline->samples < rule->min_samples ||
	    current->samples <= 0 || baseline->samples <= 0)
		return FK_ALERT_VERDICT_NO_DATA;
	/* a tolerance for rounding: exactly the threshold (36% over 30% at grow>20%) must
	 * not fire however the division rounds */
	double slack = 1e-9 * (rule->grow > 1 ? rule->grow : 1);
	if (rule->grow_unit == FK_ALERT_GROW_POINTS) {
		*growth = (current->share - baseline->share) * 100;
		return *growth > rule->grow + slack ? FK_ALERT_VERDICT_FIRE : FK_ALERT_VERDICT_OK;
	}
	if (baseline->share <= 0) {
		if (current->share <= 0)
			return FK_ALERT_VERDICT_OK;
		*growth = INFINITY;
		return FK_ALERT_VERDICT_FIRE;
	}
	*growth = (current->share / baseline->share - 1) * 100;
	return *growth > rule->grow + slack ? FK_ALERT_VERDICT_FIRE : FK_ALERT_VERDICT_OK;
}

/* ---- describing events ---- */

/* 600 -> "10m", 3600 -> "1h", 90 -> "90s" */
static void format_duration(int64_t sec, char buf[32])
{
	if (sec % 604800 == 0)
		snprintf(buf, 32, "%lldw", (long long)(sec / 604800));
	else if (sec % 86400 == 0)
		snprintf(buf, 32, "%lldd", (long long)(sec / 86400));
	else if (sec % 3600 == 0)
		snprintf(buf, 32, "%lldh", (long long)(sec / 3600));
	else if (sec % 60 == 0)
		snprintf(buf, 32, "%lldm", (long long)(sec / 60));
	else
		snprintf(buf, 32, "%llds", (long long)sec);
}

static void format_growth(const fk_alert_rule *r, double growth, char buf[48])
{
	if (isinf(growth))
		snprintf(buf, 48, "new: absent from the baseline");
	else if (r->grow_unit == FK_ALERT_GROW_POINTS)
		snprintf(buf, 48, "%+.1fpp", growth);
	else
		snprintf(buf, 48, "%+.1f%%", growth);
}

void fk_alert_event_describe(const fk_alert_event *ev, char *buf, size_t size)
{
	const fk_alert_rule *r = ev->rule;
	char window[32], baseline[32], growth[48];
	format_duration(r->window_sec, window);
	format_duration(r->baseline_sec, baseline);
	format_growth(r, ev->growth, growth);
	const char *state = ev->firing ? "firing" : "resolved";
	if (ev->note) {
		snprintf(buf, size, "alert %s %s: %s", r->name, state, ev->note);
		return;
	}
	if (r->label)
		snprintf(buf, size, "alert %s %s: %s%s %.1f%% of %s with %s=%s vs %.1f%% with %s=%s, in the last %s (%s)",
			 r->name, state, r->fn_is_regex ? "~" : "", r->fn, 100 * ev->current.share,
			 r->query_text, r->label, r->current_value, 100 * ev->baseline.share, r->label,
			 r->baseline_value, window, growth);
	else
		snprintf(buf, size, "alert %s %s: %s%s %.1f%% of %s in the last %s vs %.1f%% in the %s before (%s)",
			 r->name, state, r->fn_is_regex ? "~" : "", r->fn, 100 * ev->current.share,
			 r->query_text, window, 100 * ev->baseline.share, baseline, growth);
}

static void put_key(fk_json_out *w, const char *key)
{
	fk_json_puts(w, ",\"");
	fk_json_puts(w, key);
	fk_json_puts(w, "\":");
}

static void put_string_field(fk_json_out *w, const char *key, const char *value)
{
	put_key(w, key);
	if (value)
		fk_json_put_string(w, value, strlen(value));
	else
		fk_json_puts(w, "null");
}

static void put_number_field(fk_json_out *w, const char *key, double value)
{
	put_key(w, key);
	if (isfinite(value))
		fk_json_put_number(w, value);
	else
		fk_json_puts(w, "null");
}

/* The rule's fields, after "{\"alert\":NAME". */
static void put_rule_fields(fk_json_out *w, const fk_alert_rule *r)
{
	put_string_field(w, "rule", r->text);
	put_string_field(w, "query", r->query_text);
	put_string_field(w, "fn", r->fn);
	put_key(w, "fn_regex");
	fk_json_puts(w, r->fn_is_regex ? "true" : "false");
	put_string_field(w, "mode", r->label ? "label" : "time");
	put_number_field(w, "threshold", r->grow);
	put_string_field(w, "unit", r->grow_unit == FK_ALERT_GROW_POINTS ? "pp" : "%");
	put_number_field(w, "window", (double)r->window_sec);
	if (r->label) {
		put_string_field(w, "baseline", NULL);
		put_string_field(w, "label", r->label);
		put_string_field(w, "current_value", r->current_value);
		put_string_field(w, "baseline_value", r->baseline_value);
	} else {
		put_number_field(w, "baseline", (double)r->baseline_sec);
	}
	put_number_field(w, "min_samples", r->min_samples);
}

static void put_sides(fk_json_out *w, const fk_alert_side *cur, const fk_alert_side *base,
		      double growth)
{
	put_number_field(w, "current_share", cur->share);
	put_number_field(w, "baseline_share", base->share);
	/* 30, not 30.000000000000004 */
	put_number_field(w, "growth", isfinite(growth) ? round(growth * 1e9) / 1e9 : growth);
	put_number_field(w, "current_samples", cur->samples);
	put_number_field(w, "baseline_samples", base->samples);
	put_number_field(w, "current_fn_samples", cur->fn_samples);
	put_number_field(w, "baseline_fn_samples", base->fn_samples);
}

void fk_alert_event_write_json(const fk_alert_event *ev, FILE *out)
{
	fk_json_out w;
	fk_json_out_init(&w, out);
	fk_json_puts(&w, "{\"alert\":");
	fk_json_put_string(&w, ev->rule->name, strlen(ev->rule->name));
	put_string_field(&w, "state", ev->firing ? "firing" : "resolved");
	put_rule_fields(&w, ev->rule);
	put_sides(&w, &ev->current, &ev->baseline, ev->growth);
	put_number_field(&w, "at", (double)ev->at);
	put_string_field(&w, "note", ev->note);
	char text[1024];
	fk_alert_event_describe(ev, text, sizeof text);
	put_string_field(&w, "summary", text);
	fk_json_puts(&w, "}\n");
	fk_json_out_close(&w);
}

/* ---- the engine ---- */

typedef enum { STATUS_PENDING, STATUS_OK, STATUS_NO_DATA, STATUS_ERROR } rule_status;
static const char *const status_names[] = {"pending", "ok", "no_data", "error"};

typedef struct rule_state {
	bool firing;
	int64_t since;       /* when firing began or ended (0: never fired) */
	int64_t evaluated_at;
	rule_status status;
	fk_alert_side current, baseline;
	double growth;
	char message[600];   /* why no data, or the error */
} rule_state;

struct fk_alert_engine {
	fk_alert_rules rules;
	rule_state *states;
	pthread_mutex_t lock; /* states, last_round: evaluation writes, /alerts reads */
	fk_alert_notify_fn notify;
	void *notify_ctx;
	fk_alert_round_stats last_round;
	bool standby;
};

fk_alert_engine *fk_alert_engine_new(fk_alert_rules *rules, fk_alert_notify_fn notify, void *ctx)
{
	fk_alert_engine *e = fk_xcalloc(1, sizeof *e);
	e->rules = *rules;
	memset(rules, 0, sizeof *rules);
	e->states = fk_xcalloc(e->rules.count ? e->rules.count : 1, sizeof *e->states);
	pthread_mutex_init(&e->lock, NULL);
	e->notify = notify;
	e->notify_ctx = ctx;
	return e;
}

void fk_alert_engine_free(fk_alert_engine *e)
{
	if (!e)
		return;
	fk_alert_rules_free(&e->rules);
	free(e->states);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

size_t fk_alert_engine_rule_count(const fk_alert_engine *e)
{
	return e->rules.count;
}

/* The store's series, ordered by app, to find a query's candidates by binary search. */
typedef struct series_index {
	const fk_series_list *list;
	size_t *order; /* indices into list, by app */
} series_index;

static int compare_by_app(const void *a, const void *b, void *ctx)
{
	const fk_series_list *list = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(list->items[x].key.app, list->items[y].key.app);
	return c ? c : (x < y ? -1 : x > y);
}

static void series_index_build(series_index *ix, const fk_series_list *list)
{
	ix->list = list;
	ix->order = fk_xmalloc((list->count ? list->count : 1) * sizeof *ix->order);
	for (size_t i = 0; i < list->count; i++)
		ix->order[i] = i;
	qsort_r(ix->order, list->count, sizeof *ix->order, compare_by_app, (void *)list);
}

/* [*lo, *hi) of ix->order: the series of app. */
static void series_index_app(const series_index *ix, const char *app, size_t *lo, size_t *hi)
{
	size_t a = 0, b = ix->list->count;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (strcmp(ix->list->items[ix->order[m]].key.app, app) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = ix->list->count;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (strcmp(ix->list->items[ix->order[m]].key.app, app) <= 0)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

/* One side's selection: ids of the list's series (not owned: all is left empty). */
typedef struct side_selection {
	fk_query_selection sel;
	size_t cap;
} side_selection;

static void side_add(side_selection *s, const fk_series_info *info)
{
	fk_grow((void **)&s->sel.ids, sizeof *s->sel.ids, &s->cap, s->sel.count + 1);
	s->sel.ids[s->sel.count++] = info->id;
	if (!s->sel.first)
		s->sel.first = info;
}

static int side_share(fk_store *store, const fk_alert_rule *r, const side_selection *s,
		      int64_t from, int64_t until, fk_alert_side *side, fk_error *err)
{
	memset(side, 0, sizeof *side);
	if (!s->sel.count)
		return 0;
	fk_profile *p;
	if (fk_query_profile(store, &s->sel, from, until, &p, err) < 0)
		return -1;
	fk_alert_share(r, p, side);
	fk_profile_free(p);
	return 0;
}

/* Evaluates one rule into st (not yet published). */
static void evaluate_rule(fk_store *store, const series_index *ix, const fk_alert_rule *r,
			  int64_t now, rule_state *st, fk_alert_verdict *verdict)
{
	side_selection cur, base;
	memset(&cur, 0, sizeof cur);
	memset(&base, 0, sizeof base);
	size_t lo, hi;
	series_index_app(ix, r->query.app, &lo, &hi);
	for (size_t k = lo; k < hi; k++) {
		const fk_series_info *info = &ix->list->items[ix->order[k]];
		if (!fk_series_query_match(&r->query, &info->key))
			continue;
		if (!r->label) {
			side_add(&cur, info);
			continue;
		}
		const char *v = fk_series_key_label(&info->key, r->label);
		if (!v)
			v = "";
		if (strcmp(v, r->current_value) == 0)
			side_add(&cur, info);
		else if (strcmp(v, r->baseline_value) == 0)
			side_add(&base, info);
	}
	*verdict = FK_ALERT_VERDICT_NO_DATA;
	st->evaluated_at = now;
	st->message[0] = '\0';
	st->growth = 0;
	fk_error err = {{0}};
	int64_t from = now - r->window_sec;
	int rc = side_share(store, r, &cur, from, now, &st->current, &err);
	if (rc == 0 && r->label)
		rc = side_share(store, r, &base, from, now, &st->baseline, &err);
	else if (rc == 0)
		rc = side_share(store, r, &cur, from - r->baseline_sec, from, &st->baseline, &err);
	free(cur.sel.ids);
	free(base.sel.ids);
	if (rc < 0) {
		st->status = STATUS_ERROR;
		snprintf(st->message, sizeof st->message, "%s", err.msg);
		return;
	}
	*verdict = fk_alert_judge(r, &st->current, &st->baseline, &st->growth);
	if (*verdict != FK_ALERT_VERDICT_NO_DATA) {
		st->status = STATUS_OK;
		return;
	}
	st->status = STATUS_NO_DATA;
	char window[32];
	format_duration(r->window_sec, window);
	if (!cur.sel.count && !base.sel.count)
		snprintf(st->message, sizeof st->message, "the query matches no series");
	else if (r->label && !cur.sel.count)
		snprintf(st->message, sizeof st->message, "no series has %s=\"%s\"", r->label,
			 r->current_value);
	else if (r->label && !base.sel.count)
		snprintf(st->message, sizeof st->message, "no series has %s=\"%s\"", r->label,
			 r->baseline_value);
	else if (st->current.samples < r->min_samples && r->label)
		snprintf(st->message, sizeof st->message,
			 "%.0f samples with %s=\"%s\" in the last %s, fewer than min=%.0f",
			 st->current.samples, r->label, r->current_value, window, r->min_samples);
	else if (st->current.samples < r->min_samples)
		snprintf(st->message, sizeof st->message, "%.0f samples in the last %s, fewer than min=%.0f",
			 st->current.samples, window, r->min_samples);
	else if (r->label)
		snprintf(st->message, sizeof st->message,
			 "%.0f samples with %s=\"%s\" in the last %s, fewer than min=%.0f",
			 st->baseline.samples, r->label, r->baseline_value, window, r->min_samples);
	else
		snprintf(st->message, sizeof st->message, "%.0f samples in the baseline, fewer than min=%.0f",
			 st->baseline.samples, r->min_samples);
}

int fk_alert_engine_evaluate(fk_alert_engine *e, fk_store *store, int64_t now,
			     fk_alert_round_stats *stats, fk_error *err)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fk_series_list list;
	if (fk_store_series(store, &list, err) < 0)
		return -1;
	series_index ix;
	series_index_build(&ix, &list);
	fk_alert_round_stats round = {.rules = e->rules.count};
	for (size_t i = 0; i < e->rules.count; i++) {
		const fk_alert_rule *r = &e->rules.items[i];
		rule_state st;
		pthread_mutex_lock(&e->lock);
		st = e->states[i];
		pthread_mutex_unlock(&e->lock);
		fk_alert_verdict verdict;
		evaluate_rule(store, &ix, r, now, &st, &verdict);
		fk_alert_event ev = {.rule = r, .current = st.current, .baseline = st.baseline,
				     .growth = st.growth, .at = now};
		bool transition = false;
		if (st.status == STATUS_ERROR) {
			round.errors++; /* the state stays as it was */
		} else if (verdict == FK_ALERT_VERDICT_FIRE && !st.firing) {
			st.firing = transition = ev.firing = true;
			st.since = now;
		} else if (verdict != FK_ALERT_VERDICT_FIRE && st.firing) {
			st.firing = false;
			transition = true;
			st.since = now;
			if (verdict == FK_ALERT_VERDICT_NO_DATA)
				ev.note = st.message;
		}
		round.firing += st.firing;
		round.no_data += st.status == STATUS_NO_DATA;
		pthread_mutex_lock(&e->lock);
		e->states[i] = st;
		pthread_mutex_unlock(&e->lock);
		if (transition && e->notify) {
			char note[sizeof st.message + 16];
			if (ev.note) {
				snprintf(note, sizeof note, "no data (%s)", st.message);
				ev.note = note;
			}
			e->notify(e->notify_ctx, &ev);
		}
	}
	free(ix.order);
	fk_series_list_free(&list);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	round.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	pthread_mutex_lock(&e->lock);
	e->last_round = round;
	pthread_mutex_unlock(&e->lock);
	if (stats)
		*stats = round;
	return 0;
}

void fk_alert_engine_set_standby(fk_alert_engine *e, bool standby)
{
	pthread_mutex_lock(&e->lock);
	e->standby = standby;
	pthread_mutex_unlock(&e->lock);
}

void fk_alert_engine_write_json(fk_alert_engine *e, FILE *out)
{
	fk_json_out w;
	fk_json_out_init(&w, out);
	fk_json_puts(&w, "[");
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->rules.count; i++) {
		const fk_alert_rule *r = &e->rules.items[i];
		const rule_state *st = &e->states[i];
		fk_json_puts(&w, i ? ",\n{\"alert\":" : "\n{\"alert\":");
		fk_json_put_string(&w, r->name, strlen(r->name));
		put_string_field(&w, "state", st->firing ? "firing" : "inactive");
		put_key(&w, "since");
		if (st->since)
			fk_json_put_number(&w, (double)st->since);
		else
			fk_json_puts(&w, "null");
		put_rule_fields(&w, r);
		put_string_field(&w, "status", e->standby ? "standby" : status_names[st->status]);
		put_key(&w, "evaluated_at");
		if (st->evaluated_at)
			fk_json_put_number(&w, (double)st->evaluated_at);
		else
			fk_json_puts(&w, "null");
		put_sides(&w, &st->current, &st->baseline, st->growth);
		put_string_field(&w, "error",
				 e->standby      ? "another flamekit serve sharing the store evaluates the rules"
				 : st->message[0] ? st->message
						  : NULL);
		fk_json_puts(&w, "}");
	}
	pthread_mutex_unlock(&e->lock);
	fk_json_puts(&w, "\n]\n");
	fk_json_out_close(&w);
}

/* ---- webhooks ---- */

typedef struct delivery {
	size_t url;
	char *body;
	size_t len;
	char what[160];
	unsigned tries;
	struct timespec due; /* CLOCK_MONOTONIC */
} delivery;

struct fk_webhook_sender {
	fk_webhook_options o;
	char **urls;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;   /* a delivery was queued, or stop */
	delivery *queue;       /* in the order queued; per URL, only the first is sent */
	size_t n, cap;
	bool stop;
	fk_http_client *client;
};

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The next delivery to send: among the first of each URL, the one due first; or -1. */
static long next_delivery(const fk_webhook_sender *s)
{
	long best = -1;
	for (size_t i = 0; i < s->n; i++) {
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = s->queue[j].url != s->queue[i].url;
		if (first && (best < 0 || before(&s->queue[i].due, &s->queue[best].due)))
			best = (long)i;
	}
	return best;
}

static void remove_delivery(fk_webhook_sender *s, size_t i)
{
	free(s->queue[i].body);
	memmove(&s->queue[i], &s->queue[i + 1], (s->n - i - 1) * sizeof *s->queue);
	s->n--;
}

static void *sender_main(void *arg)
{
	fk_webhook_sender *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		long i = next_delivery(s);
		if (i < 0) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &s->queue[i].due)) {
			pthread_cond_timedwait(&s->wake, &s->lock, &s->queue[i].due);
			continue;
		}
		/* Only this thread removes deliveries, and sends append: i stays valid. */
		delivery *d = &s->queue[i];
		fk_http_post_request req = {
			.url = s->urls[d->url],
			.content_type = "application/json",
			.body = d->body,
			.body_len = d->len,
			.timeout_ms = s->o.timeout_ms,
		};
		pthread_mutex_unlock(&s->lock);
		fk_http_post_result res;
		fk_error err = {{0}};
		int rc = fk_http_post(s->client, &req, &res, &err);
		pthread_mutex_lock(&s->lock);
		d = &s->queue[i];
		d->tries++;
		if (rc == 0 && res.status >= 200 && res.status < 300) {
			if (d->tries > 1)
				fk_logf(s->o.log, s->o.log_ctx,
					"webhook %s: delivered %s (try %u)", s->urls[d->url], d->what,
					d->tries);
			remove_delivery(s, (size_t)i);
			continue;
		}
		char why[600];
		if (rc < 0)
			snprintf(why, sizeof why, "%s", err.msg);
		else
			snprintf(why, sizeof why, "HTTP %ld", res.status);
		long status = rc < 0 ? 0 : res.status;
		if (!fk_http_status_retryable(status) || d->tries >= s->o.max_tries) {
			fk_logf(s->o.log, s->o.log_ctx,
				"webhook %s: dropped %s after %u %s: %s", s->urls[d->url], d->what,
				d->tries, d->tries == 1 ? "try" : "tries", why);
			remove_delivery(s, (size_t)i);
			continue;
		}
		long delay = s->o.first_delay_ms;
		for (unsigned k = 1; k < d->tries && delay < s->o.max_delay_ms; k++)
			delay *= 2;
		if (delay > s->o.max_delay_ms)
			delay = s->o.max_delay_ms;
		clock_gettime(CLOCK_MONOTONIC, &now);
		d->due.tv_sec = now.tv_sec + delay / 1000;
		d->due.tv_nsec = now.tv_nsec + (delay % 1000) * 1000000L;
		if (d->due.tv_nsec >= 1000000000L) {
			d->due.tv_sec++;
			d->due.tv_nsec -= 1000000000L;
		}
		fk_logf(s->o.log, s->o.log_ctx,
			"webhook %s: %s for %s (try %u of %u); retrying in %.1fs", s->urls[d->url],
			why, d->what, d->tries, s->o.max_tries, (double)delay / 1000);
	}
	if (s->n)
		fk_logf(s->o.log, s->o.log_ctx,
			"webhooks: stopping; dropped %zu undelivered %s", s->n,
			s->n == 1 ? "delivery" : "deliveries");
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

fk_webhook_sender *fk_webhook_sender_start(const fk_webhook_options *o, fk_error *err)
{
	for (size_t i = 0; i < o->nurls; i++) {
		const char *u = o->urls[i];
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
			fk_error_set(err, "--webhook '%.200s': want an http:// or https:// URL", u);
			return NULL;
		}
		if (strlen(u) > 2000) {
			fk_error_set(err, "--webhook: the URL is longer than 2000 bytes");
			return NULL;
		}
	}
	fk_webhook_sender *s = fk_xcalloc(1, sizeof *s);
	s->o = *o;
	if (!s->o.max_queue)
		s->o.max_queue = 1000;
	if (!s->o.max_tries)
		s->o.max_tries = 10;
	if (s->o.first_delay_ms <= 0)
		s->o.first_delay_ms = 1000;
	if (s->o.max_delay_ms <= 0)
		s->o.max_delay_ms = 60000;
	if (s->o.timeout_ms <= 0)
		s->o.timeout_ms = 10000;
	s->urls = fk_xcalloc(o->nurls ? o->nurls : 1, sizeof *s->urls);
	for (size_t i = 0; i < o->nurls; i++)
		s->urls[i] = fk_xstrdup(o->urls[i]);
	s->o.urls = NULL;
	s->client = fk_http_client_new();
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	int rc = s->client ? pthread_create(&s->thread, NULL, sender_main, s) : -1;
	if (rc != 0) {
		fk_error_set(err, "webhooks: cannot start the sender: %s",
			     s->client ? strerror(rc) : "no HTTP client");
		fk_http_client_free(s->client);
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		for (size_t i = 0; i < o->nurls; i++)
			free(s->urls[i]);
		free(s->urls);
		free(s);
		return NULL;
	}
	return s;
}

bool fk_webhook_send(fk_webhook_sender *s, const char *body, size_t len, const char *what)
{
	bool all = true;
	pthread_mutex_lock(&s->lock);
	for (size_t u = 0; u < s->o.nurls; u++) {
		if (s->n >= s->o.max_queue) {
			fk_logf(s->o.log, s->o.log_ctx,
				"webhook %s: dropped %s: %zu deliveries already queued", s->urls[u],
				what, s->n);
			all = false;
			continue;
		}
		fk_grow((void **)&s->queue, sizeof *s->queue, &s->cap, s->n + 1);
		delivery *d = &s->queue[s->n++];
		memset(d, 0, sizeof *d);
		d->url = u;
		d->body = fk_xmalloc(len ? len : 1);
		memcpy(d->body, body, len);
		d->len = len;
		snprintf(d->what, sizeof d->what, "%s", what);
		clock_gettime(CLOCK_MONOTONIC, &d->due);
	}
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return all;
}

void fk_webhook_sender_stop(fk_webhook_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->n; i++)
		free(s->queue[i].body);
	free(s->queue);
	fk_http_client_free(s->client);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	for (size_t i = 0; i < s->o.nurls; i++)
		free(s->urls[i]);
	free(s->urls);
	free(s);
}
