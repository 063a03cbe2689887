/*
 * pes_signed.c - a PES that arrives already signed (issue 12, point 2).
 *
 * The door verifies the signatures it carries (sign/, the verifier of
 * liasse verify) and the file's state decides what liasse does with it:
 *
 *   full      every bordereau Hélios reads is covered by a valid signature
 *             (of its own, or of the whole file): transmit only; asking to
 *             sign it is refused (metadata.sign);
 *   partial   the signatures verify and some bordereaux carry none: the
 *             official signs those only (sign/pes.c keeps the unsigned
 *             targets); a transmission without signing is refused;
 *   broken    a signature does not verify, or an element is signed or
 *             placed where Hélios does not read it: a warning the agent
 *             sees; refused when a transmission is asked, or when nothing
 *             is left for the official to sign;
 *   unverified  the verification could not run (no trust_dir, file over
 *             verify_max_size): as broken, the reason in the warning.
 *
 * InfoDematerialisee must agree with what Hélios receives: 1 when signed, 0
 * when not (the simulator, as Hélios, refuses otherwise with DomaineAck 1).
 * When liasse signs the file it sets the value itself; a file transmitted as
 * it came is refused at the door when the value disagrees.
 *
 * The verifier's report goes into the "pes" object of the document JSON
 * ("signatures"), checks pruned to the failing ones past SIGNED_KEEP_CHECKS.
 * See doc/helios-signed.md.
 */
#include "flow/door.h"

#include <stdio.h>
#include <string.h>

#include "sign/sign.h"

#define SIGNED_KEEP_CHECKS 60    /* checks of the stored report before pruning */
#define SIGNED_KEEP_LINES 100    /* failing checks and signatures kept at most */

enum signed_state { S_FULL, S_PARTIAL, S_BROKEN, S_UNVERIFIED };

static const char *const state_name[] = { "full", "partial", "broken", "unverified" };

static const char *const state_fr[] = {
	"chaque bordereau est signé : le fichier est transmis tel quel",
	"une partie des bordereaux est signée : l'élu signe les autres",
	"des signatures existantes ne sont pas valides",
	"les signatures existantes n'ont pas pu être vérifiées",
};

static int
demat_yes(const struct pes_info *pi)
{
	return pi->demat_depense == PES_DEMAT_YES || pi->demat_recette == PES_DEMAT_YES;
}

static int
demat_no(const struct pes_info *pi)
{
	return pi->demat_depense != PES_DEMAT_YES && pi->demat_recette != PES_DEMAT_YES;
}

/* A check of the whole document failed, other than coverage. */
static int
document_failed(const struct sign_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].sig < 0 && !r->checks[i].ok && strcmp(r->checks[i].id, "coverage"))
			return 1;
	return 0;
}

static enum signed_state
judge(const struct sign_report *r)
{
	for (size_t i = 0; i < r->nsig; i++)
		if (!r->sigs[i].valid)
			return S_BROKEN;
	if (r->nsig == 0 || document_failed(r) || !r->pes_covered || r->pes_misplaced)
		return S_BROKEN;
	return r->pes_unsigned ? S_PARTIAL : S_FULL;
}

/* The failing checks, French reasons, "; " between them. */
static void
failures_fr(const struct sign_report *r, char *out, size_t n)
{
	size_t o = 0, k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n && o + 8 < n; i++) {
		if (r->checks[i].ok)
			continue;
		if (k++ == 5) {
			snprintf(out + o, n - o, "; …");
			return;
		}
		if (r->checks[i].sig >= 0)
			o += (size_t)snprintf(out + o, n - o, "%ssignature %d : %s", o ? "; " : "",
					      r->checks[i].sig + 1, r->checks[i].reason_fr);
		else
			o += (size_t)snprintf(out + o, n - o, "%s%s", o ? "; " : "",
					      r->checks[i].reason_fr);
	}
}

