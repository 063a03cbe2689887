/*
 * verify.c - POST /api/v1/verify: a signed file (and, for a detached
 * signature, the signed data) in, the verification report out.
 *
 * The "file" part is streamed into a temporary file (spool_tmpfile) as it
 * arrives: a PDF is verified from there, never held in memory (MuPDF reads
 * it with pread, each ByteRange is digested as it is read), up to
 * verify_pdf_max_size; a signed XML or CMS file is read back into memory to
 * be verified (libxml2's tree, OpenSSL), so it stays bounded by
 * verify_max_size, as does the detached "data" part, held in memory.
 */
#include "http/http_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/spool.h"
#include "pdf/pdf.h"
#include "sign/sign.h"

struct vreq {
	struct MHD_PostProcessor *pp;
	int fd;                 /* the "file" part's temporary file, -1 before it */
	uint64_t fsize;
	unsigned char head[5];  /* its first bytes: "%PDF-" or not */
	size_t headlen;
	struct buf data;
	int in_data;            /* the current part is "data" */
	const char *data_name;
};

/* The largest PDF verified: verify_pdf_max_size, at most what pdf/ reads. */
static uint64_t
pdf_max(void)
{
	long long m = config_int("verify_pdf_max_size");

	return m > 0 && (uint64_t)m < LPDF_MAX_DOC ? (uint64_t)m : LPDF_MAX_DOC;
}

static enum MHD_Result
too_large(struct req *rq, const char *key, int pdf)
{
	struct lerr e;

	lerr_set(&e, LERR_TOOLARGE, key, "part \"%s\" is too large to verify here", key);
	if (pdf) {
		lerr_detail(&e, "the limit for a PDF is %llu bytes (verify_pdf_max_size)",
			    (unsigned long long)pdf_max());
		lerr_hint(&e, "use \"liasse verify\" on the command line for larger PDFs (up to %lu "
			  "MiB)", LPDF_MAX_DOC >> 20);
	} else {
		lerr_detail(&e, "the limit is %lld bytes (verify_max_size; a signed XML or CMS file "
			    "and the detached data are verified in memory)",
			    config_int("verify_max_size"));
		lerr_hint(&e, "use \"liasse verify\" on the command line for larger files");
	}
	http_fail(rq, &e);
	return MHD_NO;
}

/* n bytes of the "file" part appended to its temporary file. */
static enum MHD_Result
file_add(struct req *rq, struct vreq *v, const char *p, size_t n)
{
	struct lerr e;
	int pdf;

	for (size_t i = 0; v->headlen < sizeof(v->head) && i < n; i++)
		v->head[v->headlen++] = (unsigned char)p[i];
	pdf = v->headlen < sizeof(v->head) || !memcmp(v->head, "%PDF-", 5);
	if (v->fsize + n > (pdf ? pdf_max() : (uint64_t)config_int("verify_max_size")))
		return too_large(rq, "file", pdf);
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(v->fd, p + done, n - done, (off_t)(v->fsize + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			lerr_set(&e, LERR_UNAVAILABLE, NULL, "cannot keep the file to verify");
			lerr_detail(&e, "its temporary file: %s", w < 0 ? strerror(errno) : "no space");
			lerr_hint(&e, "the server's spool directory (spool_dir) is full or "
				  "unwritable: try again later");
			return http_fail(rq, &e), MHD_NO;
		}
		done += (size_t)w;
	}
	v->fsize += n;
	return MHD_YES;
}

static enum MHD_Result
part_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *ctype, const char *encoding, const char *p, uint64_t off, size_t n)
{
	struct req *rq = cls;
	struct vreq *v = rq->state;
	struct lerr e;

	if (rq->failed)
		return MHD_NO;
	if (off == 0) {
		if (!strcmp(key, "file")) {
			v->in_data = 0;
			if (v->fd < 0 && (v->fd = spool_tmpfile(&e)) < 0)
				return http_fail(rq, &e), MHD_NO;
		} else if (!strcmp(key, "data")) {
			v->in_data = 1;
			v->data_name = filename ? arena_strdup(rq->arena, filename) : NULL;
		} else {
			lerr_set(&e, LERR_MALFORMED, key, "unexpected part \"%s\"", key);
			lerr_hint(&e, "send the signed file as \"file\" and, for a detached signature, "
				  "the signed data as \"data\"");
			return http_fail(rq, &e), MHD_NO;
		}
	}
	if (!v->in_data)
		return file_add(rq, v, p, n);
	if (buf_add(&v->data, p, n))
		return too_large(rq, key, 0);
	return MHD_YES;
}

static int
verify_begin(struct req *rq)
{
	struct vreq *v = arena_zalloc(rq->arena, sizeof(*v));

	rq->state = v;
	v->fd = -1;
	buf_init(&v->data, (size_t)config_int("verify_max_size"));
	v->pp = http_multipart_open(rq, part_cb, "post the signed file as a \"file\" part, e.g. curl -F file=@signed.xml");
	return 0;
}

static int
verify_data(struct req *rq, const char *p, size_t n)
{
	struct vreq *v = rq->state;

	return http_multipart_feed(rq, v->pp, p, n);
}

static int
verify_end(struct req *rq)
{
	struct vreq *v = rq->state;
	struct sign_verify_opts o = { 0 };
	struct sign_report r;
	struct lerr e;
	json_t *body;
	int rc;

	lerr_clear(&e);
	if (http_multipart_close(rq, &v->pp))
		return 0;
	if (v->fsize == 0) {
		lerr_set(&e, LERR_INVALID, "file", "missing \"file\" part");
		lerr_hint(&e, "send the signed file as a \"file\" part");
		return http_reply_problem(rq, &e);
	}
	if (v->data.len) {
		o.data = v->data.data;
		o.datalen = v->data.len;
		o.data_name = v->data_name;
	}
	sign_report_init(&r);
	rc = sign_verify_fd(&o, v->fd, (size_t)config_int("verify_max_size"), &r, &e);
	body = rc ? NULL : sign_report_json(&r);
	sign_report_fini(&r);
	if (rc)
		return http_reply_problem(rq, &e);
	return http_reply_json(rq, 200, body);
}

static void
verify_done(struct req *rq)
{
	struct vreq *v = rq->state;

	if (!v)
		return;
	if (v->pp)
		MHD_destroy_post_processor(v->pp);
	if (v->fd >= 0)
		close(v->fd);
	buf_fini(&v->data);
}

const struct http_handler http_h_verify = {
	.begin = verify_begin, .data = verify_data, .end = verify_end, .done = verify_done,
};
