/* test_pprof.c: pprof in and out. Small profiles are built with protobuf-c's generated
 * pack functions and read with fk_pprof_read (stacks root first, inlined lines, the
 * sample type chosen, the metadata, the fallback name of a location without function,
 * and every broken reference an error that names the file); profiles written with
 * fk_write_pprof are unpacked and checked (sample types, mappings, addresses) and read
 * back to the same stacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/input/pprof.h"
#include "../../src/output/folded.h"
#include "../../src/output/pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* A profile under construction: strings, then records added by index. */
struct builder {
	pb_profile pr;
	char *strings[32];
	pb_value_type vt[4], *vt_p[4];
	pb_function fn[8], *fn_p[8];
	pb_line ln[16], *ln_p[16];
	pb_location loc[8], *loc_p[8];
	pb_mapping map[4], *map_p[4];
	pb_sample sm[8], *sm_p[8];
	uint64_t ids[8][8];
	int64_t values[8][4];
	size_t nline;
};

static int64_t str(struct builder *b, const char *s)
{
	for (size_t i = 0; i < b->pr.n_string_table; i++)
		if (strcmp(b->strings[i], s) == 0)
			return (int64_t)i;
	b->strings[b->pr.n_string_table] = (char *)(uintptr_t)s;
	return (int64_t)b->pr.n_string_table++;
}

static void builder_init(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	perftools__profiles__profile__init(&b->pr);
	b->pr.string_table = b->strings;
	str(b, "");
	b->pr.sample_type = b->vt_p;
	b->pr.function = b->fn_p;
	b->pr.location = b->loc_p;
	b->pr.mapping = b->map_p;
	b->pr.sample = b->sm_p;
}

static void add_type(struct builder *b, const char *type, const char *unit)
{
	size_t i = b->pr.n_sample_type++;
	perftools__profiles__value_type__init(&b->vt[i]);
	b->vt[i].type = str(b, type);
	b->vt[i].unit = str(b, unit);
	b->vt_p[i] = &b->vt[i];
}

static void add_function(struct builder *b, uint64_t id, const char *name)
{
	size_t i = b->pr.n_function++;
	perftools__profiles__function__init(&b->fn[i]);
	b->fn[i].id = id;
	b->fn[i].name = str(b, name);
	b->fn_p[i] = &b->fn[i];
}

static void add_mapping(struct builder *b, uint64_t id, const char *file)
{
	size_t i = b->pr.n_mapping++;
	perftools__profiles__mapping__init(&b->map[i]);
	b->map[i].id = id;
	b->map[i].filename = str(b, file);
	b->map_p[i] = &b->map[i];
}

/* a location with lines of the given function ids (innermost first), 0-terminated */
static pb_location *add_location(struct builder *b, uint64_t id, uint64_t mapping,
				 uint64_t address, const uint64_t *funcs)
{
	size_t i = b->pr.n_location++;
	pb_location *l = &b->loc[i];
	perftools__profiles__location__init(l);
	l->id = id;
	l->mapping_id = mapping;
	l->address = address;
	l->line = &b->ln_p[b->nline];
	for (; funcs && *funcs; funcs++) {
		pb_line *ln = &b->ln[b->nline];
		perftools__profiles__line__init(ln);
		ln->function_id = *funcs;
		b->ln_p[b->nline++] = ln;
		l->n_line++;
	}
	b->loc_p[i] = l;
	return l;
}

/* a sample: n location ids (leaf first) and nv values */
static void add_sample(struct builder *b, const uint64_t *locs, size_t n, const int64_t *vals,
		       size_t nv)
{
	size_t i = b->pr.n_sample++;
	pb_sample *s = &b->sm[i];
	perftools__profiles__sample__init(s);
	memcpy(b->ids[i], locs, n * sizeof(uint64_t));
	memcpy(b->values[i], vals, nv * sizeof(int64_t));
	s->location_id = b->ids[i];
	s->n_location_id = n;
	s->value = b->values[i];
	s->n_value = nv;
	b->sm_p[i] = s;
}

