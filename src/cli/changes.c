/* medgatectl changes list|review: the changes to review (docs/changes.md)
 * on the host, beside the web page. A review from here is the host
 * operator's, recorded (change.review) before it is stored. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/review.h"

static int changes_usage(void)
{
	fprintf(stderr, "usage: medgatectl changes list [--reviewed] [--before ID] [--limit N]\n"
			"       medgatectl changes review ID --note TEXT\n");
	return 2;
}

static int print_change(const struct mg_change_entry *c, void *arg)
{
	char when[MG_TIME_TEXT_LEN], reviewed[MG_TIME_TEXT_LEN];

	(void)arg;
	mg_time_format(c->time_ms, when, sizeof(when));
	printf("%-8lld %s  %-20s %-18s %-24s %s\n", (long long)c->seq, when, c->action, c->actor,
	       c->object, c->details);
	if (c->reviewed) {
		mg_time_format(c->reviewed_ms, reviewed, sizeof(reviewed));
		printf("         reviewed %s by %s: %s\n", reviewed, c->reviewer, c->note);
	}
	return 0;
}

static int changes_list(struct cli *cli, int argc, char **argv)
{
	struct mg_change_filter f = { .state = MG_CHANGES_UNREVIEWED, .limit = 50 };
	long long v;
	int64_t unreviewed = 0;
	int r;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--reviewed") == 0)
			f.state = MG_CHANGES_REVIEWED;
		else if (strcmp(argv[i], "--before") == 0 && i + 1 < argc &&
			 cli_parse_int(argv[++i], 1, INT64_MAX, &v) == 0)
			f.before_seq = v;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
			 cli_parse_int(argv[++i], 1, MG_CHANGE_PAGE_MAX, &v) == 0)
			f.limit = (unsigned)v;
		else
			return changes_usage();
	}
	if (cli_open(cli, false) != 0)
		return 1;
	if ((r = mg_store_change_list(cli->store, &f, print_change, NULL)) != 0 ||
	    (r = mg_store_change_count(cli->store, &unreviewed)) != 0) {
		fprintf(stderr, "medgatectl: changes: %s\n", mg_strerror(r));
		return 1;
	}
	printf("%lld unreviewed\n", (long long)unreviewed);
	return 0;
}

static int changes_review(struct cli *cli, int argc, char **argv)
{
	const char *note = NULL;
	long long seq;
	char details[32];
	int r;

	if (argc != 5 || cli_parse_int(argv[2], 1, INT64_MAX, &seq) != 0 ||
	    strcmp(argv[3], "--note") != 0)
		return changes_usage();
	note = argv[4];
	if (strlen(note) > MG_CHANGE_NOTE_MAX) {
		fprintf(stderr, "medgatectl: the note is longer than %d bytes\n", MG_CHANGE_NOTE_MAX);
		return 1;
	}
	if (cli_open(cli, true) != 0)
		return 1;
	snprintf(details, sizeof(details), "{}");
	if (cli_record(cli, "change.review", "change", seq, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_store_change_review(cli->store, seq, cli->actor, mg_now_ms(), note)) != 0) {
		cli_record(cli, "change.review", "change", seq, 0, MG_AUDIT_FAILURE, "{}");
		fprintf(stderr, "medgatectl: change %lld: %s\n", seq,
			r == MG_ERR_EXISTS      ? "reviewed already"
			: r == MG_ERR_NOT_FOUND ? "no such change"
						: mg_strerror(r));
		return 1;
	}
	printf("change %lld reviewed\n", seq);
	return 0;
}

int cli_changes(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return changes_list(cli, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "review") == 0)
		return changes_review(cli, argc, argv);
	return changes_usage();
}
