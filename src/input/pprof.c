/* pprof.c: reads a pprof profile (profile.proto, as written by Go's runtime/pprof,
 * `go tool pprof`, @datadog/pprof and flamekit) into a profile. protobuf-c decodes the
 * message (with an allocator that caps its memory at a multiple of the input's size);
 * this file checks every reference in it and adds one stack per sample, root first: the
 * sample's locations are leaf first, and a location's lines are its inlined functions,
 * the last line being the caller. One value per sample is read: --sample-type's, else
 * the default_sample_type, else the first. */
#include "pprof.h"

#include "format.h"

#include <inttypes.h>
#include <stdlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__Mapping pb_mapping;

/* protobuf-c's allocator, counting: decoding fails past the limit. */
typedef struct capped_alloc {
	size_t used, limit;
	bool over;
} capped_alloc;

static void *capped_malloc(void *data, size_t size)
{
	capped_alloc *a = data;
	if (size > a->limit - a->used) {
		a->over = true;
		return NULL;
	}
	/* a header keeps the size for capped_free */
	size_t *blk = malloc(size + sizeof(size_t) * 2);
	if (!blk)
		return NULL;
	a->used += size;
	blk[0] = size;
	return blk + 2;
}

static void capped_free(void *data, void *ptr)
{
	capped_alloc *a = data;
	if (!ptr)
		return;
	size_t *blk = (size_t *)ptr - 2;
	a->used -= blk[0];
	free(blk);
}

/* An id -> index table (ids are any non-zero numbers, usually 1..n). */
typedef struct id_index {
	uint64_t id;
	size_t index;
} id_index;

static int id_cmp(const void *a, const void *b)
{
	const id_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct id_table {
	id_index *v;
	size_t n;
	bool dense; /* id i+1 is at index i */
} id_table;

/* Returns the index of the duplicate id's second holder, or (size_t)-1. */
static size_t id_table_build(id_table *t, const uint64_t *ids, size_t n)
{
	t->n = n;
	t->dense = true;
	for (size_t i = 0; i < n && t->dense; i++)
		t->dense = ids[i] == (uint64_t)i + 1;
	t->v = NULL;
	if (t->dense)
		return (size_t)-1;
	t->v = fk_xmalloc((n ? n : 1) * sizeof(*t->v));
	for (size_t i = 0; i < n; i++)
		t->v[i] = (id_index){ids[i], i};
	qsort(t->v, n, sizeof(*t->v), id_cmp);
	for (size_t i = 1; i < n; i++)
		if (t->v[i].id == t->v[i - 1].id)
			return t->v[i].index > t->v[i - 1].index ? t->v[i].index : t->v[i - 1].index;
	return (size_t)-1;
}

/* The index of id, or (size_t)-1. */
static size_t id_table_find(const id_table *t, uint64_t id)
{
	if (t->dense)
		return id >= 1 && id <= t->n ? (size_t)(id - 1) : (size_t)-1;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].id == id)
			return t->v[mid].index;
		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

/* ---- finding where a message that protobuf-c refused is broken ---- */

static const char *field_message(uint64_t field)
{
	switch (field) {
	case 1: return "sample_type";
	case 2: return "sample";
	case 3: return "mapping";
	case 4: return "location";
	case 5: return "function";
	case 6: return "string_table";
	case 11: return "period_type";
	default: return NULL;
	}
}

/* Walks the top-level fields (protobuf-c cannot say where decoding failed) and decodes
 * each sub-message on its own, to name the first broken one. */
