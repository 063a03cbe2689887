/*
 * notify.h - tell the service manager how liassed is doing.
 *
 * systemd's notification protocol (sd_notify(3)) without libsystemd: when
 * NOTIFY_SOCKET names a unix datagram socket (a path, or "@name" for the
 * abstract namespace), each call sends one datagram of newline-separated
 * assignments such as "READY=1", "STOPPING=1" or "STATUS=...".  Without
 * NOTIFY_SOCKET it does nothing, so liassed behaves the same outside systemd.
 */
#ifndef LIASSE_NOTIFY_H
#define LIASSE_NOTIFY_H

/* Sends the formatted message; 0, or -1 (errno set) when it could not be sent. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
