/* api.c: the endpoints of `flamekit serve` (api.h): Pyroscope's /ingest, /render,
 * /render-diff, /label-names, /label-values and /api/apps, /alerts, the web UI's files,
 * and the bearer token check. Each handler parses its parameters, answers 4xx with a
 * message on anything malformed, and goes to the store through query.c. */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "../output/flamebearer.h"
#include "../output/json_text.h"
#include "../output/output_format.h"
#include "../output/top.h"
#include "../stack/compare.h"
#include "query.h"
#include "ui_assets.h"

enum {
	DEFAULT_MAX_NODES = 8192, /* flamebearer bars when the query gives no maxNodes */
	TIMELINE_POINTS = 2048,   /* at most this many timeline buckets */
	MAX_TOP_ROWS = 5000,
};

static void reply_error(fk_http_response *resp, int status, const fk_error *err)
{
	fk_http_reply_text(resp, status, "%s", err->msg);
}

/* ---- parameters ---- */

/* A time parameter (default when absent). Returns 0, or -1 having replied 400. */
static int time_param(const fk_http_request *req, fk_http_response *resp, const char *key,
		      const char *fallback, int64_t now, int64_t *out)
{
	const char *text = fk_http_query(req, key);
	if (!text || !*text)
		text = fallback;
	fk_error err = {{0}};
	if (fk_parse_time(text, now, out, &err) < 0) {
		fk_http_reply_text(resp, 400, "%s: %s", key, err.msg);
		return -1;
	}
	return 0;
}

/* A time range [from, until). Returns 0, or -1 having replied 400. */
static int range_params(const fk_http_request *req, fk_http_response *resp, const char *from_key,
			const char *until_key, int64_t now, int64_t *from, int64_t *until)
{
	if (time_param(req, resp, from_key, "now-1h", now, from) < 0 ||
	    time_param(req, resp, until_key, "now", now, until) < 0)
		return -1;
	if (*until <= *from) {
		fk_http_reply_text(resp, 400, "%s must be after %s", until_key, from_key);
		return -1;
	}
	return 0;
}