static void explain_bad_message(const unsigned char *d, size_t len, const char *name,
				fk_error *err)
{
	size_t pos = 0;
	size_t counts[16] = {0};
	while (pos < len) {
		size_t start = pos;
		uint64_t key, n;
		if (!fk_read_varint(d, len, &pos, &key)) {
			fk_error_set(err, "%s: byte %zu: truncated or corrupt pprof data (a field's "
					  "key runs past the end)", name, start);
			return;
		}
		uint64_t field = key >> 3;
		unsigned wire = (unsigned)(key & 7);
		if (field == 0 || field > 15) {
			fk_error_set(err, "%s: byte %zu: not a pprof profile (field %" PRIu64
					  " is not one of Profile's)", name, start, field);
			return;
		}
		size_t nth = counts[field]++;
		switch (wire) {
		case 0:
			if (!fk_read_varint(d, len, &pos, &n)) {
				fk_error_set(err, "%s: byte %zu: truncated pprof data (a number runs "
						  "past the end)", name, start);
				return;
			}
			continue;
		case 1:
		case 5:
			if (len - pos < (wire == 1 ? 8u : 4u)) {
				fk_error_set(err, "%s: byte %zu: truncated pprof data", name, start);
				return;
			}
			pos += wire == 1 ? 8 : 4;
			continue;
		case 2:
			if (!fk_read_varint(d, len, &pos, &n) || n > len - pos) {
				fk_error_set(err, "%s: byte %zu: truncated pprof data (%s #%zu needs "
						  "%" PRIu64 " bytes, %zu remain)", name, start,
					     field_message(field) ? field_message(field) : "a field",
					     nth + 1, n, len - pos);
				return;
			}
			break;
		default:
			fk_error_set(err, "%s: byte %zu: not a pprof profile (wire type %u)", name,
				     start, wire);
			return;
		}
		const ProtobufCMessageDescriptor *desc = NULL;
		switch (field) {
		case 1:
		case 11: desc = &perftools__profiles__value_type__descriptor; break;
		case 2: desc = &perftools__profiles__sample__descriptor; break;
		case 3: desc = &perftools__profiles__mapping__descriptor; break;
		case 4: desc = &perftools__profiles__location__descriptor; break;
		case 5: desc = &perftools__profiles__function__descriptor; break;
		default: break;
		}
		if (desc) {
			ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, (size_t)n, d + pos);
			if (!m) {
				fk_error_set(err, "%s: byte %zu: %s #%zu is not a valid %s message",
					     name, start, field_message(field), nth + 1, desc->short_name);
				return;
			}
			protobuf_c_message_free_unpacked(m, NULL);
		}
		pos += (size_t)n;
	}
	fk_error_set(err, "%s: not a valid pprof profile (protobuf-c could not decode it)", name);
}

/* ---- reading ---- */

struct reader {
	const pb_profile *pr;
	const char *name; /* the file's */
	fk_profile *profile;
	fk_error *err;
	id_table functions, mappings, locations;
	fk_name_id **loc_names; /* per location: frame names, root-most (caller) first */
	size_t *loc_n;
	fk_name_id *func_names;  /* per function */
	bool *func_named;
};

static bool str_ok(const struct reader *r, int64_t i)
{
	return i >= 0 && (uint64_t)i < r->pr->n_string_table;
}

static const char *str_at(const struct reader *r, int64_t i)
{
	return r->pr->string_table[i];
}

static int bad_string(struct reader *r, const char *what, size_t nth, int64_t i)
{
	return fk_error_set(r->err, "%s: %s #%zu refers to string %" PRId64 ", past the string "
				    "table's %zu entries", r->name, what, nth + 1, i,
			    r->pr->n_string_table);
}

/* The frame name of a location with no function: "[module <address>]". */
static fk_name_id fallback_name(struct reader *r, const pb_location *loc)
{
	char buf[512];
	const char *base = "unknown";
	if (loc->mapping_id) {
		const pb_mapping *m = r->pr->mapping[id_table_find(&r->mappings, loc->mapping_id)];
		const char *file = str_at(r, m->filename);
		const char *slash = strrchr(file, '/');
		if (slash)
			file = slash + 1;
		if (file[0])
			base = file;
	}
	int n;
	if (loc->address)
		n = snprintf(buf, sizeof(buf), "[%.400s <%" PRIx64 ">]", base, loc->address);
	else
		n = snprintf(buf, sizeof(buf), "[%.400s]", base);
	return fk_intern(fk_profile_names(r->profile), buf, (size_t)n);
}

