/* One MLLP connection: the TLS handshake and the device's certificate,
 * then messages one at a time: read until the framer has a message, hand
 * it to mllp_message.c, wait (not reading) while it is stored, write the
 * ACK, and only then look at the bytes that came after it. Anything that
 * goes wrong closes the connection; nothing here blocks. */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "ingest/mllp_internal.h"
#include "tls/conn.h"
#include "tls/peer.h"
#include "tls/profile.h"

#define WHY_MAX 160

static int64_t timeout_ms(const struct mllp_conn *c)
{
	return (int64_t)c->l->cfg->connection_timeout * 1000;
}

static int64_t message_timeout_ms(const struct mllp_conn *c)
{
	return (int64_t)c->l->cfg->request_timeout * 1000;
}

static int64_t handshake_timeout_ms(const struct mllp_conn *c)
{
	unsigned s = c->l->cfg->connection_timeout;

	return (int64_t)(s < MG_MLLP_HANDSHAKE_TIMEOUT_S ? s : MG_MLLP_HANDSHAKE_TIMEOUT_S) * 1000;
}

/* Wait for what the TLS connection's last MG_ERR_AGAIN asked for. */
static void conn_wait(struct mllp_conn *c)
{
	short want = mg_tls_conn_events(c->tls);

	mllp_listener_watch(c, (want & POLLOUT) ? EPOLLOUT : EPOLLIN);
}

int mllp_conn_open(struct mg_mllp_listener *l, int fd, const struct mllp_address *address,
		   const char *peer)
{
	gnutls_session_t session = NULL;
	struct mllp_conn *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return MG_ERR_NOMEM;
	}
	if ((r = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
					       GNUTLS_NO_TICKETS)) < 0 ||
	    (r = gnutls_priority_set(session, l->priorities)) < 0 ||
	    (r = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, l->credentials)) < 0) {
		mg_log_error("mllp: TLS session for %s: %s", peer, gnutls_strerror(r));
		if (session != NULL)
			gnutls_deinit(session);
		close(fd);
		free(c);
		return MG_ERR_TLS;
	}
	/* The chain is checked after the handshake (tls/peer.h), where a
	 * refusal can be logged with its reason. */
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
	mg_tls_session_profile(session);
	if ((r = mg_tls_conn_wrap(fd, session, &c->tls)) != 0) {	/* frees both on error */
		mg_log_error("mllp: connection from %s: %s", peer, mg_strerror(r));
		free(c);
		return r;
	}
	c->l = l;
	c->address = *address;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->state = MLLP_HANDSHAKE;
	c->deadline_ms = mllp_now() + handshake_timeout_ms(c);
	if ((r = mllp_listener_add(c)) != 0) {
		mg_log_error("mllp: connection from %s: %s", peer, mg_strerror(r));
		mg_tls_conn_free(c->tls);
		free(c);
		return r;
	}
	mllp_conn_run(c);
	return 0;
}

void mllp_conn_close(struct mllp_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->job != NULL) {
		c->job->conn = NULL;	/* freed when the writer gives it back */
		c->job = NULL;
	}
	mllp_listener_forget(c);
	mg_tls_conn_free(c->tls);
	c->tls = NULL;
	mg_mllp_framer_free(c->framer);
	c->framer = NULL;
	if (c->pending != NULL) {
		sodium_memzero(c->pending, c->pending_len);
		free(c->pending);
		c->pending = NULL;
	}
	mg_hl7_msg_free(c->msg);
	c->msg = NULL;
	mg_hl7_buffer_free(c->out, c->out_len);
	c->out = NULL;
}

/* Close with a fatal TLS alert, so the client sees why (best effort). */
static void conn_refuse(struct mllp_conn *c, gnutls_alert_description_t alert)
{
	gnutls_session_t session = mg_tls_conn_session(c->tls);

	if (session != NULL)
		(void)gnutls_alert_send(session, GNUTLS_AL_FATAL, alert);
	mllp_conn_close(c);
}

/* The client certificate, then the device it belongs to. */
static int conn_authenticate(struct mllp_conn *c)
{
	char reason[96];
	int64_t not_after;
	int r;

	r = mg_tls_peer_verify(mg_tls_conn_session(c->tls), c->fingerprint, &not_after, reason,
			       sizeof(reason));
	if (r != 0) {
		mg_log_warning("mllp: refused connection from %s: %s", c->peer, reason);
		mllp_refused(c, 0, 0, reason);
		conn_refuse(c, r == MG_ERR_EXPIRED ? GNUTLS_A_CERTIFICATE_EXPIRED
						   : GNUTLS_A_BAD_CERTIFICATE);
		return r;
	}
	if ((r = mllp_device_check(c)) != 0) {
		conn_refuse(c, r == MG_ERR_DENIED ? GNUTLS_A_ACCESS_DENIED
						  : GNUTLS_A_INTERNAL_ERROR);
		return r;
	}
	mg_log_debug("mllp: device %lld connected from %s", (long long)c->device.id, c->peer);
	return 0;
}

