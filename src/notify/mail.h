/* Outgoing e-mail (alerts, password reset links) over SMTP with libcurl:
 * TLS always (STARTTLS required on smtp://, implicit on smtps://), the
 * server's certificate verified, bounded time. Plain-text UTF-8 messages
 * with the headers RFC 5322 asks for; nothing but what the caller gives. */
#ifndef MG_NOTIFY_MAIL_H
#define MG_NOTIFY_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct mg_config;

#define MG_MAIL_RECIPIENTS_MAX	32		/* addresses in one message */
#define MG_MAIL_ADDRESS_MAX	254		/* RFC 5321 path limit, bytes */
#define MG_MAIL_SUBJECT_MAX	256		/* bytes of UTF-8 */
#define MG_MAIL_BODY_MAX	(64 * 1024)	/* bytes of UTF-8 */
#define MG_MAIL_LINE_MAX	998		/* bytes of one body line (RFC 5322) */
#define MG_MAIL_CONNECT_TIMEOUT	10		/* seconds */
#define MG_MAIL_TIMEOUT		30		/* seconds for the whole exchange */

/* Check an address of the simple form local@domain that medgate sends
 * to: printable ASCII, no spaces, quotes, angle brackets or CR/LF, a
 * domain of letters, digits, dashes and dots. Returns 0 or MG_ERR_INVALID. */
int mg_mail_address_check(const char *address);

/* Build the message mg_mail_send sends, dated now_s: Date, From, To,
 * Subject (RFC 2047 when not ASCII), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8, 8bit, body with CRLF line ends.
 * *msg_out is the caller's (free), *len_out its length. Returns 0,
 * MG_ERR_INVALID (bad address, a control character or CR/LF in the
 * subject, invalid UTF-8, a too long line) or MG_ERR_NOMEM, with a reason
 * in err. */
int mg_mail_format(const char *from, const char *const *to, size_t nto, const char *subject,
		   const char *body, int64_t now_s, char **msg_out, size_t *len_out, char *err,
		   size_t errlen);

/* Send a plain-text e-mail (UTF-8) to nto recipients through cfg's
 * [smtp] server, all or none. Subject and body must not carry patient
 * data: that is the caller's duty. Blocks for up to MG_MAIL_TIMEOUT s.
 * Returns 0; MG_ERR_CONFIG (no [smtp] url, or a bad one, a bad from, an
 * unreadable or group/world-readable password_file, an unreadable
 * ca_cert); MG_ERR_INVALID (see mg_mail_format); MG_ERR_UNAVAILABLE
 * (server unreachable, no STARTTLS, certificate not trusted, login or a
 * recipient refused); MG_ERR_NOMEM. A reason for people is in err. */
int mg_mail_send(const struct mg_config *cfg, const char *const *to, size_t nto,
		 const char *subject, const char *body, char *err, size_t errlen);

#endif
