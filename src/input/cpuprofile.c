/* cpuprofile.c: reads Chrome / Node .cpuprofile files (`node --cpu-prof`, DevTools'
 * "Save profile") with jansson. The file is a call tree, "nodes": [{"id", "callFrame":
 * {"functionName", "url", "lineNumber", ...}, "hitCount", "children": [ids]}], plus
 * "samples" (the node each sample hit) and "timeDeltas". A node's stack is its path from
 * the tree's root; the root itself, "(root)", is not a frame. Each entry of "samples"
 * counts 1 (without "samples", each node's hitCount is used); timeDeltas are not read,
 * so counts are samples. A frame is named "functionName file:line": "(anonymous)" for an
 * empty function name, the url shortened to its last path component, the line 1-based
 * (as DevTools shows it); without a url, just the function name ("(program)", "(idle)",
 * "(garbage collector)"). The whole tree is checked first (unique ids, children that
 * exist, no node with two parents, no cycles, known sample ids), so a bad file adds
 * nothing; errors name the file and the JSON line:column or the path to the bad value. */
#include "cpuprofile.h"

#include "json_input.h"

#define NO_PARENT UINT32_MAX

struct cp_node {
	json_int_t id;
	uint32_t parent; /* index, NO_PARENT for a root */
	uint8_t state;   /* while resolving: 0 new, 1 on the current path, 2 done */
	bool is_root;    /* the "(root)" node: not a frame */
	fk_node_id fk;   /* its node in the profile (when adding) */
	double count;
};

struct id_index {
	json_int_t id;
	uint32_t index;
};

static int by_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The index of the node with id, or -1. */
static long find_id(const struct id_index *ids, size_t n, json_int_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid].id < id)
			lo = mid + 1;
		else if (ids[mid].id > id)
			hi = mid;
		else
			return ids[mid].index;
	}
	return -1;
}

/* The frame name of a node's callFrame into buf. Returns its length. */
static size_t frame_name(json_t *cf, char **buf, size_t *cap)
{
	json_t *fn_v = json_object_get(cf, "functionName"), *url_v = json_object_get(cf, "url");
	const char *fn = json_string_value(fn_v), *url = json_string_value(url_v);
	size_t fn_len = fn ? json_string_length(fn_v) : 0, url_len = url ? json_string_length(url_v) : 0;
	if (!fn_len) {
		fn = "(anonymous)";
		fn_len = strlen(fn);
	}
	/* the url's last path component (a trailing '/' is kept off too) */
	while (url_len && url[url_len - 1] == '/')
		url_len--;
	size_t base = url_len;
	while (base && url[base - 1] != '/')
		base--;
	json_t *line_v = json_object_get(cf, "lineNumber");
	json_int_t line = json_is_integer(line_v) ? json_integer_value(line_v) : -1;
	size_t need = fn_len + 1 + (url_len - base) + 32;
	if (need > *cap)
		fk_grow((void **)buf, 1, cap, need);
	char *o = *buf;
	memcpy(o, fn, fn_len);
	size_t n = fn_len;
	if (url_len > base) {
		o[n++] = ' ';
		memcpy(o + n, url + base, url_len - base);
		n += url_len - base;
		if (line >= 0 && line < INT64_MAX)
			n += (size_t)snprintf(o + n, 32, ":%lld", (long long)line + 1);
	}
	return n;
}

