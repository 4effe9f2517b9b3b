/* perf_data.c: reads perf record's file (perf.data, "PERFILE2", this machine's byte
 * order) into a profile, folded as `perf script -i FILE | flamekit collapse` folds it.
 *
 * The file: a header (the sections of the attributes, the data and the features), one
 * perf_event_attr per event with the ids of its kernel events, the records the kernel
 * wrote (and those perf record synthesized for processes that already ran), then the
 * feature sections (EVENT_DESC names the events, BUILD_ID the binaries' builds,
 * CLOCK_DATA the wall-clock time of the samples' clock; the others are not needed).
 * Records are decoded by the sampler's decoder (perf_event.h) from the attributes found
 * here, and handed to the recorder (recorder.h), which puts them in time order as perf's
 * ordered events do (FINISHED_ROUND records are the flush points), tracks the processes,
 * unwinds, symbolizes and names the frames as perf script prints them. */
#include "perf_data.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include "../sample/recorder.h"
#include "../symbol/inline.h"
#include "../symbol/sym_util.h"

#include <libiberty/demangle.h>

enum {
	HEADER_SIZE = 104,      /* perf_file_header with a 256-bit feature bitmap */
	ATTR_MIN = 64,          /* PERF_ATTR_SIZE_VER0 */
	ATTR_MAX = 4096,
	FEAT_BITS = 256,
	FEAT_BUILD_ID = 2,
	FEAT_EVENT_DESC = 12,
	FEAT_CLOCK_DATA = 29,
	/* user records (perf's own, not the kernel's) */
	REC_HEADER_ATTR = 64,
	REC_TRACING_DATA = 66,
	REC_HEADER_BUILD_ID = 67,
	REC_FINISHED_ROUND = 68,
	REC_EVENT_UPDATE = 78,
	REC_HEADER_FEATURE = 80,
	REC_AUXTRACE = 71,
	REC_COMPRESSED = 81,
};

/* One event of the file. */
struct pd_event {
	uint32_t type;
	uint64_t config, sample_period, flags;
	fk_decoder_event dec;
	char name[128];
	bool matchable; /* perf script's event line ends with "NAME:" (not a tracepoint,
			 * whose fields follow the name) */
};

struct pd_reader {
	const fk_whole_input *in;
	const unsigned char *d;
	size_t len;
	fk_error *err;
	struct pd_event *events;
	fk_decoder_event *dec; /* events[i].dec, for the decoder */
	size_t nevents, events_cap;
	uint64_t *ids;
	uint32_t *id_event;
	size_t nids, ids_cap;
	bool pipe;             /* pipe mode (perf record -o -): attributes and features come
				* as records */
	uint64_t attrs_seen_to; /* pipe mode: attribute records up to here are known */
	unsigned char **copies; /* blocks of aligned copies of misaligned records */
	size_t copies_n, copies_cap, copy_used;
	fk_record_decoder decoder;
	uint64_t data_off, data_size;
	bool truncated;                       /* data size 0 in the header */
	unsigned char features[FEAT_BITS / 8]; /* the header's feature bitmap */
	uint64_t feat_sections[FEAT_BITS][2]; /* offset, size; size 0: absent */
	/* the event filter, as perf_script.c applies it to perf script's text */
	const char *filter;   /* NULL until the first sample of a matchable event */
	bool filter_given;
	uint64_t filtered, kept;
	uint64_t clock_wall_ns, clock_ref_ns; /* CLOCK_DATA: the same instant in both clocks */
	char **from_paths, **from_files; /* binaries read from other files (build ids) */
	size_t nfrom, from_cap;
};

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* A u64 at off of a structure of size bytes at p (0 past its end: older, shorter
 * versions of the structure). */
static uint64_t field64(const unsigned char *p, size_t size, size_t off)
{
	return off + 8 <= size ? rd64(p + off) : 0;
}

/* True when [off, off + size) lies in the file. */
static bool in_file(const struct pd_reader *r, uint64_t off, uint64_t size)
{
	return off <= r->len && size <= r->len - off;
}

/* ---- names of events without EVENT_DESC ---- */

static void default_name(struct pd_event *e)
{
	static const char *const sw[] = {"cpu-clock", "task-clock", "page-faults",
					 "context-switches", "cpu-migrations", "minor-faults",
					 "major-faults", "alignment-faults", "emulation-faults",
					 "dummy", "bpf-output", "cgroup-switches"};
	static const char *const hw[] = {"cycles", "instructions", "cache-references",
					 "cache-misses", "branches", "branch-misses",
					 "bus-cycles", "stalled-cycles-frontend",
					 "stalled-cycles-backend", "ref-cycles"};
	if (e->type == PERF_TYPE_SOFTWARE && e->config < FK_ARRAY_LEN(sw))
		snprintf(e->name, sizeof(e->name), "%s", sw[e->config]);
	else if (e->type == PERF_TYPE_HARDWARE && e->config < FK_ARRAY_LEN(hw))
		snprintf(e->name, sizeof(e->name), "%s", hw[e->config]);
	else
		snprintf(e->name, sizeof(e->name), "type%" PRIu32 ":0x%" PRIx64, e->type, e->config);
}

/* ---- header and attributes ---- */