static uint8_t *pack(struct builder *b, size_t *len)
{
	*len = perftools__profiles__profile__get_packed_size(&b->pr);
	uint8_t *buf = malloc(*len ? *len : 1);
	assert_int_equal(perftools__profiles__profile__pack(&b->pr, buf), *len);
	return buf;
}

/* Reads the bytes; returns the reader's result, the folded text in out (or "") */
static int read_bytes(const uint8_t *data, size_t len, const char *sample_type, char *out,
		      size_t cap, fk_error *err, fk_profile_meta *meta)
{
	fk_profile *p = fk_profile_new();
	fk_load_options o = {.sample_type = sample_type};
	fk_diag diag;
	fk_diag_init(&diag);
	fk_load_stats stats = {0};
	fk_whole_input in = {.name = "t.pb", .data = data, .len = len};
	int rc = fk_pprof_read(&in, &o, p, &diag, &stats, err);
	out[0] = '\0';
	FILE *f = fmemopen(out, cap, "w");
	assert_non_null(f);
	assert_int_equal(fk_write_folded(p, f, err), 0);
	fclose(f);
	if (meta)
		*meta = *fk_profile_get_meta(p);
	fk_diag_free(&diag);
	fk_profile_free(p);
	return rc;
}

static int read_builder(struct builder *b, const char *sample_type, char *out, size_t cap,
			fk_error *err, fk_profile_meta *meta)
{
	size_t len;
	uint8_t *buf = pack(b, &len);
	int rc = read_bytes(buf, len, sample_type, out, cap, err, meta);
	free(buf);
	return rc;
}

/* main -> work (inlined: helper inside work), sampled twice; main -> other once */
static void build_basic(struct builder *b)
{
	builder_init(b);
	add_type(b, "samples", "count");
	add_type(b, "cpu", "nanoseconds");
	add_function(b, 1, "main");
	add_function(b, 2, "work");
	add_function(b, 3, "helper");
	add_function(b, 4, "other");
	add_mapping(b, 1, "/usr/bin/prog");
	add_location(b, 10, 1, 0x1000, (const uint64_t[]){1, 0});
	add_location(b, 11, 1, 0x1100, (const uint64_t[]){3, 2, 0}); /* helper inlined in work */
	add_location(b, 12, 1, 0x1200, (const uint64_t[]){4, 0});
	add_sample(b, (const uint64_t[]){11, 10}, 2, (const int64_t[]){2, 20000000}, 2);
	add_sample(b, (const uint64_t[]){12, 10}, 2, (const int64_t[]){1, 10000000}, 2);
	b->pr.period_type = &b->vt[3];
	perftools__profiles__value_type__init(&b->vt[3]);
	b->vt[3].type = str(b, "cpu");
	b->vt[3].unit = str(b, "nanoseconds");
	b->pr.period = 10000000;
	b->pr.time_nanos = 1234;
	b->pr.duration_nanos = 5678;
}

static void test_read_basic(void **state)
{
	(void)state;
	struct builder b;
	build_basic(&b);
	char out[1024];
	fk_error err = {0};
	fk_profile_meta m;
	assert_int_equal(read_builder(&b, NULL, out, sizeof(out), &err, &m), 0);
	assert_string_equal(out, "main;other 1\nmain;work;helper 2\n");
	assert_string_equal(m.sample_type, "samples");
	assert_string_equal(m.unit, "count");
	assert_string_equal(m.period_type, "cpu");
	assert_string_equal(m.period_unit, "nanoseconds");
	assert_int_equal(m.period, 10000000);
	assert_int_equal(m.time_ns, 1234);
	assert_int_equal(m.duration_ns, 5678);

	assert_int_equal(read_builder(&b, "cpu", out, sizeof(out), &err, &m), 0);
	assert_string_equal(out, "main;other 10000000\nmain;work;helper 20000000\n");
	assert_string_equal(m.sample_type, "cpu");
	assert_string_equal(m.unit, "nanoseconds");

	b.pr.default_sample_type = str(&b, "cpu");
	assert_int_equal(read_builder(&b, NULL, out, sizeof(out), &err, NULL), 0);
	assert_string_equal(out, "main;other 10000000\nmain;work;helper 20000000\n");

	assert_int_equal(read_builder(&b, "alloc_space", out, sizeof(out), &err, NULL), -1);
	assert_non_null(strstr(err.msg, "t.pb"));
	assert_non_null(strstr(err.msg, "alloc_space"));
	assert_non_null(strstr(err.msg, "samples, cpu"));
	assert_string_equal(out, "");
}

