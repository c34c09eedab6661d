/* The emergency handbook (medgatectl handbook): a page to print and keep
 * beside the host, made from this instance's configuration and store; and
 * the page printer it shares with the security sheet. */
#ifndef MG_CLI_HANDBOOK_H
#define MG_CLI_HANDBOOK_H

#include <stddef.h>
#include <stdio.h>

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

#endif
