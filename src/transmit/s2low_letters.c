/*
 * s2low_letters.c - the prefecture's letters about our acts through S²LOW
 * (doc/actes-letters.md), as Pastell takes them (connecteur/s2low/S2low.php
 * getListDocumentPrefecture(), getDocumentPrefecture()): S²LOW lists the
 * unread documents of types 2 to 5 (list_document_prefecture.php: id,
 * type, related_transaction_id, number, unique_id, last_status_id); each
 * one's archive comes from actes_transac_get_document.php (a redirection
 * to its envelope's tar.gz); its files are attached to the act whose
 * transaction is related_transaction_id and its form recorded as a letter
 * (imap.c's reading, xmit_actes_letter_file()); the document is then marked
 * read (document_prefecture_mark_as_read.php).  transmit_inbox (source
 * "s2low-pref:<SIREN>", item the S²LOW id) keeps a document whose marking
 * failed from being recorded twice.
 *
 * The answer goes back through S²LOW's actes_transac_reponse_create.php
 * (xmit_s2low_reply(), from letters.c).
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define PREFDOCS_MAX 64
#define ARCHIVE_MAX (160u << 20)

struct prefdocs {
	struct xmit_s2low_prefdoc d[PREFDOCS_MAX];
	int n;
};

static void
take(void *arg, const struct xmit_s2low_prefdoc *d)
{
	struct prefdocs *l = arg;

	if (l->n < PREFDOCS_MAX)
		l->d[l->n++] = *d;
}

struct member {
	struct xmit_poll *p;
	const char *doc, *remote;
	struct lerr *e;
};

static int
member(void *arg, const char *name, const void *data, size_t len)
{
	struct member *m = arg;

	return xmit_actes_letter_file(m->p, m->doc, name, data, len, m->remote, m->e);
}

/* One document of the prefecture: its files on the act, once. */
static int
one(struct xmit_poll *p, const struct xmit_s2low_prefdoc *d, const char *source, struct lerr *e)
{
	char doc[37] = "";
	struct member m = { p, doc, d->id, e };
	struct lerr why;
	struct buf b;
	int rc, seen = 0;

	if ((rc = store_xmit_find_remote(p->c, p->org_id, "s2low", d->related, doc, e)))
		return rc;
	if (!doc[0]) {
		log_info("org=%s: S²LOW document %s (type %s) is about transaction %s, no act of ours: left unread",
			 p->siren, d->id, d->type, d->related);
		return 0;
	}
	if ((rc = store_inbox_seen(p->c, source, d->id, &seen, e)))
		return rc;
	lerr_clear(&why);
	if (!seen) {
		buf_init(&b, ARCHIVE_MAX);
		if (xmit_s2low_prefdoc_get(p->settings, d->id, &b, &why)) {
			buf_fini(&b);
			log_warn("doc=%s: S²LOW document %s not fetched: %s %s", doc, d->id, why.msg, why.detail);
			return 0;
		}
		rc = xmit_tgz_each(b.data, b.len, member, &m, &why);
		buf_fini(&b);
		if (rc && why.sqlstate[0])
			return *e = why, rc;
		if (rc)   /* kept as read: an administrator finds it in the log */
			log_warn("doc=%s: S²LOW document %s unreadable: %s %s", doc, d->id, why.msg, why.detail);
		if ((rc = store_inbox_add(p->c, source, d->id, doc, rc ? "unreadable" : "letter", e)) ||
		    (rc = xmit_poll_commit(p, e)))
			return rc;
		p->handled++;
		log_info("doc=%s: the prefecture's document %s (type %s) came through S²LOW", doc, d->id, d->type);
	}
	if (xmit_s2low_prefdoc_read(p->settings, d->id, &why))
		log_warn("doc=%s: S²LOW document %s not marked read: %s %s", doc, d->id, why.msg, why.detail);
	return 0;
}

int
xmit_s2low_letters_poll(struct xmit_poll *p, struct lerr *e)
{
	struct prefdocs *l = calloc(1, sizeof(*l));
	char source[64];
	struct lerr why;
	int rc = 0;

	if (!l)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	snprintf(source, sizeof(source), "s2low-pref:%s", p->siren);
	lerr_clear(&why);
	if (xmit_s2low_prefdocs(p->settings, take, l, &why))
		log_warn("org=%s: S²LOW's documents of the prefecture not listed: %s %s", p->siren, why.msg,
			 why.detail);
	for (int i = 0; !rc && i < l->n && !xmit_stopping(); i++)
		rc = one(p, &l->d[i], source, e);
	free(l);
	return rc;
}
