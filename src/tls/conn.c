/* Non-blocking plain or TLS connections. The state machine is small:
 * CONNECTING (TCP, possibly over several resolved addresses), HANDSHAKE
 * (GnuTLS, client or server side), OPEN. Every call does what the socket
 * allows now and reports MG_ERR_AGAIN with the poll events to wait for,
 * so one thread can drive many connections. */
#include "tls/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "common/err.h"
#include "common/file.h"
#include "tls/profile.h"

struct mg_tls_client {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t priority;
	char host[MG_TLS_HOST_MAX + 1];
	bool host_is_ip;		/* no SNI for IP literals (RFC 6066, 3) */
	gnutls_typed_vdata_st verify[2];	/* host name, server purpose */
};

enum conn_state { CONN_CONNECTING, CONN_HANDSHAKE, CONN_OPEN };

struct mg_tls_conn {
	int fd;
	enum conn_state state;
	short events;
	gnutls_session_t session;		/* NULL: plain TCP */
	const struct mg_tls_client *tls;	/* client side: made on connect */
	struct addrinfo *addrs, *next;		/* addresses left to try */
	int last_errno;
};

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);	/* a reason may be cut short: fine */
	va_end(ap);
}

/* ---- client credentials ---- */

static int client_trust(struct mg_tls_client *c, const char *ca_path, char *err, size_t errlen)
{
	struct stat st;
	int r;

	if (ca_path == NULL || ca_path[0] == '\0') {
		r = gnutls_certificate_set_x509_system_trust(c->creds);
		if (r <= 0) {
			say(err, errlen, "no system CA certificates (%s)",
			    r < 0 ? gnutls_strerror(r) : "none found");
			return MG_ERR_TLS;
		}
		return 0;
	}
	if (stat(ca_path, &st) != 0 || !S_ISREG(st.st_mode)) {
		say(err, errlen, "ca_cert %s: no such file", ca_path);
		return MG_ERR_NOT_FOUND;
	}
	r = gnutls_certificate_set_x509_trust_file(c->creds, ca_path, GNUTLS_X509_FMT_PEM);
	if (r <= 0) {
		say(err, errlen, "ca_cert %s: %s", ca_path,
		    r < 0 ? gnutls_strerror(r) : "no PEM certificate in it");
		return r < 0 ? MG_ERR_TLS : MG_ERR_INVALID;
	}
	return 0;
}

static int client_identity(struct mg_tls_client *c, const char *cert_path, const char *key_path,
			   char *err, size_t errlen)
{
	bool has_cert = cert_path != NULL && cert_path[0] != '\0';
	bool has_key = key_path != NULL && key_path[0] != '\0';
	mode_t mode = 0;
	int r;

	if (!has_cert && !has_key)
		return 0;
	if (!has_cert || !has_key) {
		say(err, errlen, "client_cert and client_key go together");
		return MG_ERR_INVALID;
	}
	if ((r = mg_file_check_private(key_path, &mode)) != 0) {
		if (r == MG_ERR_DENIED)
			say(err, errlen, "client_key %s: mode %03o, not private (" MG_FILE_PRIVATE_FIX
				    ")", key_path, (unsigned)mode);
		else
			say(err, errlen, "client_key %s: cannot be read", key_path);
		return r == MG_ERR_DENIED ? r : MG_ERR_NOT_FOUND;
	}
	r = gnutls_certificate_set_x509_key_file2(c->creds, cert_path, key_path,
						  GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		say(err, errlen, "client_cert %s / client_key %s: %s", cert_path, key_path,
		    gnutls_strerror(r));
		return MG_ERR_TLS;
	}
	return 0;
}

