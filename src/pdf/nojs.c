/*
 * nojs.c - MuPDF without JavaScript and without JBIG2 decoding.
 *
 * Debian's libmupdf-dev ships static archives; the form JavaScript engine
 * (mujs) and the JBIG2 decoder (jbig2dec) it refers to come from
 * libmujs-dev and libjbig2dec0-dev, which this build does not use: liasse
 * never enables document JavaScript (pdf_enable_js) and never decodes an
 * image, so these entry points are unreachable.  They abort if ever reached,
 * except the two JBIG2 constructors, which fail (MuPDF then raises an error
 * for that image).  Less code from outside reachable: JBIG2 decoders are a
 * classic attack surface of PDF readers.
 */
#include <stdlib.h>

#define UNREACHABLE(f) void f(void); void f(void) { abort(); }

void *jbig2_ctx_new_imp(void);
void *jbig2_ctx_new_imp(void) { return NULL; }
void *jbig2_make_global_ctx(void);
void *jbig2_make_global_ctx(void) { return NULL; }
UNREACHABLE(jbig2_complete_page)
void *jbig2_ctx_free(void *c);
void *jbig2_ctx_free(void *c) { (void)c; return NULL; }
UNREACHABLE(jbig2_data_in)
void *jbig2_global_ctx_free(void *c);
void *jbig2_global_ctx_free(void *c) { (void)c; return NULL; }
UNREACHABLE(jbig2_page_out)
UNREACHABLE(jbig2_release_page)
UNREACHABLE(js_freestate)
UNREACHABLE(js_getcontext)
UNREACHABLE(js_getglobal)
UNREACHABLE(js_getproperty)
UNREACHABLE(js_getregistry)
UNREACHABLE(js_newuserdata)
UNREACHABLE(js_pcall)
UNREACHABLE(js_ploadstring)
UNREACHABLE(js_pop)
UNREACHABLE(js_pushboolean)
UNREACHABLE(js_pushstring)
UNREACHABLE(js_pushundefined)
UNREACHABLE(js_setproperty)
UNREACHABLE(js_tryboolean)
UNREACHABLE(js_tryrepr)
UNREACHABLE(js_trystring)

/* Named by ctx.c so that the linker takes this file from libpdf.a before
 * it reaches libmupdf.a. */
int lpdf_nojs(void);
int lpdf_nojs(void) { return 1; }
