/* ingest.c: one `POST /ingest` request of Pyroscope's HTTP API to profiles (ingest.h).
 * Checks the query's parameters (name, from/until, sampleRate, units, aggregationType,
 * spyName), picks the body's format (folded, lines, pprof raw or in a multipart/form-data
 * part named "profile"), gunzips it within a bound, and reads it: folded and lines give
 * one profile, pprof one per sample type (through fk_pprof_read). Everything here comes
 * from the network and is checked; nothing does I/O. */
#include "ingest.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>

#include "../input/folded.h"
#include "../input/pprof.h"
#include "../input/source.h"
#include "../util/diag.h"

enum {
	DEFAULT_MAX_DECOMPRESSED = 64 << 20, /* when the request sets no bound */
	MAX_SAMPLE_TYPES = 16,               /* of one pprof */
	MAX_PARTS = 64,                      /* of a multipart body */
	MAX_BOUNDARY = 70,                   /* RFC 2046 */
};

typedef enum { BODY_FOLDED, BODY_LINES, BODY_PPROF } body_format;

/* The request's parameters, checked. */
typedef struct ingest_params {
	int64_t from, until;
	int64_t sample_rate;
	bool sample_rate_given;
	char units[16];
	char aggregation[8];
	char spy_name[32];
	body_format format;
	bool multipart;
} ingest_params;

static bool ascii_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != prefix[i])
			return false;
	return true;
}