static void test_read_fallback_names(void **state)
{
	(void)state;
	struct builder b;
	builder_init(&b);
	add_type(&b, "samples", "count");
	add_function(&b, 1, "main");
	add_function(&b, 2, ""); /* no name: the system name, else the fallback */
	b.fn[1].system_name = str(&b, "_Z3sysv");
	add_function(&b, 3, "");
	add_mapping(&b, 5, "/lib/libfoo.so");
	add_location(&b, 1, 0, 0, (const uint64_t[]){1, 0});
	add_location(&b, 2, 5, 0xabc, NULL);
	add_location(&b, 3, 0, 0x10, NULL);
	add_location(&b, 4, 0, 0, (const uint64_t[]){2, 0});
	add_location(&b, 5, 5, 0x77, (const uint64_t[]){3, 0});
	add_sample(&b, (const uint64_t[]){2, 1}, 2, (const int64_t[]){3}, 1);
	add_sample(&b, (const uint64_t[]){3, 4, 1}, 3, (const int64_t[]){4}, 1);
	add_sample(&b, (const uint64_t[]){5}, 1, (const int64_t[]){0}, 1);
	char out[1024];
	fk_error err = {0};
	assert_int_equal(read_builder(&b, NULL, out, sizeof(out), &err, NULL), 0);
	assert_string_equal(out, "[libfoo.so <77>] 0\n"
				 "main;[libfoo.so <abc>] 3\n"
				 "main;_Z3sysv;[unknown <10>] 4\n");
}

static void expect_error(struct builder *b, const char *needle)
{
	char out[1024];
	fk_error err = {0};
	assert_int_equal(read_builder(b, NULL, out, sizeof(out), &err, NULL), -1);
	if (!strstr(err.msg, needle) || !strstr(err.msg, "t.pb"))
		fail_msg("error \"%s\" does not say \"%s\"", err.msg, needle);
	assert_string_equal(out, "");
}

static void test_read_bad_references(void **state)
{
	(void)state;
	struct builder b;

	build_basic(&b);
	b.ln[0].function_id = 99;
	expect_error(&b, "function 99, which does not exist");

	build_basic(&b);
	b.loc[1].mapping_id = 7;
	expect_error(&b, "mapping 7, which does not exist");

	build_basic(&b);
	b.ids[1][0] = 13;
	expect_error(&b, "location 13, which does not exist");

	build_basic(&b);
	b.fn[2].name = 400;
	expect_error(&b, "function #3 refers to string 400");

	build_basic(&b);
	b.fn[2].name = -1;
	expect_error(&b, "refers to string -1");

	build_basic(&b);
	b.values[0][0] = -5;
	expect_error(&b, "negative value (-5)");

	build_basic(&b);
	b.sm[1].n_value = 1;
	expect_error(&b, "sample #2 has 1 values for 2 sample types");

	build_basic(&b);
	b.fn[1].id = 1;
	expect_error(&b, "function #2 has the id 1 of another");

	build_basic(&b);
	b.strings[0] = (char *)"x";
	expect_error(&b, "start with the empty string");
}

