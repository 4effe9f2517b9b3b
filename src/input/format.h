/* format.h: the formats flamekit reads, and detection of a format from the first bytes of
 * an input (after gunzipping): magic bytes, protobuf framing, JSON shape, else the text
 * formats' own line rules. */
#ifndef FK_FORMAT_H
#define FK_FORMAT_H

#include "../util/common.h"

typedef enum {
	FK_FORMAT_AUTO = 0,
	FK_FORMAT_PERF,   /* perf script text */
	FK_FORMAT_DTRACE, /* DTrace aggregation output (stackcollapse.pl) */
	FK_FORMAT_FOLDED, /* folded stacks */
	/* formats read whole (binary or JSON), not line by line */
	FK_FORMAT_PERF_DATA,  /* perf record's file ("PERFILE2") */
	FK_FORMAT_PPROF,      /* profile.proto (gzipped or not) */
	FK_FORMAT_SPEEDSCOPE, /* speedscope's file format (JSON) */
	FK_FORMAT_CPUPROFILE, /* Chrome / Node .cpuprofile (JSON) */
	FK_FORMAT_UNKNOWN,
} fk_format;

/* "auto", "perf", "dtrace", "folded", "perf-data", "pprof", "speedscope", "cpuprofile"
 * -> format; FK_FORMAT_UNKNOWN for anything else. */
fk_format fk_format_from_name(const char *name);
const char *fk_format_name(fk_format f);

/* Guesses the format of text (the start of an input, whole lines). Empty or blank text is
 * FK_FORMAT_FOLDED (it folds to nothing); text no parser recognizes, FK_FORMAT_UNKNOWN. */
fk_format fk_detect_format(const char *text, size_t len);

/* Guesses the format of any input from its first bytes (up to the whole input): the
 * binary and JSON formats by content, else fk_detect_format on the whole lines. */
fk_format fk_detect_input_format(const unsigned char *data, size_t len);

/* Reads a protobuf varint at data[*pos..len), advancing *pos. False if it runs past len
 * or over 10 bytes. */
bool fk_read_varint(const unsigned char *data, size_t len, size_t *pos, uint64_t *out);

/* True for the formats read whole rather than line by line. */
bool fk_format_is_whole(fk_format f);

#endif
