/*
 * helios.c - the DGFiP Hélios gateway: FTP or FTPS (libcurl), SITE P_DEST /
 * P_APPLI / P_MSG before a binary upload named
 * PESALR2_<SIREN>_<yymmdd>_<counter>.xml (the counter zero-padded to three
 * digits, as S²LOW's FichierCompteur writes it), and the PES_Acquit files of
 * the response directory read element by element (doc/helios-acquit.md).
 *
 * Settings (liasse connector set --kind helios): url (ftp:// or ftps://, the
 * upload directory, ending with "/"), retour (the response directory;
 * default url + "retour/"), user, password_file, appli (P_APPLI, default
 * GHELPES2), p_dest (default: the organisation's), tls (1: explicit FTPS on
 * an ftp:// URL), cacert, pin, reconcile_wait (seconds), delete_collected
 * (default 1: acquits already collected are deleted at the next poll),
 * retour_interval (seconds between readings of the response directory when
 * no acquit is awaited, for the PES_Retour; default 900).
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmlguard.h"

#define ACQUIT_MAX (8u << 20)
#define LIST_MAX (4u << 20)
#define STOP_GRACE_S 2

static int
helios_handle(struct xmit_curl *xc, json_t *s, const char *url, long timeout, size_t max,
	      struct lerr *e)
{
	int rc = xmit_curl_open(xc, s, "", "ftp,ftps", timeout, max, e);

	if (rc)
		return rc;
	curl_easy_setopt(xc->h, CURLOPT_URL, url);
	if (!strncmp(url, "ftp:", 4) && !strcmp(xmit_setting(s, "tls", "0"), "1"))
		curl_easy_setopt(xc->h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(xc->h, CURLOPT_FTP_CREATE_MISSING_DIRS, 0L);
	return 0;
}

/* libcurl asks at least once a second while a transfer runs: a transfer of
 * a poll still running STOP_GRACE_S seconds after liassed began to stop
 * (xmit_stop) is cut short, so that a gateway that hangs does not hold the
 * stop until transmit_timeout, while a file in hand (milliseconds) is still
 * read, committed, and not read again after the restart.  Not for a send: a
 * job is never cut in the middle. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return xmit_stopped_for() >= STOP_GRACE_S;
}

static void
stoppable(struct xmit_curl *xc)
{
	curl_easy_setopt(xc->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(xc->h, CURLOPT_NOPROGRESS, 0L);
}

static void
retour_url(json_t *s, char *out, size_t n)
{
	const char *r = xmit_setting(s, "retour", NULL);

	if (r)
		snprintf(out, n, "%s", r);
	else
		snprintf(out, n, "%sretour/", xmit_setting(s, "url", ""));
}

/* ---- prepare ---- */

struct pick {
	long long blob;
	int nchunks;
	long long size;
	int signed_file;
};

static void
pick_file(void *arg, int n, const char *role, const char *name, const char *type, long long blob,
	  long long size, int nchunks)
{
	struct pick *p = arg;
	int is_signed = !strcmp(role, "signed");

	(void)name;
	(void)type;
	if ((n == 0 && !p->signed_file) || is_signed) {
		p->blob = blob;
		p->size = size;
		p->nchunks = nchunks;
		p->signed_file = is_signed;
	}
}