int mg_tls_client_new(const char *host, const char *ca_path, const char *cert_path,
		      const char *key_path, const char *priorities, struct mg_tls_client **out,
		      char *err, size_t errlen)
{
	struct mg_tls_client *c;
	unsigned char ip[16];
	const char *where = NULL;
	int r;

	*out = NULL;
	say(err, errlen, "%s", "");
	if (host == NULL || host[0] == '\0' || strlen(host) > MG_TLS_HOST_MAX) {
		say(err, errlen, "host name empty or too long");
		return MG_ERR_INVALID;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MG_ERR_NOMEM;
	memcpy(c->host, host, strlen(host) + 1);
	c->host_is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	/* GnuTLS (3.6+) matches an IP literal against iPAddress SANs only,
	 * and a name against dNSName SANs; the purpose must be serverAuth. */
	c->verify[0].type = GNUTLS_DT_DNS_HOSTNAME;
	c->verify[0].data = (unsigned char *)c->host;
	c->verify[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	c->verify[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	if (gnutls_certificate_allocate_credentials(&c->creds) < 0) {
		c->creds = NULL;
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = client_trust(c, ca_path, err, errlen)) != 0 ||
	    (r = client_identity(c, cert_path, key_path, err, errlen)) != 0)
		goto out;
	if (priorities == NULL || gnutls_priority_init2(&c->priority, priorities, &where, 0) < 0) {
		c->priority = NULL;
		say(err, errlen, "TLS priorities not accepted by GnuTLS");
		r = MG_ERR_TLS;
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	mg_tls_client_free(c);
	return r;
}

void mg_tls_client_free(struct mg_tls_client *c)
{
	if (c == NULL)
		return;
	if (c->priority != NULL)
		gnutls_priority_deinit(c->priority);
	if (c->creds != NULL)
		gnutls_certificate_free_credentials(c->creds);
	free(c);
}

/* ---- addresses ---- */

int mg_tls_address_split(const char *address, char *host, size_t hostlen, char *port,
			 size_t portlen, char *err, size_t errlen)
{
	const char *colon = strrchr(address, ':'), *h = address;
	size_t n;
	unsigned long p = 0;

	if (colon == NULL)
		goto bad;
	n = (size_t)(colon - address);
	if (address[0] == '[') {
		if (n < 3 || address[n - 1] != ']')
			goto bad;
		h = address + 1;
		n -= 2;
	} else if (memchr(address, ':', n) != NULL) {
		snprintf(err, errlen, "address %s: write an IPv6 address in brackets, "
				      "[2001:db8::1]:2575", address);
		return MG_ERR_CONFIG;
	}
	if (n == 0 || n >= hostlen)
		goto bad;
	for (const char *c = colon + 1; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || p > 65535)
			goto bad;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p == 0 || p > 65535)
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, portlen, "%lu", p);
	return 0;
bad:
	snprintf(err, errlen, "address %s: host:port expected (port 1 to 65535)", address);
	return MG_ERR_CONFIG;
}

/* ---- connections ---- */

/* GnuTLS writes with sendmsg; MSG_NOSIGNAL keeps a peer that went away
 * from killing the process with SIGPIPE, whatever flags the session was
 * made with. */
static ssize_t conn_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)(uintptr_t)iov,
			     .msg_iovlen = (size_t)iovcnt };

	return sendmsg((int)(intptr_t)ptr, &mh, MSG_NOSIGNAL);
}

static void conn_attach(struct mg_tls_conn *c)
{
	gnutls_transport_set_int(c->session, c->fd);
	gnutls_transport_set_vec_push_function(c->session, conn_push);
	/* Our caller keeps the deadline: GnuTLS's own would fire at random. */
	gnutls_handshake_set_timeout(c->session, 0);
}

static void connect_reason(int err, char *why, size_t whylen)
{
	switch (err) {
	case ECONNREFUSED:
		say(why, whylen, "connection refused");
		break;
	case ETIMEDOUT:
		say(why, whylen, "connection timed out");
		break;
	case EHOSTUNREACH:
		say(why, whylen, "host unreachable");
		break;
	case ENETUNREACH:
		say(why, whylen, "network unreachable");
		break;
	default:
		say(why, whylen, "connect failed: %s", strerror(err));
		break;
	}
}