/* One event: its perf_event_attr (asize bytes) and its n ids. Call index_events after. */
static void add_event(struct pd_reader *r, const unsigned char *a, size_t asize,
		      const unsigned char *ids, uint64_t n)
{
	size_t cap = r->events_cap;
	fk_grow((void **)&r->events, sizeof(*r->events), &cap, r->nevents + 1);
	fk_grow((void **)&r->dec, sizeof(*r->dec), &r->events_cap, r->nevents + 1);
	struct pd_event *e = &r->events[r->nevents];
	memset(e, 0, sizeof(*e));
	e->type = asize >= 4 ? rd32(a) : 0;
	uint32_t declared = asize >= 8 ? rd32(a + 4) : 0;
	if (declared && declared < asize)
		asize = declared;
	e->config = field64(a, asize, 8);
	e->sample_period = field64(a, asize, 16);
	e->flags = field64(a, asize, 40);
	e->dec.sample_type = field64(a, asize, 24);
	e->dec.read_format = field64(a, asize, 32);
	e->dec.branch_sample_type = field64(a, asize, 72);
	e->dec.regs_user = field64(a, asize, 80);
	e->dec.sample_id_all = (e->flags >> 18) & 1;
	e->matchable = e->type != PERF_TYPE_TRACEPOINT;
	default_name(e);
	cap = r->ids_cap;
	fk_grow((void **)&r->ids, sizeof(*r->ids), &cap, r->nids + n + 1);
	fk_grow((void **)&r->id_event, sizeof(*r->id_event), &r->ids_cap, r->nids + n + 1);
	for (uint64_t k = 0; k < n; k++) {
		r->ids[r->nids] = rd64(ids + 8 * k);
		r->id_event[r->nids++] = (uint32_t)r->nevents;
	}
	r->nevents++;
}

struct id_pair {
	uint64_t id;
	uint32_t event;
};

static int id_pair_cmp(const void *a, const void *b)
{
	const struct id_pair *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->event < y->event ? -1 : x->event > y->event;
}

/* Sorts the ids for the decoder's lookups and points the decoder at the events. */
static void index_events(struct pd_reader *r)
{
	struct id_pair *pairs = fk_xmalloc((r->nids + 1) * sizeof(*pairs));
	for (size_t i = 0; i < r->nids; i++)
		pairs[i] = (struct id_pair){r->ids[i], r->id_event[i]};
	qsort(pairs, r->nids, sizeof(*pairs), id_pair_cmp);
	for (size_t i = 0; i < r->nids; i++) {
		r->ids[i] = pairs[i].id;
		r->id_event[i] = pairs[i].event;
	}
	free(pairs);
	for (size_t i = 0; i < r->nevents; i++)
		r->dec[i] = r->events[i].dec;
	r->decoder = (fk_record_decoder){r->dec, r->nevents, r->ids, r->id_event, r->nids};
}

static int parse_header(struct pd_reader *r)
{
	const char *name = r->in->name;
	if (r->len < 8)
		return fk_error_set(r->err, "%s: offset 0: not a perf.data file: %zu bytes, shorter than its magic",
				    name, r->len);
	if (memcmp(r->d, "2ELIFREP", 8) == 0)
		return fk_error_set(r->err,
				    "%s: perf.data of the other byte order (recorded on a big-endian "
				    "machine?): unsupported; run perf script there",
				    name);
	if (memcmp(r->d, "PERFFILE", 8) == 0)
		return fk_error_set(r->err, "%s: perf.data version 1 (PERFFILE): unsupported", name);
	if (memcmp(r->d, "PERFILE2", 8) != 0)
		return fk_error_set(r->err, "%s: offset 0: not a perf.data file (no PERFILE2 magic)", name);
	if (r->len < 16)
		return fk_error_set(r->err, "%s: offset 8: truncated perf.data header (%zu bytes)", name,
				    r->len);
	uint64_t hsize = rd64(r->d + 8);
	if (hsize == 16) {
		/* pipe mode: everything is a record, from here to the end */
		r->pipe = true;
		r->data_off = 16;
		r->data_size = r->len - 16;
		return 0;
	}
	if (hsize < HEADER_SIZE)
		return fk_error_set(r->err, "%s: offset 8: perf.data header size %" PRIu64
					    " is smaller than %d",
				    name, hsize, HEADER_SIZE);
	if (r->len < HEADER_SIZE || hsize > r->len)
		return fk_error_set(r->err, "%s: offset 8: truncated perf.data header (%" PRIu64
					    " bytes, the file has %zu)",
				    name, hsize, r->len);
	uint64_t attr_size = rd64(r->d + 16);
	uint64_t attrs_off = rd64(r->d + 24), attrs_size = rd64(r->d + 32);
	r->data_off = rd64(r->d + 40);
	r->data_size = rd64(r->d + 48);
	if (attr_size < ATTR_MIN + 16 || attr_size > ATTR_MAX + 16)
		return fk_error_set(r->err, "%s: offset 16: bad attribute size %" PRIu64, name, attr_size);
	if (!in_file(r, attrs_off, attrs_size))
		return fk_error_set(r->err, "%s: offset 24: attribute section (%" PRIu64 " bytes at %" PRIu64
					    ") runs past the end of the file (%zu bytes)",
				    name, attrs_size, attrs_off, r->len);
	if (attrs_size == 0 || attrs_size % attr_size)
		return fk_error_set(r->err, "%s: offset 32: attribute section size %" PRIu64
					    " is not a multiple of the attribute size %" PRIu64,
				    name, attrs_size, attr_size);
	if (r->data_size == 0 && r->data_off >= HEADER_SIZE && r->data_off < r->len) {
		/* perf record did not finish (killed): the records run to the end of the
		 * file and there are no features, as perf script reads it */
		r->data_size = r->len - r->data_off;
		r->truncated = true;
		memset((unsigned char *)r->features, 0, sizeof(r->features));
	}
	if (!in_file(r, r->data_off, r->data_size))
		return fk_error_set(r->err, "%s: offset 40: data section (%" PRIu64 " bytes at %" PRIu64
					    ") runs past the end of the file (%zu bytes)",
				    name, r->data_size, r->data_off, r->len);
	/* the attributes and their ids */
	size_t nevents = attrs_size / attr_size;
	for (size_t i = 0; i < nevents; i++) {
		const unsigned char *a = r->d + attrs_off + i * attr_size;
		size_t asize = attr_size - 16;
		uint64_t ids_off = rd64(a + asize), ids_size = rd64(a + asize + 8);
		uint64_t at = attrs_off + i * attr_size;
		if (!in_file(r, ids_off, ids_size) || ids_size % 8)
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": event %zu's ids (%" PRIu64
						    " bytes at %" PRIu64 ") run past the end of the file",
					    name, at + asize, i, ids_size, ids_off);
		add_event(r, a, asize, r->d + ids_off, ids_size / 8);
	}
	index_events(r);
	/* the table of feature sections, right after the data */
	size_t nfeat = 0;
	if (!r->truncated)
		memcpy(r->features, r->d + 72, sizeof(r->features));
	for (int bit = 0; bit < FEAT_BITS; bit++)
		nfeat += (r->features[bit / 8] >> (bit % 8)) & 1;
	uint64_t feat_off = r->data_off + r->data_size;
	if (nfeat && !in_file(r, feat_off, nfeat * 16))
		return fk_error_set(r->err, "%s: offset %" PRIu64 ": the table of %zu feature sections "
					    "runs past the end of the file (%zu bytes)",
				    name, feat_off, nfeat, r->len);
	size_t k = 0;
	for (int bit = 0; bit < FEAT_BITS; bit++) {
		if (!((r->features[bit / 8] >> (bit % 8)) & 1))
			continue;
		uint64_t off = rd64(r->d + feat_off + 16 * k), size = rd64(r->d + feat_off + 16 * k + 8);
		if (!in_file(r, off, size))
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": feature %d's section (%" PRIu64
						    " bytes at %" PRIu64 ") runs past the end of the file",
					    name, feat_off + 16 * k, bit, size, off);
		r->feat_sections[bit][0] = off;
		r->feat_sections[bit][1] = size;
		k++;
	}
	return 0;
}

