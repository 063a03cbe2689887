/*
 * ipar.h - the i-Parapheur web services' SOAP side (SOAP 1.1,
 * document/literal, namespace IPAR_NS): reading a request envelope (inline
 * base64 or MTOM/XOP), writing an answer (inline, or MTOM when the request
 * came so), the SOAP faults, and i-Parapheur's names for liasse's states.
 * libxml2 and core/ only: the routes and the documents are http/ipar.c's.
 * See README and doc/compat.md (section i-Parapheur).
 */
#ifndef LIASSE_COMPAT_IPAR_H
#define LIASSE_COMPAT_IPAR_H

#include <stddef.h>
#include <libxml/tree.h>

#include "core/buf.h"
#include "core/err.h"

#define IPAR_NS "http://www.adullact.org/spring-ws/iparapheur/1.0"
#define IPAR_SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define IPAR_XOP_NS "http://www.w3.org/2004/08/xop/include"
#define IPAR_XMIME_NS "http://www.w3.org/2005/05/xmlmime"
/* Bytes of one SOAP envelope (the documents travel in it as base64, or
 * beside it in MTOM parts). */
#define IPAR_MAX_PARTS 128

/* One MIME part of an MTOM request (points into the request's body). */
struct ipar_part {
	const char *cid;                 /* Content-ID without <>, NUL-terminated copy */
	const char *ctype;               /* Content-Type or NULL */
	const unsigned char *data;
	size_t len;
};

/* A request, parsed. */
struct ipar_req {
	xmlDocPtr doc;
	xmlNodePtr op;                   /* the first element of soap:Body */
	const char *op_name;             /* its local name ("GetDossierRequest") */
	int mtom;                        /* the request came as multipart/related */
	struct ipar_part parts[IPAR_MAX_PARTS];
	size_t nparts;
	char *cids;                      /* storage of the parts' cids (malloc'd) */
};

/* Parses body (Content-Type ctype: text/xml, or multipart/related for
 * MTOM): the envelope through the XML guard (no DOCTYPE, bounded), then
 * libxml2.  LERR_MALFORMED when it is not a SOAP 1.1 envelope with a body
 * element.  r is usable (ipar_req_fini) whatever the outcome. */
int ipar_parse(struct ipar_req *r, const char *ctype, const void *body, size_t n, struct lerr *e)
	__attribute__((warn_unused_result));
void ipar_req_fini(struct ipar_req *r);

/* The i-Parapheur child name of parent (first), or NULL. */
xmlNodePtr ipar_child(xmlNodePtr parent, const char *name);
/* Its text content trimmed (malloc'd, free()), NULL when absent or nil;
 * "" when empty. */
char *ipar_text(xmlNodePtr parent, const char *name);
/* The element's own text, trimmed (malloc'd). */
char *ipar_node_text(xmlNodePtr n);
/* The bytes of a TypeDoc element (base64 text, or an xop:Include naming an
 * MTOM part) appended to out, its xmime:contentType in *ctype (malloc'd, NULL
 * when none).  LERR_MALFORMED when neither decodes. */
int ipar_binary(const struct ipar_req *r, xmlNodePtr el, struct buf *out, char **ctype,
		struct lerr *e) __attribute__((warn_unused_result));

/* MTOM: splits a multipart/related body (parameters of ctype: boundary,
 * start) into r->parts; *root is the part that holds the envelope.
 * LERR_MALFORMED with what is wrong. */
int ipar_mtom_split(struct ipar_req *r, const char *ctype, const void *body, size_t n,
		    const struct ipar_part **root, struct lerr *e) __attribute__((warn_unused_result));

/* An answer being built. */
struct ipar_resp {
	xmlDocPtr doc;
	xmlNodePtr body;                 /* soap:Body */
	xmlNsPtr ns;                     /* the i-Parapheur namespace, on the answer element */
	int mtom;                        /* binaries go as MTOM parts */
	struct buf *att[IPAR_MAX_PARTS]; /* their bytes */
	char *att_type[IPAR_MAX_PARTS];  /* their media types (copies) */
	size_t natt;
};

/* The envelope with the answer element name (in IPAR_NS) inside its body. */
xmlNodePtr ipar_resp_begin(struct ipar_resp *w, const char *name, int mtom);
void ipar_resp_fini(struct ipar_resp *w);
/* <name>text</name> in IPAR_NS under parent (text NULL: nothing added). */
xmlNodePtr ipar_resp_text(struct ipar_resp *w, xmlNodePtr parent, const char *name, const char *text);
/* A TypeDoc: base64 inline, or an xop:Include of a new MTOM part. */
int ipar_resp_binary(struct ipar_resp *w, xmlNodePtr parent, const char *name, const void *p,
		     size_t n, const char *ctype) __attribute__((warn_unused_result));
/* <MessageRetour><codeRetour>OK|KO</codeRetour><message/><severite/></MessageRetour>. */
void ipar_resp_retour(struct ipar_resp *w, xmlNodePtr parent, int ok, const char *message);
/* A SOAP 1.1 fault (faultcode soap:Client or soap:Server) replacing the body. */
void ipar_resp_fault(struct ipar_resp *w, int client, const char *message);
/* The answer's bytes (malloc'd) and Content-Type (static or malloc'd in
 * *ctype_alloc: free it). */
int ipar_resp_finish(struct ipar_resp *w, char **out, size_t *n, char **ctype,
		     struct lerr *e) __attribute__((warn_unused_result));

/* i-Parapheur's status name for a liasse document state ("Signe"...); the
 * table is in ipar_status.c with the client code it follows. */
const char *ipar_status(const char *state);
/* EtapeCircuit's Role ("VISEUR", "SIGNATAIRE") for a circuit step's action. */
const char *ipar_role(const char *action);
/* 1 when the i-Parapheur status names a state a dossier can be searched by
 * (RechercherDossiers' Status), with the liasse states it covers. */
int ipar_status_states(const char *status, const char *states[8]);

/* XPathPourSignaturePES: 0 when liasse's PES profile signs what expr selects
 * ("" or NULL: the default; "//Bordereau"; "." for the root), else the French
 * reason in *why (static). */
int ipar_pes_xpath(const char *expr, const char **why);

/* The WSDL of file path with its soap:address elements pointing at base
 * ("https://liasse.example.fr") and its xmlmime import at base's
 * ?xsd=xmlmime (malloc'd).  LERR_NOTFOUND when the file cannot be read. */
int ipar_wsdl(const char *path, const char *base, char **out, size_t *n, struct lerr *e)
	__attribute__((warn_unused_result));
/* The xmlmime schema the WSDL imports (malloc'd); -1 out of memory. */
int ipar_xmlmime_xsd(char **out, size_t *n) __attribute__((warn_unused_result));

#endif
