/* pprof.c: writes a profile as a pprof profile (profile.proto, as `go tool pprof` reads
 * it), gzipped or not. Every frame name used by the trie becomes one Function and one
 * Location (with its address and a Mapping per module when the profile knows the frame's
 * origin); every distinct stack becomes one Sample, location ids leaf first. The sample
 * types come from the profile's metadata: a count of samples taken every P units of
 * something (a CPU profile) is written as two values, the count and count x P. The
 * message is packed by protobuf-c straight into the (deflating) output stream. */
#include "pprof.h"

#include <math.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* The string table: strings interned, index = id (id 0 is ""). */
typedef struct strtab {
	fk_interner *in;
} strtab;

static int64_t str_index(strtab *t, const char *s, size_t len)
{
	return (int64_t)fk_intern(t->in, s, len);
}

static int64_t str_index0(strtab *t, const char *s)
{
	return str_index(t, s, strlen(s));
}

/* One module of the frames' origins. */
typedef struct module_range {
	const char *path;
	size_t len;
	uint64_t lo, hi; /* addresses seen */
	bool any_address;
} module_range;

/* A ProtobufCBuffer that writes to a FILE, deflating (gzip) when asked. */
typedef struct out_buffer {
	ProtobufCBuffer base;
	FILE *out;
	bool gzip;
	z_stream z;
	bool failed;
	unsigned char chunk[1 << 16];
} out_buffer;

static void deflate_some(out_buffer *b, int flush)
{
	do {
		b->z.next_out = b->chunk;
		b->z.avail_out = sizeof(b->chunk);
		int rc = deflate(&b->z, flush);
		if (rc == Z_STREAM_ERROR) {
			b->failed = true;
			return;
		}
		size_t have = sizeof(b->chunk) - b->z.avail_out;
		if (have && fwrite(b->chunk, 1, have, b->out) != have)
			b->failed = true;
	} while (b->z.avail_out == 0);
}

static void out_append(ProtobufCBuffer *base, size_t len, const uint8_t *data)
{
	out_buffer *b = (out_buffer *)base;
	if (b->failed || len == 0)
		return;
	if (!b->gzip) {
		if (fwrite(data, 1, len, b->out) != len)
			b->failed = true;
		return;
	}
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		b->z.next_in = (Bytef *)(uintptr_t)data;
		b->z.avail_in = n;
		deflate_some(b, Z_NO_FLUSH);
		data += n;
		len -= n;
	}
}

/* The value types written, from the metadata. *scaled: a second value = count x period
 * (a CPU profile: samples/count and cpu/nanoseconds). */
static void sample_types(const fk_profile_meta *m, const char **type, const char **unit,
			 bool *scaled)
{
	*type = m->sample_type[0] ? m->sample_type : "samples";
	*unit = m->unit[0] ? m->unit : "count";
	/* only a count of samples scales: alloc_objects/count is not one */
	*scaled = strcmp(*type, "samples") == 0 && strcmp(*unit, "count") == 0 &&
		  m->period > 0 && m->period_type[0] && m->period_unit[0] &&
		  strcmp(m->period_type, *type) != 0;
}

struct writer {
	const fk_profile *p;
	strtab strings;
	uint64_t *loc_of_name; /* frame name id -> location id (0 = none yet) */
	pb_location *locs;
	pb_location **loc_ptrs;
	pb_line *lines;
	pb_line **line_ptrs;
	pb_function *funcs;
	pb_function **func_ptrs;
	size_t nlocs;
	module_range *modules;
	size_t nmodules, modules_cap;
	uint32_t *module_of_loc; /* location index -> module index + 1 (0 = none) */
};

static size_t module_index(struct writer *w, const char *path, size_t len)
{
	for (size_t i = 0; i < w->nmodules; i++)
		if (w->modules[i].len == len && memcmp(w->modules[i].path, path, len) == 0)
			return i;
	fk_grow((void **)&w->modules, sizeof(*w->modules), &w->modules_cap, w->nmodules + 1);
	w->modules[w->nmodules] = (module_range){.path = path, .len = len};
	return w->nmodules++;
}

