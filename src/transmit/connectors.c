/*
 * connectors.c - the one list of connectors: each one's name (the kind of
 * a row of table connector), its French label, the settings it takes with
 * what they mean, and its struct xmit_connector (xmit_int.h).  The web
 * settings page and "liasse connector" read it through xmit.h; the
 * documents each connector carries are in core/kind.c (doc_kind.connectors,
 * in order of preference), so that xmit.c picks a document's connector
 * from its kind and the organisation's configured connectors.
 *
 * A new connector: its file (the functions of struct xmit_connector), its
 * settings below and one line in all[]; its name in the connectors of the
 * kinds it carries (core/kind.c).
 */
#include "transmit/xmit_int.h"

#include <stdio.h>
#include <string.h>

#include "core/kind.h"

#define SECRET XMIT_SETTING_SECRET

static const struct xmit_setting_info helios_settings[] = {
	{ "url", "ftp:// ou ftps://, le répertoire de dépôt, terminé par /", 0 },
	{ "retour", "le répertoire des réponses (par défaut url + retour/)", 0 },
	{ "user", "l’identifiant FTP", 0 },
	{ "password_file", "le fichier (mode 0600) qui contient le mot de passe FTP", SECRET },
	{ "appli", "P_APPLI (par défaut GHELPES2)", 0 },
	{ "p_dest", "P_DEST (par défaut celui de l’organisation)", 0 },
	{ "tls", "1 : FTPS explicite sur une URL ftp://", 0 },
	{ "cacert", "le fichier des autorités qui vérifient la passerelle", 0 },
	{ "pin", "sha256// et l’empreinte base64 de la clé publique de la passerelle", 0 },
	{ "reconcile_wait", "secondes d’attente avant de renvoyer un envoi interrompu "
	  "(par défaut transmit_reconcile_wait)", 0 },
	{ "delete_collected", "0 : garder les acquits déjà relevés dans le répertoire des réponses "
	  "(par défaut 1 : supprimés une fois relevés)", 0 },
	{ "retour_interval", "secondes entre deux relevés du répertoire des réponses quand aucun "
	  "acquit n’est attendu, pour les PES_Retour (par défaut 900)", 0 },
	{ NULL, NULL, 0 },
};

static const struct xmit_setting_info actes_settings[] = {
	{ "url", "https://, l’adresse où les archives sont déposées", 0 },
	{ "cert", "le certificat client du télétransmetteur (PEM)", 0 },
	{ "key", "le fichier de sa clé privée", SECRET },
	{ "cacert", "le fichier des autorités qui vérifient la plateforme", 0 },
	{ "pin", "sha256// et l’empreinte base64 de la clé publique de la plateforme", 0 },
	{ "trigramme", "le trigramme de l’émetteur (par défaut LIA)", 0 },
	{ "test", "1 : enveloppes de test (TACT)", 0 },
	{ "email", "l’adresse où la préfecture répond (AdressesRetour de l’enveloppe) ; obligatoire", 0 },
	{ "referent_nom", "le nom du référent", 0 },
	{ "referent_telephone", "le téléphone du référent", 0 },
	{ "referent_email", "l’adresse électronique du référent", 0 },
	{ "classification_date", "ClassificationDateVersion quand l’organisation n’a pas reçu sa "
	  "classification (par défaut aujourd’hui)", 0 },
	{ "field", "le champ multipart du dépôt (par défaut le nom de l’archive)", 0 },
	{ "reconcile_wait", "secondes d’attente avant de renvoyer un envoi interrompu "
	  "(par défaut transmit_reconcile_wait)", 0 },
	{ "imap_url", "imap:// ou imaps://, avec la boîte des retours (…/INBOX)", 0 },
	{ "imap_user", "l’identifiant IMAP", 0 },
	{ "imap_password_file", "le fichier (mode 0600) qui contient le mot de passe IMAP", SECRET },
	{ "imap_cacert", "le fichier des autorités qui vérifient le serveur IMAP", 0 },
	{ "imap_pin", "sha256// et l’empreinte base64 de la clé publique du serveur IMAP", 0 },
	{ NULL, NULL, 0 },
};