static void
failures_en(const struct sign_report *r, char *out, size_t n)
{
	size_t o = 0, k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n && o + 8 < n; i++) {
		if (r->checks[i].ok || k++ == 5)
			continue;
		o += (size_t)snprintf(out + o, n - o, "%s%s%s", o ? "; " : "",
				      r->checks[i].id, r->checks[i].sig >= 0 ? "" : " (document)");
		if (o < n)
			o += (size_t)snprintf(out + o, n - o, ": %s", r->checks[i].reason_en);
	}
}

/* Keeps the failing checks only (at most SIGNED_KEEP_LINES) when the report
 * is long: a PES of thousands of bordereaux has 17 checks per signature. */
static void
prune(json_t *rep)
{
	json_t *checks = json_object_get(rep, "checks"), *sigs = json_object_get(rep, "signatures");
	size_t i = 0, omitted = 0;

	if (json_array_size(checks) > SIGNED_KEEP_CHECKS) {
		while (i < json_array_size(checks)) {
			json_t *c = json_array_get(checks, i);

			if (!json_is_true(json_object_get(c, "ok")) && i < SIGNED_KEEP_LINES)
				i++;
			else
				json_array_remove(checks, i), omitted++;
		}
		json_object_set_new(rep, "checks_omitted", json_integer((json_int_t)omitted));
	}
	for (omitted = 0; json_array_size(sigs) > SIGNED_KEEP_LINES; omitted++)
		json_array_remove(sigs, json_array_size(sigs) - 1);
	if (omitted)
		json_object_set_new(rep, "signatures_omitted", json_integer((json_int_t)omitted));
}

static void
record(struct door *d, enum signed_state st, const struct sign_report *r, const char *why)
{
	json_t *o = json_object(), *rep = r ? sign_report_json(r) : NULL;

	if (!o || !d->meta) {
		json_decref(o);
		json_decref(rep);
		return;
	}
	json_object_set_new(o, "state", json_string(state_name[st]));
	json_object_set_new(o, "summary_fr", json_string(state_fr[st]));
	if (r && r->pes_covered) {
		json_object_set_new(o, "bordereaux", json_integer((json_int_t)r->pes_bordereaux));
		json_object_set_new(o, "unsigned", json_integer((json_int_t)r->pes_unsigned));
	}
	if (why)
		json_object_set_new(o, "reason", json_string(why));
	if (rep) {
		prune(rep);
		json_object_set_new(o, "report", rep);
	}
	json_object_set_new(d->meta, "signatures", o);
}

static void
warn(struct door *d, enum signed_state st, const char *why_fr)
{
	char w[1200];

	snprintf(w, sizeof(w), "Signatures existantes : %s — %s", state_fr[st], why_fr);
	if (!d->warnings)
		d->warnings = json_array();
	if (d->warnings)
		json_array_append_new(d->warnings, json_string(w));
}

/* A file liasse transmits as it came: InfoDematerialisee must say whether
 * it is signed. */
static int
check_demat(const struct pes_info *pi, int is_signed, struct lerr *e)
{
	if (is_signed && !demat_yes(pi)) {
		lerr_set(e, LERR_INVALID, "pes.infodematerialisee",
			 "the PES is signed but its InfoDematerialisee is not 1");
		lerr_detail(e, "Hélios refuses a signed file whose EnTeteDepense/EnTeteRecette "
			    "InfoDematerialisee is 0 (DomaineAck 1, signature technique)");
		lerr_hint(e, "set InfoDematerialisee V=\"1\" before signing, and send the file "
			  "signed again (the signature covers that value)");
		return LERR_INVALID;
	}
	if (!is_signed && !demat_no(pi)) {
		lerr_set(e, LERR_INVALID, "pes.infodematerialisee",
			 "the PES says InfoDematerialisee 1 but carries no signature");
		lerr_detail(e, "Hélios refuses an unsigned file that says it is dematerialised "
			    "(DomaineAck 1, signature technique)");
		lerr_hint(e, "ask for a signature (\"sign\": true), or set InfoDematerialisee to 0 "
			  "for a file signed on paper");
		return LERR_INVALID;
	}
	return 0;
}

