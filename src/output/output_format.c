/* output_format.c: choosing an output format, and writing a profile in it. */
#include "output_format.h"

#include "folded.h"
#include "pprof.h"
#include "speedscope.h"

fk_output_format fk_output_format_from_name(const char *name)
{
	if (strcmp(name, "folded") == 0)
		return FK_OUT_FOLDED;
	if (strcmp(name, "svg") == 0)
		return FK_OUT_SVG;
	if (strcmp(name, "pprof") == 0)
		return FK_OUT_PPROF;
	if (strcmp(name, "speedscope") == 0)
		return FK_OUT_SPEEDSCOPE;
	return FK_OUT_UNKNOWN;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

fk_output_format fk_output_format_from_path(const char *path)
{
	if (ends_with(path, ".svg"))
		return FK_OUT_SVG;
	if (ends_with(path, ".pb.gz") || ends_with(path, ".pprof") || ends_with(path, ".pprof.gz"))
		return FK_OUT_PPROF;
	if (ends_with(path, ".pb"))
		return FK_OUT_PPROF_RAW;
	if (ends_with(path, ".json"))
		return FK_OUT_SPEEDSCOPE;
	return FK_OUT_FOLDED;
}

int fk_write_profile(const fk_profile *p, const fk_output_options *o, FILE *out, fk_error *err)
{
	switch (o->format) {
	case FK_OUT_FOLDED:
		return fk_write_folded(p, out, err) < 0 ? -1 : 0;
	case FK_OUT_SVG:
		return fk_flamegraph_write(p, o->flamegraph, out, err) == FK_FLAMEGRAPH_ERROR ? -1 : 0;
	case FK_OUT_PPROF:
	case FK_OUT_PPROF_RAW:
		return fk_write_pprof(p, o->format == FK_OUT_PPROF, out, err);
	case FK_OUT_SPEEDSCOPE:
		return fk_write_speedscope(p, o->name ? o->name : "flamekit", out, err);
	default:
		fk_error_set(err, "unknown output format");
		return -1;
	}
}
