/*
 * pdf.h - PDF documents through MuPDF: the PAdES signature's incremental
 * update and its visible block, the signatures a PDF carries, the stamp of
 * an acknowledged act.  See src/pdf/README.
 *
 * Only pdf/ includes MuPDF (tests/unit/include_check.sh); this header names
 * no MuPDF type.  The CMS itself is made by the caller (sign/, OpenSSL)
 * through lpdf_cms_fn: pdf/ links no OpenSSL.
 */
#ifndef LIASSE_PDF_H
#define LIASSE_PDF_H

#include <stddef.h>
#include <time.h>
#include "core/err.h"
#include "core/buf.h"

/* Largest PDF handled, and the memory MuPDF may use beyond the input. */
#define LPDF_MAX_DOC (160UL * 1024 * 1024)
#define LPDF_MAX_HEAP (48UL * 1024 * 1024)
/* Room reserved for the CMS in /Contents (bytes, hex doubles it). */
#define LPDF_CMS_MAX 24576

/* Makes the CMS SignedData (DER) whose messageDigest is the SHA-256 of the
 * bytes the ByteRange covers (pdf/ hashes them as MuPDF streams them). */
typedef int lpdf_cms_fn(void *arg, const unsigned char sha256[32], struct buf *cms,
			struct lerr *e);

struct lpdf_sign_opts {
	const char *signer;     /* the name readers show (certificate CN) */
	const char *text;       /* the visible block, UTF-8; NULL: invisible */
	int page;               /* 1-based; 0: the last page */
	float x, y, w, h;       /* block in points from the bottom left; w 0: 220x60 */
	time_t when;            /* /M; 0: now */
	const void *logo;       /* PNG or JPEG shown left of the text (NULL: none); */
	size_t logo_len;        /* the block grows by its width (aspect kept, at most 2 h) */
	lpdf_cms_fn *cms;
	void *arg;
};

/* Sign: in untouched, one revision appended (a signature field with its
 * widget, /SubFilter ETSI.CAdES.detached).  LERR_INVALID for a PDF that is
 * malformed, encrypted, or whose page does not exist. */
int lpdf_sign(const struct lpdf_sign_opts *o, const void *in, size_t len, struct buf *out,
	      struct lerr *e) LERR_WUR;
/* The same from file to file, neither held in memory: the PDF of in (read
 * with pread, at most LPDF_MAX_DOC bytes) signed into out (a read-write
 * file, emptied first; left empty on failure); *outlen its length.
 * lpdf_sign() is this over anonymous memory files. */
int lpdf_sign_fd(const struct lpdf_sign_opts *o, int in, int out, size_t *outlen,
		 struct lerr *e) LERR_WUR;

/* One signature as found in the file. */
struct lpdf_sig {
	char field[128];        /* the field's name */
	char subfilter[64];     /* ETSI.CAdES.detached, adbe.pkcs7.detached... */
	char claimed[32];       /* /M as ISO 8601 UTC, "" if none */
	size_t range[4];        /* ByteRange: off, len, off, len */
	int range_ok;           /* two ranges, from 0, around /Contents only */
	size_t revision_end;    /* end of the revision the signature covers */
	int whole_file;         /* revision_end is the end of the file */
	const unsigned char *cms;   /* /Contents, DER (trailing zeros kept) */
	size_t cmslen;
	size_t covered;         /* the bytes the ByteRange covers: range[1] + range[3] */
	int fd;                 /* the PDF's file (read them with lpdf_sig_read) */
};

typedef int lpdf_sig_fn(void *arg, size_t idx, const struct lpdf_sig *s, struct lerr *e);

/* Calls fn for each signed signature field in file order.  *nsig: their
 * number.  The PDF is read from fd (pread, never whole in memory: MuPDF's
 * objects, capped at LPDF_MAX_HEAP, and each /Contents), at most
 * LPDF_MAX_DOC bytes (LERR_TOOLARGE).  LERR_INVALID when the PDF cannot be
 * read. */
int lpdf_signatures_fd(int fd, lpdf_sig_fn *fn, void *arg, size_t *nsig,
		       struct lerr *e) LERR_WUR;
/* The same over memory (a memory file). */
int lpdf_signatures(const void *in, size_t len, lpdf_sig_fn *fn, void *arg, size_t *nsig,
		    struct lerr *e) LERR_WUR;
/* n bytes of what s's ByteRange covers, from at (0: the file's start; the
 * two ranges read as one), from the file, during fn: 0, or -1 (outside, or
 * a read error). */
int lpdf_sig_read(const struct lpdf_sig *s, size_t at, void *p, size_t n);

/* Stamp the first page (lines of UTF-8 text in a block at its top
 * right) in an incremental update: earlier signatures stay valid. */
int lpdf_stamp(const void *in, size_t len, const char *const *lines, size_t n,
	       struct buf *out, struct lerr *e) LERR_WUR;
/* The same from file to file (as lpdf_sign_fd). */
int lpdf_stamp_fd(int in, int out, const char *const *lines, size_t n, size_t *outlen,
		  struct lerr *e) LERR_WUR;

/* An organisation's logo: PNG or JPEG, at most LPDF_LOGO_MAX bytes and
 * LPDF_LOGO_SIDE pixels on a side, wholly decoded by MuPDF without damage.
 * LERR_INVALID (field "logo") saying what is wrong and how to fix it. */
#define LPDF_LOGO_MAX (512u * 1024)
#define LPDF_LOGO_SIDE 2048
struct lpdf_image {
	const char *media_type;  /* "image/png", "image/jpeg" */
	int w, h;
};
int lpdf_image_check(const void *in, size_t len, struct lpdf_image *out, struct lerr *e) LERR_WUR;

/* The MuPDF version liasse was built with ("1.21.1"): the library is linked
 * statically, so this is the one that runs (--version prints it). */
const char *lpdf_version(void);

/* Opens the PDF as signing would: 0, or LERR_INVALID saying what is wrong. */
int lpdf_check(const void *in, size_t len, int *pages, struct lerr *e) LERR_WUR;

#endif
