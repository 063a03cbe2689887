/*
 * letters.c - the answers to the prefecture's letters over @ctes
 * (doc/actes-letters.md): 2-2 ReponseCourrierSimple, 3-2
 * PieceComplementaire, 3-3 RefusPieceComplementaire, 4-2
 * ReponseLettreObservations, 4-3 RejetLettreObservations (ACTES XSD
 * actesv1_1.xsd: @actes:IDActe and @actes:DateCourrierPref of the letter
 * answered, then Document, or Documents for a 3-2), in their own archive:
 * the envelope EnveloppeCLMISILL listing <IDActe>-<c>_0.xml, the form, the
 * PDFs <IDActe>-<c>_<n>.pdf; sent by the same HTTPS POST as the act.
 * S²LOW builds the same answer (public.ssl/modules/actes/
 * actes_transac_reponse_create.php: a transaction of the letter's type, the
 * answer type "type_envoie", one acte_pdf_file and, for pieces,
 * acte_attachments; a new envelope serial).
 *
 * Exactly once as the 6-1 (cancel.c), by once.c's flow: the archive is
 * named once (letter.answer_name), 'sending' is committed before the POST,
 * the outcome recorded in a new transaction.  No @ctes message acknowledges a 2-2, so
 * an interrupted send cannot be reconciled from the mailbox: the same
 * archive (same envelope) is sent again once reconcile_wait has passed,
 * which the ministry recognises as the same envelope.
 *
 * An act sent through S²LOW is answered through S²LOW: one API call
 * (xmit_s2low_reply()) on the letter's S²LOW transaction, S²LOW builds the
 * message; an uncertain outcome is tried again (S²LOW would then hold two
 * answers: known limit, as for its cancellation).
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>

#define MSG_MAX (64u * 1024)
#define FILES_MAX 20

struct afile {
	char name[200];
	long long blob, size;
	int nchunks;
};

struct answer {
	struct xmit_job *x;
	struct letter_answer_row *a;
	struct afile f[FILES_MAX];
	int nf;
};

static void
take_file(void *arg, int n, const char *name, const char *type, long long blob, long long size, int nchunks)
{
	struct answer *b = arg;

	(void)name, (void)type;
	if (b->nf == FILES_MAX)
		return;
	snprintf(b->f[b->nf].name, sizeof(b->f[b->nf].name), "%s-%s_%d.pdf", b->a->s.idacte, b->a->code, n);
	b->f[b->nf].blob = blob;
	b->f[b->nf].size = size;
	b->f[b->nf].nchunks = nchunks;
	b->nf++;
}

static const char *
root_of(const char *code)
{
	return !strcmp(code, "2-2") ? "ReponseCourrierSimple" : !strcmp(code, "3-2") ? "PieceComplementaire" :
	       !strcmp(code, "3-3") ? "RefusPieceComplementaire" : !strcmp(code, "4-2") ?
	       "ReponseLettreObservations" : "RejetLettreObservations";
}

/* The form, as the XSD writes it. */
static int
message(struct answer *b, struct buf *o)
{
	const char *root = root_of(b->a->code);
	int many = !strcmp(b->a->code, "3-2");
	int rc = buf_printf(o, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<actes:%s " XMIT_ACTES_NS
			    " actes:IDActe=\"%s\" actes:DateCourrierPref=\"%s\">\n%s", root, b->a->s.idacte,
			    b->a->date, many ? " <actes:Documents>\n" : "");

	for (int i = 0; !rc && i < b->nf; i++)
		rc = buf_printf(o, "%s <actes:Document>\n%s  <actes:NomFichier>%s</actes:NomFichier>\n%s"
				" </actes:Document>\n", many ? " " : "", many ? " " : "", b->f[i].name,
				many ? " " : "");
	return rc || buf_printf(o, "%s</actes:%s>\n", many ? " </actes:Documents>\n" : "", root);
}

static int
add_files(void *arg, struct xmit_tgz *t, long long mtime, struct lerr *e)
{
	struct answer *b = arg;
	int rc = 0;

	for (int i = 0; !rc && i < b->nf; i++)
		rc = xmit_tgz_add_blob(b->x->c, t, b->f[i].name, (long long)b->f[i].size, b->f[i].blob,
				       b->f[i].nchunks, mtime, e);
	return rc;
}

