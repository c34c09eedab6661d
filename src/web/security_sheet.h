/* What the security overview (GET /api/v1/security) and the product cyber
 * security sheet (GET /api/v1/security-sheet, medgatectl security-sheet,
 * docs/security-sheet.md) are made of, from the live configuration and
 * store: the findings (recommended measures not met now) and the sheet's
 * model, one JSON object that the CLI renders as text or HTML and the web
 * page renders in the browser. No patient data. */
#ifndef MG_WEB_SECURITY_SHEET_H
#define MG_WEB_SECURITY_SHEET_H

#include <jansson.h>

#include "access/switches.h"
#include "common/config.h"
#include "store/store.h"

struct mg_security_input {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_switches *switches;	/* NULL: every interface on */
	unsigned totp_roles;		/* roles the settings require a second factor for */
	int64_t now_ms;
};

/* Roles whose accounts must have a second factor, whatever the setting. */
#define MG_ROLES_PRIVILEGED (MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN | \
			     MG_ROLE_SECURITY_OFFICER | MG_ROLE_SERVICE)

/* Whether u, enabled, signs in without a second factor although its roles
 * are privileged or among required (the roles the settings name). */
bool mg_account_lacks_second_factor(const struct mg_user *u, unsigned required);

/* Whether address ("", "::", "0.0.0.0") listens on every address. */
bool mg_every_address(const char *address);

/* Append to findings each recommended measure not met now, as {"kind",
 * "severity", "text"}: listener.all_addresses, account.no_second_factor,
 * handbook.missing / handbook.stale, changes.unreviewed, interface.unused,
 * device.firmware_below_minimum, backup.missing / backup.old,
 * drill.missing / drill.old. Returns 0, the store's error or MG_ERR_NOMEM. */
int mg_security_findings(const struct mg_security_input *in, json_t *findings);

/* The sheet's model (docs/security-sheet.md); *out is a new reference.
 * Returns 0, the store's error or MG_ERR_NOMEM. */
int mg_security_sheet(const struct mg_security_input *in, json_t **out);

#endif
