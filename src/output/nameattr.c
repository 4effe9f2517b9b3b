/* nameattr.c: reads the --nameattr file (see nameattr.h). */
#define _GNU_SOURCE
#include "nameattr.h"

#include <errno.h>

#include "../stack/intern.h"

struct fk_nameattr {
	fk_interner *names;
	int32_t *entry_of; /* by name id: index into entries, or -1 */
	size_t entry_of_cap;
	fk_name_attrs *entries;
	size_t count, cap;
};

static void attrs_free(fk_name_attrs *a)
{
	free(a->title);
	free(a->id);
	free(a->class_name);
	free(a->g_extra);
	free(a->href);
	free(a->target);
	free(a->a_extra);
}

void fk_nameattr_free(fk_nameattr *na)
{
	if (!na)
		return;
	for (size_t i = 0; i < na->count; i++)
		attrs_free(&na->entries[i]);
	free(na->entries);
	free(na->entry_of);
	fk_interner_free(na->names);
	free(na);
}

static void ensure_ids(fk_nameattr *na, fk_name_id id)
{
	if (id < na->entry_of_cap)
		return;
	size_t old = na->entry_of_cap;
	fk_grow((void **)&na->entry_of, sizeof(int32_t), &na->entry_of_cap, (size_t)id + 1);
	for (size_t i = old; i < na->entry_of_cap; i++)
		na->entry_of[i] = -1;
}

/* key=value into a */
static void set_attr(fk_name_attrs *a, const char *field, size_t len)
{
	const char *eq = memchr(field, '=', len);
	if (!eq)
		return;
	size_t klen = (size_t)(eq - field);
	const char *val = eq + 1;
	size_t vlen = len - klen - 1;
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{"title", offsetof(fk_name_attrs, title)},
		{"id", offsetof(fk_name_attrs, id)},
		{"class", offsetof(fk_name_attrs, class_name)},
		{"g_extra", offsetof(fk_name_attrs, g_extra)},
		{"href", offsetof(fk_name_attrs, href)},
		{"target", offsetof(fk_name_attrs, target)},
		{"a_extra", offsetof(fk_name_attrs, a_extra)},
	};
	for (size_t i = 0; i < FK_ARRAY_LEN(keys); i++)
		if (strlen(keys[i].key) == klen && memcmp(keys[i].key, field, klen) == 0) {
			char **slot = (char **)((char *)a + keys[i].offset);
			free(*slot);
			*slot = fk_xstrndup(val, vlen);
			return;
		}
}

fk_nameattr *fk_nameattr_read(const char *path, fk_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fk_error_set(err, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	fk_nameattr *na = fk_xcalloc(1, sizeof(*na));
	na->names = fk_interner_new();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	bool ok = true;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		lineno++;
		if (len && line[len - 1] == '\n')
			len--;
		if (len == 0)
			continue;
		const char *tab = memchr(line, '\t', len);
		if (!tab) {
			fk_error_set(err, "%s:%zu: invalid format (want NAME<TAB>key=value...)", path,
				     lineno);
			ok = false;
			break;
		}
		fk_name_id id = fk_intern(na->names, line, (size_t)(tab - line));
		ensure_ids(na, id);
		if (na->entry_of[id] < 0) {
			fk_grow((void **)&na->entries, sizeof(*na->entries), &na->cap, na->count + 1);
			na->entries[na->count] = (fk_name_attrs){0};
			na->entry_of[id] = (int32_t)na->count++;
		} else {
			fk_name_attrs *old = &na->entries[na->entry_of[id]];
			attrs_free(old);
			*old = (fk_name_attrs){0};
		}
		fk_name_attrs *a = &na->entries[na->entry_of[id]];
		const char *p = tab + 1, *end = line + len;
		while (p <= end) {
			const char *t = memchr(p, '\t', (size_t)(end - p));
			const char *fe = t ? t : end;
			set_attr(a, p, (size_t)(fe - p));
			p = fe + 1;
		}
	}
	if (ok && ferror(f)) {
		fk_error_set(err, "cannot read %s", path);
		ok = false;
	}
	free(line);
	fclose(f);
	if (!ok) {
		fk_nameattr_free(na);
		return NULL;
	}
	return na;
}

const fk_name_attrs *fk_nameattr_find(fk_nameattr *na, const char *name, size_t len)
{
	fk_name_id id = fk_intern(na->names, name, len);
	if (id >= na->entry_of_cap || na->entry_of[id] < 0)
		return NULL;
	return &na->entries[na->entry_of[id]];
}
