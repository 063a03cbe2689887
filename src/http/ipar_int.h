/* ipar_int.h - private to http/ipar*.c: one i-Parapheur SOAP call. */
#ifndef LIASSE_HTTP_IPAR_INT_H
#define LIASSE_HTTP_IPAR_INT_H

#include <jansson.h>

#include "compat/ipar.h"
#include "http/http_int.h"

struct soap {
	struct req *rq;
	struct buf body;             /* the request as received */
	struct ipar_req in;
	struct ipar_resp out;
	xmlNodePtr answer;           /* the answer element */
	struct store_conn *c;
};

/* The operations of ipar_create.c. */
int ipar_op_creer(struct soap *s);
int ipar_op_creer_pes(struct soap *s);
/* The client's types as JSON ([{siren, type, sous_type, kind, circuit}], new
 * reference) or NULL with *e set. */
json_t *ipar_types(struct soap *s, struct lerr *e);
/* A KO MessageRetour under the answer element, the message formatted. */
int ipar_ko(struct soap *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The database, taken from the pool for this call (released at the end). */
int ipar_conn(struct soap *s, struct lerr *e) LERR_WUR;
/* A liasse refusal as the French MessageRetour text (static storage of s's arena). */
const char *ipar_refusal(struct soap *s, const struct lerr *e);

#endif
