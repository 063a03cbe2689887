/*
 * pes_summary.c - a PES_Aller as a reader sees it: the header (collectivité,
 * budget, poste comptable), then each bordereau (exercice, number, date,
 * declared amount) with its pièces (number, object, tiers, amount excl.
 * VAT and VAT summed over the lines).
 *
 * The stored file is streamed chunk by chunk into libxml2's reader (no
 * network, no entity expansion, no DTD), so a 128 MiB PES needs one chunk
 * of memory plus what is shown; at most MAX_BORD bordereaux and MAX_PCE
 * pièces are kept for display, everything is counted.
 */
#include "web/web_int.h"

#include "core/log.h"
#include "core/xmlguard.h"

#include <libxml/xmlreader.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BORD 100
#define MAX_PCE 1000
#define MAX_DEPTH 64
#define VAL 128

struct piece {
	char id[VAL], obj[VAL * 2], tiers[VAL];
	long long ht, tva;           /* cents */
	int lines;
	struct piece *next;
};

struct bord {
	int recette;
	char exer[16], id[VAL], date[16], typ[8], nbr[16];
	char mt_ht[32], mt_cumul[32];
	int signed_;
	long long ht, tva;           /* sum over the pièces */
	long npieces;
	struct piece *first, *last;
};

struct pes_sum {
	char nomfic[VAL], typfic[32], dtestr[16], idpost[16], idcoll[32], codcol[8], codbud[8];
	char libelle[VAL * 2];
	struct bord *b[MAX_BORD];
	long nbord, npj, npieces_kept;
	int recette_ctx;
	struct bord *cur;
	struct piece *pce;
};

static int
close_cb(void *ctx)
{
	(void)ctx;
	return 0;
}

/* "-1234.5" -> -123450 cents; 0 when unreadable. */
static long long
cents(const char *v)
{
	long long units = 0, c = 0;
	int neg = *v == '-', digits = 0;

	v += neg || *v == '+';
	for (; *v >= '0' && *v <= '9' && units < 100000000000000LL; v++)
		units = units * 10 + (*v - '0');
	if (*v == '.')
		for (v++; *v >= '0' && *v <= '9' && digits < 2; v++, digits++)
			c = c * 10 + (*v - '0');
	if (digits == 1)
		c *= 10;
	return (neg ? -1 : 1) * (units * 100 + c);
}

static void
cpy(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v);
}

static void
header_value(struct pes_sum *ps, const char *parent, const char *name, const char *v)
{
	if (!strcmp(parent, "Parametres")) {
		if (!strcmp(name, "NomFic")) cpy(ps->nomfic, sizeof(ps->nomfic), v);
		else if (!strcmp(name, "TypFic")) cpy(ps->typfic, sizeof(ps->typfic), v);
	} else if (!strcmp(parent, "EnTetePES")) {
		if (!strcmp(name, "DteStr")) cpy(ps->dtestr, sizeof(ps->dtestr), v);
		else if (!strcmp(name, "IdPost")) cpy(ps->idpost, sizeof(ps->idpost), v);
		else if (!strcmp(name, "IdColl")) cpy(ps->idcoll, sizeof(ps->idcoll), v);
		else if (!strcmp(name, "CodCol")) cpy(ps->codcol, sizeof(ps->codcol), v);
		else if (!strcmp(name, "CodBud")) cpy(ps->codbud, sizeof(ps->codbud), v);
		else if (!strcmp(name, "LibelleColBud")) cpy(ps->libelle, sizeof(ps->libelle), v);
	}
}

static void
bord_value(struct bord *b, const char *name, const char *v)
{
	if (!strcmp(name, "Exer")) cpy(b->exer, sizeof(b->exer), v);
	else if (!strcmp(name, "IdBord")) cpy(b->id, sizeof(b->id), v);
	else if (!strcmp(name, "DteBordEm")) cpy(b->date, sizeof(b->date), v);
	else if (!strcmp(name, "TypBord")) cpy(b->typ, sizeof(b->typ), v);
	else if (!strcmp(name, "NbrPce")) cpy(b->nbr, sizeof(b->nbr), v);
	else if (!strcmp(name, "MtBordHT")) cpy(b->mt_ht, sizeof(b->mt_ht), v);
	else if (!strcmp(name, "MtCumulAnnuel")) cpy(b->mt_cumul, sizeof(b->mt_cumul), v);
}

