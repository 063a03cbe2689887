/* report.c - the verification report: checks, text and JSON forms. */
#include "sign/sign_int.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

void
sign_report_init(struct sign_report *r)
{
	memset(r, 0, sizeof(*r));
}

void
sign_report_fini(struct sign_report *r)
{
	free(r->checks);
	free(r->sigs);
	memset(r, 0, sizeof(*r));
}

void
rep_add(struct sign_report *r, int sig, const char *id, int ok, int warning,
	const char *fr, const char *en)
{
	struct sign_check *c;
	size_t ncap;

	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 32;
		if (!(c = realloc(r->checks, ncap * sizeof(*c))))
			abort();    /* a report of a few kB: out of memory here is fatal */
		r->checks = c;
		r->cap = ncap;
	}
	c = &r->checks[r->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->sig = sig;
	c->ok = ok;
	c->warning = warning;
	snprintf(c->reason_fr, sizeof(c->reason_fr), "%s", fr);
	snprintf(c->reason_en, sizeof(c->reason_en), "%s", en);
	if (sig >= 0 && (size_t)sig < r->nsig && !ok)
		r->sigs[sig].valid = 0;
}

int
rep_sig(struct sign_report *r, const char *id)
{
	struct sign_sig_info *s = realloc(r->sigs, (r->nsig + 1) * sizeof(*s));

	if (!s)
		abort();
	r->sigs = s;
	s = &r->sigs[r->nsig];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id ? id : "");
	s->valid = 1;
	return (int)r->nsig++;
}

const struct sign_check *
sign_report_failed(const struct sign_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!r->checks[i].ok)
			return &r->checks[i];
	return NULL;
}

const struct sign_check *
sign_report_find(const struct sign_report *r, const char *id, int sig)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->checks[i].id, id) && (sig == -2 || r->checks[i].sig == sig))
			return &r->checks[i];
	return NULL;
}

void
sign_report_print(const struct sign_report *r, FILE *f, int french)
{
	const struct sign_check *c;
	size_t i;

	for (i = 0; i < r->nsig; i++)
		fprintf(f, "signature %zu: %s%s%s%s %s\n", i + 1, r->sigs[i].id,
			r->sigs[i].signer[0] ? " by " : "", r->sigs[i].signer,
			r->sigs[i].signing_time[0] ? " at" : "", r->sigs[i].signing_time);
	for (i = 0; i < r->n; i++) {
		c = &r->checks[i];
		if (c->sig >= 0)
			fprintf(f, "[%d] ", c->sig + 1);
		else
			fprintf(f, "[doc] ");
		fprintf(f, "%-28s %s  %s\n", c->id, !c->ok ? "FAIL" : c->warning ? "WARN" : "ok",
			french ? c->reason_fr : c->reason_en);
	}
	fprintf(f, "%s: %s\n", french ? "verdict" : "verdict",
		r->valid ? (french ? "signature valide" : "valid") :
			   (french ? "signature NON valide" : "NOT valid"));
}

static json_t *
sig_json(const struct sign_sig_info *s)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", s->id, "target", s->target,
			 "signer", s->signer, "signing_time", s->signing_time,
			 "checked_at", s->checked_at, "valid", s->valid);
}

struct json_t *
sign_report_json(const struct sign_report *r)
{
	json_t *o = json_object(), *sigs = json_array(), *checks = json_array(), *c;
	size_t i;

	if (!o || !sigs || !checks)
		goto fail;
	for (i = 0; i < r->nsig; i++)
		if (json_array_append_new(sigs, sig_json(&r->sigs[i])))
			goto fail;
	for (i = 0; i < r->n; i++) {
		c = json_pack("{s:s, s:o, s:b, s:b, s:s, s:s}", "id", r->checks[i].id,
			      "signature", r->checks[i].sig >= 0 ?
				      json_integer(r->checks[i].sig) : json_null(),
			      "ok", r->checks[i].ok, "warning", r->checks[i].warning,
			      "reason_fr", r->checks[i].reason_fr, "reason_en", r->checks[i].reason_en);
		if (json_array_append_new(checks, c))
			goto fail;
	}
	if (json_object_set_new(o, "valid", json_boolean(r->valid)) ||
	    json_object_set_new(o, "format", json_string(r->format)) ||
	    json_object_set_new(o, "signatures", sigs) || json_object_set_new(o, "checks", checks))
		goto fail_o;
	return o;
fail:
	json_decref(sigs);
	json_decref(checks);
fail_o:
	json_decref(o);
	return NULL;
}