static int
refuse_bad(enum signed_state st, const char *why_en, size_t left, struct lerr *e)
{
	lerr_set(e, LERR_INVALID, "pes.signatures", st == S_BROKEN ?
		 "the signatures the PES carries are not valid" :
		 "the signatures the PES carries could not be verified");
	lerr_detail(e, "%s%s", why_en, left || st != S_BROKEN ? "" : "; every bordereau already "
		    "carries a signature, so none is left for an official to sign");
	lerr_hint(e, "send the file unsigned for the official to sign, or signed again; "
		  "\"pes\".\"signatures\" of a sign-only document shows the whole report");
	return LERR_INVALID;
}

/* What the file's state allows, given what was asked (*sign, *transmit
 * resolved; d->asked_sign as the vendor said it, -1 when not). */
static int
decide(struct door *d, enum signed_state st, const struct pes_info *pi, const char *why_en,
       size_t left, int *sign, int *transmit, struct lerr *e)
{
	switch (st) {
	case S_FULL:
		if (d->asked_sign == 1 || !*transmit) {
			lerr_set(e, LERR_INVALID, "metadata.sign", "the PES is already signed: "
				 "every bordereau carries a valid signature");
			lerr_detail(e, "there is nothing left for an official to sign");
			lerr_hint(e, "send it with \"sign\": false, \"transmit\": true (the default for "
				  "a signed PES), or send the unsigned file");
			return LERR_INVALID;
		}
		*sign = 0;
		return check_demat(pi, 1, e);
	case S_PARTIAL:
		if (*sign)
			return 0;
		lerr_set(e, LERR_INVALID, "pes.signatures",
			 "some bordereaux of the PES are not signed");
		lerr_detail(e, "%s", why_en);
		lerr_hint(e, "ask for a signature (\"sign\": true): the official signs the "
			  "unsigned bordereaux only");
		return LERR_INVALID;
	default:
		/* broken or unverified: the official's signature would be refused
		 * (sign_pes verifies the existing signatures first), so the file is
		 * refused now rather than left in a queue where nobody can sign it */
		return refuse_bad(st, why_en, left, e);
	}
}

int
door_wants_signatures(const struct door *d)
{
	return d->ps != NULL;
}

int
door_pes_signatures(struct door *d, const void *file, size_t len, const char *cannot,
		    int *sign, int *transmit, struct lerr *e)
{
	const struct pes_info *pi = pes_scan_info(d->ps);
	struct sign_report r;
	enum signed_state st = S_UNVERIFIED;
	char why_fr[1000], why_en[1000];
	struct lerr ve;
	int rc, have = 0;

	if (!pi->n_signatures)
		return *transmit && !*sign ? check_demat(pi, 0, e) : 0;
	sign_report_init(&r);
	lerr_clear(&ve);
	if (!file) {
		snprintf(why_en, sizeof(why_en), "%.900s", cannot ? cannot : "the file could not be read");
		snprintf(why_fr, sizeof(why_fr), "vérification impossible : %.900s", why_en);
	} else if (sign_verify_buffer(file, len, NULL, 0, NULL, &r, &ve)) {
		snprintf(why_en, sizeof(why_en), "verification could not run: %.900s", ve.msg);
		snprintf(why_fr, sizeof(why_fr), "vérification impossible : %.900s", ve.msg);
	} else {
		have = 1;
		st = judge(&r);
		failures_fr(&r, why_fr, sizeof(why_fr));
		failures_en(&r, why_en, sizeof(why_en));
	}
	record(d, st, have ? &r : NULL, st == S_UNVERIFIED ? why_en : NULL);
	if (st != S_FULL)
		warn(d, st, why_fr);
	rc = decide(d, st, pi, why_en, have ? r.pes_unsigned : 0, sign, transmit, e);
	sign_report_fini(&r);
	return rc;
}
