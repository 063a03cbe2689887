/*
 * ftp.c - the Hélios FTP server (work in progress: greets and closes).
 */
#include "statesim.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int lfd;

static void *
accept_loop(void *arg)
{
	struct statesim *s = arg;
	const char *bye = "421 Service not available yet.\r\n";
	int fd;

	while (!s->stopping) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		send(fd, bye, strlen(bye), MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

int
helios_start(struct statesim *s)
{
	char url[128];

	lfd = statesim_listen(s, &s->helios_port);
	if (lfd < 0)
		return -1;
	snprintf(url, sizeof(url), "ftp://%s:%d/", s->host, s->helios_port);
	statesim_announce(s, "helios", url);
	return statesim_spawn(accept_loop, s);
}
