/*
 * notify.c - systemd's notification protocol, one datagram per call.
 *
 * The protocol is a single sendto() on a unix datagram socket; linking
 * libsystemd for it would add a dependency for ~30 lines (see notify.h).
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
notify_send(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[512];
	socklen_t len;
	va_list ap;
	ssize_t n;
	int fd, m;

	if (!path || !*path)
		return 0;
	if ((path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';   /* abstract namespace: no trailing NUL counted */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	n = sendto(fd, msg, (size_t)m, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
	return n == m ? 0 : -1;
}
