/* Changes to review (IEC 80001-1, docs/changes.md): the audit records of
 * actions that change what the instance is or whom it trusts, each of
 * which a security officer marks reviewed with a note. A change is an
 * audit record (its seq is its id); a review is a row keyed by that seq.
 * There is no second event log: the trail is the one record of what
 * happened, and medgate.conf edited between two starts is itself an
 * audit record, config.file, written by the daemon at its start. */
#ifndef MG_MODEL_REVIEW_H
#define MG_MODEL_REVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "model/audit_record.h"

#define MG_CHANGE_NOTE_MAX 500	/* bytes of a reviewer's note */
#define MG_CHANGE_PAGE_MAX 200	/* changes per page of a list */

/* The actions that are changes to review, with outcome success, as an SQL
 * list both back ends put in their statements (string constants only).
 * Patient actions are never among them, so a change holds no patient data. */
#define MG_CHANGE_ACTIONS_SQL                                                             \
	"('device.enrol', 'device.update', 'device.block', 'device.revoke',"              \
	" 'device.firmware_changed', 'interface.switch', 'config.change', 'config.file',"         \
	" 'user.create', 'user.update', 'user.delete', 'user.totp_remove',"               \
	" 'tenant.create', 'tenant.delete', 'tenant.member_add', 'tenant.member_remove'," \
	" 'tenant.member_confirm', 'backup.restore', 'maintenance.grant')"

/* Whether action (an audit record's) is one of the list above. */
bool mg_change_action(const char *action);

enum mg_change_state { MG_CHANGES_UNREVIEWED, MG_CHANGES_REVIEWED };

/* Parse "unreviewed" or "reviewed". Returns 0 or MG_ERR_INVALID. */
int mg_change_state_parse(const char *text, enum mg_change_state *out);

/* One page of changes, newest first: those with seq < before_seq (0: from
 * the newest), at most limit (1 .. MG_CHANGE_PAGE_MAX). */
struct mg_change_filter {
	enum mg_change_state state;
	int64_t before_seq;
	unsigned limit;
};

struct mg_change_entry {
	int64_t seq;		/* the audit record's */
	int64_t time_ms;
	char actor[MG_AUDIT_ACTOR_MAX + 1];
	char action[MG_AUDIT_ACTION_MAX + 1];
	char object[MG_AUDIT_OBJECT_MAX + 1];
	char details[MG_AUDIT_DETAILS_MAX + 1];
	bool reviewed;
	int64_t reviewed_ms;
	char reviewer[MG_AUDIT_ACTOR_MAX + 1];
	char note[MG_CHANGE_NOTE_MAX + 1];
};

typedef int (*mg_change_cb)(const struct mg_change_entry *c, void *arg);

#endif