/* Start a connect to the next address; 0 when one is under way. */
static int conn_try_next(struct mg_tls_conn *c, char *why, size_t whylen)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	while (c->next != NULL) {
		const struct addrinfo *ai = c->next;
		int fd, one = 1;

		c->next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			c->last_errno = errno;
			continue;
		}
		/* Stop-and-wait protocols gain nothing from Nagle's delay. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
			c->fd = fd;
			c->events = POLLOUT;
			return 0;
		}
		c->last_errno = errno;
		close(fd);
	}
	connect_reason(c->last_errno, why, whylen);
	return MG_ERR_UNAVAILABLE;
}

int mg_tls_conn_connect(const char *host, const char *port, const struct mg_tls_client *tls,
			struct mg_tls_conn **out, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct mg_tls_conn *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MG_ERR_NOMEM;
	c->fd = -1;
	c->tls = tls;
	c->state = CONN_CONNECTING;
	c->last_errno = ECONNREFUSED;
	if ((r = getaddrinfo(host, port, &hints, &c->addrs)) != 0) {
		c->addrs = NULL;
		say(why, whylen, "cannot resolve %s: %s", host, gai_strerror(r));
		mg_tls_conn_free(c);
		return MG_ERR_UNAVAILABLE;
	}
	c->next = c->addrs;
	if ((r = conn_try_next(c, why, whylen)) != 0) {
		mg_tls_conn_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int mg_tls_conn_wrap(int fd, gnutls_session_t session, struct mg_tls_conn **out)
{
	struct mg_tls_conn *c;
	int flags;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (session != NULL)
			gnutls_deinit(session);
		close(fd);
		return MG_ERR_NOMEM;
	}
	c->fd = fd;
	c->session = session;
	c->state = session != NULL ? CONN_HANDSHAKE : CONN_OPEN;
	c->events = POLLIN;
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		mg_tls_conn_free(c);
		return MG_ERR_IO;
	}
	if (session != NULL)
		conn_attach(c);
	*out = c;
	return 0;
}

static int client_session(struct mg_tls_conn *c, char *why, size_t whylen)
{
	const struct mg_tls_client *t = c->tls;

	if (gnutls_init(&c->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
		c->session = NULL;
		say(why, whylen, "TLS session setup failed");
		return MG_ERR_NOMEM;
	}
	mg_tls_session_profile(c->session);
	if (gnutls_priority_set(c->session, t->priority) < 0 ||
	    gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, t->creds) < 0 ||
	    (!t->host_is_ip &&
	     gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, t->host, strlen(t->host)) < 0)) {
		say(why, whylen, "TLS session setup failed");
		return MG_ERR_TLS;
	}
	gnutls_session_set_verify_cert2(c->session, (gnutls_typed_vdata_st *)(uintptr_t)t->verify,
					2, 0);
	conn_attach(c);
	return 0;
}

/* Say why GnuTLS refused the server's chain: the first reason it gives. */
static void untrusted(const struct mg_tls_conn *c, unsigned status, char *why, size_t whylen)
{
	static const struct {
		unsigned flag;
		const char *why;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "issuer not among the trusted CAs (ca_cert)" },
		{ GNUTLS_CERT_EXPIRED, "expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
		{ GNUTLS_CERT_REVOKED, "revoked" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "signed by a certificate that is not a CA" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, "not a TLS server certificate" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (status & reasons[i].flag) {
			say(why, whylen, "certificate not trusted: %s", reasons[i].why);
			return;
		}
	}
	if ((status & GNUTLS_CERT_UNEXPECTED_OWNER) && c->tls != NULL)
		say(why, whylen, "certificate not trusted: not issued for %s", c->tls->host);
	else
		say(why, whylen, "certificate not trusted: invalid");
}

static int handshake_failed(struct mg_tls_conn *c, int r, char *why, size_t whylen)
{
	switch (r) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		untrusted(c, gnutls_session_get_verify_cert_status(c->session), why, whylen);
		return MG_ERR_DENIED;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		say(why, whylen, "TLS handshake failed: peer sent alert \"%s\"",
		    gnutls_alert_get_name(gnutls_alert_get(c->session)));
		return MG_ERR_TLS;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		say(why, whylen, "TLS handshake failed: connection closed by the peer");
		return MG_ERR_UNAVAILABLE;
	default:
		say(why, whylen, "TLS handshake failed: %s", gnutls_strerror(r));
		return MG_ERR_TLS;
	}
}

static short tls_direction(const struct mg_tls_conn *c)
{
	return gnutls_record_get_direction(c->session) ? POLLOUT : POLLIN;
}

static int conn_handshake(struct mg_tls_conn *c, char *why, size_t whylen)
{
	int r;

	for (;;) {
		r = gnutls_handshake(c->session);
		if (r == 0) {
			c->state = CONN_OPEN;
			c->events = POLLIN;
			return 0;
		}
		if (r == GNUTLS_E_AGAIN) {
			c->events = tls_direction(c);
			return MG_ERR_AGAIN;
		}
		if (gnutls_error_is_fatal(r))
			return handshake_failed(c, r, why, whylen);
		/* GNUTLS_E_INTERRUPTED, a warning alert: carry on. */
	}
}

/* Has the non-blocking connect finished? 0 yes, MG_ERR_AGAIN not yet,
 * < 0 failed on every address. */
static int conn_tcp(struct mg_tls_conn *c, char *why, size_t whylen)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, r;

	for (;;) {
		r = poll(&p, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			c->events = POLLOUT;
			return MG_ERR_AGAIN;
		}
		if (r < 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = r < 0 ? errno : EIO;
		if (err == 0)
			break;
		c->last_errno = err;
		if ((r = conn_try_next(c, why, whylen)) != 0)
			return r;
		p.fd = c->fd;
		p.revents = 0;
	}
	freeaddrinfo(c->addrs);
	c->addrs = c->next = NULL;
	c->events = POLLIN;
	if (c->tls == NULL) {
		c->state = CONN_OPEN;
		return 0;
	}
	c->state = CONN_HANDSHAKE;
	return client_session(c, why, whylen);
}

