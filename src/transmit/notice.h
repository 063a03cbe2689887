/*
 * notice.h - the e-mail notifications' jobs (doc/notifications.md).
 *
 * A document entering a person's queue writes a notification and its job
 * 'notify' in the same transaction (functions/85_notify.sql); the daily
 * digests are planned by xmit_notice_periodic().  The job reads what still
 * waits, writes the message in French (a link to each document, never the
 * document) and sends it (mail.h); a failure is an error of the job, which
 * the worker pool retries with its backoff, the error shown to the
 * administrators (GET /api/v1/admin/notifications, /admin/notifications).
 */
#ifndef LIASSE_XMIT_NOTICE_H
#define LIASSE_XMIT_NOTICE_H

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#define NOTICE_JOB "notify"

int xmit_notice_job(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;
/* Between jobs: plans today's digests during notify_digest_hour. */
int xmit_notice_periodic(struct store_conn *c, struct lerr *e) LERR_WUR;

/* The notify_* keys make sense: an smtp:// or smtps:// URL, a sender
 * address, an hour 0-23, a known time zone; with read_secrets, the
 * credentials file too (mode 0600, two lines).  LERR_INVALID naming the key,
 * with a hint. */
int xmit_notice_config_check(int read_secrets, struct lerr *e) LERR_WUR;

/* The message of content (notification_content() JSON) addressed to base
 * (public_url): subject, text and HTML bodies; 0, or -1 when a buffer is full. */
int xmit_notice_compose(const char *content, const char *base, struct buf *subject,
			struct buf *text, struct buf *html) LERR_WUR;

#endif