static int check_and_name(struct reader *r)
{
	const pb_profile *pr = r->pr;
	if (pr->n_string_table == 0 || pr->string_table[0][0] != '\0')
		return fk_error_set(r->err, "%s: not a valid pprof profile (its string table must "
					    "start with the empty string)", r->name);
	for (size_t i = 0; i < pr->n_sample_type; i++)
		if (!str_ok(r, pr->sample_type[i]->type) || !str_ok(r, pr->sample_type[i]->unit))
			return bad_string(r, "sample_type", i, !str_ok(r, pr->sample_type[i]->type) ?
				pr->sample_type[i]->type : pr->sample_type[i]->unit);
	if (pr->period_type && (!str_ok(r, pr->period_type->type) || !str_ok(r, pr->period_type->unit)))
		return bad_string(r, "period_type", 0, !str_ok(r, pr->period_type->type) ?
			pr->period_type->type : pr->period_type->unit);
	if (!str_ok(r, pr->default_sample_type))
		return bad_string(r, "default_sample_type", 0, pr->default_sample_type);

	uint64_t *ids = fk_xmalloc((pr->n_function + pr->n_mapping + pr->n_location + 1) *
				   sizeof(uint64_t));
	size_t dup;
	for (size_t i = 0; i < pr->n_mapping; i++)
		ids[i] = pr->mapping[i]->id;
	dup = id_table_build(&r->mappings, ids, pr->n_mapping);
	if (dup != (size_t)-1) {
		free(ids);
		return fk_error_set(r->err, "%s: mapping #%zu has the id %" PRIu64 " of another",
				    r->name, dup + 1, pr->mapping[dup]->id);
	}
	for (size_t i = 0; i < pr->n_function; i++)
		ids[i] = pr->function[i]->id;
	dup = id_table_build(&r->functions, ids, pr->n_function);
	if (dup != (size_t)-1) {
		free(ids);
		return fk_error_set(r->err, "%s: function #%zu has the id %" PRIu64 " of another",
				    r->name, dup + 1, pr->function[dup]->id);
	}
	for (size_t i = 0; i < pr->n_location; i++)
		ids[i] = pr->location[i]->id;
	dup = id_table_build(&r->locations, ids, pr->n_location);
	free(ids);
	if (dup != (size_t)-1)
		return fk_error_set(r->err, "%s: location #%zu has the id %" PRIu64 " of another",
				    r->name, dup + 1, pr->location[dup]->id);

	for (size_t i = 0; i < pr->n_mapping; i++) {
		const pb_mapping *m = pr->mapping[i];
		if (m->id == 0)
			return fk_error_set(r->err, "%s: mapping #%zu has the id 0", r->name, i + 1);
		if (!str_ok(r, m->filename))
			return bad_string(r, "mapping", i, m->filename);
		if (!str_ok(r, m->build_id))
			return bad_string(r, "mapping", i, m->build_id);
	}
	fk_interner *names = fk_profile_names(r->profile);
	r->func_names = fk_xcalloc(pr->n_function + 1, sizeof(fk_name_id));
	for (size_t i = 0; i < pr->n_function; i++) {
		const pb_function *f = pr->function[i];
		if (f->id == 0)
			return fk_error_set(r->err, "%s: function #%zu has the id 0", r->name, i + 1);
		if (!str_ok(r, f->name))
			return bad_string(r, "function", i, f->name);
		if (!str_ok(r, f->system_name))
			return bad_string(r, "function", i, f->system_name);
		if (!str_ok(r, f->filename))
			return bad_string(r, "function", i, f->filename);
	}
	r->func_named = fk_xcalloc(pr->n_function + 1, sizeof(bool));
	for (size_t i = 0; i < pr->n_function; i++) {
		const pb_function *f = pr->function[i];
		const char *s = str_at(r, f->name);
		if (!s[0])
			s = str_at(r, f->system_name);
		if (s[0]) {
			r->func_names[i] = fk_intern(names, s, strlen(s));
			r->func_named[i] = true;
		}
	}

	r->loc_names = fk_xcalloc(pr->n_location + 1, sizeof(fk_name_id *));
	r->loc_n = fk_xcalloc(pr->n_location + 1, sizeof(size_t));
	for (size_t i = 0; i < pr->n_location; i++) {
		const pb_location *loc = pr->location[i];
		if (loc->id == 0)
			return fk_error_set(r->err, "%s: location #%zu has the id 0", r->name, i + 1);
		size_t map = (size_t)-1;
		if (loc->mapping_id) {
			map = id_table_find(&r->mappings, loc->mapping_id);
			if (map == (size_t)-1)
				return fk_error_set(r->err, "%s: location #%zu (id %" PRIu64 ") refers "
						    "to mapping %" PRIu64 ", which does not exist",
						    r->name, i + 1, loc->id, loc->mapping_id);
		}
		size_t n = loc->n_line ? loc->n_line : 1;
		r->loc_names[i] = fk_xmalloc(n * sizeof(fk_name_id));
		r->loc_n[i] = n;
		for (size_t k = 0; k < loc->n_line; k++) {
			uint64_t fid = loc->line[k]->function_id;
			size_t f = fid ? id_table_find(&r->functions, fid) : (size_t)-1;
			if (fid && f == (size_t)-1)
				return fk_error_set(r->err, "%s: location #%zu (id %" PRIu64 ") refers "
						    "to function %" PRIu64 ", which does not exist",
						    r->name, i + 1, loc->id, fid);
			/* the last line is the outermost caller: it goes first (root-most) */
			r->loc_names[i][loc->n_line - 1 - k] =
				f != (size_t)-1 && r->func_named[f] ? r->func_names[f]
								   : fallback_name(r, loc);
		}
		if (!loc->n_line)
			r->loc_names[i][0] = fallback_name(r, loc);
		const char *module = map != (size_t)-1 ? str_at(r, pr->mapping[map]->filename) : NULL;
		for (size_t k = 0; k < n; k++)
			fk_profile_set_origin(r->profile, r->loc_names[i][k], loc->address, module,
					      module ? strlen(module) : 0);
	}
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s);
}