/* A non-negative integer parameter in [min, max]. Returns 0, or -1 having replied 400. */
static int uint_param(const fk_http_request *req, fk_http_response *resp, const char *key,
		      long long fallback, long long min, long long max, long long *out)
{
	const char *text = fk_http_query(req, key);
	*out = fallback;
	if (!text || !*text)
		return 0;
	char *end;
	long long v = strtoll(text, &end, 10);
	if (*end != '\0' || v < min || v > max || text[0] == '-' || text[0] == '+') {
		fk_http_reply_text(resp, 400, "%s: expected an integer from %lld to %lld", key, min,
				   max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses the query parameter key (required when required). Returns 1 parsed, 0 absent,
 * -1 having replied 400. */
static int query_param(const fk_http_request *req, fk_http_response *resp, const char *key,
		       bool required, fk_series_query *q)
{
	const char *text = fk_http_query(req, key);
	if (!text || !*text) {
		if (required) {
			fk_http_reply_text(resp, 400, "%s: missing (e.g. %s=app.cpu{})", key, key);
			return -1;
		}
		return 0;
	}
	fk_error err = {{0}};
	if (fk_series_query_parse(text, strlen(text), q, &err) < 0) {
		/* the parser's messages start "query: "; say which parameter instead */
		const char *msg = strncmp(err.msg, "query: ", 7) == 0 ? err.msg + 7 : err.msg;
		fk_http_reply_text(resp, 400, "%s: %s", key, msg);
		return -1;
	}
	return 1;
}

/* ---- responses ---- */

static void put_string_array(FILE *out, char **items, size_t n)
{
	fk_json_out w;
	fk_json_out_init(&w, out);
	fk_json_puts(&w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			fk_json_puts(&w, ",");
		fk_json_put_string(&w, items[i], strlen(items[i]));
	}
	fk_json_puts(&w, "]\n");
	fk_json_out_close(&w);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds s to the set (items, n) unless there. */
static void add_unique(char ***items, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*items)[i], s) == 0)
			return;
	fk_grow((void **)items, sizeof **items, cap, *n + 1);
	(*items)[(*n)++] = fk_xstrdup(s);
}

static void free_strings(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* ---- endpoints ---- */

static void handle_ingest(fk_api *api, const fk_http_request *req, fk_http_response *resp)
{
	if (strcmp(req->method, "POST") != 0) {
		fk_http_reply_text(resp, 405, "/ingest takes POST");
		return;
	}
	fk_ingest_request in = {
		.name = fk_http_query(req, "name"),
		.from = fk_http_query(req, "from"),
		.until = fk_http_query(req, "until"),
		.format = fk_http_query(req, "format"),
		.sample_rate = fk_http_query(req, "sampleRate"),
		.spy_name = fk_http_query(req, "spyName"),
		.units = fk_http_query(req, "units"),
		.aggregation_type = fk_http_query(req, "aggregationType"),
		.content_type = fk_http_header(req, "Content-Type"),
		.body = req->body,
		.len = req->body_len,
		.now = api->now(api),
		.max_decompressed = api->max_decompressed,
	};
	fk_ingest parsed;
	fk_error err = {{0}};
	int rc = fk_ingest_parse(&in, &parsed, &err);
	if (rc != FK_INGEST_OK) {
		int status = rc == FK_INGEST_TOO_LARGE ? 413 : rc == FK_INGEST_UNSUPPORTED ? 415 : 400;
		reply_error(resp, status, &err);
		return;
	}
	if (parsed.count && fk_store_put(api->store, parsed.items, parsed.count, &err) < 0) {
		fk_ingest_free(&parsed);
		fk_http_reply_text(resp, 503, "not stored: %s", err.msg);
		return;
	}
	fk_ingest_free(&parsed);
	resp->status = 200;
}

static void write_top(FILE *out, fk_profile *p, const char *units, size_t limit)
{
	fk_top top;
	fk_top_compute(p, FK_TOP_SORT_FLAT, &top);
	fk_json_out w;
	fk_json_out_init(&w, out);
	fk_json_puts(&w, "{\"total\":");
	fk_json_put_number(&w, top.total);
	fk_json_puts(&w, ",\"units\":");
	fk_json_put_string(&w, units, strlen(units));
	fk_json_puts(&w, ",\"rows\":[");
	for (size_t i = 0; i < top.count && i < limit; i++) {
		const fk_top_row *r = &top.rows[i];
		fk_json_puts(&w, i ? ",{\"name\":" : "{\"name\":");
		fk_json_put_string(&w, r->text, r->len);
		fk_json_puts(&w, ",\"flat\":");
		fk_json_put_number(&w, r->flat);
		fk_json_puts(&w, ",\"cum\":");
		fk_json_put_number(&w, r->cum);
		fk_json_puts(&w, "}");
	}
	fk_json_puts(&w, "]}\n");
	fk_json_out_close(&w);
	fk_top_free(&top);
}

/* The formats /render and /render-diff answer in. */
typedef enum { FORMAT_JSON, FORMAT_FOLDED, FORMAT_SVG, FORMAT_PPROF, FORMAT_TOP } render_format;

static int format_param(const fk_http_request *req, fk_http_response *resp, bool diff,
			render_format *out)
{
	const char *f = fk_http_query(req, "format");
	if (!f || !*f || strcmp(f, "json") == 0)
		*out = FORMAT_JSON;
	else if (strcmp(f, "folded") == 0 || strcmp(f, "collapsed") == 0)
		*out = FORMAT_FOLDED;
	else if (strcmp(f, "svg") == 0)
		*out = FORMAT_SVG;
	else if (strcmp(f, "pprof") == 0 && !diff)
		*out = FORMAT_PPROF;
	else if (strcmp(f, "top") == 0)
		*out = FORMAT_TOP;
	else {
		fk_http_reply_text(resp, 400, "format: expected json, folded, svg%s or top",
				   diff ? "" : ", pprof");
		return -1;
	}
	return 0;
}

/* Writes p (one profile, or a comparison) in a format other than JSON. */
static void write_profile_as(fk_http_response *resp, fk_profile *p, render_format format,
			     const char *title, const char *units, unsigned width)
{
	fk_error err = {{0}};
	if (format == FORMAT_TOP) {
		resp->content_type = "application/json";
		write_top(resp->body, p, units, MAX_TOP_ROWS);
		return;
	}
	fk_flamegraph_options fg;
	fk_flamegraph_options_init(&fg);
	fg.title = title;
	fg.count_name = units;
	fg.width = width;
	fk_output_options o = {.format = FK_OUT_FOLDED, .flamegraph = &fg, .name = title};
	if (format == FORMAT_SVG) {
		o.format = FK_OUT_SVG;
		resp->content_type = "image/svg+xml";
	} else if (format == FORMAT_PPROF) {
		o.format = FK_OUT_PPROF;
		resp->content_type = "application/octet-stream";
	}
	if (fk_write_profile(p, &o, resp->body, &err) < 0)
		fk_http_reply_text(resp, 500, "%s", err.msg);
}

/* The buckets of a timeline over [from, until): aligned to the store's windows, at most
 * TIMELINE_POINTS of them. */
static void timeline_layout(const fk_api *api, int64_t from, int64_t until, int64_t *start,
			    int64_t *step, size_t *npoints)
{
	*step = fk_query_timeline_step(from, until, api->window_sec, TIMELINE_POINTS);
	*start = from - from % api->window_sec;
	*npoints = (size_t)((until - *start + *step - 1) / *step);
}

static void handle_render(fk_api *api, const fk_http_request *req, fk_http_response *resp)
{
	int64_t now = api->now(api), from, until;
	long long max_nodes, width;
	render_format format;
	fk_series_query q;
	if (format_param(req, resp, false, &format) < 0 ||
	    range_params(req, resp, "from", "until", now, &from, &until) < 0 ||
	    uint_param(req, resp, "maxNodes", DEFAULT_MAX_NODES, 0, 100000000, &max_nodes) < 0 ||
	    uint_param(req, resp, "width", 1200, 100, 20000, &width) < 0)
		return;
	const char *group_by = fk_http_query(req, "groupBy");
	if (query_param(req, resp, "query", true, &q) < 0)
		return;
	fk_query_selection sel;
	fk_profile *p = NULL;
	fk_error err = {{0}};
	if (fk_query_select(api->store, &q, &sel, &err) < 0 ||
	    fk_query_profile(api->store, &sel, from, until, &p, &err) < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
		goto out;
	}
	const char *units = sel.first ? sel.first->units : "samples";
	const char *query_text = fk_http_query(req, "query");
	if (format != FORMAT_JSON) {
		write_profile_as(resp, p, format, query_text, units, (unsigned)width);
		goto out;
	}
	int64_t start, step;
	size_t npoints;
	timeline_layout(api, from, until, &start, &step, &npoints);
	double *samples = fk_xcalloc(npoints, sizeof *samples);
	fk_flamebearer_timeline timeline = {start, step, samples, npoints};
	fk_query_group *groups = NULL;
	size_t ngroups = 0;
	fk_flamebearer_group *fgroups = NULL;
	double *group_samples = NULL;
	int rc = 0;
	if (sel.count)
		rc = fk_store_timeline(api->store, sel.ids, sel.count, start, until, step, samples,
				       npoints, &err);
	if (rc == 0 && group_by && *group_by) {
		fk_query_group_by(&sel, group_by, &groups, &ngroups);
		fgroups = fk_xcalloc(ngroups ? ngroups : 1, sizeof *fgroups);
		group_samples = fk_xcalloc(ngroups * npoints + 1, sizeof *group_samples);
		for (size_t i = 0; i < ngroups && rc == 0; i++) {
			double *gs = group_samples + i * npoints;
			rc = fk_store_timeline(api->store, groups[i].ids, groups[i].count, start,
					       until, step, gs, npoints, &err);
			fgroups[i] = (fk_flamebearer_group){groups[i].value,
							   {start, step, gs, npoints}};
		}
	}
	if (rc < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
	} else {
		fk_flamebearer_options o = {
			.max_nodes = (size_t)max_nodes,
			.name = query_text,
			.app_name = q.app,
			.spy_name = sel.first && sel.first->spy_name[0] ? sel.first->spy_name : NULL,
			.units = units,
			.sample_rate = sel.first ? sel.first->sample_rate : 100,
			.start_time = from,
			.end_time = until,
			.timeline = &timeline,
			.groups = fgroups,
			.ngroups = ngroups,
		};
		resp->content_type = "application/json";
		if (fk_flamebearer_write(p, &o, resp->body, &err) < 0)
			fk_http_reply_text(resp, 500, "%s", err.msg);
	}
	free(samples);
	free(group_samples);
	free(fgroups);
	fk_query_groups_free(groups, ngroups);
out:
	fk_profile_free(p);
	fk_query_selection_free(&sel);
	fk_series_query_free(&q);
}

/* One side of a diff: its profile and timeline. */
struct diff_side {
	fk_series_query q;
	fk_query_selection sel;
	int64_t from, until;
	fk_profile *profile;
	double *samples;
	size_t npoints;
	int64_t start, step;
};

static int load_side(fk_api *api, const fk_http_request *req, fk_http_response *resp,
		     const char *side, struct diff_side *d)
{
	char qk[16], fk[16], uk[16];
	snprintf(qk, sizeof qk, "%sQuery", side);
	snprintf(fk, sizeof fk, "%sFrom", side);
	snprintf(uk, sizeof uk, "%sUntil", side);
	int64_t now = api->now(api);
	if (range_params(req, resp, fk, uk, now, &d->from, &d->until) < 0 ||
	    query_param(req, resp, qk, true, &d->q) < 0)
		return -1;
	fk_error err = {{0}};
	if (fk_query_select(api->store, &d->q, &d->sel, &err) < 0 ||
	    fk_query_profile(api->store, &d->sel, d->from, d->until, &d->profile, &err) < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
		return -1;
	}
	timeline_layout(api, d->from, d->until, &d->start, &d->step, &d->npoints);
	d->samples = fk_xcalloc(d->npoints, sizeof *d->samples);
	if (d->sel.count && fk_store_timeline(api->store, d->sel.ids, d->sel.count, d->start,
					      d->until, d->step, d->samples, d->npoints, &err) < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
		return -1;
	}
	return 0;
}

static void free_side(struct diff_side *d)
{
	fk_profile_free(d->profile);
	free(d->samples);
	fk_query_selection_free(&d->sel);
	fk_series_query_free(&d->q);
}

static void handle_render_diff(fk_api *api, const fk_http_request *req, fk_http_response *resp)
{
	render_format format;
	long long max_nodes, width;
	struct diff_side left, right;
	memset(&left, 0, sizeof left);
	memset(&right, 0, sizeof right);
	if (format_param(req, resp, true, &format) < 0 ||
	    uint_param(req, resp, "maxNodes", DEFAULT_MAX_NODES, 0, 100000000, &max_nodes) < 0 ||
	    uint_param(req, resp, "width", 1200, 100, 20000, &width) < 0)
		return;
	if (load_side(api, req, resp, "left", &left) < 0 ||
	    load_side(api, req, resp, "right", &right) < 0)
		goto out;
	/* The SVG's colors show each frame's change in share (left scaled to the right's
	 * total, as `flamekit diff -n`); the other formats carry both counts as they are. */
	fk_compare_options co = {.normalize = format == FORMAT_SVG, .strip_hex = false};
	fk_profile *diff = fk_profile_compare(left.profile, right.profile, &co);
	const char *units = left.sel.first ? left.sel.first->units
			    : right.sel.first ? right.sel.first->units : "samples";
	if (format == FORMAT_JSON) {
		fk_flamebearer_timeline lt = {left.start, left.step, left.samples, left.npoints};
		fk_flamebearer_timeline rt = {right.start, right.step, right.samples, right.npoints};
		const fk_series_info *first = left.sel.first ? left.sel.first : right.sel.first;
		fk_flamebearer_options o = {
			.max_nodes = (size_t)max_nodes,
			.name = fk_http_query(req, "rightQuery"),
			.app_name = right.q.app,
			.spy_name = first && first->spy_name[0] ? first->spy_name : NULL,
			.units = units,
			.sample_rate = first ? first->sample_rate : 100,
			.start_time = right.from,
			.end_time = right.until,
			.timeline = &rt,
			.left_timeline = &lt,
			.right_timeline = &rt,
		};
		fk_error err = {{0}};
		resp->content_type = "application/json";
		if (fk_flamebearer_write(diff, &o, resp->body, &err) < 0)
			fk_http_reply_text(resp, 500, "%s", err.msg);
	} else if (format == FORMAT_TOP) {
		resp->content_type = "application/json";
		write_top(resp->body, diff, units, MAX_TOP_ROWS);
	} else {
		write_profile_as(resp, diff, format, "Differential flame graph", units,
				 (unsigned)width);
	}
	fk_profile_free(diff);
out:
	free_side(&left);
	free_side(&right);
}

/* /label-names and /label-values: the labels (or one label's values) of the series the
 * optional query selects (every series without one). */
static void handle_labels(fk_api *api, const fk_http_request *req, fk_http_response *resp,
			  bool values)
{
	const char *label = NULL;
	if (values) {
		label = fk_http_query(req, "label");
		if (!label || !*label) {
			fk_http_reply_text(resp, 400, "label: missing (e.g. label=version)");
			return;
		}
	}
	fk_series_query q;
	memset(&q, 0, sizeof q);
	int has_query = query_param(req, resp, "query", false, &q);
	if (has_query < 0)
		return;
	fk_series_list list;
	fk_error err = {{0}};
	if (fk_store_series(api->store, &list, &err) < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
		if (has_query)
			fk_series_query_free(&q);
		return;
	}
	char **items = NULL;
	size_t n = 0, cap = 0;
	if (!values)
		add_unique(&items, &n, &cap, "__name__");
	for (size_t i = 0; i < list.count; i++) {
		const fk_series_key *key = &list.items[i].key;
		if (has_query && !fk_series_query_match(&q, key))
			continue;
		if (values && strcmp(label, "__name__") == 0) {
			char *name = fk_series_key_name(key);
			add_unique(&items, &n, &cap, name);
			free(name);
			continue;
		}
		if (values) {
			const char *v = fk_series_key_label(key, label);
			if (v)
				add_unique(&items, &n, &cap, v);
			continue;
		}
		for (size_t j = 0; j < key->nlabels; j++)
			add_unique(&items, &n, &cap, key->labels[j].name);
	}
	if (n > 1)
		qsort(items, n, sizeof *items, compare_strings);
	resp->content_type = "application/json";
	put_string_array(resp->body, items, n);
	free_strings(items, n);
	fk_series_list_free(&list);
	if (has_query)
		fk_series_query_free(&q);
}

/* /api/apps: one entry per app.type, with the units, spy name and rate of its first
 * series. */
static void handle_apps(fk_api *api, fk_http_response *resp)
{
	fk_series_list list;
	fk_error err = {{0}};
	if (fk_store_series(api->store, &list, &err) < 0) {
		fk_http_reply_text(resp, 500, "%s", err.msg);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	resp->content_type = "application/json";
	fk_json_out w;
	fk_json_out_init(&w, resp->body);
	fk_json_puts(&w, "[");
	for (size_t i = 0; i < list.count; i++) {
		const fk_series_info *info = &list.items[i];
		char *name = fk_series_key_name(&info->key);
		size_t before = n;
		add_unique(&names, &n, &cap, name);
		if (n != before) {
			fk_json_puts(&w, before ? ",{\"name\":" : "{\"name\":");
			fk_json_put_string(&w, name, strlen(name));
			fk_json_puts(&w, ",\"spyName\":");
			fk_json_put_string(&w, info->spy_name, strlen(info->spy_name));
			fk_json_puts(&w, ",\"units\":");
			fk_json_put_string(&w, info->units, strlen(info->units));
			fk_json_puts(&w, ",\"sampleRate\":");
			fk_json_put_number(&w, (double)info->sample_rate);
			fk_json_puts(&w, "}");
		}
		free(name);
	}
	fk_json_puts(&w, "]\n");
	fk_json_out_close(&w);
	free_strings(names, n);
	fk_series_list_free(&list);
}

/* /alerts: every alert rule with its state and last evaluation (alert.h). */
static void handle_alerts(fk_api *api, fk_http_response *resp)
{
	resp->content_type = "application/json";
	if (api->alerts)
		fk_alert_engine_write_json(api->alerts, resp->body);
	else
		fputs("[]\n", resp->body);
}

static void serve_asset(fk_http_response *resp, const char *type, const char *data, size_t len)
{
	resp->content_type = type;
	fwrite(data, 1, len, resp->body);
}

/* Compares the token without stopping at the first difference. */
static bool token_matches(const char *expected, const char *given)
{
	size_t le = strlen(expected), lg = strlen(given);
	unsigned char diff = (unsigned char)(le != lg);
	for (size_t i = 0; i < le; i++)
		diff |= (unsigned char)(expected[i] ^ (i < lg ? given[i] : 0));
	return diff == 0;
}

static bool authorized(const fk_api *api, const fk_http_request *req)
{
	if (!api->token)
		return true;
	const char *h = fk_http_header(req, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	return token_matches(api->token, h + 7);
}

void fk_api_handle(void *ctx, const fk_http_request *req, fk_http_response *resp)
{
	fk_api *api = ctx;
	const char *path = req->path;
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	/* The UI's own files hold no data: served without the token, so a browser can load
	 * the page and then ask for the token. */
	if (get && (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)) {
		serve_asset(resp, "text/html; charset=utf-8", fk_index_html, fk_index_html_len);
		return;
	}
	if (get && strcmp(path, "/app.js") == 0) {
		serve_asset(resp, "text/javascript; charset=utf-8", fk_app_js, fk_app_js_len);
		return;
	}
	if (get && strcmp(path, "/app.css") == 0) {
		serve_asset(resp, "text/css; charset=utf-8", fk_app_css, fk_app_css_len);
		return;
	}
	if (!authorized(api, req)) {
		fk_http_reply_text(resp, 401, "missing or wrong token (Authorization: Bearer TOKEN)");
		resp->extra_header = "WWW-Authenticate";
		resp->extra_value = "Bearer realm=\"flamekit\"";
		return;
	}
	if (strcmp(path, "/ingest") == 0) {
		handle_ingest(api, req, resp);
		return;
	}
	if (!get) {
		fk_http_reply_text(resp, 405, "%s takes GET", path);
		return;
	}
	if (strcmp(path, "/render") == 0)
		handle_render(api, req, resp);
	else if (strcmp(path, "/render-diff") == 0)
		handle_render_diff(api, req, resp);
	else if (strcmp(path, "/label-names") == 0)
		handle_labels(api, req, resp, false);
	else if (strcmp(path, "/label-values") == 0)
		handle_labels(api, req, resp, true);
	else if (strcmp(path, "/api/apps") == 0)
		handle_apps(api, resp);
	else if (strcmp(path, "/alerts") == 0)
		handle_alerts(api, resp);
	else if (strcmp(path, "/healthz") == 0)
		fk_http_reply_text(resp, 200, "ok");
	else
		fk_http_reply_text(resp, 404, "no such endpoint: %s", path);
}
