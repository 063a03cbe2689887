/*
 * buf.h - growable byte buffer with a hard size cap (curl's dynbuf).
 * The content is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef LIASSE_CORE_BUF_H
#define LIASSE_CORE_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);          /* frees; wipes first when sensitive data may be in it */
void buf_reset(struct buf *b);
/* 0 or -1 when the cap would be exceeded (buffer unchanged). */
int buf_add(struct buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int buf_addstr(struct buf *b, const char *s) __attribute__((warn_unused_result));
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3), warn_unused_result));

#endif