static void test_read_corrupt_bytes(void **state)
{
	(void)state;
	struct builder b;
	build_basic(&b);
	size_t len;
	uint8_t *buf = pack(&b, &len);
	char out[1024];
	fk_error err = {0};
	/* every cut either fails with a message naming the file or reads a prefix */
	for (size_t cut = 0; cut < len; cut++) {
		err.msg[0] = '\0';
		if (read_bytes(buf, cut, NULL, out, sizeof(out), &err, NULL) != 0) {
			assert_non_null(strstr(err.msg, "t.pb"));
			assert_string_equal(out, "");
		}
	}
	/* a length running past the end */
	uint8_t bad[] = {0x12, 0x40, 0x0a, 0x01};
	assert_int_equal(read_bytes(bad, sizeof(bad), NULL, out, sizeof(out), &err, NULL), -1);
	assert_non_null(strstr(err.msg, "byte 0: truncated pprof data (sample #1 needs 64 bytes"));
	free(buf);
}

/* writes p as pprof (raw) into memory */
static uint8_t *write_mem(const fk_profile *p, bool gzip, size_t *len, int *rc, fk_error *err)
{
	char *data = NULL;
	FILE *f = open_memstream(&data, len);
	*rc = fk_write_pprof(p, gzip, f, err);
	fclose(f);
	return (uint8_t *)data;
}

static void add(fk_profile *p, const char *a, const char *b, const char *c, double n)
{
	fk_interner *in = fk_profile_names(p);
	fk_name_id ids[3];
	size_t k = 0;
	for (const char *s = a; k < 3 && s; s = k == 1 ? b : c)
		ids[k++] = fk_intern(in, s, strlen(s));
	fk_profile_add_stack(p, ids, k, n);
}

static void test_write_cpu_profile(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "prog", "main", "work_[k]", 3);
	add(p, "prog", "main", NULL, 2);
	add(p, "prog", "other", NULL, 0);
	fk_name_id work = fk_intern(fk_profile_names(p), "work_[k]", 8);
	fk_name_id main_id = fk_intern(fk_profile_names(p), "main", 4);
	fk_profile_set_origin(p, work, 0x2000, "/bin/prog", 9);
	fk_profile_set_origin(p, work, 0x9999, "/bin/other", 10); /* the first wins */
	fk_profile_set_origin(p, main_id, 0x1000, "/bin/prog", 9);
	fk_profile_meta m = {.sample_type = "samples", .unit = "count", .period_type = "cpu",
			     .period_unit = "nanoseconds", .period = 1000, .time_ns = 77,
			     .duration_ns = 88};
	fk_profile_set_meta(p, &m);

	size_t len;
	int rc;
	fk_error err = {0};
	uint8_t *data = write_mem(p, false, &len, &rc, &err);
	assert_int_equal(rc, 0);
	pb_profile *pr = perftools__profiles__profile__unpack(NULL, len, data);
	assert_non_null(pr);
	assert_int_equal(pr->n_sample_type, 2);
	assert_string_equal(pr->string_table[pr->sample_type[0]->type], "samples");
	assert_string_equal(pr->string_table[pr->sample_type[0]->unit], "count");
	assert_string_equal(pr->string_table[pr->sample_type[1]->type], "cpu");
	assert_string_equal(pr->string_table[pr->sample_type[1]->unit], "nanoseconds");
	assert_string_equal(pr->string_table[pr->default_sample_type], "samples");
	assert_int_equal(pr->period, 1000);
	assert_int_equal(pr->time_nanos, 77);
	assert_int_equal(pr->duration_nanos, 88);
	assert_int_equal(pr->n_sample, 3);
	assert_int_equal(pr->n_function, 4);
	assert_int_equal(pr->n_mapping, 1);
	assert_string_equal(pr->string_table[pr->mapping[0]->filename], "/bin/prog");
	assert_int_equal(pr->mapping[0]->memory_start, 0x1000);
	assert_int_equal(pr->mapping[0]->memory_limit, 0x2001);
	int64_t sum0 = 0, sum1 = 0;
	bool saw_work = false;
	for (size_t i = 0; i < pr->n_sample; i++) {
		sum0 += pr->sample[i]->value[0];
		sum1 += pr->sample[i]->value[1];
	}
	for (size_t i = 0; i < pr->n_location; i++) {
		const pb_location *l = pr->location[i];
		const pb_function *f = pr->function[l->line[0]->function_id - 1];
		if (strcmp(pr->string_table[f->name], "work_[k]") == 0) {
			saw_work = true;
			assert_int_equal(l->address, 0x2000);
			assert_int_equal(l->mapping_id, 1);
		}
	}
	assert_true(saw_work);
	assert_int_equal(sum0, 5);
	assert_int_equal(sum1, 5000);
	perftools__profiles__profile__free_unpacked(pr, NULL);

	char out[1024];
	fk_profile_meta back;
	assert_int_equal(read_bytes(data, len, NULL, out, sizeof(out), &err, &back), 0);
	assert_string_equal(out, "prog;main 2\nprog;main;work_[k] 3\nprog;other 0\n");
	assert_string_equal(back.period_type, "cpu");
	assert_int_equal(back.period, 1000);
	free(data);

	/* gzipped: the gzip magic */
	data = write_mem(p, true, &len, &rc, &err);
	assert_int_equal(rc, 0);
	assert_true(len > 2 && data[0] == 0x1f && data[1] == 0x8b);
	free(data);
	fk_profile_free(p);
}