int mg_tls_conn_establish(struct mg_tls_conn *c, char *why, size_t whylen)
{
	int r;

	if (c->state == CONN_CONNECTING && (r = conn_tcp(c, why, whylen)) != 0)
		return r;
	if (c->state == CONN_HANDSHAKE)
		return conn_handshake(c, why, whylen);
	return 0;
}

int mg_tls_conn_write(struct mg_tls_conn *c, const void *buf, size_t len, size_t *written,
		      char *why, size_t whylen)
{
	ssize_t n;

	*written = 0;
	for (;;) {
		if (c->session != NULL)
			n = gnutls_record_send(c->session, buf, len);
		else
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			*written = (size_t)n;
			return 0;
		}
		if (c->session == NULL ? errno == EAGAIN || errno == EWOULDBLOCK
				       : n == GNUTLS_E_AGAIN) {
			c->events = c->session != NULL ? tls_direction(c) : POLLOUT;
			return MG_ERR_AGAIN;
		}
		if (c->session == NULL ? errno == EINTR : n == GNUTLS_E_INTERRUPTED)
			continue;
		if (c->session == NULL)
			say(why, whylen, "send failed: %s", strerror(errno));
		else
			say(why, whylen, "TLS send failed: %s", gnutls_strerror((int)n));
		return c->session == NULL ? MG_ERR_IO : MG_ERR_TLS;
	}
}

static int read_plain(struct mg_tls_conn *c, void *buf, size_t len, size_t *got, char *why,
		      size_t whylen)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (n == 0) {
			say(why, whylen, "connection closed by the peer");
			return MG_ERR_UNAVAILABLE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->events = POLLIN;
			return MG_ERR_AGAIN;
		}
		if (errno == ECONNRESET) {
			say(why, whylen, "connection reset by the peer");
			return MG_ERR_UNAVAILABLE;
		}
		say(why, whylen, "receive failed: %s", strerror(errno));
		return MG_ERR_IO;
	}
}

static int read_tls(struct mg_tls_conn *c, void *buf, size_t len, size_t *got, char *why,
		    size_t whylen)
{
	ssize_t n;

	for (;;) {
		n = gnutls_record_recv(c->session, buf, len);
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		switch (n) {
		case 0:
		case GNUTLS_E_PREMATURE_TERMINATION:
			say(why, whylen, "connection closed by the peer");
			return MG_ERR_UNAVAILABLE;
		case GNUTLS_E_PULL_ERROR:
			say(why, whylen, "connection reset by the peer");
			return MG_ERR_UNAVAILABLE;
		case GNUTLS_E_AGAIN:
			c->events = tls_direction(c);
			return MG_ERR_AGAIN;
		case GNUTLS_E_REHANDSHAKE:
			say(why, whylen, "TLS renegotiation refused");
			return MG_ERR_TLS;
		case GNUTLS_E_FATAL_ALERT_RECEIVED:
			say(why, whylen, "TLS failed: peer sent alert \"%s\"",
			    gnutls_alert_get_name(gnutls_alert_get(c->session)));
			return MG_ERR_TLS;
		default:
			if (gnutls_error_is_fatal((int)n)) {
				say(why, whylen, "TLS receive failed: %s", gnutls_strerror((int)n));
				return MG_ERR_TLS;
			}
			break;	/* interrupted, a warning alert: carry on */
		}
	}
}

int mg_tls_conn_read(struct mg_tls_conn *c, void *buf, size_t len, size_t *got, char *why,
		     size_t whylen)
{
	*got = 0;
	return c->session != NULL ? read_tls(c, buf, len, got, why, whylen)
				  : read_plain(c, buf, len, got, why, whylen);
}

size_t mg_tls_conn_pending(const struct mg_tls_conn *c)
{
	return c->session != NULL && c->state == CONN_OPEN ? gnutls_record_check_pending(c->session)
							   : 0;
}

int mg_tls_conn_fd(const struct mg_tls_conn *c)
{
	return c->fd;
}

short mg_tls_conn_events(const struct mg_tls_conn *c)
{
	return c->events;
}

gnutls_session_t mg_tls_conn_session(const struct mg_tls_conn *c)
{
	return c->session;
}

void mg_tls_conn_free(struct mg_tls_conn *c)
{
	if (c == NULL)
		return;
	if (c->session != NULL) {
		if (c->state == CONN_OPEN)
			gnutls_bye(c->session, GNUTLS_SHUT_WR);	/* one try, no waiting */
		gnutls_deinit(c->session);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->addrs != NULL)
		freeaddrinfo(c->addrs);
	free(c);
}
