/*
 * assets.c - the static files of the front end, embedded in the binary
 * (static.inc is generated from src/web/static by Makefile.inc), so a
 * liassed needs nothing installed beside it.  Served with a validator and
 * a day of caching.
 */
#include "web/web_int.h"

#include <string.h>

#include "static.inc"

static const struct asset {
	const char *name, *ctype, *data;
	size_t len;
} assets[] = {
	{ "liasse.css", "text/css; charset=utf-8", web_liasse_css, sizeof(web_liasse_css) - 1 },
	{ "liasse.js", "text/javascript; charset=utf-8", web_liasse_js, sizeof(web_liasse_js) - 1 },
	{ "logo.svg", "image/svg+xml", web_logo_svg, sizeof(web_logo_svg) - 1 },
};

void
web_asset(struct page *p)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		if (strcmp(assets[i].name, p->params[0]))
			continue;
		p->r->status = 200;
		p->r->ctype = assets[i].ctype;
		p->r->body = (char *)assets[i].data;
		p->r->len = assets[i].len;
		p->r->body_static = 1;
		return;
	}
	page_error(p, 404, "Fichier introuvable", "Ce fichier n’existe pas.");
}