static void
piece_value(struct pes_sum *ps, const char *parent, const char *name, const char *v)
{
	struct piece *p = ps->pce;

	if (!strcmp(parent, "InfoPce")) {
		if (p && !strcmp(name, "IdPce")) cpy(p->id, sizeof(p->id), v);
		else if (p && !strcmp(name, "Obj")) cpy(p->obj, sizeof(p->obj), v);
	} else if (!strncmp(parent, "InfoLigne", 9)) {
		long long amount = cents(v);

		if (!strcmp(name, "MtHT")) {
			ps->cur->ht += amount;
			if (p) p->ht += amount;
		} else if (!strcmp(name, "MtTVA")) {
			ps->cur->tva += amount;
			if (p) p->tva += amount;
		} else if (p && !strcmp(name, "IdLigne")) {
			p->lines++;
		}
	} else if (p && !strcmp(parent, "InfoTiers") && !strcmp(name, "Nom") && !p->tiers[0]) {
		cpy(p->tiers, sizeof(p->tiers), v);
	}
}

static void
open_element(struct page *pg, struct pes_sum *ps, const char *parent, const char *name)
{
	if (!strcmp(name, "PES_DepenseAller") || !strcmp(name, "PES_RecetteAller")) {
		ps->recette_ctx = name[4] == 'R';
	} else if (!strcmp(name, "Bordereau") && parent && !strncmp(parent, "PES_", 4)) {
		ps->cur = NULL;
		ps->pce = NULL;
		if (ps->nbord < MAX_BORD) {
			ps->cur = ps->b[ps->nbord] = arena_zalloc(pg->a, sizeof(struct bord));
			ps->cur->recette = ps->recette_ctx;
		}
		ps->nbord++;
	} else if (!strcmp(name, "Piece") && ps->cur) {
		ps->cur->npieces++;
		ps->pce = NULL;
		if (ps->npieces_kept < MAX_PCE) {
			struct piece *p = arena_zalloc(pg->a, sizeof(*p));

			*(ps->cur->last ? &ps->cur->last->next : &ps->cur->first) = p;
			ps->cur->last = ps->pce = p;
			ps->npieces_kept++;
		}
	} else if (!strcmp(name, "PJ") && parent && !strcmp(parent, "PES_PJ")) {
		ps->npj++;
	} else if (!strcmp(name, "Signature") && parent && !strcmp(parent, "Bordereau") && ps->cur) {
		ps->cur->signed_ = 1;
	}
}

/* Walks the document; 0 or -1 when it is not readable XML. */
static int
walk(struct page *pg, xmlTextReaderPtr r, struct pes_sum *ps)
{
	const char *stack[MAX_DEPTH] = { 0 };
	int rc;

	while ((rc = xmlTextReaderRead(r)) == 1) {
		int depth = xmlTextReaderDepth(r);
		const char *name, *parent;
		xmlChar *v;

		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT || depth >= MAX_DEPTH)
			continue;
		/* names live in the reader's dictionary as long as the reader */
		name = (const char *)xmlTextReaderConstLocalName(r);
		stack[depth] = name;
		parent = depth ? stack[depth - 1] : NULL;
		open_element(pg, ps, parent, name);
		if (!parent || !(v = xmlTextReaderGetAttribute(r, BAD_CAST "V")))
			continue;
		header_value(ps, parent, name, (const char *)v);
		if (ps->cur && !strcmp(parent, "BlocBordereau"))
			bord_value(ps->cur, name, (const char *)v);
		else if (ps->cur)
			piece_value(ps, parent, name, (const char *)v);
		xmlFree(v);
	}
	return rc == 0 ? 0 : -1;
}

static void
money(struct page *p, long long c)
{
	char txt[40];

	snprintf(txt, sizeof(txt), "%s%lld.%02lld", c < 0 ? "-" : "", llabs(c) / 100, llabs(c) % 100);
	h_euros(p, txt);
}

static void
dl_item(struct page *p, const char *dt, const char *dd)
{
	if (dd && *dd)
		h_fmt(p, "<dt>%s</dt><dd>%s</dd>", dt, dd);
}

static void
render_header(struct page *p, const struct pes_sum *ps)
{
	h_raw(p, "<dl class=\"meta\">");
	dl_item(p, "Collectivité et budget", ps->libelle);
	dl_item(p, "IdColl (SIRET)", ps->idcoll);
	dl_item(p, "Code collectivité", ps->codcol);
	dl_item(p, "Code budget", ps->codbud);
	dl_item(p, "Poste comptable", ps->idpost);
	dl_item(p, "Type de flux", ps->typfic);
	dl_item(p, "Nom du fichier", ps->nomfic);
	if (ps->dtestr[0]) {
		h_raw(p, "<dt>Date de production</dt><dd>");
		h_when(p, ps->dtestr);
		h_raw(p, "</dd>");
	}
	h_fmt(p, "<dt>Bordereaux</dt><dd>%ld</dd>", ps->nbord);
	if (ps->npj)
		h_fmt(p, "<dt>Pièces justificatives jointes</dt><dd>%ld</dd>", ps->npj);
	h_raw(p, "</dl>");
}

