/* speedscope.c: reads speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json) into a profile, with jansson.
 * Frames are named by shared.frames[i].name alone (file, line and column are dropped).
 * "sampled" profiles add each samples[i] (frame indexes, root first) weighted by
 * weights[i] (1 when there are no weights). "evented" profiles replay their open ("O")
 * and close ("C") events: the time between two events is self time of the frames open
 * then; frames still open at the end run until endValue (with a warning). Every profile
 * of a file is merged into one; time units are converted to the first profile's, other
 * units must all be the same. The whole file is checked before anything is added, so a
 * bad file adds nothing; errors name the file and the JSON line:column (syntax) or the
 * path to the bad value (e.g. profiles[0].samples[3][1]). */
#include "speedscope.h"

#include "json_input.h"
#include <math.h>

struct ss_reader {
	const fk_whole_input *in;
	fk_error *err;
	fk_profile *profile;   /* NULL while checking */
	fk_diag *diag;
	const fk_name_id *names; /* frame index -> name id (when adding) */
	size_t nframes;
	fk_name_id *stack;     /* frame names of a sample or of the open frames */
	size_t stack_cap;
	size_t *open;          /* evented: the open frames' indexes */
	size_t open_cap;
};

static void reserve(struct ss_reader *r, size_t depth)
{
	if (depth > r->stack_cap)
		fk_grow((void **)&r->stack, sizeof(*r->stack), &r->stack_cap, depth);
	if (depth > r->open_cap)
		fk_grow((void **)&r->open, sizeof(*r->open), &r->open_cap, depth);
}

/* Time units in nanoseconds; 0 for the others. */
static double unit_ns(const char *unit)
{
	if (strcmp(unit, "nanoseconds") == 0)
		return 1;
	if (strcmp(unit, "microseconds") == 0)
		return 1e3;
	if (strcmp(unit, "milliseconds") == 0)
		return 1e6;
	if (strcmp(unit, "seconds") == 0)
		return 1e9;
	return 0;
}

static bool known_unit(const char *unit)
{
	return unit_ns(unit) > 0 || strcmp(unit, "none") == 0 || strcmp(unit, "bytes") == 0;
}

/* A frame index at path: an integer in [0, nframes). */
static int frame_index(struct ss_reader *r, json_t *v, size_t *out, const char *what,
		       size_t pi, size_t i, long j)
{
	char where[96];
	if (j >= 0)
		snprintf(where, sizeof(where), "profiles[%zu].%s[%zu][%ld]", pi, what, i, j);
	else
		snprintf(where, sizeof(where), "profiles[%zu].%s[%zu].frame", pi, what, i);
	if (!json_is_integer(v))
		return fk_error_set(r->err, "%s: %s: frame index is not an integer", r->in->name, where);
	json_int_t f = json_integer_value(v);
	if (f < 0 || (uint64_t)f >= r->nframes)
		return fk_error_set(r->err, "%s: %s: frame index %lld is out of range (shared.frames has %zu)",
				    r->in->name, where, (long long)f, r->nframes);
	*out = (size_t)f;
	return 0;
}

static int sampled(struct ss_reader *r, json_t *prof, size_t pi, double scale)
{
	const char *file = r->in->name;
	json_t *samples = json_object_get(prof, "samples");
	json_t *weights = json_object_get(prof, "weights");
	if (!json_is_array(samples))
		return fk_error_set(r->err, "%s: profiles[%zu].samples: %s", file, pi,
				    samples ? "not an array" : "missing");
	size_t n = json_array_size(samples);
	if (weights && !json_is_null(weights)) {
		if (!json_is_array(weights))
			return fk_error_set(r->err, "%s: profiles[%zu].weights: not an array", file, pi);
		if (json_array_size(weights) != n)
			return fk_error_set(r->err, "%s: profiles[%zu]: %zu samples but %zu weights",
					    file, pi, n, json_array_size(weights));
	} else {
		weights = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(samples, i);
		if (!json_is_array(s))
			return fk_error_set(r->err, "%s: profiles[%zu].samples[%zu]: not an array of frame indexes",
					    file, pi, i);
		double w = 1;
		if (weights) {
			json_t *wv = json_array_get(weights, i);
			if (!json_is_number(wv))
				return fk_error_set(r->err, "%s: profiles[%zu].weights[%zu]: not a number",
						    file, pi, i);
			w = json_number_value(wv);
			if (!(w >= 0))
				return fk_error_set(r->err, "%s: profiles[%zu].weights[%zu]: weight %g is negative",
						    file, pi, i, w);
			if (!isfinite(w * scale))
				return fk_error_set(r->err, "%s: profiles[%zu].weights[%zu]: weight %g is too large",
						    file, pi, i, w);
		}
		size_t depth = json_array_size(s);
		reserve(r, depth);
		for (size_t j = 0; j < depth; j++) {
			size_t f;
			if (frame_index(r, json_array_get(s, j), &f, "samples", pi, i, (long)j) < 0)
				return -1;
			r->stack[j] = r->profile ? r->names[f] : 0;
		}
		if (r->profile)
			fk_profile_add_stack(r->profile, r->stack, depth, w * scale);
	}
	return 0;
}

