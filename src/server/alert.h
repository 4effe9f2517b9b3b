/* alert.h: regression alerts of `flamekit serve`. A rule names a query (the /render
 * syntax), a function (frame name) and a growth threshold:
 *
 *   [alert=NAME] name=QUERY fn=FUNCTION grow>N% window=DURATION baseline=DURATION
 *   [alert=NAME] name=QUERY fn=FUNCTION grow>N% window=DURATION label=LABEL
 *                current=VALUE baseline=VALUE
 *
 * The share of a function in a profile is the samples of the stacks that contain it
 * (once per stack, the `cum` of `flamekit top`) over the profile's total. Time mode
 * compares the share in [now - window, now) with the share in the baseline before it;
 * label mode compares the series with LABEL=current with those with LABEL=baseline, both
 * over [now - window, now). A round evaluates every rule against the store; transitions
 * (firing, resolved) go to a callback, which serve logs and hands to the webhook sender
 * below (a thread with a bounded queue, retrying with exponential backoff). */
#ifndef FK_ALERT_H
#define FK_ALERT_H

#include "../stack/filter.h"
#include "store.h"

typedef enum {
	FK_ALERT_GROW_RELATIVE, /* grow>N%: the share grew by more than N percent of itself */
	FK_ALERT_GROW_POINTS,   /* grow>Npp: the share grew by more than N percentage points */
} fk_alert_grow_unit;

typedef struct fk_alert_rule {
	char *name;          /* alert=NAME, or derived: "APP.TYPE/FN" (made unique) */
	char *text;          /* the rule as written, trimmed */
	char *query_text;    /* "checkout.cpu{env=\"prod\"}" */
	fk_series_query query;
	char *fn;            /* the frame name, or the regex with fn_is_regex */
	bool fn_is_regex;    /* fn=~REGEX: an anchored POSIX ERE, as the query's =~ */
	fk_sample_filter fn_filter; /* with fn_is_regex: keeps the stacks with a matching frame */
	double grow;         /* N (> 0) */
	fk_alert_grow_unit grow_unit;
	int64_t window_sec;
	int64_t baseline_sec;   /* time mode; 0 in label mode */
	char *label;            /* label mode when not NULL */
	char *current_value;    /* label mode: the value compared ... */
	char *baseline_value;   /* ... against this one */
	double min_samples;     /* min=N: fewer samples on either side is "no data" (100) */
} fk_alert_rule;

enum { FK_ALERT_MAX_RULE_LEN = 4096, FK_ALERT_DEFAULT_MIN_SAMPLES = 100 };

/* Parses one rule (len bytes; no NUL needed). Returns 0, or -1 with err saying what is
 * wrong and at which character (1-based, of text): "at character 24: unknown key 'fnn'
 * (...)". The name is left NULL when no alert= is given (fk_alert_rules_add derives it). */
int fk_alert_rule_parse(const char *text, size_t len, fk_alert_rule *rule, fk_error *err);
void fk_alert_rule_free(fk_alert_rule *rule);

/* The rules of one server. */
typedef struct fk_alert_rules {
	fk_alert_rule *items;
	size_t count, cap;
} fk_alert_rules;

/* Parses a rule and adds it, its name derived when not given. where names it in errors
 * ("--alert 'RULE'", "rules.txt:3"): "WHERE: at character N: ...". Two rules with the same
 * alert=NAME are an error. Returns 0 or -1 with err. */
int fk_alert_rules_add(fk_alert_rules *rules, const char *text, size_t len, const char *where,
		       fk_error *err);
/* Adds every rule of a file: one per line; blank lines and lines whose first non-blank
 * byte is '#' are skipped. Errors name "PATH:LINE". Returns 0 or -1 with err. */
int fk_alert_rules_load(fk_alert_rules *rules, const char *path, fk_error *err);
void fk_alert_rules_free(fk_alert_rules *rules);

/* One side of a comparison: the function's share of a profile. */
typedef struct fk_alert_side {
	double samples;    /* the profile's total */
	double fn_samples; /* the samples of the stacks containing the function */
	double share;      /* fn_samples / samples (0 when samples is 0) */
} fk_alert_side;

/* The function's share of p (its stacks counted once each, however often it recurses). */
void fk_alert_share(const fk_alert_rule *rule, const fk_profile *p, fk_alert_side *side);

