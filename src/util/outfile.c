/* outfile.c: temp file + rename. */
#include "outfile.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int fk_outfile_open(fk_outfile *of, const char *path, fk_error *err)
{
	memset(of, 0, sizeof(*of));
	if (!path || strcmp(path, "-") == 0) {
		of->fp = stdout;
		return 0;
	}
	size_t n = strlen(path);
	of->path = fk_xstrdup(path);
	of->tmp = fk_xmalloc(n + 16);
	snprintf(of->tmp, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(of->tmp);
	if (fd < 0) {
		fk_error_set(err, "%s: cannot create: %s", path, strerror(errno));
		free(of->path);
		free(of->tmp);
		memset(of, 0, sizeof(*of));
		return -1;
	}
	/* mkstemp makes 0600; give the file the usual mode */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	of->fp = fdopen(fd, "w");
	if (!of->fp) {
		close(fd);
		unlink(of->tmp);
		fk_error_set(err, "%s: cannot open: %s", path, strerror(errno));
		free(of->path);
		free(of->tmp);
		memset(of, 0, sizeof(*of));
		return -1;
	}
	return 0;
}

int fk_outfile_commit(fk_outfile *of, fk_error *err)
{
	if (!of->path) {
		if (fflush(stdout) != 0 || ferror(stdout))
			return fk_error_set(err, "cannot write to standard output: %s", strerror(errno));
		return 0;
	}
	int rc = 0;
	if (fflush(of->fp) != 0 || ferror(of->fp) || fsync(fileno(of->fp)) != 0)
		rc = fk_error_set(err, "%s: cannot write: %s", of->path, strerror(errno));
	if (fclose(of->fp) != 0 && rc == 0)
		rc = fk_error_set(err, "%s: cannot write: %s", of->path, strerror(errno));
	of->fp = NULL;
	if (rc == 0 && rename(of->tmp, of->path) != 0)
		rc = fk_error_set(err, "%s: cannot rename into place: %s", of->path, strerror(errno));
	if (rc != 0)
		unlink(of->tmp);
	free(of->path);
	free(of->tmp);
	memset(of, 0, sizeof(*of));
	return rc;
}

void fk_outfile_abort(fk_outfile *of)
{
	if (of->path) {
		if (of->fp)
			fclose(of->fp);
		unlink(of->tmp);
	}
	free(of->path);
	free(of->tmp);
	memset(of, 0, sizeof(*of));
}
