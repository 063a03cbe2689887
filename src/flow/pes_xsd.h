/*
 * pes_xsd.h - the official PES_Aller XSD as a source of warnings.
 *
 * Real PES files stray from the XSD and Hélios takes them anyway, so a
 * deviation never refuses a file: a background job ("pes.xsd") streams the
 * stored file through a validating reader and appends what the schema says
 * to the document's warnings, where the agent can read it.
 */
#ifndef LIASSE_FLOW_PES_XSD_H
#define LIASSE_FLOW_PES_XSD_H

#include "core/err.h"
#include "store/store.h"

#define PES_XSD_JOB "pes.xsd"
#define PES_XSD_MAX_WARNINGS 20

/* Compiles the schema once (start-up); no network, local files only. */
int pes_xsd_load(const char *path, struct lerr *e) LERR_WUR;
int pes_xsd_loaded(void);
void pes_xsd_free(void);
/* The job handler: validates the document's main file, records warnings. */
int pes_xsd_job(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;

#endif
