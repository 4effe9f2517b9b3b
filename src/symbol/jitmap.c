/* jitmap.c: /tmp/perf-PID.map reading (see jitmap.h). Only complete lines are read
 * while the file grows, so a line the JIT is still writing is read later, whole; an
 * unterminated last line is taken as it is once the file has stopped changing. An entry
 * for an address seen before replaces the older one (code memory gets reused). A file
 * that shrank or was replaced is read again from the start. Like perf, the file is only
 * trusted when it is a regular file owned by root, by us, or by the process it
 * describes. */
#include "jitmap.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fk_jitmap {
	char *path;
	int pid;
	fk_symtab symtab;
	bool checked;	    /* looked at the file at least once */
	uint64_t last_check_ms;
	uint64_t parsed;    /* bytes of complete lines read */
	off_t size_seen;    /* file size at the last read */
	dev_t dev;
	ino_t ino;
	bool have_file;     /* dev/ino/size_seen are from a file that was read */
	bool tail_read;     /* its unterminated last line was read too */
};

fk_jitmap *fk_jitmap_new(const char *dir, int pid)
{
	fk_jitmap *j = fk_xcalloc(1, sizeof(*j));
	size_t cap = strlen(dir) + 32;
	j->path = fk_xmalloc(cap);
	snprintf(j->path, cap, "%s/perf-%d.map", dir, pid);
	j->pid = pid;
	fk_symtab_init(&j->symtab, FK_SYMTAB_LATEST);
	return j;
}

void fk_jitmap_free(fk_jitmap *j)
{
	if (!j)
		return;
	fk_symtab_free(&j->symtab);
	free(j->path);
	free(j);
}

const char *fk_jitmap_path(const fk_jitmap *j)
{
	return j->path;
}

static bool skip_0x(const char **p, const char *end)
{
	if (end - *p >= 2 && (*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X'))
		*p += 2;
	return true;
}

static void parse_line(fk_jitmap *j, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	uint64_t start, size;
	while (end > p && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (!skip_0x(&p, end) || !fk_parse_hex(&p, end, &start) || p >= end || (*p != ' ' && *p != '\t'))
		return;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!skip_0x(&p, end) || !fk_parse_hex(&p, end, &size) || p >= end || (*p != ' ' && *p != '\t'))
		return;
	p++;
	if (p >= end || memchr(p, '\0', (size_t)(end - p)))
		return;
	fk_symtab_add(&j->symtab, start, size, p, (size_t)(end - p), STB_GLOBAL, STT_FUNC, NULL);
}

static bool owner_trusted(const fk_jitmap *j, uid_t uid)
{
	if (uid == 0 || uid == geteuid())
		return true;
	char proc_path[32];
	struct stat st;
	snprintf(proc_path, sizeof(proc_path), "/proc/%d", j->pid);
	return j->pid > 0 && stat(proc_path, &st) == 0 && st.st_uid == uid;
}

/* Whether the file was last modified at least ms milliseconds ago. */
static bool quiet_since(const struct stat *st, int64_t ms)
{
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	int64_t age = ((int64_t)now.tv_sec - (int64_t)st->st_mtim.tv_sec) * 1000 +
		      ((int64_t)now.tv_nsec - (int64_t)st->st_mtim.tv_nsec) / 1000000;
	return age >= ms;
}

/* Parses the file from j->parsed on: its complete lines, which advance j->parsed, and
 * with tail also an unterminated last line (which does not: it is read again, whole,
 * once the JIT has finished it, and the later entry wins). */
static void read_lines(fk_jitmap *j, int fd, bool tail)
{
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	if (j->parsed && fseeko(f, (off_t)j->parsed, SEEK_SET) != 0) {
		fclose(f);
		return;
	}
	fk_line_reader r;
	fk_line_reader_init(&r, f, 64 * 1024);
	while (fk_line_reader_next(&r))
		if (r.complete || tail)
			parse_line(j, r.buf, r.len);
	j->parsed += r.complete_bytes;
	fk_line_reader_free(&r);
	fclose(f);
	fk_symtab_finish(&j->symtab);
}

/* Reads what is new in the file. */
static void refresh(fk_jitmap *j, uint64_t now_ms)
{
	j->checked = true;
	j->last_check_ms = now_ms;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return; /* absent (or a symlink): keep what was read */
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !owner_trusted(j, st.st_uid)) {
		close(fd);
		return;
	}
	bool same_file = j->have_file && st.st_dev == j->dev && st.st_ino == j->ino;
	if (same_file && st.st_size == j->size_seen) {
		/* Unchanged since the last look: an unterminated last line is final now. */
		if (!j->tail_read && j->parsed < (uint64_t)st.st_size) {
			j->tail_read = true;
			read_lines(j, fd, true);
		} else {
			close(fd);
		}
		return;
	}
	if (j->have_file && (!same_file || (uint64_t)st.st_size < j->parsed)) {
		/* Another file: start over (names already handed out stay in the arena). */
		j->symtab.count = 0;
		j->symtab.sorted = 0;
		j->parsed = 0;
	}
	j->have_file = true;
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	j->size_seen = st.st_size;
	/* A file nobody has written to for a while is complete, last line included. */
	j->tail_read = quiet_since(&st, 2000);
	read_lines(j, fd, j->tail_read);
}

const fk_sym *fk_jitmap_lookup(fk_jitmap *j, uint64_t addr, uint64_t now_ms)
{
	if (!j->checked)
		refresh(j, now_ms);
	const fk_sym *s = fk_symtab_lookup(&j->symtab, addr, false);
	if (!s && now_ms - j->last_check_ms >= FK_JITMAP_RECHECK_MS) {
		refresh(j, now_ms);
		s = fk_symtab_lookup(&j->symtab, addr, false);
	}
	return s;
}