/* A perf string (u32 length, then that many bytes, NUL-padded) at *off of a section
 * ending at end. Returns false if it does not fit. */
static bool take_string(const struct pd_reader *r, uint64_t *off, uint64_t end, const char **s,
			size_t *len)
{
	if (end - *off < 4)
		return false;
	uint32_t n = rd32(r->d + *off);
	if (end - *off - 4 < n)
		return false;
	*s = (const char *)r->d + *off + 4;
	const char *nul = memchr(*s, 0, n);
	*len = nul ? (size_t)(nul - *s) : n;
	*off += 4 + (uint64_t)n;
	return true;
}

/* EVENT_DESC: the events' names, in the order of the attributes. */
static int parse_event_desc(struct pd_reader *r)
{
	uint64_t off = r->feat_sections[FEAT_EVENT_DESC][0];
	uint64_t size = r->feat_sections[FEAT_EVENT_DESC][1];
	if (size < 8)
		return 0;
	uint64_t end = off + size;
	uint32_t nr = rd32(r->d + off), asize = rd32(r->d + off + 4);
	off += 8;
	for (uint32_t i = 0; i < nr; i++) {
		const char *s;
		size_t len;
		if (end - off < (uint64_t)asize + 4)
			goto bad;
		off += asize;
		uint32_t nr_ids = rd32(r->d + off);
		off += 4;
		if (!take_string(r, &off, end, &s, &len) || (end - off) / 8 < nr_ids)
			goto bad;
		off += 8 * (uint64_t)nr_ids;
		if (i < r->nevents && len > 0 && len < sizeof(r->events[i].name)) {
			memcpy(r->events[i].name, s, len);
			r->events[i].name[len] = '\0';
		}
	}
	return 0;
bad:
	return fk_error_set(r->err, "%s: offset %" PRIu64 ": the event descriptions (EVENT_DESC) run "
				    "past their section",
			    r->in->name, off);
}

/* CLOCK_DATA: u32 version, u32 clockid, u64 wall-clock ns, u64 the same instant in the
 * sampling clock. */
static void parse_clock_data(struct pd_reader *r)
{
	uint64_t off = r->feat_sections[FEAT_CLOCK_DATA][0];
	if (r->feat_sections[FEAT_CLOCK_DATA][1] < 24)
		return;
	r->clock_wall_ns = rd64(r->d + off + 8);
	r->clock_ref_ns = rd64(r->d + off + 16);
}

/* ---- build ids: perf reads a binary that changed since recording from its cache ---- */

/* The GNU build id of the ELF file at path, as hex; false if it has none or cannot be
 * read. */
static bool file_build_id(const char *path, char *hex, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool found = false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	while (elf && !found && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)data->d_buf + name_off, "GNU", 4) != 0)
				continue;
			const unsigned char *id = (const unsigned char *)data->d_buf + desc_off;
			if (nh.n_descsz * 2 + 1 > cap)
				break;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
			found = nh.n_descsz > 0;
			break;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* BUILD_ID: (header, pid, 24 bytes of id, file name) records. For each binary whose
 * file no longer has the build id it had when recorded, perf reads its copy in the
 * build-id cache (~/.debug/.build-id/xx/yyyy/elf), else finds no symbols in it. */