/* The location of a frame name, made on first use. */
static uint64_t location_of(struct writer *w, fk_name_id name)
{
	if (w->loc_of_name[name])
		return w->loc_of_name[name];
	size_t i = w->nlocs++;
	uint64_t id = (uint64_t)i + 1;
	size_t len;
	const char *s = fk_profile_name(w->p, name, &len);
	int64_t si = str_index(&w->strings, s, len);
	pb_function *f = &w->funcs[i];
	perftools__profiles__function__init(f);
	f->id = id;
	f->name = si;
	f->system_name = si;
	w->func_ptrs[i] = f;
	pb_line *l = &w->lines[i];
	perftools__profiles__line__init(l);
	l->function_id = id;
	w->line_ptrs[i] = l;
	pb_location *loc = &w->locs[i];
	perftools__profiles__location__init(loc);
	loc->id = id;
	loc->n_line = 1;
	loc->line = &w->line_ptrs[i];
	w->loc_ptrs[i] = loc;
	uint64_t address;
	const char *module;
	size_t module_len;
	if (fk_profile_get_origin(w->p, name, &address, &module, &module_len)) {
		loc->address = address;
		if (module_len) {
			size_t m = module_index(w, module, module_len);
			module_range *r = &w->modules[m];
			if (address) {
				if (!r->any_address || address < r->lo)
					r->lo = address;
				if (!r->any_address || address > r->hi)
					r->hi = address;
				r->any_address = true;
			}
			w->module_of_loc[i] = (uint32_t)m + 1;
		}
	}
	w->loc_of_name[name] = id;
	return id;
}

static void writer_free(struct writer *w)
{
	if (w->strings.in)
		fk_interner_free(w->strings.in);
	free(w->loc_of_name);
	free(w->locs);
	free(w->loc_ptrs);
	free(w->lines);
	free(w->line_ptrs);
	free(w->funcs);
	free(w->func_ptrs);
	free(w->modules);
	free(w->module_of_loc);
}

