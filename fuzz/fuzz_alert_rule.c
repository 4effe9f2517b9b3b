/* fuzz_alert_rule.c: libFuzzer target for the alert rules of `flamekit serve`
 * (src/server/alert.c). The input is one rule's text (exactly sized, no NUL). Any bytes
 * must parse or fail with a message naming a character inside the text (or one past
 * it); a parsed rule must be whole (query, function, threshold, window, and a baseline
 * duration or a label with two different values), its trimmed text must parse again to
 * the same rule, and its share, verdict, log line and JSON must be computable over a
 * small profile holding the function. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/alert.h"

static FILE *devnull(void)
{
	static FILE *f;
	if (!f) {
		f = fopen("/dev/null", "w");
		if (!f)
			abort();
	}
	return f;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void add_stack(fk_profile *p, const char *a, const char *b, double count)
{
	fk_name_id names[2] = {fk_intern(fk_profile_names(p), a, strlen(a)),
			       fk_intern(fk_profile_names(p), b, strlen(b))};
	fk_profile_add_stack(p, names, 2, count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	fk_alert_rule r;
	fk_error err = {{0}};
	if (fk_alert_rule_parse(text, size, &r, &err) != 0) {
		unsigned long at = 0;
		if (!err.msg[0])
			abort();
		if (strncmp(err.msg, "at character ", 13) == 0) {
			at = strtoul(err.msg + 13, NULL, 10);
			if (at < 1 || at > size + 1) {
				fprintf(stderr, "position %lu outside 1..%zu: %s\n", at, size + 1, err.msg);
				abort();
			}
		} else if (strncmp(err.msg, "the rule is longer", 18) != 0) {
			fprintf(stderr, "no position: %s\n", err.msg);
			abort();
		}
		free(text);
		return 0;
	}
	if (!r.text || !r.query_text || !r.fn || !(r.grow > 0) || r.window_sec <= 0 ||
	    !(r.min_samples >= 1))
		abort();
	if (r.label ? (!r.current_value || !r.baseline_value || r.baseline_sec != 0 ||
		       strcmp(r.current_value, r.baseline_value) == 0)
		    : (r.baseline_sec <= 0 || r.current_value || r.baseline_value))
		abort();

	/* the trimmed text reads back as the same rule */
	fk_alert_rule again;
	if (fk_alert_rule_parse(r.text, strlen(r.text), &again, &err) != 0) {
		fprintf(stderr, "'%s' does not parse again: %s\n", r.text, err.msg);
		abort();
	}
	if (!same(r.name, again.name) || strcmp(r.text, again.text) != 0 ||
	    strcmp(r.query_text, again.query_text) != 0 || strcmp(r.fn, again.fn) != 0 ||
	    r.fn_is_regex != again.fn_is_regex || r.grow != again.grow ||
	    r.grow_unit != again.grow_unit || r.window_sec != again.window_sec ||
	    r.baseline_sec != again.baseline_sec || !same(r.label, again.label) ||
	    !same(r.current_value, again.current_value) ||
	    !same(r.baseline_value, again.baseline_value) || r.min_samples != again.min_samples)
		abort();
	fk_alert_rule_free(&again);

	/* a profile where the function (or the regex's text as a name) is a third of it */
	fk_profile *p = fk_profile_new();
	add_stack(p, "main", r.fn, 100);
	add_stack(p, "main", "other", 200);
	fk_alert_side side;
	fk_alert_share(&r, p, &side);
	if (side.samples != 300 || side.fn_samples < 0 || side.fn_samples > 300 ||
	    side.share < 0 || side.share > 1)
		abort();
	if (!r.fn_is_regex && side.fn_samples != 100)
		abort();
	fk_profile_free(p);
	fk_alert_side base = {.samples = 300, .fn_samples = 50, .share = 50.0 / 300};
	double growth;
	fk_alert_verdict v = fk_alert_judge(&r, &side, &base, &growth);
	if (isnan(growth) || (side.samples >= r.min_samples) != (v != FK_ALERT_VERDICT_NO_DATA))
		abort();

	fk_alert_rules rules = {0};
	if (fk_alert_rules_add(&rules, text, size, "fuzz", &err) != 0 || !rules.items[0].name)
		abort();
	fk_alert_event ev = {.rule = &rules.items[0], .firing = true, .current = side,
			     .baseline = base, .growth = growth, .at = 1700000000};
	char line[2048];
	fk_alert_event_describe(&ev, line, sizeof line);
	fk_alert_event_write_json(&ev, devnull());
	fk_alert_rules_free(&rules);
	fk_alert_rule_free(&r);
	free(text);
	return 0;
}
