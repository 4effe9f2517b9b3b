/* flamegraph.h: draws a profile as an interactive SVG flame graph with the frames,
 * geometry, colors and labels flamegraph.pl draws for the same folded stacks (see
 * README.md, `flamekit flamegraph`). A two-valued profile (fk_profile_has_before) makes a
 * differential graph: widths from the "after" counts (node->self), colors from the change
 * (self - self_before). Output is deterministic: the same profile and options give the
 * same bytes.
 *
 * Typical use:
 *     fk_flamegraph_options o;
 *     fk_flamegraph_options_init(&o);
 *     o.title = "CPU";
 *     int rc = fk_flamegraph_write(profile, &o, out, &err);
 *     // rc: 0 drawn, FK_FLAMEGRAPH_EMPTY no counts (error SVG drawn), -1 err set
 */
#ifndef FK_FLAMEGRAPH_H
#define FK_FLAMEGRAPH_H

#include "../stack/profile.h"
#include "palette.h"

typedef struct fk_flamegraph_options {
	/* text */
	const char *title;      /* NULL or "": "Flame Graph" ("Icicle Graph", "Flame Chart") */
	const char *subtitle;   /* NULL or "": none */
	const char *notes;      /* put in an XML comment; may not contain < or > */
	const char *count_name; /* "samples" */
	const char *name_type;  /* "Function:" */
	const char *encoding;   /* XML declaration's encoding=, or NULL */
	/* geometry */
	unsigned width;         /* image width in pixels (1200) */
	double frame_height;    /* pixels per frame (16) */
	double font_size;       /* 12 */
	double font_width;      /* average character width relative to font_size (0.59) */
	const char *font_type;  /* "Verdana" */
	double min_width;       /* frames narrower than this are omitted (0.1) ... */
	bool min_width_percent; /* ... pixels, or percent of the total if true */
	/* colors */
	fk_palette palette;       /* FK_PALETTE_HOT */
	const char *bgcolors;     /* NULL: by palette; yellow, blue, green, grey or #rrggbb */
	bool hash;                /* shades from a hash of the name (--hash) */
	bool random;              /* random shades (--random), from random_seed */
	uint32_t random_seed;     /* 0 by default: --random is reproducible too */
	const char *palette_map;  /* --cp: file to read colors from and add new ones to, or NULL */
	const char *search_color; /* "rgb(230,0,230)", for the viewer */
	/* layout */
	bool reverse;    /* stacks leaf first */
	bool inverted;   /* icicle graph: root at the top */
	bool flamechart; /* stacks in input order, only neighbours merge (needs a profile that
			  * kept its order, fk_load_options.keep_order; else sorted) */
	bool negate;     /* differential: swap red and blue (and the sign of the change shown) */
	double total;    /* draw as if the counts summed to this (--total; 0: their sum) */
	double factor;   /* multiply the counts shown in tooltips (1) */
	const char *nameattr; /* --nameattr file, or NULL */
	/* stack filters, applied to the stacks as given (before reverse) */
	const char *const *bases; /* keep stacks containing one of these frames, rooted there */
	size_t nbases;
	const char *focus;  /* POSIX extended regex: keep stacks with a frame matching */
	const char *ignore; /* POSIX extended regex: drop stacks with a frame matching */
} fk_flamegraph_options;

/* flamegraph.pl's defaults. */
void fk_flamegraph_options_init(fk_flamegraph_options *o);
/* Checks values a user typed (regexes, notes, bgcolors, numbers). Returns 0, or -1 with
 * err saying what is wrong. fk_flamegraph_write checks too. */
int fk_flamegraph_check_options(const fk_flamegraph_options *o, fk_error *err);

enum {
	FK_FLAMEGRAPH_ERROR = -1,
	FK_FLAMEGRAPH_OK = 0,
	FK_FLAMEGRAPH_EMPTY = 1, /* no counts: the error SVG was written (flamegraph.pl exits 2) */
};

typedef struct fk_flamegraph_stats {
	double total;        /* sum of the counts (the "after" counts of a comparison) */
	bool total_ignored;  /* o->total was below the real total, so it was not used */
	size_t frames;       /* frames drawn */
	size_t depth;        /* deepest frame drawn (root = 0) */
} fk_flamegraph_stats;

/* Writes the SVG to out (buffered). Returns FK_FLAMEGRAPH_OK, FK_FLAMEGRAPH_EMPTY, or
 * FK_FLAMEGRAPH_ERROR with err set (bad options, unreadable --nameattr/--cp file, write
 * failure; out may then hold part of the SVG). p is not changed. */
int fk_flamegraph_write(const fk_profile *p, const fk_flamegraph_options *o, FILE *out,
			fk_error *err);
/* The same, also reporting what was drawn (stats may be NULL). */
int fk_flamegraph_write_stats(const fk_profile *p, const fk_flamegraph_options *o, FILE *out,
			      fk_flamegraph_stats *stats, fk_error *err);

#endif