static void use_build_ids(struct pd_reader *r, fk_recorder *rec, uint64_t off, uint64_t end)
{
	const char *home = getenv("HOME");
	const char *dir = getenv("PERF_BUILDID_DIR");
	while (end - off >= 8 + 4 + 24) {
		const unsigned char *p = r->d + off;
		uint16_t misc, size;
		memcpy(&misc, p + 4, 2);
		memcpy(&size, p + 6, 2);
		if (size < 8 + 4 + 24 || size > end - off)
			break;
		off += size;
		const unsigned char *id = p + 12;
		size_t id_len = (misc & (1u << 15)) && id[20] && id[20] <= 20 ? id[20] : 20;
		const char *name = (const char *)p + 36;
		size_t name_len = strnlen(name, size - 36);
		if (name_len == (size_t)size - 36)
			continue; /* not terminated */
		char want[41], have[41];
		for (size_t i = 0; i < id_len; i++)
			snprintf(want + 2 * i, 3, "%02x", id[i]);
		if (strcmp(name, "[kernel.kallsyms]") == 0) {
			/* the copy of /proc/kallsyms perf record keeps: the recorded kernel's
			 * symbols, and read faster than /proc/kallsyms is formatted */
			char copy[4096];
			if (dir && dir[0])
				snprintf(copy, sizeof(copy), "%s/[kernel.kallsyms]/%s/kallsyms", dir, want);
			else
				snprintf(copy, sizeof(copy), "%s/.debug/[kernel.kallsyms]/%s/kallsyms",
					 home ? home : "", want);
			if (access(copy, R_OK) == 0)
				fk_recorder_kallsyms_from(rec, copy);
			continue;
		}
		if (name[0] != '/')
			continue; /* [vdso], [bpf_prog]... */
		if (file_build_id(name, have, sizeof(have)) && strcmp(have, want) == 0)
			continue; /* the file recorded */
		char cached[4096];
		if (dir && dir[0])
			snprintf(cached, sizeof(cached), "%s/.build-id/%.2s/%s/elf", dir, want, want + 2);
		else
			snprintf(cached, sizeof(cached), "%s/.debug/.build-id/%.2s/%s/elf",
				 home ? home : "", want, want + 2);
		const char *file;
		if (access(cached, R_OK) == 0)
			file = cached;
		else if (access(name, R_OK) == 0)
			file = ""; /* another build: no symbols */
		else
			continue;
		fk_recorder_read_binary_from(rec, name, file);
		size_t cap = r->from_cap;
		fk_grow((void **)&r->from_paths, sizeof(char *), &cap, r->nfrom + 1);
		fk_grow((void **)&r->from_files, sizeof(char *), &r->from_cap, r->nfrom + 1);
		r->from_paths[r->nfrom] = fk_xstrdup(name);
		r->from_files[r->nfrom++] = fk_xstrdup(file);
	}
}

/* ---- PLT stubs named as perf 6.1 names them ---- */

/* perf 6.1 (dso__synthesize_plt_symbols) names the .plt stubs after the .rela.plt
 * relocations in file order (IRELATIVE ones, without a symbol, give "@plt"), each
 * .plt's sh_entsize long after a header of that size, and knows no other stubs (.plt
 * header, .plt.got, .plt.sec: no symbol). flamekit's symbolizer names the stubs as later
 * perf versions do; this puts perf 6.1's names back on them. */
struct plt_names {
	char *path;            /* the module */
	uint64_t start, entry; /* the first stub after the header; the stub size */
	char **names;          /* "name@plt", by relocation */
	size_t count;
	uint64_t sections[3][2]; /* [start, end) of .plt, .plt.got, .plt.sec */
	/* the symbols of size 0 that perf 6.1 stretches to the next symbol before it adds
	 * the stubs, and so cover what no stub symbol does (the .plt header, .plt.got,
	 * .plt.sec): usually _init */
	struct stretched {
		uint64_t start, end;
		char *name;
	} *stretched;
	size_t nstretched;
};

struct sym_start {
	uint64_t start, size;
	const char *name;
};