int fk_cpuprofile_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
		       fk_diag *diag, fk_load_stats *stats, fk_error *err)
{
	(void)options;
	(void)diag;
	const char *file = in->name;
	json_t *root = fk_json_load(in, err);
	if (!root)
		return -1;
	int rc = -1;
	struct cp_node *nodes = NULL;
	struct id_index *ids = NULL;
	uint32_t *path = NULL;
	char *name = NULL;
	size_t name_cap = 0;
	json_t *jnodes = json_object_get(root, "nodes");
	json_t *samples = json_object_get(root, "samples");
	if (!json_is_object(root)) {
		fk_error_set(err, "%s: not a .cpuprofile (not a JSON object)", file);
		goto out;
	}
	if (!json_is_array(jnodes)) {
		fk_error_set(err, "%s: nodes: %s", file, jnodes ? "not an array" : "missing");
		goto out;
	}
	if (samples && !json_is_null(samples) && !json_is_array(samples)) {
		fk_error_set(err, "%s: samples: not an array", file);
		goto out;
	}
	size_t n = json_array_size(jnodes);
	if (n >= NO_PARENT) {
		fk_error_set(err, "%s: nodes: too many nodes (%zu)", file, n);
		goto out;
	}
	nodes = fk_xcalloc(n ? n : 1, sizeof(*nodes));
	ids = fk_xmalloc((n ? n : 1) * sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		json_t *node = json_array_get(jnodes, i);
		if (!json_is_object(node)) {
			fk_error_set(err, "%s: nodes[%zu]: not an object", file, i);
			goto out;
		}
		json_t *id = json_object_get(node, "id");
		if (!json_is_integer(id)) {
			fk_error_set(err, "%s: nodes[%zu].id: %s", file, i, id ? "not an integer" : "missing");
			goto out;
		}
		json_t *cf = json_object_get(node, "callFrame");
		if (!json_is_object(cf)) {
			fk_error_set(err, "%s: nodes[%zu].callFrame: %s", file, i, cf ? "not an object" : "missing");
			goto out;
		}
		static const char *const strings[] = {"functionName", "url"};
		for (size_t k = 0; k < FK_ARRAY_LEN(strings); k++) {
			json_t *v = json_object_get(cf, strings[k]);
			if (v && !json_is_string(v)) {
				fk_error_set(err, "%s: nodes[%zu].callFrame.%s: not a string", file, i, strings[k]);
				goto out;
			}
		}
		json_t *line = json_object_get(cf, "lineNumber");
		if (line && !json_is_integer(line)) {
			fk_error_set(err, "%s: nodes[%zu].callFrame.lineNumber: not an integer", file, i);
			goto out;
		}
		json_t *hits = json_object_get(node, "hitCount");
		if (hits && (!json_is_integer(hits) || json_integer_value(hits) < 0)) {
			fk_error_set(err, "%s: nodes[%zu].hitCount: not an integer >= 0", file, i);
			goto out;
		}
		nodes[i].id = json_integer_value(id);
		nodes[i].parent = NO_PARENT;
		if (!samples || json_is_null(samples))
			nodes[i].count = (double)json_integer_value(hits);
		ids[i] = (struct id_index){.id = nodes[i].id, .index = (uint32_t)i};
	}
	qsort(ids, n, sizeof(*ids), by_id);
	for (size_t i = 1; i < n; i++)
		if (ids[i].id == ids[i - 1].id) {
			fk_error_set(err, "%s: nodes[%u].id: id %lld is also the id of nodes[%u]", file,
				     ids[i].index > ids[i - 1].index ? ids[i].index : ids[i - 1].index,
				     (long long)ids[i].id,
				     ids[i].index > ids[i - 1].index ? ids[i - 1].index : ids[i].index);
			goto out;
		}
	/* parents from the children lists */
	for (size_t i = 0; i < n; i++) {
		json_t *children = json_object_get(json_array_get(jnodes, i), "children");
		if (!children || json_is_null(children))
			continue;
		if (!json_is_array(children)) {
			fk_error_set(err, "%s: nodes[%zu].children: not an array", file, i);
			goto out;
		}
		for (size_t k = 0; k < json_array_size(children); k++) {
			json_t *c = json_array_get(children, k);
			long ci = json_is_integer(c) ? find_id(ids, n, json_integer_value(c)) : -1;
			if (!json_is_integer(c)) {
				fk_error_set(err, "%s: nodes[%zu].children[%zu]: not an integer", file, i, k);
				goto out;
			}
			if (ci < 0) {
				fk_error_set(err, "%s: nodes[%zu].children[%zu]: no node has id %lld", file, i,
					     k, (long long)json_integer_value(c));
				goto out;
			}
			if ((size_t)ci == i) {
				fk_error_set(err, "%s: nodes[%zu].children[%zu]: node id %lld is its own child (a cycle)",
					     file, i, k, (long long)nodes[i].id);
				goto out;
			}
			if (nodes[ci].parent != NO_PARENT) {
				fk_error_set(err, "%s: nodes[%zu].children[%zu]: node id %lld is already a child of node id %lld (a node may have one parent)",
					     file, i, k, (long long)nodes[ci].id,
					     (long long)nodes[nodes[ci].parent].id);
				goto out;
			}
			nodes[ci].parent = (uint32_t)i;
		}
	}
	/* cycles: every chain of parents must end at a root */
	path = fk_xmalloc((n ? n : 1) * sizeof(*path));
	for (size_t i = 0; i < n; i++) {
		size_t depth = 0;
		uint32_t at = (uint32_t)i;
		while (at != NO_PARENT && nodes[at].state == 0) {
			nodes[at].state = 1;
			path[depth++] = at;
			at = nodes[at].parent;
		}
		if (at != NO_PARENT && nodes[at].state == 1) {
			fk_error_set(err, "%s: nodes: node id %lld is its own ancestor (the children lists form a cycle)",
				     file, (long long)nodes[at].id);
			goto out;
		}
		while (depth)
			nodes[path[--depth]].state = 2;
	}
	for (size_t i = 0; i < n; i++) {
		const char *fn = json_string_value(
			json_object_get(json_object_get(json_array_get(jnodes, i), "callFrame"), "functionName"));
		nodes[i].is_root = nodes[i].parent == NO_PARENT && fn && strcmp(fn, "(root)") == 0;
	}
	/* the samples */
	size_t nsamples = json_array_size(samples);
	for (size_t k = 0; k < nsamples; k++) {
		json_t *s = json_array_get(samples, k);
		if (!json_is_integer(s)) {
			fk_error_set(err, "%s: samples[%zu]: not an integer", file, k);
			goto out;
		}
		long ni = find_id(ids, n, json_integer_value(s));
		if (ni < 0) {
			fk_error_set(err, "%s: samples[%zu]: no node has id %lld", file, k,
				     (long long)json_integer_value(s));
			goto out;
		}
		nodes[ni].count++;
	}
	/* All good: add each counted node's stack. Its node in the profile is found by
	 * walking up to the nearest ancestor already placed (or a root), then placing the
	 * nodes on the way down. */
	fk_interner *interner = fk_profile_names(profile);
	for (size_t i = 0; i < n; i++)
		nodes[i].state = 0;
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].count == 0)
			continue;
		size_t depth = 0;
		uint32_t at = (uint32_t)i;
		while (at != NO_PARENT && nodes[at].state == 0) {
			path[depth++] = at;
			at = nodes[at].parent;
		}
		fk_node_id parent_fk = at == NO_PARENT ? FK_ROOT : nodes[at].fk;
		while (depth) {
			struct cp_node *cn = &nodes[path[--depth]];
			if (cn->is_root) {
				cn->fk = FK_ROOT;
			} else {
				json_t *cf = json_object_get(json_array_get(jnodes, path[depth]), "callFrame");
				size_t name_len = frame_name(cf, &name, &name_cap);
				cn->fk = fk_profile_child(profile, parent_fk, fk_intern(interner, name, name_len));
			}
			cn->state = 2;
			parent_fk = cn->fk;
		}
		if (nodes[i].is_root) /* samples on the root itself: a "(root)" frame */
			fk_profile_add_at(profile,
					  fk_profile_child(profile, FK_ROOT, fk_intern(interner, "(root)", 6)),
					  nodes[i].count);
		else
			fk_profile_add_at(profile, nodes[i].fk, nodes[i].count);
	}
	fk_profile_meta meta = *fk_profile_get_meta(profile);
	if (!meta.sample_type[0]) {
		snprintf(meta.sample_type, sizeof(meta.sample_type), "samples");
		snprintf(meta.unit, sizeof(meta.unit), "count");
		json_t *start = json_object_get(root, "startTime"), *end = json_object_get(root, "endTime");
		double us = (double)json_integer_value(end) - (double)json_integer_value(start);
		if (json_is_integer(start) && json_is_integer(end) && us >= 0 && us < 9e15)
			meta.duration_ns = (int64_t)us * 1000;
		fk_profile_set_meta(profile, &meta);
	}
	if (stats)
		stats->samples += nsamples;
	rc = 0;
out:
	free(name);
	free(path);
	free(ids);
	free(nodes);
	json_decref(root);
	return rc;
}