/* GnuTLS ends the handshake with one of these when the client sent no
 * certificate: none at all, or none from the device CA, since clients
 * offer only certificates from the CAs the server's request names. */
static bool no_certificate(const char *why)
{
	return strstr(why, gnutls_strerror(GNUTLS_E_CERTIFICATE_REQUIRED)) != NULL ||
	       strstr(why, gnutls_strerror(GNUTLS_E_NO_CERTIFICATE_FOUND)) != NULL;
}

static bool conn_handshake(struct mllp_conn *c)
{
	char why[WHY_MAX] = "";
	int r;

	r = mg_tls_conn_establish(c->tls, why, sizeof(why));
	if (r == MG_ERR_AGAIN) {
		conn_wait(c);
		return false;
	}
	if (r != 0) {
		/* Probes that connect and leave are not worth a warning. */
		if (r == MG_ERR_UNAVAILABLE)
			mg_log_info("mllp: connection from %s: %s", c->peer, why);
		else if (no_certificate(why))
			mg_log_warning("mllp: refused connection from %s: no client certificate "
				       "(none sent, or none signed by the device CA)", c->peer);
		else
			mg_log_warning("mllp: refused connection from %s: %s", c->peer, why);
		mllp_conn_close(c);
		return false;
	}
	if (conn_authenticate(c) != 0)
		return false;
	c->state = MLLP_READING;
	c->deadline_ms = mllp_now() + timeout_ms(c);
	return true;
}

/* Progress while reading: an idle connection gets the full timeout again;
 * a message, once begun, must end within request_timeout of its first
 * byte however slowly its bytes trickle in. */
static void conn_reading_deadline(struct mllp_conn *c)
{
	int64_t now = mllp_now();

	if (c->framer != NULL && mg_mllp_framer_pending(c->framer)) {
		if (c->message_started_ms == 0)
			c->message_started_ms = now;
		c->deadline_ms = c->message_started_ms + message_timeout_ms(c);
	} else {
		c->message_started_ms = 0;
		c->deadline_ms = now + timeout_ms(c);
	}
}