static int sym_start_cmp(const void *a, const void *b)
{
	const struct sym_start *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The function symbols of .symtab: those of size 0 that end where the next one starts
 * and reach into a stub section are kept in pn->stretched. False if elf has no .symtab. */
static bool plt_stretched(struct plt_names *pn, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(elf, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data || !sh.sh_entsize)
		return false;
	size_t n = sh.sh_size / sh.sh_entsize, count = 0;
	struct sym_start *syms = fk_xmalloc((n + 1) * sizeof(*syms));
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value ||
		    (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (name)
			syms[count++] = (struct sym_start){sym.st_value, sym.st_size, name};
	}
	qsort(syms, count, sizeof(*syms), sym_start_cmp);
	for (size_t i = 0; i < count; i++) {
		if (syms[i].size)
			continue;
		uint64_t end = syms[i].start;
		for (size_t k = i + 1; k < count && end == syms[i].start; k++)
			end = syms[k].start;
		bool reaches = false;
		for (int t = 0; t < 3; t++)
			reaches |= pn->sections[t][1] > syms[i].start && pn->sections[t][0] < end;
		if (!reaches)
			continue;
		pn->stretched = realloc(pn->stretched, (pn->nstretched + 1) * sizeof(*pn->stretched));
		if (!pn->stretched)
			abort();
		pn->stretched[pn->nstretched++] = (struct stretched){syms[i].start, end,
								    fk_xstrdup(syms[i].name)};
	}
	free(syms);
	return true;
}

static void plt_load(struct plt_names *pn, const char *file, bool demangle)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	Elf_Scn *scn = NULL, *rel = NULL;
	GElf_Shdr plt = {0}, relsh = {0};
	bool have_plt = false;
	static const char *const names[3] = {".plt", ".plt.got", ".plt.sec"};
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n)
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(n, names[i]) == 0) {
				pn->sections[i][0] = sh.sh_addr;
				pn->sections[i][1] = sh.sh_addr + sh.sh_size;
			}
		if (strcmp(n, ".plt") == 0) {
			plt = sh;
			have_plt = true;
		}
		if (!rel && (strcmp(n, ".rela.plt") == 0 || strcmp(n, ".rel.plt") == 0)) {
			rel = scn;
			relsh = sh;
		}
	}
	if (!plt_stretched(pn, elf)) {
		/* no .symtab here: perf takes the symbols from the separate debug file */
		char id[41], debug[128];
		if (file_build_id(file, id, sizeof(id))) {
			snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
			int dfd = open(debug, O_RDONLY | O_CLOEXEC);
			Elf *delf = dfd >= 0 ? elf_begin(dfd, ELF_C_READ_MMAP, NULL) : NULL;
			if (delf) {
				plt_stretched(pn, delf);
				elf_end(delf);
			}
			if (dfd >= 0)
				close(dfd);
		}
	}
	if (!have_plt || !rel || !plt.sh_entsize || !relsh.sh_entsize)
		goto out;
	Elf_Scn *symscn = elf_getscn(elf, relsh.sh_link);
	GElf_Shdr symsh;
	if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM)
		goto out;
	Elf_Data *syms = elf_getdata(symscn, NULL), *rels = elf_getdata(rel, NULL);
	if (!syms || !rels)
		goto out;
	size_t n = relsh.sh_size / relsh.sh_entsize;
	pn->names = fk_xcalloc(n + 1, sizeof(char *));
	pn->entry = plt.sh_entsize;
	/* perf puts the stubs at the section's file offset plus the header; its addresses
	 * are file offsets in executables (ET_EXEC) and ELF addresses otherwise */
	GElf_Ehdr eh;
	bool exec = gelf_getehdr(elf, &eh) && eh.e_type == ET_EXEC;
	pn->start = (exec ? plt.sh_addr : plt.sh_offset) + plt.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		uint64_t info;
		if (relsh.sh_type == SHT_RELA) {
			GElf_Rela ra;
			if (!gelf_getrela(rels, (int)i, &ra))
				break;
			info = ra.r_info;
		} else {
			GElf_Rel rl;
			if (!gelf_getrel(rels, (int)i, &rl))
				break;
			info = rl.r_info;
		}
		GElf_Sym sym;
		const char *name = "";
		if (gelf_getsym(syms, (int)GELF_R_SYM(info), &sym)) {
			const char *sn = elf_strptr(elf, symsh.sh_link, sym.st_name);
			if (sn)
				name = sn;
		}
		char *demangled = demangle ? cplus_demangle(name, DMGL_NO_OPTS) : NULL;
		size_t len = strlen(demangled ? demangled : name);
		pn->names[i] = fk_xmalloc(len + 5);
		memcpy(pn->names[i], demangled ? demangled : name, len);
		memcpy(pn->names[i] + len, "@plt", 5);
		free(demangled);
		pn->count = i + 1;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

struct plt_state {
	struct plt_names *modules;
	size_t count, cap;
	fk_u64map demangled; /* a symbol table's name (by address) -> its demangled name */
	const struct pd_reader *reader; /* its from_paths/from_files: binaries read from
					 * other files (build ids) */
	bool demangle;
};

static void plt_rename_stub(struct plt_state *ps, fk_symbol *sym);

/* C++ names as perf 6.1 shows them: demangled by libiberty without options (no
 * parameter list, no return type; perf adds them only with -v). */
static void demangle_name(struct plt_state *ps, fk_symbol *sym)
{
	if (!ps->demangle || !sym->name || sym->name[0] != '_' || sym->name[1] != 'Z')
		return;
	uint64_t key = (uint64_t)(uintptr_t)sym->name;
	char *d = fk_u64map_get(&ps->demangled, key);
	if (!d) {
		d = cplus_demangle(sym->name, DMGL_NO_OPTS);
		if (!d)
			d = fk_xstrdup(sym->name);
		fk_u64map_put(&ps->demangled, key, d);
	}
	sym->name = d;
}

static void plt_rename(fk_symbol *sym, void *ctx)
{
	struct plt_state *ps = ctx;
	if (!sym->name || sym->module[0] != '/')
		return;
	plt_rename_stub(ps, sym);
	demangle_name(ps, sym);
}

static void plt_rename_stub(struct plt_state *ps, fk_symbol *sym)
{
	size_t len = strlen(sym->name);
	if (!(len >= 4 && strcmp(sym->name + len - 4, "@plt") == 0) && strcmp(sym->name, ".plt") != 0)
		return;
	struct plt_names *pn = NULL;
	for (size_t i = 0; i < ps->count && !pn; i++)
		if (strcmp(ps->modules[i].path, sym->module) == 0)
			pn = &ps->modules[i];
	if (!pn) {
		fk_grow((void **)&ps->modules, sizeof(*ps->modules), &ps->cap, ps->count + 1);
		pn = &ps->modules[ps->count++];
		memset(pn, 0, sizeof(*pn));
		pn->path = fk_xstrdup(sym->module);
		const char *file = sym->module;
		for (size_t i = 0; i < ps->reader->nfrom; i++)
			if (strcmp(ps->reader->from_paths[i], sym->module) == 0)
				file = ps->reader->from_files[i];
		plt_load(pn, file, ps->demangle);
	}
	uint64_t a = sym->file_addr;
	bool in_stubs = false;
	for (int i = 0; i < 3; i++)
		in_stubs |= a >= pn->sections[i][0] && a < pn->sections[i][1];
	if (!in_stubs)
		return; /* named by the symbol table, as perf does */
	if (pn->entry && a >= pn->start && (a - pn->start) / pn->entry < pn->count) {
		uint64_t i = (a - pn->start) / pn->entry;
		sym->name = pn->names[i];
		sym->offset = a - (pn->start + i * pn->entry);
	} else {
		sym->name = NULL;
		sym->offset = 0;
		for (size_t i = 0; i < pn->nstretched; i++)
			if (a >= pn->stretched[i].start && a < pn->stretched[i].end) {
				sym->name = pn->stretched[i].name;
				sym->offset = a - pn->stretched[i].start;
			}
	}
}

