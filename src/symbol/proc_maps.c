/* proc_maps.c: the /proc/PID/maps line parser of proc_maps.h. */
#include "proc_maps.h"

#include <sys/mman.h>

#include "sym_util.h"

static bool expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool parse_decimal(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool fk_proc_maps_parse_line(const char *line, size_t len, fk_mapping *m, const char **path,
			     size_t *path_len)
{
	const char *p = line, *end = line + len;
	uint64_t start, stop, pgoff, maj, min, ino;
	if (!fk_parse_hex(&p, end, &start) || !expect_char(&p, end, '-') ||
	    !fk_parse_hex(&p, end, &stop) || !expect_char(&p, end, ' ') || stop < start)
		return false;
	if (end - p < 4)
		return false;
	uint32_t prot = 0;
	if (p[0] == 'r')
		prot |= PROT_READ;
	else if (p[0] != '-')
		return false;
	if (p[1] == 'w')
		prot |= PROT_WRITE;
	else if (p[1] != '-')
		return false;
	if (p[2] == 'x')
		prot |= PROT_EXEC;
	else if (p[2] != '-')
		return false;
	p += 4; /* p, s (or anything) */
	if (!expect_char(&p, end, ' ') || !fk_parse_hex(&p, end, &pgoff) || !expect_char(&p, end, ' ') ||
	    !fk_parse_hex(&p, end, &maj) || !expect_char(&p, end, ':') || !fk_parse_hex(&p, end, &min) ||
	    !expect_char(&p, end, ' ') || !parse_decimal(&p, end, &ino))
		return false;
	if (maj > UINT32_MAX || min > UINT32_MAX)
		return false;
	if (p < end && *p != ' ' && *p != '\t')
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	size_t n = (size_t)(end - p);
	static const char deleted[] = " (deleted)";
	const size_t deleted_len = sizeof(deleted) - 1;
	if (n > deleted_len && memcmp(p + n - deleted_len, deleted, deleted_len) == 0)
		n -= deleted_len;
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = stop;
	m->pgoff = pgoff;
	m->prot = prot;
	m->maj = (uint32_t)maj;
	m->min = (uint32_t)min;
	m->ino = ino;
	m->path = NULL;
	*path = p;
	*path_len = n;
	return true;
}