static int
helios_prepare(struct xmit_job *x, struct lerr *e)
{
	json_error_t jerr;
	json_t *meta = json_loads(x->t.meta_json, 0, &jerr);
	struct pick p = { 0 };
	int rc = 0;

	snprintf(x->t.match_key, sizeof(x->t.match_key), "%s",
		 json_string_value(json_object_get(meta, "nomfic")) ? json_string_value(json_object_get(meta, "nomfic")) : "");
	json_decref(meta);
	if (!x->t.remote_name[0]) {
		long long n = 0;
		char day[40];
		time_t now = time(NULL);
		struct tm tm;

		if ((rc = store_xmit_counter(x->c, x->t.org_id, "helios", &n, e)))
			return rc;
		gmtime_r(&now, &tm);
		snprintf(day, sizeof(day), "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
		snprintf(x->t.remote_name, sizeof(x->t.remote_name), "PESALR2_%s_%s_%03lld.xml", x->t.siren, day, n);
	}
	if ((rc = store_xmit_files(x->c, x->t.doc_id, pick_file, &p, e)))
		return rc;
	if (!p.blob)
		return lerr_set(e, LERR_INVALID, NULL, "the document has no PES file");
	x->spool_size = p.size;
	return xmit_spool_blob(x->c, p.blob, p.nchunks, x->spool, NULL, NULL, e);
}

/* ---- send ---- */

static int
site_commands(struct xmit_job *x, struct curl_slist **list, struct lerr *e)
{
	json_error_t jerr;
	json_t *meta = json_loads(x->t.meta_json, 0, &jerr);
	const char *dest = xmit_setting(x->settings, "p_dest", x->org.p_dest[0] ? x->org.p_dest : NULL);
	const char *codcol = json_string_value(json_object_get(meta, "codcol"));
	const char *idpost = json_string_value(json_object_get(meta, "idpost"));
	const char *codbud = json_string_value(json_object_get(meta, "codbud"));
	char line[256];

	if (!dest) {
		json_decref(meta);
		lerr_set(e, LERR_INVALID, "p_dest", "no Hélios destination (P_DEST) for organisation %s", x->t.siren);
		lerr_hint(e, "liasse connector set --org %s --kind helios p_dest=...", x->t.siren);
		return LERR_INVALID;
	}
	snprintf(line, sizeof(line), "SITE P_DEST %s", dest);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "SITE P_APPLI %s", xmit_setting(x->settings, "appli", "GHELPES2"));
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "SITE P_MSG PES#%s#%s#%s", codcol ? codcol : x->org.codcol,
		 idpost ? idpost : x->org.idpost, codbud ? codbud : x->org.codbud);
	*list = curl_slist_append(*list, line);
	json_decref(meta);
	return 0;
}

static enum xmit_outcome
classify(struct xmit_curl *xc, CURLcode cc)
{
	long code = 0;

	curl_easy_getinfo(xc->h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_QUOTE_ERROR || cc == CURLE_UPLOAD_FAILED || cc == CURLE_REMOTE_ACCESS_DENIED)
		return code >= 500 && code < 600 ? XMIT_REFUSED : XMIT_UNSENT;
	return xmit_curl_unsent(cc) ? XMIT_UNSENT : XMIT_UNCERTAIN;
}

