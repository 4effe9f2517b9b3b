/* speedscope.c: writes a profile in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): one "sampled" profile whose
 * samples are the profile's stacks (frame indexes, root first) in folded order, weighted
 * by their counts; shared.frames holds each distinct frame name once. The JSON is written
 * by hand through a buffer (a profile may hold millions of frames). Names are bytes, JSON
 * strings are Unicode: quotes, backslashes and control bytes are escaped (so they come
 * back as they were), and each byte that is not part of valid UTF-8 becomes U+FFFD. A
 * comparison (diff) profile writes its "after" counts. */
#include "speedscope.h"

#include <errno.h>

#include "json_text.h"

/* speedscope's unit for the profile's ("none" for counts of samples or events). */
static const char *speedscope_unit(const fk_profile *p)
{
	static const char *const units[] = {"nanoseconds", "microseconds", "milliseconds", "seconds",
					    "bytes"};
	const char *unit = fk_profile_get_meta(p)->unit;
	for (size_t i = 0; i < FK_ARRAY_LEN(units); i++)
		if (strcmp(unit, units[i]) == 0)
			return units[i];
	return "none";
}

struct sample_writer {
	fk_json_out *w;
	const uint32_t *frame_of_name; /* name id -> frame index */
	double *weights;               /* one per stack, in walk order */
	size_t count, cap;
};

static int write_sample(const fk_profile *p, const fk_name_id *names, size_t depth,
			fk_node_id node, void *ctx)
{
	struct sample_writer *sw = ctx;
	fk_json_out *w = sw->w;
	fk_json_put(w, sw->count ? ",[" : "[", sw->count ? 2 : 1);
	for (size_t i = 0; i < depth; i++) {
		if (i)
			fk_json_put(w, ",", 1);
		fk_json_put_uint(w, sw->frame_of_name[names[i]]);
	}
	fk_json_put(w, "]", 1);
	if (sw->count == sw->cap)
		fk_grow((void **)&sw->weights, sizeof(double), &sw->cap, sw->count + 1);
	sw->weights[sw->count++] = fk_profile_node(p, node)->self;
	return w->failed ? -1 : 0;
}

int fk_write_speedscope(const fk_profile *p, const char *name, FILE *out, fk_error *err)
{
	fk_json_out w;
	fk_json_out_init(&w, out);
	/* The frames: the names of the nodes on the way to some stack's end, numbered in
	 * node order. A child's id is always above its parent's, so one backward pass marks
	 * every node that leads to a leaf. */
	size_t nnodes = fk_profile_node_count(p);
	bool *used = fk_xcalloc(nnodes ? nnodes : 1, sizeof(bool));
	fk_name_id max_name = 0;
	for (size_t i = nnodes; i-- > 1;) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (n->flags & FK_NODE_LEAF)
			used[i] = true;
		if (used[i]) {
			used[n->parent] = true;
			if (n->name > max_name)
				max_name = n->name;
		}
	}
	uint32_t *frame_of_name = fk_xmalloc(((size_t)max_name + 1) * sizeof(uint32_t));
	memset(frame_of_name, 0xff, ((size_t)max_name + 1) * sizeof(uint32_t));
	uint32_t nframes = 0;

	fk_json_puts(&w, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
			 "\"exporter\":\"flamekit " FK_VERSION "\",\n\"name\":");
	fk_json_put_string(&w, name, strlen(name));
	fk_json_puts(&w, ",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[");
	for (size_t i = 1; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (!used[i] || frame_of_name[n->name] != UINT32_MAX)
			continue;
		frame_of_name[n->name] = nframes;
		size_t len;
		const char *s = fk_profile_name(p, n->name, &len);
		fk_json_puts(&w, nframes ? ",\n{\"name\":" : "\n{\"name\":");
		fk_json_put_string(&w, s, len);
		fk_json_put(&w, "}", 1);
		nframes++;
	}
	fk_json_puts(&w, "]},\n\"profiles\":[{\"type\":\"sampled\",\"name\":");
	fk_json_put_string(&w, name, strlen(name));
	fk_json_puts(&w, ",\"unit\":\"");
	fk_json_puts(&w, speedscope_unit(p));
	fk_json_puts(&w, "\",\"startValue\":0,\"endValue\":");
	fk_json_put_number(&w, fk_profile_total(p));
	fk_json_puts(&w, ",\n\"samples\":[");
	struct sample_writer sw = {.w = &w, .frame_of_name = frame_of_name};
	int rc = fk_profile_walk(p, FK_ORDER_STACKS, write_sample, &sw);
	if (rc == 0) {
		fk_json_puts(&w, "],\n\"weights\":[");
		for (size_t i = 0; i < sw.count; i++) {
			if (i)
				fk_json_put(&w, ",", 1);
			fk_json_put_number(&w, sw.weights[i]);
		}
		fk_json_puts(&w, "]}]}\n");
	}
	free(sw.weights);
	free(frame_of_name);
	free(used);
	if (fk_json_out_close(&w) != 0 || rc || fflush(out) != 0 || ferror(out))
		return fk_error_set(err, "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