int fk_write_pprof(const fk_profile *p, bool gzip, FILE *out, fk_error *err)
{
	if (fk_profile_has_before(p))
		return fk_error_set(err, "a comparison (two counts per stack) cannot be written "
					 "as pprof; write the folded or SVG output instead");
	const fk_profile_meta *meta = fk_profile_get_meta(p);
	const char *type, *unit;
	bool scaled;
	sample_types(meta, &type, &unit, &scaled);

	size_t nnodes = fk_profile_node_count(p);
	size_t nnames = 0;
	for (size_t i = 1; i < nnodes; i++) {
		fk_name_id name = fk_profile_node(p, (fk_node_id)i)->name;
		if ((size_t)name + 1 > nnames)
			nnames = (size_t)name + 1;
	}
	/* check the counts first: pprof values are integers */
	size_t nsamples = 0, nids = 0;
	for (size_t i = 0; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (!(n->flags & FK_NODE_LEAF))
			continue;
		double v = n->self, sv = scaled ? n->self * (double)meta->period : 0;
		if (v != floor(v) || fabs(v) >= 9.2e18 || fabs(sv) >= 9.2e18) {
			char buf[32];
			fk_format_count(v, buf);
			return fk_error_set(err, "a count of %s cannot be written as pprof, whose "
						 "values are whole numbers (below 2^63)", buf);
		}
		nsamples++;
		for (fk_node_id at = (fk_node_id)i; at != FK_ROOT;
		     at = fk_profile_node(p, at)->parent)
			nids++;
	}

	struct writer w = {.p = p};
	w.strings.in = fk_interner_new();
	str_index(&w.strings, "", 0);
	w.loc_of_name = fk_xcalloc(nnames ? nnames : 1, sizeof(uint64_t));
	size_t cap = nnames ? nnames : 1;
	w.locs = fk_xmalloc(cap * sizeof(*w.locs));
	w.loc_ptrs = fk_xmalloc(cap * sizeof(*w.loc_ptrs));
	w.lines = fk_xmalloc(cap * sizeof(*w.lines));
	w.line_ptrs = fk_xmalloc(cap * sizeof(*w.line_ptrs));
	w.funcs = fk_xmalloc(cap * sizeof(*w.funcs));
	w.func_ptrs = fk_xmalloc(cap * sizeof(*w.func_ptrs));
	w.module_of_loc = fk_xcalloc(cap, sizeof(uint32_t));

	size_t nvalues = scaled ? 2 : 1;
	pb_sample *samples = fk_xmalloc((nsamples ? nsamples : 1) * sizeof(*samples));
	pb_sample **sample_ptrs = fk_xmalloc((nsamples ? nsamples : 1) * sizeof(*sample_ptrs));
	uint64_t *ids = fk_xmalloc((nids ? nids : 1) * sizeof(uint64_t));
	int64_t *values = fk_xmalloc((nsamples ? nsamples : 1) * nvalues * sizeof(int64_t));
	size_t s = 0, idpos = 0;
	for (size_t i = 0; i < nnodes; i++) {
		const fk_node *n = fk_profile_node(p, (fk_node_id)i);
		if (!(n->flags & FK_NODE_LEAF))
			continue;
		pb_sample *sm = &samples[s];
		perftools__profiles__sample__init(sm);
		sm->location_id = ids + idpos;
		for (fk_node_id at = (fk_node_id)i; at != FK_ROOT;
		     at = fk_profile_node(p, at)->parent)
			ids[idpos++] = location_of(&w, fk_profile_node(p, at)->name);
		sm->n_location_id = (size_t)(ids + idpos - sm->location_id);
		sm->value = values + s * nvalues;
		sm->n_value = nvalues;
		sm->value[0] = (int64_t)n->self;
		if (scaled)
			sm->value[1] = (int64_t)n->self * meta->period;
		sample_ptrs[s] = sm;
		s++;
	}

	/* mappings, one per module */
	pb_mapping *maps = fk_xmalloc((w.nmodules ? w.nmodules : 1) * sizeof(*maps));
	pb_mapping **map_ptrs = fk_xmalloc((w.nmodules ? w.nmodules : 1) * sizeof(*map_ptrs));
	for (size_t i = 0; i < w.nmodules; i++) {
		pb_mapping *m = &maps[i];
		perftools__profiles__mapping__init(m);
		m->id = i + 1;
		m->filename = str_index(&w.strings, w.modules[i].path, w.modules[i].len);
		if (w.modules[i].any_address) {
			m->memory_start = w.modules[i].lo;
			m->memory_limit = w.modules[i].hi + 1;
		}
		/* every location has its function: pprof need not symbolize */
		m->has_functions = true;
		map_ptrs[i] = m;
	}
	for (size_t i = 0; i < w.nlocs; i++)
		w.locs[i].mapping_id = w.module_of_loc[i];

	pb_value_type vt[2], *vt_ptrs[2] = {&vt[0], &vt[1]}, period_type;
	perftools__profiles__value_type__init(&vt[0]);
	perftools__profiles__value_type__init(&vt[1]);
	perftools__profiles__value_type__init(&period_type);
	vt[0].type = str_index0(&w.strings, type);
	vt[0].unit = str_index0(&w.strings, unit);
	if (scaled) {
		vt[1].type = str_index0(&w.strings, meta->period_type);
		vt[1].unit = str_index0(&w.strings, meta->period_unit);
	}

	pb_profile pr;
	perftools__profiles__profile__init(&pr);
	pr.n_sample_type = nvalues;
	pr.sample_type = vt_ptrs;
	pr.n_sample = nsamples;
	pr.sample = sample_ptrs;
	pr.n_mapping = w.nmodules;
	pr.mapping = map_ptrs;
	pr.n_location = w.nlocs;
	pr.location = w.loc_ptrs;
	pr.n_function = w.nlocs;
	pr.function = w.func_ptrs;
	pr.time_nanos = meta->time_ns;
	pr.duration_nanos = meta->duration_ns;
	if (meta->period_type[0] || meta->period) {
		period_type.type = str_index0(&w.strings, meta->period_type[0] ? meta->period_type : type);
		period_type.unit = str_index0(&w.strings, meta->period_unit[0] ? meta->period_unit : unit);
		pr.period_type = &period_type;
		pr.period = meta->period;
	}
	/* the profile's own counts are what a reader sees first (flamekit, pprof) */
	pr.default_sample_type = vt[0].type;

	size_t nstrings = fk_interner_count(w.strings.in);
	char **strs = fk_xmalloc(nstrings * sizeof(char *));
	for (size_t i = 0; i < nstrings; i++) {
		size_t len;
		/* interned bytes are NUL-terminated; protobuf-c writes strlen() bytes */
		strs[i] = (char *)(uintptr_t)fk_interner_name(w.strings.in, (fk_name_id)i, &len);
	}
	pr.n_string_table = nstrings;
	pr.string_table = strs;

	out_buffer *b = fk_xcalloc(1, sizeof(*b));
	b->base.append = out_append;
	b->out = out;
	b->gzip = gzip;
	int rc = 0;
	if (gzip && deflateInit2(&b->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		rc = fk_error_set(err, "cannot start gzip compression");
	} else {
		perftools__profiles__profile__pack_to_buffer(&pr, &b->base);
		if (gzip) {
			b->z.avail_in = 0;
			deflate_some(b, Z_FINISH);
			deflateEnd(&b->z);
		}
		if (b->failed)
			rc = fk_error_set(err, "cannot write the pprof output");
	}
	free(b);
	free(strs);
	free(maps);
	free(map_ptrs);
	free(samples);
	free(sample_ptrs);
	free(ids);
	free(values);
	writer_free(&w);
	return rc;
}
