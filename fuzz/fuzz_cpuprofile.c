/* fuzz_cpuprofile.c: libFuzzer target for the .cpuprofile reader (src/input/cpuprofile.c).
 * An input that reads must write as speedscope (and as folded, to /dev/null) and read
 * back through the speedscope reader as the same stacks; one that does not read must
 * leave the profile empty. Differences abort, as a crash would. */
#define _GNU_SOURCE /* memmem, open_memstream */
#include "fuzz_common.h"

#include "../src/input/cpuprofile.h"
#include "../src/input/format.h"
#include "fuzz_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fk_detect_input_format(data, size);
	fz_json_round_trip(fk_cpuprofile_read, data, size);
	return 0;
}
