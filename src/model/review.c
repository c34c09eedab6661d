/* Changes to review: which audit actions are changes (model/review.h). */
#include "model/review.h"

#include <string.h>

#include "common/err.h"

/* The same actions as MG_CHANGE_ACTIONS_SQL; test_review checks they agree. */
static const char *const actions[] = {
	"device.enrol", "device.update", "device.block", "device.revoke", "device.firmware_changed",
	"interface.switch", "config.change", "config.file",
	"user.create", "user.update", "user.delete", "user.totp_remove",
	"tenant.create", "tenant.delete", "tenant.member_add", "tenant.member_remove",
	"tenant.member_confirm", "backup.restore", "maintenance.grant",
};

bool mg_change_action(const char *action)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(action, actions[i]) == 0)
			return true;
	}
	return false;
}

int mg_change_state_parse(const char *text, enum mg_change_state *out)
{
	*out = MG_CHANGES_UNREVIEWED;
	if (strcmp(text, "unreviewed") == 0)
		return 0;
	if (strcmp(text, "reviewed") == 0) {
		*out = MG_CHANGES_REVIEWED;
		return 0;
	}
	return MG_ERR_INVALID;
}
