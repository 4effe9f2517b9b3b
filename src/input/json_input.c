/* json_input.c: the JSON readers' parsing of a whole input (see json_input.h). */
#include "json_input.h"

json_t *fk_json_load(const fk_whole_input *in, fk_error *err)
{
	const char *data = (const char *)in->data;
	size_t len = in->len;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3; /* a byte order mark */
		len -= 3;
	}
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, &je);
	if (!root)
		fk_error_set(err, "%s:%d:%d: %s", in->name, je.line, je.column, je.text);
	return root;
}