static enum xmit_outcome
helios_send(struct xmit_job *x, struct lerr *e)
{
	struct xmit_curl xc;
	char url[1024];
	enum xmit_outcome out = XMIT_UNSENT;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s%s", xmit_setting(x->settings, "url", ""), x->t.remote_name);
	if (helios_handle(&xc, x->settings, url, x->timeout_s, 0, e))
		goto out;
	if (site_commands(x, &xc.list, e)) {
		out = XMIT_REFUSED;
		goto out;
	}
	curl_easy_setopt(xc.h, CURLOPT_QUOTE, xc.list);
	curl_easy_setopt(xc.h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(xc.h, CURLOPT_READDATA, x->spool);
	curl_easy_setopt(xc.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->spool_size);
	cc = curl_easy_perform(xc.h);
	if (cc == CURLE_OK) {
		out = XMIT_SENT;
	} else {
		out = classify(&xc, cc);
		xmit_curl_error(&xc, cc, out == XMIT_REFUSED ? "the Hélios gateway refused the file" :
				"the upload to the Hélios gateway", e);
		if (out == XMIT_REFUSED)
			e->kind = LERR_INVALID;
	}
out:
	xmit_curl_close(&xc);
	return out;
}

/* ---- reconcile ---- */

/* 1 when url names a file the server has, 0 when it has not, -1 unknown. */
static int
remote_exists(json_t *s, const char *url, long timeout, struct lerr *e)
{
	struct xmit_curl xc;
	CURLcode cc;
	int rc = -1;

	if (helios_handle(&xc, s, url, timeout, 0, e))
		goto out;
	curl_easy_setopt(xc.h, CURLOPT_NOBODY, 1L);
	cc = curl_easy_perform(xc.h);
	if (cc == CURLE_OK)
		rc = 1;
	else if (cc == CURLE_REMOTE_FILE_NOT_FOUND || cc == CURLE_FTP_COULDNT_RETR_FILE)
		rc = 0;
	else
		xmit_curl_error(&xc, cc, "asking the Hélios gateway for a file", e);
out:
	xmit_curl_close(&xc);
	return rc;
}

/* The gateway has the file when it is still in the upload directory or
 * when its acquit is in the response directory.  Otherwise it is sent again
 * only once reconcile_wait has passed since the interrupted send. */
static int
helios_reconcile(struct xmit_job *x, int *found, struct lerr *e)
{
	char url[1400], ret[900];
	int r, returns = 0;

	*found = XMIT_UNKNOWN;
	if ((r = store_inbox_count(x->c, x->t.doc_id, &returns, e)))
		return r;
	if (returns) {   /* its acquit was collected already */
		*found = XMIT_THERE;
		return 0;
	}
	snprintf(url, sizeof(url), "%s%s", xmit_setting(x->settings, "url", ""), x->t.remote_name);
	if ((r = remote_exists(x->settings, url, x->timeout_s, e)) < 0)
		return e->kind;
	if (r == 0) {
		retour_url(x->settings, ret, sizeof(ret));
		snprintf(url, sizeof(url), "%sACK_%s", ret, x->t.remote_name);
		if ((r = remote_exists(x->settings, url, x->timeout_s, e)) < 0)
			return e->kind;
	}
	if (r == 1)
		*found = XMIT_THERE;
	else if (x->t.sending_age_s >= xmit_reconcile_wait(x->settings))
		*found = XMIT_ABSENT;
	return 0;
}

/* ---- poll ---- */

static int
fetch(json_t *s, const char *url, struct buf *out, size_t max, long timeout, struct lerr *e)
{
	struct xmit_curl xc;
	CURLcode cc;
	int rc = helios_handle(&xc, s, url, timeout, max, e);

	if (!rc) {
		stoppable(&xc);
		if ((cc = curl_easy_perform(xc.h)) == CURLE_ABORTED_BY_CALLBACK)
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "reading the Hélios response directory: liassed stops");
		else if (cc != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, "reading the Hélios response directory", e);
		else if (buf_add(out, xc.body.data, xc.body.len))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "%s is too large", url);
	}
	xmit_curl_close(&xc);
	return rc;
}

static int
match_acquit(struct xmit_poll *p, const char *name, const struct xmit_acquit *a, char doc[37], struct lerr *e)
{
	int rc = 0;

	doc[0] = '\0';
	if (!strncmp(name, "ACK_", 4))
		rc = store_xmit_find(p->c, p->org_id, name + 4, doc, e);   /* remote_name is no match key */
	if (!rc && !doc[0] && a->nomfic[0])
		rc = store_xmit_find(p->c, p->org_id, a->nomfic, doc, e);
	return rc;
}

/* Files collected and committed (by this poll, each file in its own
 * transaction, or an earlier one) are deleted from the response directory,
 * as the gateway expects; a failed DELE is tried again at the next poll. */
static void
delete_collected(struct xmit_poll *p, const char *dir, struct curl_slist *names)
{
	struct xmit_curl xc;
	struct lerr e;
	CURLcode cc;

	lerr_clear(&e);
	if (!names || !strcmp(xmit_setting(p->settings, "delete_collected", "1"), "0"))
		return;
	if (!helios_handle(&xc, p->settings, dir, (long)config_int("transmit_timeout"), 0, &e)) {
		stoppable(&xc);
		curl_easy_setopt(xc.h, CURLOPT_QUOTE, names);
		curl_easy_setopt(xc.h, CURLOPT_NOBODY, 1L);
		if ((cc = curl_easy_perform(xc.h)) != CURLE_OK) {
			xmit_curl_error(&xc, cc, "deleting collected acquits", &e);
			log_warn("org=%s: %s %s", p->siren, e.msg, e.detail);
		}
	}
	xmit_curl_close(&xc);
}

/* The acquit's verdict on the document; a partial acceptance (some
 * elements refused, the file taken) acknowledges it and lists the refused
 * elements in its warnings. */