typedef enum {
	FK_ALERT_VERDICT_NO_DATA, /* a side has fewer than min_samples samples */
	FK_ALERT_VERDICT_OK,      /* growth at most the threshold */
	FK_ALERT_VERDICT_FIRE,    /* growth above it */
} fk_alert_verdict;

/* Compares the sides. *growth gets the growth: percent of the baseline share (relative;
 * INFINITY when the function is new: absent from the baseline, present now, which fires)
 * or percentage points. Exactly the threshold does not fire. */
fk_alert_verdict fk_alert_judge(const fk_alert_rule *rule, const fk_alert_side *current,
				const fk_alert_side *baseline, double *growth);

/* A transition of one rule. */
typedef struct fk_alert_event {
	const fk_alert_rule *rule;
	bool firing;                /* false: resolved */
	fk_alert_side current, baseline;
	double growth;              /* as fk_alert_judge gives it */
	const char *note;           /* resolved for lack of data: why; else NULL */
	int64_t at;                 /* Unix seconds of the evaluation */
} fk_alert_event;

/* The log line of an event, without the program name: "alert NAME firing: queryDB 39.1%
 * of checkout.cpu{} in the last 10m vs 30.0% in the 1h before (+30.0%)". */
void fk_alert_event_describe(const fk_alert_event *ev, char *buf, size_t size);
/* The webhook's JSON body of an event (one line, with '\n'). */
void fk_alert_event_write_json(const fk_alert_event *ev, FILE *out);

typedef void (*fk_alert_notify_fn)(void *ctx, const fk_alert_event *ev);

typedef struct fk_alert_round_stats {
	size_t rules, firing, no_data, errors;
	double seconds; /* the round's wall-clock time */
} fk_alert_round_stats;

typedef struct fk_alert_engine fk_alert_engine;

/* An engine over rules (taken over: rules is left empty). notify (or NULL) is called
 * on every transition, from the thread that evaluates. */
fk_alert_engine *fk_alert_engine_new(fk_alert_rules *rules, fk_alert_notify_fn notify, void *ctx);
void fk_alert_engine_free(fk_alert_engine *e);
size_t fk_alert_engine_rule_count(const fk_alert_engine *e);
/* Evaluates every rule as of now (Unix seconds): lists the store's series once, merges
 * each rule's two sides and updates its state. A rule whose query fails keeps its state
 * and records the error. Returns 0, or -1 with err when the series cannot be listed (no
 * state changes). stats may be NULL. One round at a time (not thread-safe with itself;
 * fk_alert_engine_write_json may run meanwhile). */
int fk_alert_engine_evaluate(fk_alert_engine *e, fk_store *store, int64_t now,
			     fk_alert_round_stats *stats, fk_error *err);
/* Standby: another server sharing the store evaluates the rules (fk_store_try_lead), so
 * this one does not; /alerts says so for every rule. */
void fk_alert_engine_set_standby(fk_alert_engine *e, bool standby);
/* GET /alerts: a JSON array, one object per rule with its state and last evaluation. */
void fk_alert_engine_write_json(fk_alert_engine *e, FILE *out);

/* ---- webhooks ---- */

typedef struct fk_webhook_options {
	const char *const *urls;   /* every event is POSTed to each */
	size_t nurls;
	size_t max_queue;          /* deliveries waiting at most (0: 1000); more are dropped */
	unsigned max_tries;        /* a delivery is dropped after this many (0: 10) */
	long first_delay_ms;       /* backoff after the first failure (0: 1000), doubling ... */
	long max_delay_ms;         /* ... up to this (0: 60000) */
	long timeout_ms;           /* one POST (0: 10000) */
	fk_log_fn log;             /* deliveries, failures and drops (NULL: not logged) */
	void *log_ctx;
} fk_webhook_options;

typedef struct fk_webhook_sender fk_webhook_sender;

/* Checks the URLs (http:// or https://) and starts the sender thread. Call
 * fk_http_client_global_init first. Returns NULL with err. */
fk_webhook_sender *fk_webhook_sender_start(const fk_webhook_options *o, fk_error *err);
/* Queues body (copied) for every URL; what names it in log lines ("alert X firing").
 * Returns false when the queue was full (that delivery is dropped and logged). */
bool fk_webhook_send(fk_webhook_sender *s, const char *body, size_t len, const char *what);
/* Stops the thread once the POST under way (if any) ends, logs how many deliveries it
 * drops, and frees s. */
void fk_webhook_sender_stop(fk_webhook_sender *s);

#endif
