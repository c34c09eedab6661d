/* /.well-known/security.txt (RFC 9116) from [disclosure]. */
#ifndef MG_WEB_SECURITY_TXT_H
#define MG_WEB_SECURITY_TXT_H

#include <microhttpd.h>

#include "common/config.h"

/* Answer a request for /.well-known/security.txt on connection c. */
enum MHD_Result mg_web_security_txt(struct MHD_Connection *c, const char *method,
				    const struct mg_config *cfg);

#endif