static int
answer(struct xmit_poll *p, const char *doc, const char *name, const struct buf *data,
       const struct xmit_acquit *a, struct lerr *e)
{
	char *text = NULL;
	int rc = xmit_returned(p->c, doc, a->accepted ? "ack" : "anomaly", name, "application/xml", data->data,
			       data->len, a->accepted, a->reason.data, e);

	if (!rc && a->accepted && a->ko) {
		if (!(text = json_dumps(a->refused, JSON_COMPACT)))
			return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		rc = store_doc_add_warnings(p->c, doc, text, e);
		log_info("doc=%s: acknowledged by %s, %d of its %d elements refused", doc, name, a->ko, a->elements);
	}
	free(text);
	return rc;
}

/* A PES_Retour becomes a file of the organisation (GET
 * /api/v1/organisations/{siren}/returns); collected like an acquit. */
static int
keep_retour(struct xmit_poll *p, const char *source, const char *name, const struct buf *data, struct lerr *e)
{
	int rc = store_org_return_add(p->c, p->org_id, "PES_Retour", name, "application/xml", data->data, data->len,
				      source, e);

	if (!rc)
		rc = store_inbox_add(p->c, source, name, NULL, "PES_Retour", e);
	if (!rc)
		log_info("org=%s: PES_Retour %s collected from the Hélios response directory", p->siren, name);
	return rc;
}

/* "DELE <path>" of an acquit collected and committed, for delete_collected:
 * QUOTE commands run before the CWD, so the file is named by its path. */
static void
collect_name(struct curl_slist **collected, const char *url, const char *name)
{
	const char *host = strstr(url, "://"), *path = host ? strchr(host + 3, '/') : NULL;
	char cmd[1500];

	snprintf(cmd, sizeof(cmd), "DELE %s", path ? path : name);
	*collected = curl_slist_append(*collected, cmd);
}

/* One file of the response directory, unless an earlier poll read it
 * (then, attached to one of ours, it is only to be deleted; another
 * organisation's stays).  *attached: it became a file of one of our
 * documents.  Each file over its own FTP connection: libcurl reusing the
 * connection (EPSV) stalled a second every other file against the
 * simulator, ten times slower. */
static int
one_acquit(struct xmit_poll *p, const char *source, const char *name, const char *url,
	   struct curl_slist **collected, int *attached, struct lerr *e)
{
	struct xmit_acquit a;
	struct buf data;
	char doc[37] = "";
	int rc, seen = 0;

	*attached = 0;
	if ((rc = store_inbox_seen(p->c, source, name, &seen, e)) || seen) {
		if (seen == 1)
			collect_name(collected, url, name);
		return rc;
	}
	buf_init(&data, ACQUIT_MAX);
	memset(&a, 0, sizeof(a));
	if ((rc = fetch(p->settings, url, &data, ACQUIT_MAX, (long)config_int("transmit_timeout"), e)))
		goto out;
	if (xmit_acquit_parse(data.data, data.len, &a, e)) {
		char idcoll[32];
		int retour = xmit_pes_retour(data.data, data.len, idcoll);

		/* IdColl is a SIRET (SIREN + NIC); in a directory shared by several
		 * organisations, another's PES_Retour stays for its own poll. */
		if (retour && strlen(idcoll) >= 9 && !strncmp(idcoll, p->siren, 9)) {
			*attached = !(rc = keep_retour(p, source, name, &data, e));
			goto out;
		}
		if (retour)
			log_info("org=%s: PES_Retour %s is for IdColl %s, not this organisation", p->siren, name,
				 idcoll[0] ? idcoll : "(none)");
		else
			log_warn("org=%s: %s in the Hélios response directory is neither a PES_ACQUIT nor a PES_Retour",
				 p->siren, name);
	} else if ((rc = match_acquit(p, name, &a, doc, e))) {
		goto out;
	} else if (doc[0]) {
		rc = answer(p, doc, name, &data, &a, e);
		p->handled++;
	} else {
		log_warn("org=%s: PES_ACQUIT %s (NomFic %s) matches no transmission", p->siren, name, a.nomfic);
	}
	if (!rc)
		rc = store_inbox_add(p->c, source, name, doc, doc[0] ? "PES_ACQUIT" : "unmatched", e);
	*attached = !rc && doc[0];
out:
	xmit_acquit_fini(&a);
	buf_fini(&data);
	return rc;
}