/* Chooses the value read; -1 with err if --sample-type names none. */
static int choose_value(struct reader *r, const char *wanted, size_t *index)
{
	const pb_profile *pr = r->pr;
	if (pr->n_sample_type == 0) {
		if (pr->n_sample == 0) {
			*index = 0;
			return 0;
		}
		return fk_error_set(r->err, "%s: the profile has samples but no sample types",
				    r->name);
	}
	const char *want = wanted;
	if (!want && pr->default_sample_type)
		want = str_at(r, pr->default_sample_type);
	if (want) {
		for (size_t i = 0; i < pr->n_sample_type; i++)
			if (strcmp(str_at(r, pr->sample_type[i]->type), want) == 0) {
				*index = i;
				return 0;
			}
		if (wanted) {
			char list[512];
			size_t o = 0;
			list[0] = '\0';
			for (size_t i = 0; i < pr->n_sample_type && o < sizeof(list) - 1; i++) {
				int m = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
						 str_at(r, pr->sample_type[i]->type));
				if (m < 0)
					break;
				o += (size_t)m;
			}
			return fk_error_set(r->err, "%s: no sample type \"%s\" in this profile; it "
						    "has: %s", r->name, wanted, list);
		}
	}
	*index = 0; /* a default_sample_type that is none of them: the first */
	return 0;
}

/* Checks every sample, then adds them all (a broken one adds nothing). */
static int add_samples(struct reader *r, size_t value, size_t input_len)
{
	const pb_profile *pr = r->pr;
	/* a bound on the work: frames added, against the input's size */
	uint64_t budget = (uint64_t)input_len * 64 + (1u << 24), spent = 0;
	size_t max_depth = 0;
	for (size_t s = 0; s < pr->n_sample; s++) {
		const Perftools__Profiles__Sample *sm = pr->sample[s];
		if (sm->n_value != pr->n_sample_type)
			return fk_error_set(r->err, "%s: sample #%zu has %zu values for %zu sample "
						    "types", r->name, s + 1, sm->n_value,
					    pr->n_sample_type);
		int64_t v = sm->value[value];
		if (v < 0)
			return fk_error_set(r->err, "%s: sample #%zu has a negative value (%" PRId64
						    ") for %s; flamekit reads counts of zero or more "
						    "(a pprof diff is not read)", r->name, s + 1, v,
					    str_at(r, pr->sample_type[value]->type));
		size_t depth = 0;
		for (size_t k = 0; k < sm->n_location_id; k++) {
			size_t li = id_table_find(&r->locations, sm->location_id[k]);
			if (li == (size_t)-1)
				return fk_error_set(r->err, "%s: sample #%zu refers to location %" PRIu64
							    ", which does not exist", r->name, s + 1,
						    sm->location_id[k]);
			depth += r->loc_n[li];
		}
		spent += depth + 1;
		if (spent > budget)
			return fk_error_set(r->err, "%s: sample #%zu: the samples expand into more "
						    "than %" PRIu64 " frames, too many for a file of "
						    "%zu bytes", r->name, s + 1, budget, input_len);
		if (depth > max_depth)
			max_depth = depth;
	}
	fk_name_id *stack = fk_xmalloc((max_depth + 1) * sizeof(*stack));
	for (size_t s = 0; s < pr->n_sample; s++) {
		const Perftools__Profiles__Sample *sm = pr->sample[s];
		size_t o = 0;
		for (size_t k = sm->n_location_id; k-- > 0;) {
			size_t li = id_table_find(&r->locations, sm->location_id[k]);
			memcpy(stack + o, r->loc_names[li], r->loc_n[li] * sizeof(fk_name_id));
			o += r->loc_n[li];
		}
		fk_profile_add_stack(r->profile, stack, o, (double)sm->value[value]);
	}
	free(stack);
	return 0;
}

