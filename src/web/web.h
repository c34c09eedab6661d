/* The web port's dependencies, made by the daemon and handed to every
 * request of the JSON API and the web interface. Nothing here is the whole
 * daemon: each member is one module the handlers use. Read-only after
 * start, so any thread may use it. */
#ifndef MG_WEB_WEB_H
#define MG_WEB_WEB_H

#include "access/access.h"
#include "access/switches.h"
#include "common/config.h"
#include "crypto/keyring.h"
#include "store/store.h"

struct mg_detector;
struct mg_mailer;

struct mg_web {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	struct mg_access *access;	/* sign-in and sessions */
	struct mg_switches *switches;	/* interface switches */
	struct mg_detector *detector;	/* alerts; may be NULL */
	struct mg_mailer *mailer;	/* password reset links; may be NULL */
};

#endif
