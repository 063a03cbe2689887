/*
 * actes_int.h - what the @ctes side of liasse-statesim shares between its
 * files: actes.c (HTTPS endpoint, control hooks), actes_check.c (archive
 * checks and the ministry's XML answers), mail.c (the mailbox on disk and
 * the MIME messages) and imap.c (the IMAP server that serves the mailbox).
 *
 * The mailbox lives in DIR/mail/INBOX: one file per message named
 * "<uid>-<flags>.eml" (flags: a digit, bit 1 \Seen, bit 2 \Deleted), written
 * atomically, so messages and their flags survive a restart.  DIR/mail/uidnext
 * and DIR/mail/uidvalidity hold the counters.  One mutex in mail.c orders
 * every access.
 */
#ifndef LIASSE_STATESIM_ACTES_INT_H
#define LIASSE_STATESIM_ACTES_INT_H

#include <stddef.h>

#include "statesim.h"

/* ---- mail.c ---- */

#define MAIL_SEEN 1u
#define MAIL_DELETED 2u

/* One attachment of a message. */
struct mail_part {
	const char *name;  /* file name */
	const char *type;  /* MIME type */
	const void *data;
	size_t len;
};

struct mail_msg {
	unsigned uid;
	unsigned flags;
	size_t size;
};

int mail_init(struct statesim *s);
/* Build a multipart/mixed message (an HTML body, then the parts, base64)
 * and append it to the mailbox; its uid in *uid when uid is not NULL. */
int mail_deliver(struct statesim *s, const char *to, const char *subject,
		 const char *html, const struct mail_part *parts, int nparts,
		 unsigned *uid);
/* The messages in uid order (malloc'd array, caller frees). */
int mail_list(struct statesim *s, struct mail_msg **out, size_t *n);
/* The whole message text (malloc'd). */
int mail_read(struct statesim *s, unsigned uid, char **data, size_t *len);
int mail_set_flags(struct statesim *s, unsigned uid, unsigned flags);
/* Remove the messages flagged \Deleted; their uids (ascending) in *uids. */
int mail_expunge(struct statesim *s, unsigned **uids, size_t *n);
unsigned mail_uidvalidity(struct statesim *s);
unsigned mail_uidnext(struct statesim *s);
/* Empty the mailbox. */
void mail_clear(struct statesim *s);
/* base64 with CRLF every 76 characters (malloc'd, NUL-terminated). */
char *mail_base64(const void *data, size_t len, size_t *outlen);

/* ---- actes_check.c ---- */

/* What one received archive turned into: the messages to mail back. */
struct actes_reply {
	int anomaly;            /* 0 ARActe(s), 1 AnomalieActe, 2 AnomalieEnveloppe */
	char detail[512];       /* the reason of an anomaly, in French */
	int letter;             /* 2..5 for a prefecture letter, else 0 */
	int annulation;         /* a 6-1 Annulation: ARAnnulation (6-2) when anomaly is 0 */
	int classification;     /* a 7-1 DemandeClassification, or the control's: 7-2 */
	char answer_code[4];    /* an answer to a letter: 2-2 3-2 3-3 4-2 4-3 */
	int nomail;             /* nothing to mail back (a valid answer) */
	int files;              /* the control's kind=files: a directory mailed as is */
	char idacte[64];        /* the act's IDActe (ARActe, AnomalieActe, letter) */
	char to[256];           /* the envelope's first AdressesRetour/Email */
	struct mail_part parts[8];
	char *bufs[8];          /* owned data of parts */
	char names[8][256];
	int nparts;
};

int actes_check_init(struct statesim *s);
/* The largest archive accepted (--set actes.max_size, default 150 MiB). */
size_t actes_max_size(struct statesim *s);
/* Check archive data (name, gzip bytes) and fill r with the answer to mail.
 * Always fills r (an anomaly when the archive is bad); -1 only when out of
 * memory. */
int actes_check(struct statesim *s, const char *name, const unsigned char *gz,
		size_t gzlen, struct actes_reply *r);
/* A prefecture letter for an acknowledged act: kind courrier|pieces|
 * observations|defere.  -1 and a reason in msg when idacte is unknown. */
int actes_letter(struct statesim *s, const char *kind, const char *idacte,
		 struct actes_reply *r, char *msg, size_t msglen);
void actes_reply_free(struct actes_reply *r);
/* The .xml and .pdf files of directory dir (absolute), mailed as they are
 * in one message.  -1 and a reason in msg when there is none. */
int actes_mail_dir(struct statesim *s, const char *dir, struct actes_reply *r, char *msg, size_t msglen);
/* The platform's classification (7-2) mailed unasked, as when it changes:
 * org "<DDD>-<SIREN>".  -1 and a reason in msg without one. */
int actes_classification_mail(struct statesim *s, const char *org, struct actes_reply *r, char *msg,
			      size_t msglen);

#endif