static int evented(struct ss_reader *r, json_t *prof, size_t pi, double scale)
{
	const char *file = r->in->name;
	json_t *events = json_object_get(prof, "events");
	if (!json_is_array(events))
		return fk_error_set(r->err, "%s: profiles[%zu].events: %s", file, pi,
				    events ? "not an array" : "missing");
	size_t n = json_array_size(events), depth = 0;
	double last = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(events, i);
		if (!json_is_object(e))
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu]: not an object", file, pi, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (!type || (strcmp(type, "O") != 0 && strcmp(type, "C") != 0))
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu].type: not \"O\" or \"C\"",
					    file, pi, i);
		json_t *at_v = json_object_get(e, "at");
		if (!json_is_number(at_v))
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu].at: %s", file, pi, i,
					    at_v ? "not a number" : "missing");
		double at = json_number_value(at_v);
		if (i == 0)
			last = at;
		if (!(at >= last))
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu].at: %g is before the previous event's (%g)",
					    file, pi, i, at, last);
		if (!isfinite((at - last) * scale))
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu].at: %g is too far from the previous event's (%g)",
					    file, pi, i, at, last);
		size_t f;
		if (frame_index(r, json_object_get(e, "frame"), &f, "events", pi, i, -1) < 0)
			return -1;
		if (depth && at > last && r->profile)
			fk_profile_add_stack(r->profile, r->stack, depth, (at - last) * scale);
		last = at;
		if (type[0] == 'O') {
			reserve(r, depth + 1);
			r->open[depth] = f;
			r->stack[depth++] = r->profile ? r->names[f] : 0;
		} else if (depth == 0 || r->open[depth - 1] != f) {
			if (depth == 0)
				return fk_error_set(r->err, "%s: profiles[%zu].events[%zu]: closes frame %zu, but no frame is open",
						    file, pi, i, f);
			return fk_error_set(r->err, "%s: profiles[%zu].events[%zu]: closes frame %zu, but frame %zu was opened last",
					    file, pi, i, f, r->open[depth - 1]);
		} else {
			depth--;
		}
	}
	if (depth) {
		json_t *end = json_object_get(prof, "endValue");
		double end_at = json_is_number(end) ? json_number_value(end) : last;
		if (!isfinite((end_at - last) * scale))
			end_at = last;
		if (r->profile) {
			if (end_at > last)
				fk_profile_add_stack(r->profile, r->stack, depth, (end_at - last) * scale);
			fk_diag_add(r->diag, r->in->file, 0,
				    "profiles[%zu]: %zu frame(s) still open after the last event; closed at endValue",
				    pi, depth);
		}
	}
	return 0;
}