/* Keep data[used..len) for after the current message's answer. */
static int conn_keep_rest(struct mllp_conn *c, const char *data, size_t len, size_t used)
{
	if (used >= len)
		return 0;
	if ((c->pending = malloc(len - used)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(c->pending, data + used, len - used);
	c->pending_off = 0;
	c->pending_len = len - used;
	return 0;
}

static void conn_pending_consumed(struct mllp_conn *c, size_t used)
{
	c->pending_off += used;
	if (c->pending_off < c->pending_len)
		return;
	sodium_memzero(c->pending, c->pending_len);
	free(c->pending);
	c->pending = NULL;
	c->pending_off = c->pending_len = 0;
}

/* Read from the TLS connection into the loop's buffer. Returns the number
 * of bytes, or 0 after waiting or closing. */
static size_t conn_receive(struct mllp_conn *c)
{
	char why[WHY_MAX] = "";
	size_t got = 0;
	int r;

	r = mg_tls_conn_read(c->tls, c->l->read_buffer, sizeof(c->l->read_buffer), &got, why,
			     sizeof(why));
	if (r == 0)
		return got;
	if (r == MG_ERR_AGAIN) {
		conn_wait(c);
		return 0;
	}
	if (r == MG_ERR_UNAVAILABLE && !(c->framer && mg_mllp_framer_pending(c->framer)))
		mg_log_debug("mllp: %s closed the connection", c->peer);
	else
		mg_log_warning("mllp: connection from %s ended%s: %s", c->peer,
			       c->framer && mg_mllp_framer_pending(c->framer)
				       ? " in the middle of a message" : "",
			       why);
	mllp_conn_close(c);
	return 0;
}

static void conn_framing_failed(struct mllp_conn *c, int r)
{
	if (r == MG_ERR_LIMIT)
		mg_log_warning("mllp: closed connection from %s: message larger than %d bytes",
			       c->peer, MG_HL7_MESSAGE_MAX);
	else if (r == MG_ERR_INVALID)
		mg_log_warning("mllp: closed connection from %s: broken MLLP framing (bytes "
			       "outside <VT> message <FS><CR>)", c->peer);
	else
		mg_log_error("mllp: closed connection from %s: %s", c->peer, mg_strerror(r));
	mllp_conn_close(c);
}

/* Feed the framer until a message is complete (handled: true if the
 * connection goes on) or the socket has nothing more (false). */
static bool conn_read(struct mllp_conn *c)
{
	for (;;) {
		const char *data, *msg = NULL;
		size_t len, used = 0, msglen = 0;
		bool from_pending = c->pending != NULL;
		int r;

		if (from_pending) {
			data = c->pending + c->pending_off;
			len = c->pending_len - c->pending_off;
		} else {
			if ((len = conn_receive(c)) == 0)
				return false;
			data = c->l->read_buffer;
		}
		if (c->framer == NULL && (c->framer = mg_mllp_framer_new(MG_HL7_MESSAGE_MAX)) == NULL) {
			conn_framing_failed(c, MG_ERR_NOMEM);
			return false;
		}
		r = mg_mllp_framer_feed(c->framer, data, len, &used, &msg, &msglen);
		if (r == 0 && !from_pending && conn_keep_rest(c, data, len, used) != 0)
			r = MG_ERR_NOMEM;
		else if (from_pending)
			conn_pending_consumed(c, used);
		if (r == MG_ERR_AGAIN) {
			conn_reading_deadline(c);
			continue;
		}
		if (r != 0) {
			conn_framing_failed(c, r);
			return false;
		}
		c->message_started_ms = 0;
		mllp_message_handle(c, msg, msglen);
		return !c->closed;
	}
}

void mllp_conn_answer(struct mllp_conn *c, char *ack, size_t len)
{
	int r;

	r = mg_mllp_wrap(ack, len, &c->out, &c->out_len);
	mg_hl7_buffer_free(ack, len);
	if (r != 0) {
		mg_log_error("mllp: cannot frame the answer to %s: %s", c->peer, mg_strerror(r));
		mllp_conn_close(c);
		return;
	}
	c->out_off = 0;
	c->state = MLLP_ANSWERING;
	c->deadline_ms = mllp_now() + timeout_ms(c);
}

/* Between messages a connection holds no buffer: 20,000 idle devices
 * must not cost 20,000 framers. */
static void conn_idle(struct mllp_conn *c)
{
	if (c->pending == NULL && c->framer != NULL && !mg_mllp_framer_pending(c->framer)) {
		mg_mllp_framer_free(c->framer);
		c->framer = NULL;
	}
}

static bool conn_write(struct mllp_conn *c)
{
	char why[WHY_MAX] = "";
	size_t n;
	int r;

	while (c->out_off < c->out_len) {
		r = mg_tls_conn_write(c->tls, c->out + c->out_off, c->out_len - c->out_off, &n, why,
				      sizeof(why));
		if (r == MG_ERR_AGAIN) {
			conn_wait(c);
			return false;
		}
		if (r != 0) {
			mg_log_warning("mllp: answer to %s not delivered: %s", c->peer, why);
			mllp_conn_close(c);
			return false;
		}
		c->out_off += n;
	}
	mg_hl7_buffer_free(c->out, c->out_len);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->close_after_answer || c->l->stopping) {
		mllp_conn_close(c);
		return false;
	}
	c->state = MLLP_READING;
	conn_idle(c);
	conn_reading_deadline(c);
	return true;
}

void mllp_conn_run(struct mllp_conn *c)
{
	bool more = true;

	while (more && !c->closed) {
		switch (c->state) {
		case MLLP_HANDSHAKE:
			more = conn_handshake(c);
			break;
		case MLLP_READING:
			more = conn_read(c);
			break;
		case MLLP_STORING:
			/* Not even reading: the next message waits its turn. */
			mllp_listener_watch(c, 0);
			more = false;
			break;
		case MLLP_ANSWERING:
			more = conn_write(c);
			break;
		}
	}
}

void mllp_conn_event(struct mllp_conn *c, uint32_t events)
{
	/* Watched for nothing, a connection still hears of errors and
	 * hang-ups; with both directions gone no answer can reach it. */
	if (c->state == MLLP_STORING && (events & (EPOLLERR | EPOLLHUP))) {
		mg_log_warning("mllp: %s went away before its answer", c->peer);
		mllp_conn_close(c);
		return;
	}
	mllp_conn_run(c);
}

void mllp_conn_stored(struct mllp_conn *c, const struct mg_measurement_put *put)
{
	mllp_message_answer_stored(c, put);
	mllp_conn_run(c);
}

void mllp_conn_timeout(struct mllp_conn *c)
{
	unsigned s = c->l->cfg->connection_timeout;

	switch (c->state) {
	case MLLP_HANDSHAKE:
		mg_log_warning("mllp: closed connection from %s: TLS handshake not finished "
			       "within %lld s", c->peer, (long long)handshake_timeout_ms(c) / 1000);
		break;
	case MLLP_READING:
		if (c->message_started_ms != 0)
			mg_log_warning("mllp: closed connection from %s: message not complete "
				       "within %u s (no end block)", c->peer,
				       c->l->cfg->request_timeout);
		else
			mg_log_info("mllp: closed connection from %s: idle for %u s", c->peer, s);
		break;
	case MLLP_ANSWERING:
		mg_log_warning("mllp: closed connection from %s: answer not taken within %u s",
			       c->peer, s);
		break;
	case MLLP_STORING:
		return;	/* no deadline: the writer always answers */
	}
	mllp_conn_close(c);
}
