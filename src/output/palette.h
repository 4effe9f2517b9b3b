/* palette.h: frame colors as flamegraph.pl picks them — the palettes (hot, mem, io, the
 * language palettes that classify frame names, the flat ones), its three ways to choose
 * the shade (seeded per name, --hash, --random), the red/blue scale of differential
 * graphs, the background gradients, and the palette.map file of --cp. */
#ifndef FK_PALETTE_H
#define FK_PALETTE_H

#include "../util/common.h"

typedef enum {
	FK_PALETTE_HOT,
	FK_PALETTE_MEM,
	FK_PALETTE_IO,
	FK_PALETTE_WAKEUP,
	FK_PALETTE_CHAIN,
	FK_PALETTE_JAVA,
	FK_PALETTE_JS,
	FK_PALETTE_PERL,
	FK_PALETTE_RED,
	FK_PALETTE_GREEN,
	FK_PALETTE_BLUE,
	FK_PALETTE_AQUA,
	FK_PALETTE_YELLOW,
	FK_PALETTE_PURPLE,
	FK_PALETTE_ORANGE,
} fk_palette;

/* "hot", "java", ... -> palette. Returns false for an unknown name. */
bool fk_palette_from_name(const char *name, fk_palette *out);
const char *fk_palette_name(fk_palette p);
/* The comma-separated list of palette names (for messages). */
const char *fk_palette_names(void);

typedef struct fk_rgb {
	uint8_t r, g, b;
} fk_rgb;

/* "rgb(R,G,B)" into buf (24 bytes). Returns the length. */
size_t fk_rgb_format(fk_rgb c, char *buf);

/* The color of a frame called name (bytes, UTF-8) in palette pal, given the three shade
 * values v1..v3 in [0,1) (only hot, mem and io use more than v1). */
fk_rgb fk_palette_color(fk_palette pal, const char *name, size_t len, double v1, double v2,
			double v3);

/* drand48()'s first value after srand48(seed) — Perl's srand(seed); rand(1) (Perl's
 * generator is drand48's). */
double fk_drand48_first(uint32_t seed);
/* A drand48 stream (erand48 semantics) seeded as srand48(seed) would. */
typedef struct fk_rand48 {
	uint64_t x; /* 48-bit state */
} fk_rand48;
void fk_rand48_seed(fk_rand48 *r, uint32_t seed);
double fk_rand48_next(fk_rand48 *r);

/* flamegraph.pl's per-name shades. Default: the sum of the name's characters seeds the
 * generator (the same name gets the same color in every graph). --hash: namehash of the
 * name (v1) and of the name reversed (v2, v3). */
double fk_namehash(const char *name, size_t len, bool reversed);
uint32_t fk_name_sum(const char *name, size_t len);
void fk_shades_default(const char *name, size_t len, double v[3]);
void fk_shades_hash(const char *name, size_t len, double v[3]);

/* Differential graphs: white for no change, red for growth, blue for loss, scaled by the
 * largest change (negate swaps the hues). */
fk_rgb fk_color_scale(double delta, double max_delta, bool negate);

/* The background gradient for --bgcolors (NULL or "": the palette's default). Returns
 * false for an unknown value. c1, c2 receive "#rrggbb" (8 bytes each). */
bool fk_background_colors(const char *bgcolors, fk_palette pal, char *c1, char *c2);

/* ---- --cp: palette.map, one "name->color" per line ---- */
typedef struct fk_palette_map fk_palette_map;
fk_palette_map *fk_palette_map_new(void);
void fk_palette_map_free(fk_palette_map *m);
/* Reads path if it exists (a missing file is an empty map). Returns 0, or -1 with err. */
int fk_palette_map_read(fk_palette_map *m, const char *path, fk_error *err);
/* The color stored for name, or NULL. */
const char *fk_palette_map_get(fk_palette_map *m, const char *name, size_t len, size_t *color_len);
void fk_palette_map_set(fk_palette_map *m, const char *name, size_t len, const char *color,
			size_t color_len);
/* Writes every entry sorted by name (whole or not at all). Returns 0, or -1 with err. */
int fk_palette_map_write(const fk_palette_map *m, const char *path, fk_error *err);

#endif