static bool is_lower_word(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= max || !((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_'))
			return false;
	return n > 0;
}

static bool is_multipart(const char *content_type)
{
	if (!content_type)
		return false;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	return ascii_prefix_ci(content_type, strlen(content_type), "multipart/form-data");
}

static int parse_params(const fk_ingest_request *req, ingest_params *p, fk_error *err)
{
	memset(p, 0, sizeof *p);
	p->from = p->until = req->now;
	fk_error why;
	if (req->from && fk_parse_time(req->from, req->now, &p->from, &why) < 0)
		return fk_error_set(err, "from: %.400s", why.msg);
	if (req->until && fk_parse_time(req->until, req->now, &p->until, &why) < 0)
		return fk_error_set(err, "until: %.400s", why.msg);
	if (p->until < p->from)
		return fk_error_set(err, "until (%" PRId64 ") is before from (%" PRId64 ")",
				    p->until, p->from);

	p->sample_rate = 100;
	if (req->sample_rate) {
		const char *s = req->sample_rate;
		int64_t v = 0;
		size_t n = 0;
		for (; s[n] >= '0' && s[n] <= '9' && v <= 1000000000; n++)
			v = v * 10 + (s[n] - '0');
		if (n == 0 || s[n] || v <= 0 || v > 1000000000)
			return fk_error_set(err, "sampleRate: '%.40s' is not a whole number from 1 "
						 "to 1000000000", s);
		p->sample_rate = v;
		p->sample_rate_given = true;
	}

	snprintf(p->units, sizeof p->units, "samples");
	if (req->units) {
		if (!is_lower_word(req->units, sizeof p->units - 1))
			return fk_error_set(err, "units: '%.40s' is not a word of 1 to 15 letters "
						 "a-z and '_'", req->units);
		snprintf(p->units, sizeof p->units, "%s", req->units);
	}

	snprintf(p->aggregation, sizeof p->aggregation, "sum");
	if (req->aggregation_type) {
		if (strcmp(req->aggregation_type, "sum") != 0 &&
		    strcmp(req->aggregation_type, "average") != 0)
			return fk_error_set(err, "aggregationType: '%.40s' is neither sum nor "
						 "average", req->aggregation_type);
		snprintf(p->aggregation, sizeof p->aggregation, "%s", req->aggregation_type);
	}

	if (req->spy_name) {
		size_t n = 0;
		for (; req->spy_name[n]; n++)
			if (n >= sizeof p->spy_name - 1 || (unsigned char)req->spy_name[n] < 0x20 ||
			    (unsigned char)req->spy_name[n] > 0x7e)
				return fk_error_set(err, "spyName: at most 31 printable ASCII "
							 "characters");
		memcpy(p->spy_name, req->spy_name, n + 1);
	}

	p->multipart = is_multipart(req->content_type);
	const char *f = req->format;
	if (!f || !*f)
		p->format = p->multipart ? BODY_PPROF : BODY_FOLDED;
	else if (strcmp(f, "folded") == 0)
		p->format = BODY_FOLDED;
	else if (strcmp(f, "lines") == 0)
		p->format = BODY_LINES;
	else if (strcmp(f, "pprof") == 0)
		p->format = BODY_PPROF;
	else if (strcmp(f, "jfr") == 0 || strcmp(f, "trie") == 0 || strcmp(f, "tree") == 0) {
		fk_error_set(err, "format: %s is not supported by flamekit (send folded, lines "
				  "or pprof)", f);
		return FK_INGEST_UNSUPPORTED;
	} else {
		char q[128];
		fk_diag_quote(q, sizeof q, f, strnlen(f, 100));
		return fk_error_set(err, "format: unknown format '%s' (want folded, lines or "
					 "pprof)", q);
	}
	return 0;
}

/* ---- gzip ---- */

static bool is_gzip(const unsigned char *d, size_t n)
{
	return n >= 2 && d[0] == 0x1f && d[1] == 0x8b;
}

/* Inflates the gzip data d[0..n) (one or more members; fk_source's decoder) into a
 * malloc'd *out, at most max bytes. Returns FK_INGEST_OK, BAD (corrupt, truncated) or
 * TOO_LARGE. */
static int gunzip(const unsigned char *d, size_t n, size_t max, const char *what,
		  unsigned char **out, size_t *out_len, fk_error *err)
{
	fk_source src;
	fk_source_open_memory(&src, what, d, n);
	size_t cap = n < 4096 ? 4096 : (n < max ? n : max) + 1, len = 0;
	unsigned char *buf = fk_xmalloc(cap);
	int result = FK_INGEST_OK;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				result = FK_INGEST_TOO_LARGE;
				fk_error_set(err, "%s: inflates past %zu bytes", what, max);
				break;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = fk_xrealloc(buf, cap);
		}
		ssize_t got = fk_source_read(&src, buf + len, cap - len, err);
		if (got < 0) {
			result = FK_INGEST_BAD;
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > max) {
			result = FK_INGEST_TOO_LARGE;
			fk_error_set(err, "%s: inflates past %zu bytes", what, max);
			break;
		}
	}
	fk_source_close(&src);
	if (result != FK_INGEST_OK) {
		free(buf);
		return result;
	}
	*out = buf;
	*out_len = len;
	return FK_INGEST_OK;
}

/* ---- multipart/form-data ---- */

static const unsigned char *find_bytes(const unsigned char *hay, size_t n, const char *needle,
				       size_t m)
{
	if (m == 0 || n < m)
		return NULL;
	const unsigned char *end = hay + n - m + 1;
	for (const unsigned char *p = hay; p < end; p++) {
		p = memchr(p, (unsigned char)needle[0], (size_t)(end - p));
		if (!p)
			return NULL;
		if (memcmp(p, needle, m) == 0)
			return p;
	}
	return NULL;
}