static void test_write_plain_and_fractions(void **state)
{
	(void)state;
	fk_profile *p = fk_profile_new();
	add(p, "a", "b", NULL, 7);
	size_t len;
	int rc;
	fk_error err = {0};
	uint8_t *data = write_mem(p, false, &len, &rc, &err);
	assert_int_equal(rc, 0);
	pb_profile *pr = perftools__profiles__profile__unpack(NULL, len, data);
	assert_non_null(pr);
	assert_int_equal(pr->n_sample_type, 1);
	assert_string_equal(pr->string_table[pr->sample_type[0]->type], "samples");
	assert_string_equal(pr->string_table[pr->sample_type[0]->unit], "count");
	assert_int_equal(pr->n_mapping, 0);
	assert_null(pr->period_type);
	perftools__profiles__profile__free_unpacked(pr, NULL);
	free(data);

	add(p, "a", "c", NULL, 0.5);
	data = write_mem(p, false, &len, &rc, &err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "0.5"));
	free(data);
	fk_profile_free(p);
}

static void test_origin_merge(void **state)
{
	(void)state;
	fk_profile *a = fk_profile_new(), *b = fk_profile_new();
	add(b, "x", "y", NULL, 1);
	fk_name_id y = fk_intern(fk_profile_names(b), "y", 1);
	fk_profile_set_origin(b, y, 42, "/m", 2);
	add(a, "q", NULL, NULL, 1);
	fk_profile_merge(a, b);
	fk_name_id ya = fk_intern(fk_profile_names(a), "y", 1);
	uint64_t addr;
	const char *mod;
	size_t mod_len;
	assert_true(fk_profile_get_origin(a, ya, &addr, &mod, &mod_len));
	assert_int_equal(addr, 42);
	assert_string_equal(mod, "/m");
	assert_int_equal(mod_len, 2);
	fk_name_id q = fk_intern(fk_profile_names(a), "q", 1);
	assert_false(fk_profile_get_origin(a, q, &addr, &mod, &mod_len));
	fk_profile_free(a);
	fk_profile_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_basic),
		cmocka_unit_test(test_read_fallback_names),
		cmocka_unit_test(test_read_bad_references),
		cmocka_unit_test(test_read_corrupt_bytes),
		cmocka_unit_test(test_write_cpu_profile),
		cmocka_unit_test(test_write_plain_and_fractions),
		cmocka_unit_test(test_origin_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
