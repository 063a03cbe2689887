/*
 * ipar_status.c - i-Parapheur's status names for liasse's document states,
 * as GetHistoDossier, RechercherDossiers and GetStatutTdT give them.
 *
 * The names are those real clients test for: Pastell's
 * connecteur/iParapheur/IParapheur.php (REJECTED_STATE RejetVisa,
 * RejetSignataire..., SIGNED_STATE Signe, the final state "[Archive]"), and
 * webdelib's Parafwebservice callers (EnCoursTransmission, Vise, Signe,
 * Archive).  The pseudo-states "visa" and "rejected_visa" are the SQL
 * ipar_state()'s (functions/85_iparapheur.sql): a dossier waiting after a
 * visa, one rejected at a visa step.  See doc/compat.md.
 */
#include "compat/ipar.h"

#include <string.h>

static const struct {
	const char *state, *status;
} names[] = {
	{ "received",          "Archive" },              /* nothing to sign: done */
	{ "pending_signature", "NonLu" },             /* at its first step */
	{ "visa",              "Vise" },              /* waiting after a visa */
	{ "rejected_visa",     "RejetVisa" },         /* rejected at a visa step */
	{ "signed",            "Signe" },
	{ "rejected",          "RejetSignataire" },
	{ "queued",            "PretTdT" },
	{ "transmitting",      "EnCoursTransmission" },
	{ "transmitted",       "TransmissionOK" },
	{ "acknowledged",      "TransmissionOK" },
	{ "refused",           "TransmissionKO" },
	{ "failed",            "TransmissionKO" },
	{ "cancelling",        "EnCoursTransmission" },
	{ "cancelled",         "Archive" },
};

const char *
ipar_status(const char *state)
{
	for (size_t i = 0; state && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].state, state))
			return names[i].status;
	return "NonLu";
}

/* EtapeCircuit's Role for a circuit step's action (the WSDL documents
 * "Role = VISEUR | SIGNATAIRE | TDT | ARCHIVAGE"). */
const char *
ipar_role(const char *action)
{
	return action && !strcmp(action, "visa") ? "VISEUR" : "SIGNATAIRE";
}

int
ipar_status_states(const char *status, const char *states[8])
{
	size_t n = 0;

	for (size_t i = 0; status && i < sizeof(names) / sizeof(names[0]) && n < 7; i++)
		if (!strcmp(names[i].status, status))
			states[n++] = names[i].state;
	states[n] = NULL;
	return n > 0;
}

/* liasse's PES profile (sign/pes.c) signs every Bordereau when all carry an
 * Id, else the root PES_Aller: the two expressions Pastell sends
 * (IParapheur::getXPathPourSignatureXML: "//Bordereau" or "."). */
int
ipar_pes_xpath(const char *expr, const char **why)
{
	static const char *const ok[] = { "", "//Bordereau", "/PES_Aller//Bordereau",
					  "//PES_DepenseAller/Bordereau", "//PES_RecetteAller/Bordereau",
					  ".", "/", "/PES_Aller", NULL };

	*why = NULL;
	for (size_t i = 0; ok[i]; i++)
		if (!expr || !strcmp(expr, ok[i]))
			return 0;
	*why = "XPathPourSignaturePES non pris en charge : liasse signe chaque Bordereau (//Bordereau) "
	       "ou, si un bordereau n'a pas d'Id, la racine PES_Aller (.)";
	return -1;
}