static int
build(struct xmit_job *x, void *row, struct lerr *e)
{
	struct letter_answer_row *a = row;
	struct answer *b = calloc(1, sizeof(*b));
	struct buf msg;
	char form[192];
	int rc;

	if (!b)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	b->x = x;
	b->a = a;
	buf_init(&msg, MSG_MAX);
	if ((rc = store_letter_answer_files(x->c, a->s.id, take_file, b, e)))
		goto out;
	if (b->nf == 0) {
		rc = lerr_set(e, LERR_INVALID, NULL, "the answer has no file");
		goto out;
	}
	snprintf(form, sizeof(form), "%s-%s_0.xml", a->s.idacte, a->code);
	if (message(b, &msg))
		rc = lerr_set(e, LERR_INVALID, NULL, "the @ctes answer is too large");
	else
		rc = xmit_actes_archive_with(x, form, &msg, add_files, b, e);
out:
	buf_fini(&msg);
	free(b);
	return rc;
}

/* ---- through S²LOW ---- */

struct spooled {
	struct xmit_job *x;
	struct xmit_s2low_file f[FILES_MAX];
	char names[FILES_MAX][200];
	int n, rc;
	struct lerr *e;
};

static void
spool_file(void *arg, int n, const char *name, const char *type, long long blob, long long size, int nchunks)
{
	struct spooled *s = arg;

	(void)type, (void)name;   /* S²LOW names the files itself; ours stay plain */
	if (s->rc || s->n == FILES_MAX)
		return;
	snprintf(s->names[s->n], sizeof(s->names[s->n]), "reponse-%d.pdf", n);
	s->f[s->n].name = s->names[s->n];
	s->f[s->n].size = size;
	if (!(s->f[s->n].f = tmpfile())) {
		s->rc = lerr_set(s->e, LERR_INTERNAL, NULL, "cannot create a spool file");
		return;
	}
	s->rc = xmit_spool_blob(s->x->c, blob, nchunks, s->f[s->n].f, NULL, NULL, s->e);
	rewind(s->f[s->n++].f);
}

/* One API call under the row lock, as the S²LOW cancellation: S²LOW builds
 * and sends the answer itself (actes_transac_reponse_create.php); its
 * transaction is kept as the answer's name.  type_envoie 3 for a refusal
 * (3-3, 4-3), 4 otherwise, as Pastell posts it (S2low::sendReponseType());
 * type_acte the act's typology. */
static int
via_s2low(struct xmit_job *x, const struct xmit_once *o, void *row, struct lerr *e)
{
	struct letter_answer_row *a = row;
	struct spooled *s = calloc(1, sizeof(*s));
	enum xmit_outcome out;
	char id[64] = "", name[80];
	struct lerr why;
	int rc;

	if (!s)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	s->x = x;
	s->e = e;
	lerr_clear(&why);
	if ((rc = store_letter_answer_files(x->c, a->s.id, spool_file, s, e)) || (rc = s->rc))
		goto out;
	out = xmit_s2low_reply(x->settings, a->letter_remote, a->code[2] == '3' ? 3 : 4,
			       a->type_piece[0] ? a->type_piece : "99_AU", s->f, s->n, id, sizeof(id), &why);
	snprintf(name, sizeof(name), "s2low:%s", id);
	rc = xmit_once_settle(x, o, &a->s, out, name, &why, e);
out:
	for (int i = 0; i < s->n; i++)
		fclose(s->f[i].f);
	free(s);
	return rc;
}

static int
load(struct store_conn *c, const char *doc_id, void *row, int *due, struct lerr *e)
{
	return store_letter_answer_load(c, doc_id, row, due, e);
}

static const struct xmit_once answer_once = {
	.what = "answer to the prefecture", .rowsize = sizeof(struct letter_answer_row), .load = load,
	.build = build, .reconcile = NULL, .via_s2low = via_s2low, .sending = store_letter_answer_sending,
	.settle = store_letter_answer_state, .retry = store_letter_answer_retry,
};

int
xmit_job_letter_answer(struct store_conn *c, const struct job *j, struct lerr *e)
{
	return xmit_once_job(c, j, &answer_once, e);
}
