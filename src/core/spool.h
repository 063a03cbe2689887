/* spool.h - temporary files for what must not be held in memory (PDFs). */
#ifndef LIASSE_CORE_SPOOL_H
#define LIASSE_CORE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct lerr;

/* A temporary file, read-write, mode 0600, in spool_dir (configuration;
 * empty: $TMPDIR, else /tmp): without a name (O_TMPFILE), else named and
 * unlinked at once, so that closing it (or the process ending) frees it.
 * Its descriptor, or -1 with e set (LERR_UNAVAILABLE, the directory logged). */
int spool_tmpfile(struct lerr *e);

/* n bytes of fd at offset at into p (pread, interrupted calls retried):
 * 0, or -1 on an error or a file shorter than at + n. */
int spool_read_at(int fd, void *p, size_t n, int64_t at);

#endif