/* Every file of the listing, each in its own transaction: an acquit's
 * document is answered (and its answered_at taken) when the acquit is read,
 * and what was read survives a stop, a crash or a database restart in the
 * middle of a long directory.  Between two files the poll ends when liassed
 * stops; the next poll reads the rest. */
static int
read_listing(struct xmit_poll *p, const char *source, const char *dir, char *list,
	     struct curl_slist **collected, int *left, struct lerr *e)
{
	char url[1400];
	int rc = 0, attached;

	for (char *save = NULL, *n = strtok_r(list, "\r\n", &save); !rc && n; n = strtok_r(NULL, "\r\n", &save)) {
		const char *base = xmit_ftp_entry(n);

		if (!base)
			continue;
		if (xmit_stopping()) {
			(*left)++;
			continue;
		}
		snprintf(url, sizeof(url), "%s%s", dir, base);
		if (!(rc = one_acquit(p, source, base, url, collected, &attached, e)) &&
		    !(rc = xmit_poll_commit(p, e)) && attached)
			collect_name(collected, url, base);
	}
	return rc;
}

/* The response directory: its listing, then each file. */
static int
read_dir(struct xmit_poll *p, const char *source, const char *dir, struct lerr *e)
{
	struct curl_slist *collected = NULL;
	struct buf list;
	int rc, left = 0;

	buf_init(&list, LIST_MAX);
	if (!(rc = fetch(p->settings, dir, &list, LIST_MAX, (long)config_int("transmit_timeout"), e)))
		rc = read_listing(p, source, dir, list.data, &collected, &left, e);
	if (left)
		log_info("org=%s: stopping; %d file(s) of the Hélios response directory left for the next poll",
			 p->siren, left);
	else if (!rc)
		delete_collected(p, dir, collected);
	curl_slist_free_all(collected);
	buf_fini(&list);
	return rc;
}

static int
helios_poll(struct xmit_poll *p, struct lerr *e)
{
	char dir[900], source[1000];
	struct lerr e2;
	int rc, r2, waiting = 0, got = 0;

	retour_url(p->settings, dir, sizeof(dir));
	snprintf(source, sizeof(source), "ftp:%s:%s", p->siren, dir);   /* several organisations may share it */
	/* While an acquit is awaited, or one collected lately is to be deleted;
	 * otherwise every retour_interval seconds, for the PES_Retour. */
	if ((rc = store_xmit_waiting(p->c, p->org_id, "helios", &waiting, e)) ||
	    (!waiting && (rc = store_inbox_recent(p->c, source, 2 * (int)config_int("transmit_poll_interval") + 60,
						  &waiting, e))) ||
	    (!waiting && (rc = store_inbox_due(p->c, source, atoi(xmit_setting(p->settings, "retour_interval", "900")),
					       &waiting, e))) || !waiting)
		return rc;
	/* A lock that outlives the commits of read_listing (a transaction's
	 * would end with the first): one poller per directory and organisation. */
	if ((rc = store_inbox_hold(p->c, source, &got, e)) || !got)
		return rc;
	if ((rc = read_dir(p, source, dir, e))) {
		store_rollback(p->c);   /* the file in hand; the lock is released outside it */
		lerr_clear(&e2);
		(void)!store_begin(p->c, &e2);
	}
	lerr_clear(&e2);
	if ((r2 = store_inbox_release(p->c, source, &e2)) && !rc) {
		*e = e2;
		rc = r2;
	}
	return rc;
}

static int
helios_test(struct xmit_poll *p, struct lerr *e)
{
	char dir[900], line[1000];
	struct buf list;
	int rc;

	retour_url(p->settings, dir, sizeof(dir));
	buf_init(&list, LIST_MAX);
	rc = fetch(p->settings, dir, &list, LIST_MAX, 20, e);
	if (!rc) {
		snprintf(line, sizeof(line), "logged in, response directory %s listed", dir);
		p->report(p->arg, "helios", 1, line);
	}
	buf_fini(&list);
	return rc;
}

const struct xmit_connector xmit_helios = {
	.name = "helios",
	.prepare = helios_prepare,
	.send = helios_send,
	.reconcile = helios_reconcile,
	.poll = helios_poll,
	.test = helios_test,
};
