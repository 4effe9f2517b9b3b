/* py_offsets_table: prints the offsets table's entry for CPython 3.MINOR (argv[1]) as
 * "name value" lines (fk_py_offsets_print), for t/t0060-python.sh to compare with what
 * tests/python/py_offsets_probe.c, compiled against that version's headers, prints. */
#include <stdio.h>
#include <stdlib.h>

#include "../../src/symbol/python_offsets.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: py_offsets_table MINOR\n");
		return 2;
	}
	char *end;
	long minor = strtol(argv[1], &end, 10);
	const fk_py_offsets *o = *end || minor < 0 || minor > 1000 ? NULL : fk_py_offsets_table((int)minor);
	if (!o) {
		fprintf(stderr, "py_offsets_table: no entry for 3.%s\n", argv[1]);
		return 1;
	}
	fk_py_offsets_print(o, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
