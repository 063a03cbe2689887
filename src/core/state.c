/* state.c - the document states and their French labels (state.h). */
#include "core/state.h"

#include <stdio.h>
#include <string.h>

static const struct doc_state_info states[] = {
	{ "received", "Reçu", 0 },
	{ "pending_signature", "À signer", 1 },
	{ "signed", "Signé", 1 },
	{ "rejected", "Refusé", 1 },
	{ "queued", "En attente d’envoi", 1 },
	{ "transmitting", "En cours d’envoi", 1 },
	{ "transmitted", "Transmis", 1 },
	{ "acknowledged", "Acquitté", 1 },
	{ "cancelling", "Annulation demandée à la préfecture", 1 },
	{ "refused", "Rejeté par la plateforme", 1 },
	{ "cancelled", "Annulé", 1 },
	{ "failed", "En échec", 1 },
	{ "archived", "Archivé", 1 },
};

const struct doc_state_info *
doc_state_at(size_t i)
{
	return i < sizeof(states) / sizeof(states[0]) ? &states[i] : NULL;
}

const struct doc_state_info *
doc_state_get(const char *name)
{
	for (size_t i = 0; name && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(states[i].name, name))
			return &states[i];
	return NULL;
}

const char *
doc_state_label(const char *name)
{
	const struct doc_state_info *s = doc_state_get(name);

	return s ? s->label : name ? name : "";
}

const char *
doc_state_names(const char *sep, const char *last)
{
	static __thread char out[512];
	size_t n = sizeof(states) / sizeof(states[0]), o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(out); i++) {
		int w = snprintf(out + o, sizeof(out) - o, "%s%s", !i ? "" : i + 1 == n ? last : sep,
				 states[i].name);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	return out;
}
