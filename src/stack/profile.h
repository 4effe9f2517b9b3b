/* profile.h: the one stack model. A profile is a trie of frames: each node is one frame
 * name under its parent, with the count of samples whose stack ended there (self).
 * Every input adds stacks root first; every output walks the trie. Counts are doubles:
 * integer sample counts stay exact up to 2^53, and folded input may carry fractions. */
#ifndef FK_PROFILE_H
#define FK_PROFILE_H

#include "intern.h"

typedef uint32_t fk_node_id;
#define FK_ROOT ((fk_node_id)0)

enum { FK_NODE_LEAF = 1u }; /* some stack ended at this node (even with count 0) */

typedef struct fk_node {
	fk_name_id name;
	fk_node_id parent;
	fk_node_id first_child; /* 0 = none (the root is never a child) */
	fk_node_id next_sibling;
	uint32_t flags;
	double self;
	double self_before; /* two-valued profiles (diffs): the "before" count */
	double total;        /* valid after fk_profile_compute_totals() */
	double total_before;
} fk_node;

/* One added stack, in the order stacks were added (see fk_profile_keep_order). */
typedef struct fk_stack_ref {
	fk_node_id node;
	double count, before;
} fk_stack_ref;

typedef struct fk_profile fk_profile;

/* What a profile's counts measure and when it was taken, in pprof's terms (a writer of
 * any format reads it; a reader sets what its format says). Empty strings and zeros mean
 * unknown: counts are then samples ("samples"/"count"). */
typedef struct fk_profile_meta {
	char sample_type[32];  /* "samples", "cpu", "alloc_space", "offcpu", "wall", ... */
	char unit[16];         /* "count", "nanoseconds", "microseconds", "bytes", "objects" */
	char period_type[32];  /* what period counts: "cpu", "space", ... */
	char period_unit[16];
	int64_t period;        /* events between two samples, in period_unit */
	int64_t time_ns;       /* when sampling started, Unix ns */
	int64_t duration_ns;
} fk_profile_meta;

fk_profile *fk_profile_new(void);
void fk_profile_free(fk_profile *p);

/* The profile's metadata (zeroed in a new profile). */
const fk_profile_meta *fk_profile_get_meta(const fk_profile *p);
void fk_profile_set_meta(fk_profile *p, const fk_profile_meta *meta);

fk_interner *fk_profile_names(fk_profile *p);
const char *fk_profile_name(const fk_profile *p, fk_name_id id, size_t *len);

/* Where a frame name came from, when an input knows (perf script's stack lines, pprof's
 * locations): one code address and the module (binary) holding it, kept per frame name,
 * the first one set winning. pprof output turns them into locations and mappings. */
void fk_profile_set_origin(fk_profile *p, fk_name_id frame, uint64_t address, const char *module,
			   size_t module_len);
/* The origin of frame: true with *address and *module (NUL-terminated, "" when unknown;
 * valid while p lives), or false if none was set. */
bool fk_profile_get_origin(const fk_profile *p, fk_name_id frame, uint64_t *address,
			   const char **module, size_t *module_len);

/* The child of parent named name, created if missing. */
fk_node_id fk_profile_child(fk_profile *p, fk_node_id parent, fk_name_id name);
/* Adds count to the stack names[0] (root-most) .. names[n-1] (leaf). n may be 0. */
void fk_profile_add_stack(fk_profile *p, const fk_name_id *names, size_t n, double count);
/* Adds count to the stack ending at node (as a leaf). */
void fk_profile_add_at(fk_profile *p, fk_node_id node, double count);
/* Adds to both counts of a two-valued profile ("stack before after" lines). */
void fk_profile_add_pair(fk_profile *p, fk_node_id node, double before, double after);
/* True once any "before" count was added: the profile is a comparison. */
bool fk_profile_has_before(const fk_profile *p);
/* From now on, also remember every added stack in order (for flame charts, where time
 * order matters and only neighbours merge). */
void fk_profile_keep_order(fk_profile *p);
/* The stacks added since fk_profile_keep_order, in order; NULL if not kept. */
const fk_stack_ref *fk_profile_order(const fk_profile *p, size_t *count);
/* Sets every count to zero and forgets which nodes were leaves, keeping the nodes and
 * names (node ids stay valid for whoever caches them): the profile then holds only the
 * stacks added from now on (a recorder's next window). */
void fk_profile_clear_counts(fk_profile *p);
/* Adds every stack of src to dst (src is not changed). dst takes src's metadata if it
 * has none (no sample type) yet, and the origins of frames it has none for. */
void fk_profile_merge(fk_profile *dst, const fk_profile *src);

size_t fk_profile_node_count(const fk_profile *p);
const fk_node *fk_profile_node(const fk_profile *p, fk_node_id id);
/* For changing counts in place (name and links must not be changed). */
fk_node *fk_profile_node_mutable(fk_profile *p, fk_node_id id);
/* Formats a count the way Perl prints a number: integers in full, other values with 15
 * significant digits. buf needs 32 bytes. Returns the length. */
size_t fk_format_count(double count, char *buf);

/* Number of distinct stacks (leaf nodes). */
size_t fk_profile_stack_count(const fk_profile *p);
/* Sum of every count. */
double fk_profile_total(const fk_profile *p);
/* Fills in fk_node.total for every node. */
void fk_profile_compute_totals(fk_profile *p);

/* Calls fn for every stack, in the bytewise order of the folded lines
 * "frame;frame;...;leaf" (the order `sort` and the Perl scripts give). names is root
 * first. A non-zero return from fn stops the walk and is returned. */
typedef int (*fk_stack_fn)(const fk_profile *p, const fk_name_id *names, size_t depth,
			   double count, void *ctx);
int fk_profile_walk_sorted(const fk_profile *p, fk_stack_fn fn, void *ctx);

typedef enum {
	FK_ORDER_STACKS, /* bytewise order of the stacks "a;b;c" (stackcollapse's output) */
	FK_ORDER_LINES,  /* bytewise order of whole lines "a;b;c COUNT" (flamegraph.pl's
			  * `sort` of its input, counts formatted as fk_format_count would) */
} fk_walk_order;
/* Like fk_profile_walk_sorted, with the node the stack ends at. */
typedef int (*fk_node_fn)(const fk_profile *p, const fk_name_id *names, size_t depth,
			  fk_node_id node, void *ctx);
int fk_profile_walk(const fk_profile *p, fk_walk_order order, fk_node_fn fn, void *ctx);

#endif
