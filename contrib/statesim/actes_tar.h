/*
 * actes_tar.h - gunzip and a flat ustar reader for @ctes archives
 * (actes_tar.c says what is accepted and why not libarchive).
 */
#ifndef LIASSE_STATESIM_ACTES_TAR_H
#define LIASSE_STATESIM_ACTES_TAR_H

#include <stddef.h>

struct tar_file {
	char name[256];
	unsigned char *data;  /* points into the tar buffer */
	size_t len;
};

/* Inflate a gzip stream into a malloc'd buffer of at most cap bytes.
 * -1 with a reason (French, for the anomaly's Detail) in why. */
int tar_gunzip(const unsigned char *gz, size_t gzlen, size_t cap,
	       unsigned char **out, size_t *outlen, char *why, size_t whylen);

/* The regular files of a tar image (at most max).  -1 with a reason. */
int tar_list(unsigned char *tar, size_t len, struct tar_file *files, int max,
	     int *nfiles, char *why, size_t whylen);

/* A gzip'd ustar archive of files (malloc'd); -1 when out of memory. */
int tar_gzip(const struct tar_file *files, int n, unsigned char **out, size_t *outlen);

#endif
