/* One non-blocking stream connection, plain TCP or TLS (GnuTLS), for
 * event loops: every call returns at once, MG_ERR_AGAIN saying "poll the
 * fd for mg_tls_conn_events() and call again". Used by the MLLP sender
 * (client side, mg_tls_conn_connect); a server can wrap an accepted
 * socket with mg_tls_conn_wrap. docs/internals/outbox.md says how it
 * works. Not thread-safe: one connection belongs to one thread. */
#ifndef MG_TLS_CONN_H
#define MG_TLS_CONN_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#define MG_TLS_HOST_MAX 253	/* a DNS name; IP literals are shorter */

/* What a client trusts and presents: the CA certificates the server's
 * chain must end in, an optional client certificate, the priority string,
 * and the name (or IP address) the server certificate must carry. Shared,
 * read-only, by all connections of one destination. */
struct mg_tls_client;

/* Load ca_path (PEM, one or more certificates; NULL or "" = the system's
 * trust store) and, if cert_path is not empty, a client certificate and
 * its unencrypted key (the key file must be private to its owner). host
 * is checked against the server certificate: a DNS name against its DNS
 * SANs (and sent as SNI), an IPv4/IPv6 literal against its IP SANs.
 * priorities is a GnuTLS priority string (tls/profile.h). On success *out
 * is the caller's (mg_tls_client_free). Returns 0 or MG_ERR_INVALID,
 * MG_ERR_NOT_FOUND, MG_ERR_DENIED, MG_ERR_TLS, MG_ERR_NOMEM with a reason
 * naming the file in err. */
int mg_tls_client_new(const char *host, const char *ca_path, const char *cert_path,
		      const char *key_path, const char *priorities, struct mg_tls_client **out,
		      char *err, size_t errlen);

/* Free c. Connections made with it must be freed first. NULL is a no-op. */
void mg_tls_client_free(struct mg_tls_client *c);

/* Split a configured "host:port" or "[v6 address]:port" into host and
 * port (1 to 65535, as digits). Returns 0 or MG_ERR_CONFIG with a reason
 * naming the address in err. */
int mg_tls_address_split(const char *address, char *host, size_t hostlen, char *port,
			 size_t portlen, char *err, size_t errlen);

struct mg_tls_conn;

/* Resolve host and port (numeric or names, IPv4 and IPv6) with
 * getaddrinfo, which blocks while a name is looked up, and start a
 * non-blocking connect to the first address; later addresses are tried
 * in turn if one fails. tls NULL means plain TCP. On success *out is the
 * caller's (mg_tls_conn_free) and still connecting: drive it with
 * mg_tls_conn_establish. Returns 0, or MG_ERR_UNAVAILABLE / MG_ERR_NOMEM
 * with a short reason in why ("cannot resolve ...", "connection
 * refused"). */
int mg_tls_conn_connect(const char *host, const char *port, const struct mg_tls_client *tls,
			struct mg_tls_conn **out, char *why, size_t whylen);

/* Take over a connected socket fd (made non-blocking and close-on-exec
 * here) and, if session is not NULL, a GnuTLS session set up by the
 * caller (credentials, priorities, certificate request) whose transport
 * this sets to fd and whose handshake mg_tls_conn_establish runs. The
 * connection owns both from then on, also on failure. Returns 0 or
 * MG_ERR_NOMEM / MG_ERR_IO. */
int mg_tls_conn_wrap(int fd, gnutls_session_t session, struct mg_tls_conn **out);

/* Drive the TCP connect and the TLS handshake (with the server
 * certificate check). Returns 0 once the connection can carry data,
 * MG_ERR_AGAIN, or an error with a short reason in why: MG_ERR_UNAVAILABLE
 * (refused, unreachable, closed), MG_ERR_DENIED ("certificate not trusted:
 * ...") or MG_ERR_TLS. */
int mg_tls_conn_establish(struct mg_tls_conn *c, char *why, size_t whylen);

/* Send up to len bytes; *written says how many went (possibly fewer than
 * len: call again with the rest). Returns 0, MG_ERR_AGAIN (nothing
 * written; call again with the same bytes, as GnuTLS requires) or
 * MG_ERR_IO / MG_ERR_TLS with why. */
int mg_tls_conn_write(struct mg_tls_conn *c, const void *buf, size_t len, size_t *written,
		      char *why, size_t whylen);

/* Receive up to len bytes into buf; *got > 0 on success. Returns 0,
 * MG_ERR_AGAIN, MG_ERR_UNAVAILABLE when the peer closed the connection,
 * or MG_ERR_IO / MG_ERR_TLS with why. TLS may hold decrypted bytes the
 * socket no longer shows: read until MG_ERR_AGAIN before polling. */
int mg_tls_conn_read(struct mg_tls_conn *c, void *buf, size_t len, size_t *got, char *why,
		     size_t whylen);

/* Bytes TLS has decrypted but nobody has read yet (0 for plain TCP). */
size_t mg_tls_conn_pending(const struct mg_tls_conn *c);

/* The socket, and the poll events (POLLIN or POLLOUT) the last call that
 * returned MG_ERR_AGAIN waits for; POLLIN for an idle connection. */
int mg_tls_conn_fd(const struct mg_tls_conn *c);
short mg_tls_conn_events(const struct mg_tls_conn *c);

/* The TLS session (NULL for plain TCP), e.g. for mg_tls_peer_verify. */
gnutls_session_t mg_tls_conn_session(const struct mg_tls_conn *c);

/* Close and free c: an established TLS session gets a close_notify if the
 * socket takes it at once (no waiting). NULL is a no-op. */
void mg_tls_conn_free(struct mg_tls_conn *c);

#endif