static void plt_state_free(struct plt_state *ps)
{
	for (size_t i = 0; ps->demangled.mask && i <= ps->demangled.mask; i++)
		free(ps->demangled.values[i]);
	fk_u64map_free(&ps->demangled);
	for (size_t i = 0; i < ps->count; i++) {
		for (size_t k = 0; k < ps->modules[i].count; k++)
			free(ps->modules[i].names[k]);
		free(ps->modules[i].names);
		free(ps->modules[i].path);
		for (size_t k = 0; k < ps->modules[i].nstretched; k++)
			free(ps->modules[i].stretched[k].name);
		free(ps->modules[i].stretched);
	}
	free(ps->modules);
}

/* ---- the event filter (perf_script.c's, on the events rather than their text) ---- */

static double sample_count(const fk_record *rec, void *ctx)
{
	struct pd_reader *r = ctx;
	const struct pd_event *e = &r->events[rec->event];
	if (e->matchable) {
		if (!r->filter) {
			r->filter = e->name;
		} else if (strcmp(r->filter, e->name) != 0) {
			r->filtered++;
			return 0;
		}
	}
	r->kept++;
	/* perf script prints the period on the event's line for PERF_SAMPLE_PERIOD; none
	 * (or 0) counts 1 */
	if (e->matchable && (e->dec.sample_type & PERF_SAMPLE_PERIOD) && rec->period)
		return (double)rec->period;
	return 1;
}

/* ---- the data section ---- */

static const char *record_name(uint32_t type)
{
	switch (type) {
	case PERF_RECORD_SAMPLE:
		return "SAMPLE";
	case PERF_RECORD_MMAP:
		return "MMAP";
	case PERF_RECORD_MMAP2:
		return "MMAP2";
	case PERF_RECORD_COMM:
		return "COMM";
	case PERF_RECORD_FORK:
		return "FORK";
	case PERF_RECORD_EXIT:
		return "EXIT";
	case PERF_RECORD_LOST:
		return "LOST";
	case PERF_RECORD_LOST_SAMPLES:
		return "LOST_SAMPLES";
	default:
		return "record";
	}
}

/* Pipe mode: a HEADER_ATTR record at pos: the attribute (its own size field says how
 * long), then its ids. Added once (the first pass over the attribute records, before the
 * recorder is made, and read_records meet it both). False if it is malformed. */
static bool pipe_attr(struct pd_reader *r, uint64_t pos, uint16_t size)
{
	if (pos < r->attrs_seen_to)
		return true;
	const unsigned char *p = r->d + pos;
	uint32_t asize = size >= 16 ? rd32(p + 12) : 0;
	if (asize == 0)
		asize = ATTR_MIN;
	if (size < 16 || asize > (uint32_t)size - 8)
		return false;
	add_event(r, p + 8, asize, p + 8 + asize, ((uint64_t)size - 8 - asize) / 8);
	index_events(r);
	r->attrs_seen_to = pos + size;
	return true;
}

/* Pipe mode: the attribute records at the start of the stream, to know the call graph
 * mode before the recorder is made. Stops at the first other record (or a bad one,
 * which read_records reports). */
static void pipe_attrs(struct pd_reader *r)
{
	uint64_t pos = r->data_off, end = r->data_off + r->data_size;
	while (end - pos >= 8) {
		uint32_t type = rd32(r->d + pos);
		uint16_t size;
		memcpy(&size, r->d + pos + 6, 2);
		if (size < 8 || size > end - pos || type < 64 || type == REC_TRACING_DATA ||
		    type == REC_AUXTRACE)
			return;
		if (type == REC_HEADER_ATTR && !pipe_attr(r, pos, size))
			return;
		pos += size;
	}
}

/* A copy of a record at an 8-byte aligned address (the decoder hands out pointers to its
 * 64-bit fields), valid until the reader is freed. */
static const unsigned char *aligned_copy(struct pd_reader *r, const unsigned char *p, uint16_t size)
{
	enum { BLOCK = 1 << 20 };
	if (!r->copies_n || r->copy_used + size > BLOCK) {
		fk_grow((void **)&r->copies, sizeof(*r->copies), &r->copies_cap, r->copies_n + 1);
		r->copies[r->copies_n++] = fk_xmalloc(BLOCK); /* malloc: aligned for uint64_t */
		r->copy_used = 0;
	}
	unsigned char *at = r->copies[r->copies_n - 1] + r->copy_used;
	memcpy(at, p, size);
	r->copy_used += ((size_t)size + 7) & ~(size_t)7;
	return at;
}

