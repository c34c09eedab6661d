/* The emergency handbook (medgatectl handbook): a page to print and keep
 * beside the host, made from this instance's configuration and store. */
#ifndef MG_CLI_HANDBOOK_H
#define MG_CLI_HANDBOOK_H

#include <stddef.h>

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