/* Checks (profile NULL) or adds (profile set) every profile of the file. */
static int read_profiles(struct ss_reader *r, json_t *profiles, const char *unit)
{
	const char *file = r->in->name;
	double first_ns = unit_ns(unit);
	for (size_t pi = 0; pi < json_array_size(profiles); pi++) {
		json_t *prof = json_array_get(profiles, pi);
		if (!json_is_object(prof))
			return fk_error_set(r->err, "%s: profiles[%zu]: not an object", file, pi);
		const char *type = json_string_value(json_object_get(prof, "type"));
		const char *u = json_string_value(json_object_get(prof, "unit"));
		if (!u)
			u = "none";
		if (!known_unit(u))
			return fk_error_set(r->err, "%s: profiles[%zu].unit: unknown unit (not none, nanoseconds, microseconds, milliseconds, seconds or bytes)",
					    file, pi);
		double scale = 1;
		if (strcmp(u, unit) != 0) {
			if (unit_ns(u) == 0 || first_ns == 0)
				return fk_error_set(r->err, "%s: profiles[%zu].unit: \"%s\" cannot be merged with profiles[0]'s \"%s\"",
						    file, pi, u, unit);
			scale = unit_ns(u) / first_ns;
		}
		int rc;
		if (type && strcmp(type, "sampled") == 0)
			rc = sampled(r, prof, pi, scale);
		else if (type && strcmp(type, "evented") == 0)
			rc = evented(r, prof, pi, scale);
		else
			rc = fk_error_set(r->err, "%s: profiles[%zu].type: not \"sampled\" or \"evented\"", file, pi);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int fk_speedscope_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
		       fk_diag *diag, fk_load_stats *stats, fk_error *err)
{
	(void)options;
	(void)stats;
	json_t *root = fk_json_load(in, err);
	if (!root)
		return -1;
	int rc = -1;
	struct ss_reader r = {.in = in, .err = err, .diag = diag};
	fk_name_id *names = NULL;
	json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
	json_t *profiles = json_object_get(root, "profiles");
	if (!json_is_object(root)) {
		fk_error_set(err, "%s: not a speedscope file (not a JSON object)", in->name);
		goto out;
	}
	if (!json_is_array(frames)) {
		fk_error_set(err, "%s: shared.frames: %s", in->name, frames ? "not an array" : "missing");
		goto out;
	}
	if (!json_is_array(profiles)) {
		fk_error_set(err, "%s: profiles: %s", in->name, profiles ? "not an array" : "missing");
		goto out;
	}
	r.nframes = json_array_size(frames);
	for (size_t i = 0; i < r.nframes; i++) {
		json_t *name = json_object_get(json_array_get(frames, i), "name");
		if (!json_is_string(name)) {
			fk_error_set(err, "%s: shared.frames[%zu].name: %s", in->name, i,
				     name ? "not a string" : "missing");
			goto out;
		}
	}
	const char *unit = "none";
	if (json_array_size(profiles)) {
		const char *u = json_string_value(json_object_get(json_array_get(profiles, 0), "unit"));
		if (u && known_unit(u))
			unit = u;
	}
	if (read_profiles(&r, profiles, unit) < 0)
		goto out;
	/* all good: name the frames and add the stacks */
	names = fk_xmalloc((r.nframes ? r.nframes : 1) * sizeof(*names));
	fk_interner *interner = fk_profile_names(profile);
	for (size_t i = 0; i < r.nframes; i++) {
		json_t *name = json_object_get(json_array_get(frames, i), "name");
		names[i] = fk_intern(interner, json_string_value(name), json_string_length(name));
	}
	r.names = names;
	r.profile = profile;
	if (read_profiles(&r, profiles, unit) < 0)
		goto out; /* cannot happen: the same checks passed */
	fk_profile_meta meta = *fk_profile_get_meta(profile);
	if (!meta.sample_type[0]) {
		if (unit_ns(unit) > 0) {
			snprintf(meta.sample_type, sizeof(meta.sample_type), "time");
			snprintf(meta.unit, sizeof(meta.unit), "%s", unit);
		} else if (strcmp(unit, "bytes") == 0) {
			snprintf(meta.sample_type, sizeof(meta.sample_type), "space");
			snprintf(meta.unit, sizeof(meta.unit), "bytes");
		} else {
			snprintf(meta.sample_type, sizeof(meta.sample_type), "samples");
			snprintf(meta.unit, sizeof(meta.unit), "count");
		}
		fk_profile_set_meta(profile, &meta);
	}
	rc = 0;
out:
	free(names);
	free(r.stack);
	free(r.open);
	json_decref(root);
	return rc;
}
