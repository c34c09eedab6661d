/* The emergency handbook (medgatectl handbook): a page to print and keep
 * beside the host, made from this instance's configuration and store. */
#ifndef MG_CLI_HANDBOOK_H
#define MG_CLI_HANDBOOK_H

#include <stddef.h>
#include <ftw.h>
#include <sys/stat.h>

/* Chromium prints the page at html (file://, which may load scripts and
 * styles beside it) to the PDF at pdf, its profile in dir, within a
 * minute. 0 or MG_ERR_IO. Shared with medgatectl report. */
int cli_chromium_pdf(const char *dir, const char *html, const char *pdf);
/* Copy the file at path into fd, and make it durable. 0 or MG_ERR_IO. */
int cli_copy_into(const char *path, int fd);
/* For nftw(..., FTW_DEPTH | FTW_PHYS): remove each entry. */
int cli_unlink_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);

/* One alert kind's playbook entry. Texts may hold "{ctl}", which stands
 * for this instance's "medgatectl -c CONF". */
struct handbook_play {
	const char *kind;
	const char *severity;
	const char *meaning;
	const char *actions;
};

/* Every alert kind detection raises (docs/detection.md), in its order. */
const struct handbook_play *handbook_plays(size_t *count);

#endif
