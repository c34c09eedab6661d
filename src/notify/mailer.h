/* The one mailer: a queue and a thread that send every e-mail the daemon
 * writes (alerts, password reset links) through mg_mail_send. Callers
 * queue and return at once, so a slow or absent mail server never holds a
 * request, the detector or a shutdown. Messages are copied in and wiped
 * after sending (a reset link is a secret). */
#ifndef MG_NOTIFY_MAILER_H
#define MG_NOTIFY_MAILER_H

#include <stddef.h>
#include <stdint.h>

#include "notify/mail.h"

struct mg_config;
struct mg_mailer;

#define MG_MAILER_QUEUE_MAX 64	/* messages waiting; more are refused and counted */

struct mg_mailer_stats {
	uint64_t queued, sent, failed, dropped;	/* dropped: queue full or shut down */
};

/* Start the mailer thread, sending through cfg's [smtp] section; cfg must
 * outlive the mailer. Returns 0 or MG_ERR_NOMEM / MG_ERR_IO. *out is the
 * caller's (mg_mailer_free). */
int mg_mailer_new(const struct mg_config *cfg, struct mg_mailer **out);

/* Queue one message to nto recipients (1..MG_MAIL_RECIPIENTS_MAX), copied.
 * what names the sender in the log ("alerts", "password reset"; a string
 * literal). Subject and body must not carry patient data. Returns 0;
 * MG_ERR_CONFIG if no [smtp] url is set; MG_ERR_BUSY when the queue is
 * full (counted as dropped); MG_ERR_INVALID for a bad recipient count or
 * a NULL text; MG_ERR_NOMEM. */
int mg_mailer_queue(struct mg_mailer *m, const char *what, const char *const *to, size_t nto,
		    const char *subject, const char *body);

void mg_mailer_stats(struct mg_mailer *m, struct mg_mailer_stats *out);

/* Stop the thread and free. A message being sent finishes (at most
 * MG_MAIL_TIMEOUT s); queued ones are not sent, but counted and logged.
 * NULL does nothing. */
void mg_mailer_free(struct mg_mailer *m);

#endif
