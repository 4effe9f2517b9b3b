/* fuzz_perf_data.c: libFuzzer target for the perf.data reader (fk_perf_data_read in
 * src/input/perf_data.c, with the record decoder of src/sample/perf_event.c and the
 * recorder it feeds). Any bytes must be read or refused with a message naming the file
 * and an offset, never crash, hang or allocate without bound; a refused input adds
 * nothing to the profile. Read profiles are written as folded text to /dev/null. The
 * seeds (fuzz/corpus/perf_data/) are small files recorded by perf record on x86-64. */
#include "fuzz_common.h"

#include "../src/input/perf_data.h"

#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Kernel symbols are read from perf's build-id cache: point it (PERF_BUILDID_DIR) at a
 * directory holding a three-line kallsyms for this machine's kernel (whose build id the
 * seeds carry), so that a run does not parse the whole of /proc/kallsyms. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsigned char notes[4096];
	FILE *f = fopen("/sys/kernel/notes", "rb");
	size_t n = f ? fread(notes, 1, sizeof(notes), f) : 0;
	if (f)
		fclose(f);
	char id[41] = "";
	for (size_t off = 0; off + 12 <= n;) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, notes + off, 4);
		memcpy(&descsz, notes + off + 4, 4);
		memcpy(&type, notes + off + 8, 4);
		size_t name_at = off + 12, desc_at = name_at + ((namesz + 3) & ~3u);
		if (desc_at + descsz > n)
			break;
		if (type == 3 && namesz == 4 && memcmp(notes + name_at, "GNU", 4) == 0 && descsz <= 20) {
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(id + 2 * i, 3, "%02x", notes[desc_at + i]);
			break;
		}
		off = desc_at + ((descsz + 3) & ~3u);
	}
	char dir[] = "/tmp/flamekit-fuzz-buildid-XXXXXX";
	if (!mkdtemp(dir))
		return 0;
	setenv("PERF_BUILDID_DIR", dir, 1);
	if (!id[0])
		return 0;
	char path[256];
	snprintf(path, sizeof(path), "%s/[kernel.kallsyms]", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/[kernel.kallsyms]/%s", dir, id);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/[kernel.kallsyms]/%s/kallsyms", dir, id);
	f = fopen(path, "w");
	if (f) {
		fputs("ffffffff81000000 T _text\nffffffff81200000 T schedule\n"
		      "ffffffff82000000 T __schedule\n", f);
		fclose(f);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exactly sized copy, so reading past the end is caught */
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	for (int pass = 0; pass < 2; pass++) {
		fk_profile *p = fk_profile_new();
		fk_load_options o;
		memset(&o, 0, sizeof(o));
		o.perf.include_tid = pass == 1;
		o.perf.annotate_kernel = pass == 1;
		fk_diag diag;
		fk_diag_init(&diag);
		fk_load_stats stats;
		memset(&stats, 0, sizeof(stats));
		fk_error err = {{0}};
		fk_whole_input in = {.name = "fuzz.data", .data = copy, .len = size};
		int rc = fk_perf_data_read(&in, &o, p, &diag, &stats, &err);
		if (rc != 0) {
			if (!strstr(err.msg, "fuzz.data"))
				abort(); /* every error names the file */
			if (fk_profile_stack_count(p) != 0)
				abort(); /* a refused input adds nothing */
		} else {
			fz_write_devnull(p);
		}
		fk_diag_free(&diag);
		fk_profile_free(p);
		if (rc != 0)
			break;
	}
	free(copy);
	return 0;
}
