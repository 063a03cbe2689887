/*
 * kind.c - the table of document kinds (see kind.h and src/flow/README).
 * Adding a kind: one entry in kinds[] below, its door checks in their own
 * file under flow/ and one line in flow/door.c's doors[], and the value in
 * the SQL enum doc_kind.  Adding a signature profile: its name in the
 * profiles of the kinds that allow it, and its signer in flow/signdoc.c's
 * profiles[] (its own file under sign/).
 */
#include "core/kind.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>

static const char *const pes_profiles[] = { "pes-xades-epes", NULL };
static const char *const acte_profiles[] = { "cades", "pades", NULL };
static const char *const document_profiles[] = { "xades-baseline", "pades", NULL };

/* A tiers de télétransmission first: an organisation that has one sends
 * everything through it; otherwise the platform's own door. */
static const char *const pes_connectors[] = { "s2low", "helios", NULL };
static const char *const acte_connectors[] = { "s2low", "actes", NULL };
static const char *const no_connectors[] = { NULL };

static const struct doc_kind kinds[] = {
	{
		.name = "pes", .label = "Flux comptable (PES)",
		.sign = 1, .transmit = 1,
		.profiles = pes_profiles, .connectors = pes_connectors,
		.meta_key = NULL, .annexes = 0,
		.max_total = 128ULL << 20,
		.too_large_hint = "Hélios takes PES files of at most 128 MiB",
	},
	{
		.name = "acte", .label = "Acte",
		.sign = 0, .transmit = 1,
		.profiles = acte_profiles, .connectors = acte_connectors,
		.meta_key = "acte", .annexes = 1,
		.max_total = 150ULL << 20,
		.too_large_hint = "an @ctes transmission holds at most 150 MiB in all",
	},
	{
		.name = "document", .label = "Document",
		.sign = 1, .transmit = 0,
		.profiles = document_profiles, .connectors = no_connectors,
		.meta_key = "document", .annexes = 1,
		.max_total = 0,
		.too_large_hint = "ask the operator about document_max_size",
	},
};

/* None yet: the compatibility entry points add theirs, one row each. */
static const struct doc_kind_alias aliases[] = {
	{ NULL, NULL, NULL, NULL },
};

const struct doc_kind *
doc_kind_get(const char *name)
{
	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

const struct doc_kind *
doc_kind_at(size_t i)
{
	return i < sizeof(kinds) / sizeof(kinds[0]) ? &kinds[i] : NULL;
}

const char *
doc_kind_names(const char *sep)
{
	static __thread char out[256];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && o < sizeof(out); i++) {
		int n = snprintf(out + o, sizeof(out) - o, "%s%s", i ? sep : "", kinds[i].name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

const char *
doc_kind_label(const char *name)
{
	const struct doc_kind *k = doc_kind_get(name);

	return k ? k->label : name ? name : "";
}

const char *
doc_kind_profile(const struct doc_kind *k)
{
	return k ? k->profiles[0] : NULL;
}

static int
listed(const char *const *list, const char *name)
{
	for (size_t i = 0; list && name && list[i]; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

int
doc_kind_profile_allowed(const struct doc_kind *k, const char *profile)
{
	return k && listed(k->profiles, profile);
}

int
doc_kind_transmittable(const struct doc_kind *k)
{
	return k && k->connectors[0] != NULL;
}

int
doc_kind_carried_by(const struct doc_kind *k, const char *connector)
{
	return k && listed(k->connectors, connector);
}

const char *
doc_kind_connectors(const struct doc_kind *k, const char *sep, char *out, size_t cap)
{
	size_t o = 0;

	if (cap)
		out[0] = '\0';
	for (size_t i = 0; k && k->connectors[i] && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? sep : "", k->connectors[i]);
	return out;
}

int
doc_kind_no_connector(const struct doc_kind *k, const char *siren, const char **last, struct lerr *e)
{
	char names[200];
	size_t n = 0;

	while (k && k->connectors[n])
		n++;
	if (!n)
		return lerr_set(e, LERR_INTERNAL, NULL, "documents of kind \"%s\" are not transmitted",
				k ? k->name : "?");
	*last = k->connectors[n - 1];
	lerr_set(e, LERR_NOTFOUND, "connector", "no %s connector for this organisation", *last);
	lerr_detail(e, "a document of kind \"%s\" goes through one of: %s", k->name,
		    doc_kind_connectors(k, ", ", names, sizeof(names)));
	lerr_hint(e, "configure one: liasse connector set --org %s --kind %s url=...", siren, *last);
	return LERR_NOTFOUND;
}

const struct doc_kind_alias *
doc_kind_alias(const char *api, const char *foreign)
{
	for (size_t i = 0; api && foreign && aliases[i].api; i++)
		if (!strcmp(aliases[i].api, api) && !strcmp(aliases[i].foreign, foreign))
			return &aliases[i];
	return NULL;
}
