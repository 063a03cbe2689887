/*
 * spool.c - the temporary files of the PDF signing path and of the stamped
 * act (doc/pades.md, "Memory"): nameless when the file system allows it.
 * Apart from util.c, which the fuzz targets link without the configuration.
 */
#include "core/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/log.h"

static const char *
spool_dir(void)
{
	const char *d = config_str("spool_dir");

	if (!d || !d[0])
		d = getenv("TMPDIR");
	return d && d[0] ? d : "/tmp";
}

int
spool_tmpfile(struct lerr *e)
{
	const char *dir = spool_dir();
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), err;

	if (fd >= 0)
		return fd;
	/* A file system without O_TMPFILE: a name, removed at once. */
	if (snprintf(path, sizeof(path), "%s/liasse-XXXXXX", dir) < (int)sizeof(path) &&
	    (fd = mkostemp(path, O_CLOEXEC)) >= 0) {
		unlink(path);
		return fd;
	}
	err = errno;
	lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot create a temporary file");
	log_error("cannot create a temporary file in %s: %s", dir, strerror(err));
	lerr_detail(e, "the spool directory refused it: %s", strerror(err));
	lerr_hint(e, "check spool_dir in liasse.conf: a directory the daemon's user can write to");
	return -1;
}

int
spool_read_at(int fd, void *p, size_t n, int64_t at)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(at + (int64_t)got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}