static int read_records(struct pd_reader *r, fk_recorder *rec, uint64_t *lost)
{
	const char *name = r->in->name;
	uint64_t pos = r->data_off, end = r->data_off + r->data_size;
	uint64_t index = 0;
	while (pos < end) {
		if (end - pos < 8)
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": record %" PRIu64
						    ": truncated record header (%" PRIu64
						    " bytes left in the data section)",
					    name, pos, index, end - pos);
		const unsigned char *p = r->d + pos;
		uint32_t type = rd32(p);
		uint16_t size;
		memcpy(&size, p + 6, 2);
		if (size < 8)
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": record %" PRIu64
						    " (type %" PRIu32 ") has size %u, less than its header",
					    name, pos, index, type, size);
		if (size > end - pos)
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": record %" PRIu64
						    " (type %" PRIu32 ", %u bytes) runs past the end of the "
						    "data section (%" PRIu64 " bytes left)",
					    name, pos, index, type, size, end - pos);
		uint64_t next = pos + size;
		if (type < 64 && r->nevents == 0)
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": record %" PRIu64
						    " (type %" PRIu32 ") comes before any event attribute",
					    name, pos, index, type);
		if (type == REC_HEADER_ATTR && r->pipe) {
			if (!pipe_attr(r, pos, size))
				return fk_error_set(r->err, "%s: offset %" PRIu64 ": attribute record of %u "
							    "bytes is too short for its attribute",
						    name, pos, size);
		} else if (type == REC_EVENT_UPDATE && r->pipe && size >= 24) {
			if (rd64(p + 8) == 1 /* PERF_EVENT_UPDATE__NAME */) {
				uint64_t id = rd64(p + 16);
				const char *s = (const char *)p + 24;
				size_t n = strnlen(s, (size_t)size - 24);
				for (size_t i = 0; i < r->nids; i++)
					if (r->ids[i] == id && n > 0 && n < sizeof(r->events[0].name)) {
						memcpy(r->events[r->id_event[i]].name, s, n);
						r->events[r->id_event[i]].name[n] = '\0';
					}
			}
		} else if (type == REC_HEADER_FEATURE && r->pipe && size >= 16) {
			uint64_t feat = rd64(p + 8);
			if (feat < FEAT_BITS) {
				r->feat_sections[feat][0] = pos + 16;
				r->feat_sections[feat][1] = size - 16;
				if (feat == FEAT_EVENT_DESC && parse_event_desc(r) < 0)
					return -1;
				if (feat == FEAT_CLOCK_DATA)
					parse_clock_data(r);
			}
		} else if (type == REC_HEADER_BUILD_ID && r->pipe) {
			use_build_ids(r, rec, pos, next);
		} else if (type == REC_TRACING_DATA && r->pipe) {
			/* its data follows the record */
			uint64_t data = size >= 12 ? (rd32(p + 8) + 7ull) & ~7ull : 0;
			if (data > end - next)
				return fk_error_set(r->err, "%s: offset %" PRIu64 ": TRACING_DATA record's %" PRIu64
							    " bytes of data run past the end of the data section",
						    name, pos, data);
			next += data;
		} else if (type == REC_FINISHED_ROUND) {
			fk_recorder_flush(rec, false);
		} else if (type == REC_AUXTRACE) {
			/* its trace data follows the record */
			uint64_t aux = size >= 16 ? rd64(p + 8) : 0;
			if (aux > end - next)
				return fk_error_set(r->err, "%s: offset %" PRIu64 ": AUXTRACE record's %" PRIu64
							    " bytes of data run past the end of the data section",
						    name, pos, aux);
			next += aux;
		} else if (type == REC_COMPRESSED) {
			return fk_error_set(r->err, "%s: offset %" PRIu64 ": compressed records (perf record "
						    "-z): unsupported; record without -z, or use perf script",
					    name, pos);
		} else if (type < 64) {
			fk_record d;
			if ((uintptr_t)p % 8) /* a record after one of an odd size (pipe mode) */
				p = aligned_copy(r, p, size);
			if (fk_record_decode(&r->decoder, p, size, &d)) {
				if (d.type == FK_REC_LOST)
					*lost += d.lost;
				fk_recorder_queue(rec, &r->decoder, p, size, d.time);
			} else if (d.type) {
				return fk_error_set(r->err, "%s: offset %" PRIu64 ": record %" PRIu64
							    " (%s, %u bytes) is malformed: its fields do not "
							    "fit its size",
						    name, pos, index, record_name(type), size);
			}
		}
		pos = next;
		index++;
	}
	return 0;
}

static void reader_free(struct pd_reader *r)
{
	for (size_t i = 0; i < r->copies_n; i++)
		free(r->copies[i]);
	free(r->copies);
	for (size_t i = 0; i < r->nfrom; i++) {
		free(r->from_paths[i]);
		free(r->from_files[i]);
	}
	free(r->from_paths);
	free(r->from_files);
	free(r->events);
	free(r->ids);
	free(r->id_event);
	free(r->dec);
}

