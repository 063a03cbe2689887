/*
 * actes_tar.c - gunzip (zlib) and a small ustar reader for the @ctes
 * archives.  An @ctes archive is a flat tar.gz of a few files: the envelope,
 * the message and its PDFs.  Reading it takes a header walk over 512-byte
 * blocks, so the simulator does not pull in libarchive (another runtime
 * dependency, and a much larger parser facing input from outside); zlib is
 * already in the process through libxml2, libcurl and OpenSSL.
 *
 * Accepted: regular files ('0' and '\0'), "./" prefixes, the "./" directory
 * entry, POSIX (ustar\0) and GNU (ustar  ) magics, GNU long names ('L'), pax
 * headers ('x', 'g', skipped).  Anything else (sub-directories, links,
 * devices, a bad checksum, a truncated archive) is refused with a reason.
 */
#include "actes_tar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int
tar_gunzip(const unsigned char *gz, size_t gzlen, size_t cap, unsigned char **out,
	   size_t *outlen, char *why, size_t whylen)
{
	z_stream z;
	unsigned char *buf = NULL, *nb;
	size_t bcap = gzlen * 4 + 65536, len = 0;
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		snprintf(why, whylen, "zlib cannot start");
		return -1;
	}
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)gzlen;
	while (zr != Z_STREAM_END) {
		if (len == bcap || !buf) {
			bcap = buf ? bcap * 2 : bcap;
			if (bcap > cap)
				bcap = cap + 1;
			if (len >= cap || !(nb = realloc(buf, bcap))) {
				snprintf(why, whylen, "l'archive décompressée dépasse %zu octets", cap);
				goto fail;
			}
			buf = nb;
		}
		z.next_out = buf + len;
		z.avail_out = (uInt)(bcap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		len = bcap - z.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END) {
			snprintf(why, whylen, "l'archive n'est pas un fichier gzip valide (%s)",
				 z.msg ? z.msg : "données tronquées");
			goto fail;
		}
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			snprintf(why, whylen, "l'archive gzip est tronquée");
			goto fail;
		}
	}
	inflateEnd(&z);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return -1;
}

/* An octal (or GNU base-256) numeric field. */
static int
tar_num(const unsigned char *f, size_t n, unsigned long long *v)
{
	size_t i = 0;

	*v = 0;
	if (f[0] & 0x80) {
		for (i = 1; i < n; i++)
			*v = (*v << 8) | f[i];
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		*v = *v * 8 + (unsigned)(f[i] - '0');
	return i < n && f[i] != ' ' && f[i] != '\0' ? -1 : 0;
}

static int
tar_checksum_ok(const unsigned char *h)
{
	unsigned long long want;
	unsigned long sum = 0;
	size_t i;

	if (tar_num(h + 148, 8, &want))
		return 0;
	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return sum == want;
}

static int
zero_block(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < 512; i++)
		if (h[i])
			return 0;
	return 1;
}

/* The entry name: GNU long name, else prefix/name; "./" removed. */
static int
entry_name(const unsigned char *h, const char *longname, char *out, size_t cap)
{
	char tmp[512];
	const char *n = tmp;
	int w;

	if (longname)
		w = snprintf(tmp, sizeof(tmp), "%s", longname);
	else if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345])
		w = snprintf(tmp, sizeof(tmp), "%.155s/%.100s", (const char *)h + 345,
			     (const char *)h);
	else
		w = snprintf(tmp, sizeof(tmp), "%.100s", (const char *)h);
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return -1;
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	w = snprintf(out, cap, "%s", n);
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

static int
add_file(struct tar_file *files, int *nfiles, int max, const char *name,
	 unsigned char *data, size_t size, char *why, size_t whylen)
{
	int i;

	for (i = 0; i < *nfiles; i++) {
		if (strcmp(files[i].name, name) == 0) {
			snprintf(why, whylen, "le fichier %s figure deux fois dans l'archive", name);
			return -1;
		}
	}
	if (strlen(name) >= sizeof(files[0].name)) {
		snprintf(why, whylen, "nom de fichier trop long dans l'archive");
		return -1;
	}
	if (*nfiles == max) {
		snprintf(why, whylen, "l'archive contient plus de %d fichiers", max);
		return -1;
	}
	snprintf(files[*nfiles].name, sizeof(files[*nfiles].name), "%.255s", name);
	files[*nfiles].data = data;
	files[*nfiles].len = size;
	(*nfiles)++;
	return 0;
}