static void
render_pieces(struct page *p, const struct bord *b)
{
	h_fmt(p, "<table class=\"stack\"><caption>Pièces du bordereau %s</caption><thead><tr>"
	      "<th scope=\"col\">Pièce</th><th scope=\"col\">Objet</th><th scope=\"col\">%S</th>"
	      "<th scope=\"col\" class=\"num\">Lignes</th><th scope=\"col\" class=\"num\">Montant HT</th>"
	      "<th scope=\"col\" class=\"num\">TVA</th></tr></thead><tbody>", b->id,
	      b->recette ? "Débiteur" : "Créancier");
	for (const struct piece *pc = b->first; pc; pc = pc->next) {
		h_fmt(p, "<tr><td data-label=\"Pièce\">%s</td><td data-label=\"Objet\">%s</td><td data-label=\"Tiers\">%s</td>"
		      "<td class=\"num\" data-label=\"Lignes\">%d</td><td class=\"num\" data-label=\"Montant HT\">",
		      pc->id, pc->obj, pc->tiers, pc->lines);
		money(p, pc->ht);
		h_raw(p, "</td><td class=\"num\" data-label=\"TVA\">");
		money(p, pc->tva);
		h_raw(p, "</td></tr>");
	}
	h_raw(p, "</tbody></table>");
}

static void
render_bord(struct page *p, const struct bord *b)
{
	long shown = 0;

	for (const struct piece *pc = b->first; pc; pc = pc->next)
		shown++;
	h_fmt(p, "<section class=\"card\" aria-label=\"Bordereau %s\"><h3>Bordereau de %S n° %s — exercice %s</h3>"
	      "<dl class=\"meta\">", b->id, b->recette ? "recette" : "dépense", b->id, b->exer);
	if (b->date[0]) {
		h_raw(p, "<dt>Émis le</dt><dd>");
		h_when(p, b->date);
		h_raw(p, "</dd>");
	}
	dl_item(p, "Type de bordereau", b->typ);
	h_fmt(p, "<dt>Pièces</dt><dd>%ld", b->npieces);
	if (b->nbr[0])
		h_fmt(p, " (déclarées : %s)", b->nbr);
	h_raw(p, "</dd>");
	h_raw(p, "<dt>Montant HT déclaré</dt><dd>");
	h_euros(p, b->mt_ht);
	h_raw(p, "</dd><dt>Total HT des lignes</dt><dd>");
	money(p, b->ht);
	h_raw(p, "</dd><dt>Total TVA des lignes</dt><dd>");
	money(p, b->tva);
	if (b->mt_cumul[0]) {
		h_raw(p, "</dd><dt>Cumul annuel</dt><dd>");
		h_euros(p, b->mt_cumul);
	}
	h_fmt(p, "</dd><dt>Signature</dt><dd>%S</dd></dl>", b->signed_ ? "signé" : "non signé");
	render_pieces(p, b);
	if (shown < b->npieces)
		h_fmt(p, "<p class=\"muted\">%ld pièces sur %ld affichées.</p>", shown, b->npieces);
	h_raw(p, "</section>");
}

void
pes_summary_io(struct page *p, int (*readfn)(void *ctx, char *out, int max), void *ctx)
{
	struct pes_sum *ps = arena_zalloc(p->a, sizeof(*ps));
	struct xmlguard_io *io = arena_zalloc(p->a, sizeof(*io));   /* every byte through the guard */
	xmlTextReaderPtr r;
	int rc = -1;

	xmlguard_io_init(io, readfn, ctx);
	r = xmlReaderForIO(xmlguard_io_read, close_cb, io, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS |
			   XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (r) {
		rc = walk(p, r, ps);
		xmlFreeTextReader(r);
	}
	if (io->refused)
		log_warn("PES summary stopped: %s %s", io->refusal.msg, io->refusal.detail);
	h_raw(p, "<section class=\"pes\" aria-labelledby=\"pes-titre\"><h2 id=\"pes-titre\">Flux comptable PES</h2>");
	if (rc)
		h_raw(p, "<p class=\"flash error\">Le fichier PES n’a pas pu être lu en entier ; "
		      "ce résumé est partiel.</p>");
	render_header(p, ps);
	for (long i = 0; i < ps->nbord && i < MAX_BORD; i++)
		render_bord(p, ps->b[i]);
	if (ps->nbord > MAX_BORD)
		h_fmt(p, "<p class=\"muted\">%d bordereaux sur %ld affichés.</p>", MAX_BORD, ps->nbord);
	h_raw(p, "</section>");
}

void
pes_summary(struct page *p, struct store_conn *c, const struct doc_file *f)
{
	struct store_blob_reader s;
	struct lerr e;

	if (!store_blob_reader_init(&s, c, f->blob_id, f->nchunks, &e))
		pes_summary_io(p, store_blob_read, &s);
	store_blob_reader_fini(&s);
}
