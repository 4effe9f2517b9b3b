/* output_format.h: the formats flamekit writes, chosen by name (--to) or by the output
 * file's name (-o x.svg, x.pb.gz, x.speedscope.json), and one call that writes a profile
 * in any of them. */
#ifndef FK_OUTPUT_FORMAT_H
#define FK_OUTPUT_FORMAT_H

#include "flamegraph.h"

typedef enum {
	FK_OUT_FOLDED,     /* folded stacks (the default) */
	FK_OUT_SVG,        /* flame graph */
	FK_OUT_PPROF,      /* profile.proto, gzipped */
	FK_OUT_PPROF_RAW,  /* profile.proto, not compressed (-o x.pb) */
	FK_OUT_SPEEDSCOPE, /* speedscope's JSON file format */
	FK_OUT_UNKNOWN,
} fk_output_format;

/* "folded", "svg", "pprof", "speedscope" -> format; FK_OUT_UNKNOWN otherwise. */
fk_output_format fk_output_format_from_name(const char *name);
/* By the file name's ending: .svg; .pb.gz, .pprof, .pprof.gz (pprof, gzipped); .pb
 * (pprof, raw); .speedscope.json, .json (speedscope); anything else folded. */
fk_output_format fk_output_format_from_path(const char *path);

typedef struct fk_output_options {
	fk_output_format format;
	const fk_flamegraph_options *flamegraph; /* FK_OUT_SVG */
	const char *name; /* the profile's name (speedscope shows it); NULL: "flamekit" */
} fk_output_options;

/* Writes p to out in o->format. Returns 0 or -1 with err. */
int fk_write_profile(const fk_profile *p, const fk_output_options *o, FILE *out, fk_error *err);

#endif
