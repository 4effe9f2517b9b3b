/* json_input.h: parses a whole input as JSON (jansson) for the JSON readers (speedscope,
 * .cpuprofile): a UTF-8 byte order mark skipped, syntax errors as "FILE:LINE:COL: what". */
#ifndef FK_JSON_INPUT_H
#define FK_JSON_INPUT_H

#include <jansson.h>

#include "load.h"

/* The parsed document (json_decref it), or NULL with err set. */
json_t *fk_json_load(const fk_whole_input *in, fk_error *err);

#endif