/* One header at tar[*off]; advances *off past its data. */
static int
tar_entry(unsigned char *tar, size_t len, size_t *off, char *longname,
	  struct tar_file *files, int *nfiles, int max, char *why, size_t whylen)
{
	unsigned char *h = tar + *off;
	unsigned long long size;
	char name[512];
	size_t span;
	int type = h[156];

	if (!tar_checksum_ok(h) || tar_num(h + 124, 12, &size)) {
		snprintf(why, whylen, "en-tête tar invalide à l'octet %zu", *off);
		return -1;
	}
	span = (size_t)((size + 511) / 512 * 512);
	if (size > len || *off + 512 + span > len) {
		snprintf(why, whylen, "l'archive tar est tronquée");
		return -1;
	}
	*off += 512;
	if (type == 'L') {
		size_t n = size < 511 ? (size_t)size : 511;

		memcpy(longname, tar + *off, n);
		longname[n] = '\0';
		*off += span;
		return 1;
	}
	if (type == 'x' || type == 'g') {
		*off += span;
		return 0;
	}
	if (entry_name(h, longname[0] ? longname : NULL, name, sizeof(name))) {
		snprintf(why, whylen, "nom de fichier trop long dans l'archive");
		return -1;
	}
	longname[0] = '\0';
	if (type == '5' && (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "./") == 0)) {
		*off += span;
		return 0;
	}
	if ((type != '0' && type != '\0') || strchr(name, '/') || name[0] == '\0') {
		snprintf(why, whylen, "l'archive doit contenir des fichiers à plat "
			 "(entrée refusée : %s)", name);
		return -1;
	}
	if (add_file(files, nfiles, max, name, tar + *off, (size_t)size, why, whylen))
		return -1;
	*off += span;
	return 0;
}

int
tar_list(unsigned char *tar, size_t len, struct tar_file *files, int max,
	 int *nfiles, char *why, size_t whylen)
{
	char longname[512] = "";
	size_t off = 0;
	int rc;

	*nfiles = 0;
	while (off + 512 <= len) {
		if (zero_block(tar + off))
			return *nfiles ? 0 : (snprintf(why, whylen, "l'archive tar est vide"), -1);
		rc = tar_entry(tar, len, &off, longname, files, nfiles, max, why, whylen);
		if (rc < 0)
			return -1;
	}
	snprintf(why, whylen, "l'archive tar est tronquée (pas de bloc de fin)");
	return -1;
}

/* One ustar header for a regular file. */
static void
tar_header(unsigned char *h, const char *name, size_t size)
{
	unsigned long sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, 99));   /* at most 99 bytes, NUL from memset */
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011lo", 1767225600UL);   /* 2026-01-01 */
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06lo", sum);
}

int
tar_gzip(const struct tar_file *files, int n, unsigned char **out, size_t *outlen)
{
	size_t len = 1024, off = 0, cap;
	unsigned char *tar, *gz;
	z_stream z;
	int i, rc;

	for (i = 0; i < n; i++)
		len += 512 + (files[i].len + 511) / 512 * 512;
	tar = calloc(1, len);
	if (!tar)
		return -1;
	for (i = 0; i < n; i++) {
		tar_header(tar + off, files[i].name, files[i].len);
		memcpy(tar + off + 512, files[i].data, files[i].len);
		off += 512 + (files[i].len + 511) / 512 * 512;
	}
	memset(&z, 0, sizeof(z));
	cap = len + len / 100 + 1024;
	gz = malloc(cap);
	if (!gz || deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(tar);
		free(gz);
		return -1;
	}
	z.next_in = tar;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	free(tar);
	if (rc != Z_STREAM_END) {
		free(gz);
		return -1;
	}
	*out = gz;
	return 0;
}