/* The boundary parameter of a multipart Content-Type, into out. */
static int multipart_boundary(const char *ct, char *out, size_t cap, fk_error *err)
{
	const char *p = strchr(ct, ';');
	while (p) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (ascii_prefix_ci(p, strlen(p), "boundary=")) {
			p += 9;
			size_t n = 0;
			if (*p == '"') {
				p++;
				while (p[n] && p[n] != '"')
					n++;
				if (!p[n])
					return fk_error_set(err, "Content-Type: unterminated boundary");
			} else {
				while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
					n++;
			}
			if (n == 0 || n > MAX_BOUNDARY || n >= cap)
				return fk_error_set(err, "Content-Type: the multipart boundary must "
							 "have 1 to 70 characters");
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return fk_error_set(err, "Content-Type: multipart/form-data without a boundary");
}

/* The name="..." parameter of a Content-Disposition header value [v, v+n). */
static bool disposition_name_is(const char *v, size_t n, const char *want)
{
	size_t i = 0;
	while (i < n) {
		/* at the start of a parameter (or the disposition type) */
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ';'))
			i++;
		size_t key = i;
		while (i < n && v[i] != '=' && v[i] != ';')
			i++;
		size_t key_len = i - key;
		while (key_len && (v[key + key_len - 1] == ' ' || v[key + key_len - 1] == '\t'))
			key_len--;
		if (i >= n || v[i] == ';')
			continue;
		i++; /* '=' */
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t val, val_len;
		if (i < n && v[i] == '"') {
			val = ++i;
			while (i < n && v[i] != '"')
				i++;
			val_len = i - val;
			if (i < n)
				i++;
		} else {
			val = i;
			while (i < n && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
				i++;
			val_len = i - val;
		}
		if (key_len == 4 && ascii_prefix_ci(v + key, 4, "name"))
			return val_len == strlen(want) && memcmp(v + val, want, val_len) == 0;
	}
	return false;
}

/* The part named name of a multipart/form-data body: [*part, *part + *part_len). */
static int multipart_find(const fk_ingest_request *req, const char *name,
			  const unsigned char **part, size_t *part_len, fk_error *err)
{
	char boundary[MAX_BOUNDARY + 1];
	if (multipart_boundary(req->content_type, boundary, sizeof boundary, err) < 0)
		return -1;
	char delim[MAX_BOUNDARY + 4];
	size_t dlen = (size_t)snprintf(delim, sizeof delim, "\n--%s", boundary);
	const unsigned char *body = req->body, *end = req->body + req->len;
	/* the first delimiter may start the body (no line end before it) */
	const unsigned char *p;
	if (req->len >= dlen - 1 && memcmp(body, delim + 1, dlen - 1) == 0)
		p = body + dlen - 1;
	else {
		p = find_bytes(body, req->len, delim, dlen);
		if (!p)
			return fk_error_set(err, "multipart body: no boundary line '--%s'", boundary);
		p += dlen;
	}
	for (size_t nparts = 0;; nparts++) {
		/* p is just past a delimiter */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the close delimiter */
		if (nparts >= MAX_PARTS)
			return fk_error_set(err, "multipart body: more than %d parts", MAX_PARTS);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '\r')
			p++;
		if (p >= end || *p != '\n')
			return fk_error_set(err, "multipart body: part %zu: no line end after the "
						 "boundary", nparts + 1);
		p++;
		/* headers, up to an empty line */
		bool wanted = false;
		for (;;) {
			const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				return fk_error_set(err, "multipart body: part %zu: its headers do "
							 "not end", nparts + 1);
			size_t hlen = (size_t)(nl - p);
			if (hlen && p[hlen - 1] == '\r')
				hlen--;
			const char *h = (const char *)p;
			p = nl + 1;
			if (hlen == 0)
				break;
			if (ascii_prefix_ci(h, hlen, "content-disposition:") &&
			    disposition_name_is(h + 20, hlen - 20, name))
				wanted = true;
		}
		const unsigned char *next = find_bytes(p, (size_t)(end - p), delim, dlen);
		if (!next)
			return fk_error_set(err, "multipart body: part %zu does not end with a "
						 "boundary line", nparts + 1);
		size_t len = (size_t)(next - p);
		if (len && next[-1] == '\r')
			len--;
		if (wanted) {
			*part = p;
			*part_len = len;
			return 0;
		}
		p = next + dlen;
	}
	return fk_error_set(err, "multipart body: no part named \"%s\"", name);
}

/* ---- items ---- */

static void item_init(fk_ingest_item *it, const ingest_params *p)
{
	memset(it, 0, sizeof *it);
	it->from = p->from;
	it->until = p->until;
	snprintf(it->units, sizeof it->units, "%s", p->units);
	snprintf(it->aggregation, sizeof it->aggregation, "%s", p->aggregation);
	snprintf(it->spy_name, sizeof it->spy_name, "%s", p->spy_name);
	it->sample_rate = p->sample_rate;
}

