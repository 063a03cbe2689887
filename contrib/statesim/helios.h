/*
 * helios.h - the Hélios side of the simulator: what the FTP server
 * (ftp.c) asks of the gateway logic (helios.c).
 */
#ifndef LIASSE_STATESIM_HELIOS_H
#define LIASSE_STATESIM_HELIOS_H

#include <limits.h>
#include <stddef.h>

#include "statesim.h"

/* Under --dir: uploads being received, files accepted, the response
 * directory (FTP "/retour": PES_Acquit files ACK_<uploaded name>). */
#define HELIOS_INCOMING "helios/incoming"
#define HELIOS_IN "helios/in"
#define HELIOS_RETOUR "helios/retour"

struct helios_upload {
	char name[256];         /* PESALR2_<SIREN>_<yymmdd>_<n>.xml */
	char path[PATH_MAX];    /* the received bytes, under HELIOS_INCOMING */
	char dest[128], appli[128], msg[128];   /* the SITE values */
	int delay;              /* seconds before the acquit is written */
};

/* Load the PES schema, set up xmlsec, make the directories. */
int helios_init(struct statesim *s);
/* Forget the NomFic already received (POST /reset). */
void helios_reset(struct statesim *s);
/* 0, or -1 with the reason in why: the SITE values, the upload's name. */
int helios_check_site(struct statesim *s, const char *dest, const char *appli,
		      const char *msg, char *why, size_t whysz);
int helios_check_name(const char *name, char *why, size_t whysz);
/* A complete upload: count it, keep it under HELIOS_IN, check it and write
 * its PES_Acquit (now, or up->delay seconds later from another thread). */
void helios_receive(struct statesim *s, const struct helios_upload *up);

#endif
