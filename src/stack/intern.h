/* intern.h: the frame-name table. Every distinct frame name is stored once and named by
 * a small integer id; profiles store ids, never strings. */
#ifndef FK_INTERN_H
#define FK_INTERN_H

#include "../util/common.h"

typedef uint32_t fk_name_id;

typedef struct fk_interner fk_interner;

fk_interner *fk_interner_new(void);
void fk_interner_free(fk_interner *in);

/* Returns the id of the name (bytes need not be NUL-terminated; any byte is allowed). */
fk_name_id fk_intern(fk_interner *in, const char *name, size_t len);
/* Same, with the hash already computed by fk_hash_bytes(name, len). */
fk_name_id fk_intern_hashed(fk_interner *in, const char *name, size_t len, uint64_t hash);

/* The name for an id; *len receives its length. The bytes stay valid while in lives and
 * are followed by a NUL. */
const char *fk_interner_name(const fk_interner *in, fk_name_id id, size_t *len);
size_t fk_interner_count(const fk_interner *in);

#endif