static fk_ingest_item *add_item(fk_ingest *in)
{
	in->items = fk_xrealloc(in->items, (in->count + 1) * sizeof(fk_ingest_item));
	return &in->items[in->count++];
}

/* pprof's unit of a sample type to the units of the API. */
static void api_units(const char *unit, char *out, size_t cap)
{
	if (strcmp(unit, "count") == 0 || !*unit || !is_lower_word(unit, cap - 1))
		snprintf(out, cap, "samples");
	else
		snprintf(out, cap, "%s", unit);
}

static bool valid_type_name(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= max || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
				  (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return false;
	return n > 0;
}

static void set_time_meta(fk_profile_meta *m, const ingest_params *p)
{
	m->time_ns = p->from * 1000000000;
	m->duration_ns = (p->until - p->from) * 1000000000;
}

/* folded ("a;b;c COUNT") or lines ("a;b;c", counting 1) into profile. */
static int read_stacks(const unsigned char *data, size_t len, bool with_count, fk_profile *prof,
		       fk_error *err)
{
	fk_interner *names = fk_profile_names(prof);
	const char *p = (const char *)data, *end = p + len;
	uint64_t lineno = 0;
	while (p < end) {
		lineno++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p;
		size_t n = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
		if (n && line[n - 1] == '\r')
			n--;
		size_t blank = 0;
		while (blank < n && (line[blank] == ' ' || line[blank] == '\t'))
			blank++;
		if (blank == n)
			continue; /* an empty line */
		size_t stack_len = n;
		double count = 1;
		if (with_count) {
			char q[128];
			if (!fk_folded_split_count(line, n, &stack_len, &count)) {
				fk_diag_quote(q, sizeof q, line, n < 60 ? n : 60);
				return fk_error_set(err, "line %" PRIu64 ": no count at the end (want "
							 "'frame;frame;... COUNT'): '%s%s'",
						    lineno, q, n > 60 ? "..." : "");
			}
			if (!(count < 9.2e18))
				return fk_error_set(err, "line %" PRIu64 ": the count is too large",
						    lineno);
			if (stack_len == 0)
				return fk_error_set(err, "line %" PRIu64 ": the stack is empty",
						    lineno);
		}
		fk_node_id node = FK_ROOT;
		const char *f = line, *stack_end = line + stack_len;
		for (;;) {
			const char *semi = memchr(f, ';', (size_t)(stack_end - f));
			const char *fe = semi ? semi : stack_end;
			node = fk_profile_child(prof, node, fk_intern(names, f, (size_t)(fe - f)));
			if (!semi)
				break;
			f = semi + 1;
		}
		fk_profile_add_at(prof, node, count);
	}
	return 0;
}

static int ingest_text(const fk_ingest_request *req, const ingest_params *p,
		       const unsigned char *data, size_t len, fk_ingest *in, fk_error *err)
{
	fk_series_key key;
	if (fk_series_key_parse(req->name, strlen(req->name), "cpu", &key, err) < 0)
		return FK_INGEST_BAD;
	if (strlen(key.type) > 31) {
		fk_series_key_free(&key);
		return fk_error_set(err, "name: the profile type is longer than 31 bytes");
	}
	fk_profile *prof = fk_profile_new();
	if (read_stacks(data, len, p->format == BODY_FOLDED, prof, err) < 0) {
		fk_profile_free(prof);
		fk_series_key_free(&key);
		return FK_INGEST_BAD;
	}
	if (fk_profile_stack_count(prof) == 0) {
		fk_profile_free(prof);
		fk_series_key_free(&key);
		return FK_INGEST_OK;
	}
	fk_profile_meta m = {0};
	snprintf(m.sample_type, sizeof m.sample_type, "%s", key.type);
	snprintf(m.unit, sizeof m.unit, "%s", strcmp(p->units, "samples") == 0 ? "count" : p->units);
	if (strcmp(key.type, "cpu") == 0 && strcmp(p->units, "samples") == 0) {
		snprintf(m.period_type, sizeof m.period_type, "cpu");
		snprintf(m.period_unit, sizeof m.period_unit, "nanoseconds");
		m.period = 1000000000 / p->sample_rate;
	}
	set_time_meta(&m, p);
	fk_profile_set_meta(prof, &m);
	fk_ingest_item *it = add_item(in);
	item_init(it, p);
	it->key = key;
	it->profile = prof;
	return FK_INGEST_OK;
}

/* The sample rate a pprof's period implies (Hz), or 0. */
static int64_t pprof_rate(const fk_profile_meta *m)
{
	double per_sec = 0;
	if (strcmp(m->period_unit, "nanoseconds") == 0)
		per_sec = 1e9;
	else if (strcmp(m->period_unit, "microseconds") == 0)
		per_sec = 1e6;
	else if (strcmp(m->period_unit, "milliseconds") == 0)
		per_sec = 1e3;
	if (per_sec == 0 || m->period <= 0)
		return 0;
	double r = floor(per_sec / (double)m->period + 0.5);
	return r >= 1 && r <= 1e9 ? (int64_t)r : 0;
}

static int ingest_pprof(const fk_ingest_request *req, const ingest_params *p,
			const unsigned char *data, size_t len, fk_ingest *in, fk_error *err)
{
	fk_whole_input whole = {.name = "pprof", .data = data, .len = len};
	fk_pprof_sample_type types[MAX_SAMPLE_TYPES];
	int ntypes = fk_pprof_sample_types(&whole, types, MAX_SAMPLE_TYPES, err);
	if (ntypes < 0)
		return FK_INGEST_BAD;
	if (ntypes > MAX_SAMPLE_TYPES)
		return fk_error_set(err, "pprof: %d sample types, more than %d", ntypes,
				    MAX_SAMPLE_TYPES);
	if (ntypes == 0) {
		/* nothing to store, but a profile with samples and no types is corrupt */
		fk_profile *prof = fk_profile_new();
		int rc = fk_pprof_read(&whole, NULL, prof, NULL, NULL, err);
		fk_profile_free(prof);
		return rc < 0 ? FK_INGEST_BAD : FK_INGEST_OK;
	}
	/* the series type of each sample type: its name, except that pprof's "sample"
	 * (count), as @datadog/pprof's time profiles have it, is "samples" as in Go's */
	char series_type[MAX_SAMPLE_TYPES][32];
	bool has_cpu = false, has_samples = false, samples_count = false;
	for (int i = 0; i < ntypes; i++) {
		if (!valid_type_name(types[i].type, 31)) {
			char q[128];
			fk_diag_quote(q, sizeof q, types[i].type, strlen(types[i].type));
			return fk_error_set(err, "pprof: sample type #%d '%s' is no profile type "
						 "(want 1 to 31 of A-Z a-z 0-9 _ -)", i + 1, q);
		}
		has_cpu = has_cpu || strcmp(types[i].type, "cpu") == 0;
		has_samples = has_samples || strcmp(types[i].type, "samples") == 0;
	}
	for (int i = 0; i < ntypes; i++) {
		bool sample = strcmp(types[i].type, "sample") == 0 && strcmp(types[i].unit, "count") == 0;
		snprintf(series_type[i], sizeof series_type[i], "%s",
			 sample && !has_samples ? "samples" : types[i].type);
		if (strcmp(series_type[i], "samples") == 0 && strcmp(types[i].unit, "count") == 0)
			samples_count = true;
	}

	fk_series_key key;
	if (fk_series_key_parse(req->name, strlen(req->name), NULL, &key, err) < 0)
		return FK_INGEST_BAD;
	/* "app.cpu" or "app.<one of the sample types>" names the app "app" */
	char *dot = strrchr(key.app, '.');
	if (dot) {
		bool strip = strcmp(dot + 1, "cpu") == 0;
		for (int i = 0; i < ntypes && !strip; i++)
			strip = strcmp(dot + 1, types[i].type) == 0 ||
				strcmp(dot + 1, series_type[i]) == 0;
		if (strip) {
			if (dot == key.app) {
				fk_series_key_free(&key);
				return fk_error_set(err, "name: the app name is empty");
			}
			*dot = '\0';
		}
	}

	int rc = FK_INGEST_OK;
	for (int i = 0; i < ntypes && rc == FK_INGEST_OK; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup = dup || strcmp(types[i].type, types[j].type) == 0;
		if (dup)
			continue; /* fk_pprof_read reads the first of a name */
		fk_load_options opt = {.sample_type = types[i].type};
		fk_profile *prof = fk_profile_new();
		if (fk_pprof_read(&whole, &opt, prof, NULL, NULL, err) < 0) {
			fk_profile_free(prof);
			rc = FK_INGEST_BAD;
			break;
		}
		if (fk_profile_stack_count(prof) == 0) {
			fk_profile_free(prof);
			continue;
		}
		fk_profile_meta m = *fk_profile_get_meta(prof);
		snprintf(m.sample_type, sizeof m.sample_type, "%s", series_type[i]);
		set_time_meta(&m, p);
		fk_profile_set_meta(prof, &m);
		int64_t rate = p->sample_rate_given ? p->sample_rate : pprof_rate(&m);
		bool also_cpu = !has_cpu && samples_count && strcmp(series_type[i], "samples") == 0 &&
				strcmp(types[i].unit, "count") == 0;
		for (int copy = 0; copy < (also_cpu ? 2 : 1); copy++) {
			fk_ingest_item *it = add_item(in);
			item_init(it, p);
			if (rate > 0)
				it->sample_rate = rate;
			api_units(types[i].unit, it->units, sizeof it->units);
			fk_series_key_copy(&it->key, &key);
			free(it->key.type);
			it->key.type = fk_xstrdup(copy ? "cpu" : series_type[i]);
			if (copy) {
				fk_profile *cpu = fk_profile_new();
				fk_profile_merge(cpu, prof);
				fk_profile_meta cm = m;
				snprintf(cm.sample_type, sizeof cm.sample_type, "cpu");
				fk_profile_set_meta(cpu, &cm);
				it->profile = cpu;
			} else {
				it->profile = prof;
			}
		}
	}
	fk_series_key_free(&key);
	return rc;
}

int fk_ingest_parse(const fk_ingest_request *req, fk_ingest *in, fk_error *err)
{
	memset(in, 0, sizeof *in);
	if (!req->name || !*req->name)
		return fk_error_set(err, "missing query parameter 'name'");
	ingest_params p;
	int rc = parse_params(req, &p, err);
	if (rc < 0)
		return rc;

	const unsigned char *data = req->body;
	size_t len = req->len;
	if (!data)
		len = 0;
	const char *what = "body";
	if (p.format == BODY_PPROF && p.multipart) {
		if (multipart_find(req, "profile", &data, &len, err) < 0)
			return FK_INGEST_BAD;
		what = "part \"profile\"";
	}
	unsigned char *inflated = NULL;
	if (data && is_gzip(data, len)) {
		size_t max = req->max_decompressed ? req->max_decompressed : DEFAULT_MAX_DECOMPRESSED;
		rc = gunzip(data, len, max, what, &inflated, &len, err);
		if (rc != FK_INGEST_OK)
			return rc;
		data = inflated;
	}
	if (!data) {
		data = (const unsigned char *)"";
		len = 0;
	}
	if (p.format == BODY_PPROF) {
		if (len == 0)
			rc = fk_error_set(err, "%s: empty (want a pprof profile)", what);
		else
			rc = ingest_pprof(req, &p, data, len, in, err);
	} else {
		rc = ingest_text(req, &p, data, len, in, err);
	}
	free(inflated);
	if (rc != FK_INGEST_OK) {
		fk_error keep = *err;
		fk_ingest_free(in);
		*err = keep;
	}
	return rc;
}

void fk_ingest_free(fk_ingest *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->count; i++) {
		fk_series_key_free(&in->items[i].key);
		fk_profile_free(in->items[i].profile);
	}
	free(in->items);
	memset(in, 0, sizeof *in);
}