int fk_perf_data_read(const fk_whole_input *in, const fk_load_options *options, fk_profile *profile,
		      fk_diag *diag, fk_load_stats *stats, fk_error *err)
{
	struct pd_reader r;
	memset(&r, 0, sizeof(r));
	r.in = in;
	r.d = in->data;
	r.len = in->len;
	r.err = err;
	int rc = parse_header(&r);
	if (rc == 0)
		rc = parse_event_desc(&r);
	if (rc < 0) {
		reader_free(&r);
		return -1;
	}
	parse_clock_data(&r);
	if (r.pipe)
		pipe_attrs(&r);
	if (options && options->perf.event_filter && options->perf.event_filter[0]) {
		r.filter = options->perf.event_filter;
		r.filter_given = true;
	}
	/* the call graph mode, from the attributes: dwarf when the user stack is copied */
	fk_callgraph cg = FK_CALLGRAPH_NONE;
	for (size_t i = 0; i < r.nevents; i++) {
		uint64_t st = r.events[i].dec.sample_type;
		if ((st & PERF_SAMPLE_STACK_USER) && (st & PERF_SAMPLE_REGS_USER))
			cg = FK_CALLGRAPH_DWARF;
		else if ((st & PERF_SAMPLE_CALLCHAIN) && cg == FK_CALLGRAPH_NONE)
			cg = FK_CALLGRAPH_FP;
	}
	fk_perf_options naming = options ? options->perf : (fk_perf_options){0};
	naming.event_filter = NULL; /* applied here, on the events */
	fk_inliner *inliner = naming.show_inline ? fk_inliner_new(naming.show_context) : NULL;
	fk_recorder_options ro = {0};
	ro.naming = naming;
	ro.callgraph = cg;
	ro.count_period = true;
	ro.demangle = false; /* done by the symbol hook, as perf 6.1 does it */
	ro.off_cpu_event = -1;
	ro.from_file = true;
	ro.sample_count = sample_count;
	ro.sample_count_ctx = &r;
	fk_inliner *unwind_inliner = cg == FK_CALLGRAPH_DWARF ? fk_inliner_new(false) : NULL;
	ro.unwind_inliner = unwind_inliner;
	/* stacks are folded as the rounds end: into a profile of our own, handed over only
	 * when the whole file has been read */
	fk_profile *own = fk_profile_new();
	fk_recorder *rec = fk_recorder_new(&ro, own, inliner);
	use_build_ids(&r, rec, r.feat_sections[FEAT_BUILD_ID][0],
		      r.feat_sections[FEAT_BUILD_ID][0] + r.feat_sections[FEAT_BUILD_ID][1]);
	struct plt_state plt = {NULL, 0, 0, {0}, &r, !(options && options->no_demangle)};
	fk_recorder_set_symbol_hook(rec, plt_rename, &plt);
	uint64_t lost = 0;
	rc = read_records(&r, rec, &lost);
	if (rc == 0)
		fk_recorder_flush(rec, true);
	const fk_recorder_stats *st = fk_recorder_stats_get(rec);
	if (rc == 0 && r.truncated)
		fk_diag_add(diag, in->file, 0, "%s: the data size in the header is 0 (perf record did "
					      "not finish?): reading the records up to the end of the file",
			    in->name);
	if (rc == 0) {
		fk_profile_meta m = {0};
		snprintf(m.sample_type, sizeof(m.sample_type), "samples");
		snprintf(m.unit, sizeof(m.unit), "count");
		const struct pd_event *e = NULL;
		for (size_t i = 0; i < r.nevents && !e; i++)
			if (r.filter && strcmp(r.events[i].name, r.filter) == 0)
				e = &r.events[i];
		static const struct pd_event none = {.name = "none"};
		if (!e)
			e = r.nevents ? &r.events[0] : &none;
		bool freq = (e->flags >> 10) & 1;
		bool clock = e->type == PERF_TYPE_SOFTWARE &&
			     (e->config == PERF_COUNT_SW_CPU_CLOCK || e->config == PERF_COUNT_SW_TASK_CLOCK);
		/* counts are sums of periods (as perf script | collapse adds them): CPU time
		 * in nanoseconds for the clock events, else events */
		if (clock) {
			snprintf(m.sample_type, sizeof(m.sample_type), "cpu");
			snprintf(m.unit, sizeof(m.unit), "nanoseconds");
			snprintf(m.period_type, sizeof(m.period_type), "cpu");
			snprintf(m.period_unit, sizeof(m.period_unit), "nanoseconds");
			m.period = freq ? (e->sample_period ? (int64_t)(1000000000 / e->sample_period) : 0)
					: (int64_t)e->sample_period;
		} else {
			snprintf(m.sample_type, sizeof(m.sample_type), "%.31s", e->name);
			snprintf(m.period_type, sizeof(m.period_type), "%.31s", e->name);
			snprintf(m.period_unit, sizeof(m.period_unit), "count");
			m.period = freq ? 0 : (int64_t)e->sample_period;
		}
		if (st->last_time > st->first_time)
			m.duration_ns = (int64_t)(st->last_time - st->first_time);
		if (r.clock_wall_ns && st->first_time >= r.clock_ref_ns)
			m.time_ns = (int64_t)(r.clock_wall_ns + (st->first_time - r.clock_ref_ns));
		else if (r.clock_wall_ns)
			m.time_ns = (int64_t)(r.clock_wall_ns - (r.clock_ref_ns - st->first_time));
		fk_profile_merge(profile, own);
		fk_profile_set_meta(profile, &m);
		if (lost)
			fk_diag_add(diag, in->file, 0, "%s: the kernel lost %" PRIu64
							" samples while recording (LOST records)",
				    in->name, lost);
		if (stats) {
			stats->samples += r.kept;
			stats->filtered += r.filtered;
			stats->lost += lost;
			if (r.filter && !stats->event[0]) {
				snprintf(stats->event, sizeof(stats->event), "%s", r.filter);
				stats->event_defaulted = !r.filter_given;
			}
		}
	}
	fk_recorder_free(rec);
	fk_profile_free(own);
	plt_state_free(&plt);
	if (inliner)
		fk_inliner_free(inliner);
	if (unwind_inliner)
		fk_inliner_free(unwind_inliner);
	reader_free(&r);
	return rc;
}