static const struct xmit_setting_info s2low_settings[] = {
	{ "url", "https://, la racine du tiers de télétransmission, terminée par /", 0 },
	{ "cert", "le certificat client RGS que le tiers authentifie (PEM)", 0 },
	{ "key", "le fichier de sa clé privée", SECRET },
	{ "cacert", "le fichier des autorités qui vérifient le tiers", 0 },
	{ "pin", "sha256// et l’empreinte base64 de la clé publique du tiers", 0 },
	{ "user", "l’identifiant HTTP, quand le tiers en demande un", 0 },
	{ "password_file", "le fichier (mode 0600) qui contient le mot de passe HTTP", SECRET },
	{ "reconcile_wait", "secondes d’attente avant de renvoyer un envoi interrompu "
	  "(par défaut transmit_reconcile_wait)", 0 },
	{ "retour_interval", "secondes entre deux relevés des PES_Retour non lus du tiers "
	  "(par défaut 900)", 0 },
	{ NULL, NULL, 0 },
};

static const struct {
	struct xmit_connector_info info;
	const struct xmit_connector *ops;
} all[] = {
	{ { "actes", "@ctes (contrôle de légalité)", actes_settings }, &xmit_actes },
	{ { "helios", "Hélios (DGFiP)", helios_settings }, &xmit_helios },
	{ { "s2low", "Tiers de télétransmission S²LOW", s2low_settings }, &xmit_s2low },
};

#define N_ALL (sizeof(all) / sizeof(all[0]))

const struct xmit_connector_info *
xmit_connector_at(size_t i)
{
	return i < N_ALL ? &all[i].info : NULL;
}

const struct xmit_connector_info *
xmit_connector_info(const char *name)
{
	for (size_t i = 0; name && i < N_ALL; i++)
		if (!strcmp(all[i].info.name, name))
			return &all[i].info;
	return NULL;
}

const struct xmit_connector *
xmit_connector_named(const char *name)
{
	for (size_t i = 0; name && i < N_ALL; i++)
		if (!strcmp(all[i].info.name, name) && !strcmp(all[i].ops->name, name))
			return all[i].ops;
	return NULL;
}

const char *
xmit_connector_names(const char *sep)
{
	static __thread char out[256];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < N_ALL && o < sizeof(out); i++) {
		int n = snprintf(out + o, sizeof(out) - o, "%s%s", i ? sep : "", all[i].info.name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

const struct xmit_setting_info *
xmit_connector_setting(const struct xmit_connector_info *ci, const char *key)
{
	for (size_t i = 0; ci && key && ci->settings[i].key; i++)
		if (!strcmp(ci->settings[i].key, key))
			return &ci->settings[i];
	return NULL;
}

int
xmit_setting_masked(const struct xmit_connector_info *ci, const char *key)
{
	const struct xmit_setting_info *s = xmit_connector_setting(ci, key);

	return !s || (s->flags & XMIT_SETTING_SECRET);
}

int
xmit_connector_carries(const struct xmit_connector_info *ci, const char *kind)
{
	return ci && doc_kind_carried_by(doc_kind_get(kind), ci->name);
}

const char *
xmit_connector_pick(const char *kind, int (*has)(void *arg, const char *connector), void *arg)
{
	const struct doc_kind *k = doc_kind_get(kind);

	for (size_t i = 0; k && k->connectors[i]; i++)
		if (xmit_connector_info(k->connectors[i]) && has(arg, k->connectors[i]))
			return k->connectors[i];
	return NULL;
}

const char *
xmit_connector_keys(const struct xmit_connector_info *ci, const char *sep)
{
	static __thread char out[1024];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; ci && ci->settings[i].key && o < sizeof(out); i++) {
		int n = snprintf(out + o, sizeof(out) - o, "%s%s", i ? sep : "", ci->settings[i].key);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

int
xmit_settings_check(const char *connector, json_t *settings, struct lerr *e)
{
	const struct xmit_connector_info *ci = xmit_connector_info(connector);
	const char *key;
	json_t *v;

	if (!ci) {
		lerr_set(e, LERR_INVALID, "kind", "unknown connector kind \"%s\"", connector ? connector : "");
		lerr_hint(e, "use one of %s", xmit_connector_names(", "));
		return LERR_INVALID;
	}
	json_object_foreach(settings, key, v) {
		if (xmit_connector_setting(ci, key))
			continue;
		lerr_set(e, LERR_INVALID, "settings", "the %s connector has no setting \"%s\"", ci->name, key);
		lerr_hint(e, "its settings: %s", xmit_connector_keys(ci, ", "));
		return LERR_INVALID;
	}
	return 0;
}