/* Decodes in's bytes with memory capped at 48 times their size (plus 1 MiB), through
 * *alloc (which the caller frees the result with). NULL with err saying why. */
static pb_profile *unpack_capped(const fk_whole_input *in, capped_alloc *cap,
				 ProtobufCAllocator *alloc, fk_error *err)
{
	*cap = (capped_alloc){.limit = in->len * 48 + (1u << 20)};
	*alloc = (ProtobufCAllocator){capped_malloc, capped_free, cap};
	pb_profile *pr = perftools__profiles__profile__unpack(alloc, in->len, in->data);
	if (!pr) {
		if (cap->over)
			fk_error_set(err, "%s: the pprof data would take more than %zu bytes "
					  "of memory to decode (%zu bytes of input); corrupt?",
				     in->name, cap->limit, in->len);
		else
			explain_bad_message(in->data, in->len, in->name, err);
	}
	return pr;
}

int fk_pprof_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
		  fk_diag *diag, fk_load_stats *stats, fk_error *err)
{
	capped_alloc cap;
	ProtobufCAllocator alloc;
	pb_profile *pr = unpack_capped(in, &cap, &alloc, err);
	if (!pr)
		return -1;
	struct reader r = {.pr = pr, .name = in->name, .profile = profile, .err = err};
	size_t value = 0;
	int rc = check_and_name(&r);
	if (rc == 0)
		rc = choose_value(&r, options ? options->sample_type : NULL, &value);
	if (rc == 0)
		rc = add_samples(&r, value, in->len);
	if (rc == 0) {
		fk_profile_meta m = {0};
		if (pr->n_sample_type) {
			copy_str(m.sample_type, sizeof(m.sample_type),
				 str_at(&r, pr->sample_type[value]->type));
			copy_str(m.unit, sizeof(m.unit), str_at(&r, pr->sample_type[value]->unit));
		}
		if (pr->period_type) {
			copy_str(m.period_type, sizeof(m.period_type),
				 str_at(&r, pr->period_type->type));
			copy_str(m.period_unit, sizeof(m.period_unit),
				 str_at(&r, pr->period_type->unit));
		}
		m.period = pr->period;
		m.time_ns = pr->time_nanos;
		m.duration_ns = pr->duration_nanos;
		fk_profile_set_meta(profile, &m);
		if (stats)
			stats->samples += pr->n_sample;
	}
	if (r.loc_names)
		for (size_t i = 0; i < pr->n_location; i++)
			free(r.loc_names[i]);
	free(r.loc_names);
	free(r.loc_n);
	free(r.func_names);
	free(r.func_named);
	free(r.functions.v);
	free(r.mappings.v);
	free(r.locations.v);
	perftools__profiles__profile__free_unpacked(pr, &alloc);
	return rc;
}

int fk_pprof_sample_types(const fk_whole_input *in, fk_pprof_sample_type *types, size_t max,
			  fk_error *err)
{
	capped_alloc cap;
	ProtobufCAllocator alloc;
	pb_profile *pr = unpack_capped(in, &cap, &alloc, err);
	if (!pr)
		return -1;
	struct reader r = {.pr = pr, .name = in->name, .err = err};
	int rc = (int)(pr->n_sample_type > INT32_MAX ? INT32_MAX : pr->n_sample_type);
	for (size_t i = 0; i < pr->n_sample_type; i++) {
		const Perftools__Profiles__ValueType *vt = pr->sample_type[i];
		if (!str_ok(&r, vt->type) || !str_ok(&r, vt->unit)) {
			rc = bad_string(&r, "sample type", i, str_ok(&r, vt->type) ? vt->unit : vt->type);
			break;
		}
		if (i < max) {
			copy_str(types[i].type, sizeof(types[i].type), str_at(&r, vt->type));
			copy_str(types[i].unit, sizeof(types[i].unit), str_at(&r, vt->unit));
		}
	}
	perftools__profiles__profile__free_unpacked(pr, &alloc);
	return rc;
}
