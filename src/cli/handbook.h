/* The emergency handbook (medgatectl handbook): a page to print and keep
 * beside the host, made from this instance's configuration and store; and
 * the page printer it shares with the security sheet. */
#ifndef MG_CLI_HANDBOOK_H
#define MG_CLI_HANDBOOK_H

#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

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

/* s as HTML text (<, >, &, " escaped). */
void cli_html_text(FILE *f, const char *s);

/* Write a page with write(f, arg) in a private scratch folder (of the
 * service account once cli_open switched), copy it into fd and, if pdf_fd
 * >= 0, its A4 PDF printed by chromium into pdf_fd (what names the page in
 * messages). Returns 0 or MG_ERR_IO. Shared by the handbook and the
 * security sheet. */
int cli_print_page(const char *what, int (*write)(FILE *f, void *arg), void *arg, int fd,
		   int pdf_fd);

/* Its parts, for a page with files beside it (medgatectl report): chromium
 * prints the page at html (file://, which may load scripts and styles
 * beside it) to the PDF at pdf, its profile in dir, within a minute (0 or
 * MG_ERR_IO); copy the file at path into fd, durably (0 or MG_ERR_IO); and
 * remove each entry, for nftw(..., FTW_DEPTH | FTW_PHYS). */
int cli_chromium_pdf(const char *dir, const char *html, const char *pdf);
int cli_copy_into(const char *path, int fd);
int cli_unlink_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);

#endif
