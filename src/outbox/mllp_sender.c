/* HL7 v2 over MLLP (plain or TLS) to one EMR destination: a fixed set of
 * slots, each one keep-alive connection carrying one message at a time
 * (MLLP is stop-and-wait), all driven by the forwarder's thread through
 * poll(2) over the slots' sockets and an eventfd for wake().
 * docs/internals/outbox.md ("MLLP sender") says how and why. */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "outbox/mllp_ack.h"
#include "outbox/sender.h"
#include "tls/conn.h"
#include "tls/profile.h"

#define MLLP_SLOTS_MAX		16		/* [emr.NAME] connections bounds it too */
#define MLLP_ACK_MAX		(64 * 1024)	/* bytes in one ACK, framing excluded */
#define MLLP_READ_CHUNK		4096

enum slot_state {
	SLOT_IDLE,		/* no message; the connection may stay open */
	SLOT_CONNECTING,	/* TCP connect and TLS handshake */
	SLOT_SENDING,		/* writing the framed message */
	SLOT_AWAITING,		/* reading the ACK */
	SLOT_DONE,		/* finished: the next poll reports result */
};

struct mllp_slot {
	enum slot_state state;
	struct mg_tls_conn *conn;	/* NULL: closed */
	struct mg_mllp_framer *framer;	/* one per connection */
	bool reused;			/* conn carried a message before this one */
	bool resent;			/* already reconnected once for this message */
	bool answered;			/* some bytes of the answer arrived */
	int64_t deadline_ms;
	char *frame;			/* the framed message: patient data, wiped */
	size_t frame_len, written;
	char control_id[MG_HL7_CONTROL_ID_MAX + 1];
	struct mg_send_result result;	/* item_id set on submit */
};

struct mllp_sender {
	struct mg_sender base;
	char name[MG_EMR_NAME_MAX + 1];
	char host[MG_TLS_HOST_MAX + 1];
	char port[6];
	unsigned timeout_s;
	struct mg_tls_client *tls;	/* NULL: plain TCP */
	int wake_fd;
	size_t nslots;
	struct mllp_slot slots[MLLP_SLOTS_MAX];
};

static size_t slot_index(const struct mllp_sender *s, const struct mllp_slot *sl)
{
	return (size_t)(sl - s->slots);
}

static void slot_close(struct mllp_sender *s, struct mllp_slot *sl, const char *why)
{
	if (sl->conn == NULL)
		return;
	mg_log_debug("outbox: [emr.%s] connection %zu closed: %s", s->name, slot_index(s, sl),
		     why);
	mg_tls_conn_free(sl->conn);
	mg_mllp_framer_free(sl->framer);
	sl->conn = NULL;
	sl->framer = NULL;
}

/* The send is over: keep the verdict for the next poll. Anything but a
 * clean answer closes the connection, so that a late ACK can never be
 * taken for the answer to the next message. */
static void slot_finish(struct mllp_sender *s, struct mllp_slot *sl, enum mg_send_verdict v,
			bool keep_open, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void slot_finish(struct mllp_sender *s, struct mllp_slot *sl, enum mg_send_verdict v,
			bool keep_open, const char *fmt, ...)
{
	va_list ap;

	sl->result.verdict = v;
	sl->result.permanent = false;
	va_start(ap, fmt);
	vsnprintf(sl->result.why, sizeof(sl->result.why), fmt, ap);
	va_end(ap);
	if (!keep_open)
		slot_close(s, sl, sl->result.why);
	sl->state = SLOT_DONE;
}

static void slot_release_message(struct mllp_slot *sl)
{
	mg_hl7_buffer_free(sl->frame, sl->frame_len);
	sl->frame = NULL;
	sl->frame_len = sl->written = 0;
	sodium_memzero(sl->control_id, sizeof(sl->control_id));
	sodium_memzero(&sl->result, sizeof(sl->result));
}

/* Open a new connection for the slot's message. */
static void slot_connect(struct mllp_sender *s, struct mllp_slot *sl)
{
	char why[MG_OUTBOX_ERROR_MAX];
	int r;

	slot_close(s, sl, "reconnecting");
	sl->reused = false;
	sl->answered = false;
	sl->written = 0;
	if ((sl->framer = mg_mllp_framer_new(MLLP_ACK_MAX)) == NULL) {
		slot_finish(s, sl, MG_SEND_RETRY, false, "out of memory");
		return;
	}
	r = mg_tls_conn_connect(s->host, s->port, s->tls, &sl->conn, why, sizeof(why));
	if (r != 0) {
		mg_mllp_framer_free(sl->framer);
		sl->framer = NULL;
		slot_finish(s, sl, MG_SEND_RETRY, false, "%s", why);
		return;
	}
	mg_log_debug("outbox: [emr.%s] connection %zu: connecting to %s port %s", s->name,
		     slot_index(s, sl), s->host, s->port);
	sl->state = SLOT_CONNECTING;
}

/* The connection failed under a message. A keep-alive connection may
 * have been closed by the EMR while idle, before we could notice: send
 * once more on a new one (the receiver drops duplicates by MSH-10). */
static bool slot_lost(struct mllp_sender *s, struct mllp_slot *sl, const char *why)
{
	if (sl->reused && !sl->resent && !sl->answered) {
		mg_log_debug("outbox: [emr.%s] connection %zu lost (%s); sending again on a new "
			     "one", s->name, slot_index(s, sl), why);
		sl->resent = true;
		slot_connect(s, sl);
		return sl->state == SLOT_CONNECTING;
	}
	slot_finish(s, sl, MG_SEND_RETRY, false, "%s", why);
	return false;
}

/* A whole answer arrived: judge it against the message it must answer. */
static void slot_judge(struct mllp_sender *s, struct mllp_slot *sl, const char *ack,
		       size_t len, bool trailing)
{
	char text[MG_OUTBOX_ERROR_MAX];
	enum mg_send_verdict v;
	int r;

	r = mg_mllp_ack_judge(ack, len, sl->control_id, sl->frame, sl->frame_len, &v, text,
			      sizeof(text));
	/* A malformed answer or one for another message leaves the stream
	 * in doubt; so do bytes after the ACK. */
	slot_finish(s, sl, v, r == 0 && !trailing, "%s", text);
	if (trailing && r == 0)
		mg_log_warning("outbox: [emr.%s] connection %zu: bytes after the ACK; closed",
			       s->name, slot_index(s, sl));
}

static void slot_read_ack(struct mllp_sender *s, struct mllp_slot *sl)
{
	char buf[MLLP_READ_CHUNK], why[MG_OUTBOX_ERROR_MAX];
	const char *msg;
	size_t got, used, msglen;
	int r;

	for (;;) {
		r = mg_tls_conn_read(sl->conn, buf, sizeof(buf), &got, why, sizeof(why));
		if (r == MG_ERR_AGAIN)
			break;
		if (r != 0) {
			if (sl->answered)
				slot_finish(s, sl, MG_SEND_RETRY, false, "%s before the whole ACK",
					    why);
			else
				slot_lost(s, sl, why);
			break;
		}
		sl->answered = true;
		r = mg_mllp_framer_feed(sl->framer, buf, got, &used, &msg, &msglen);
		if (r == MG_ERR_AGAIN)
			continue;
		if (r != 0) {
			slot_finish(s, sl, MG_SEND_RETRY, false, "malformed ACK (%s)",
				    r == MG_ERR_LIMIT ? "larger than 64 KiB" : "bad MLLP framing");
			break;
		}
		slot_judge(s, sl, msg, msglen, used < got || mg_tls_conn_pending(sl->conn) > 0);
		break;
	}
	sodium_memzero(buf, sizeof(buf));
}

/* Do whatever the slot's socket allows now. */
static void slot_advance(struct mllp_sender *s, struct mllp_slot *sl)
{
	char why[MG_OUTBOX_ERROR_MAX];
	size_t n;
	int r;

	if (sl->state == SLOT_CONNECTING) {
		r = mg_tls_conn_establish(sl->conn, why, sizeof(why));
		if (r == MG_ERR_AGAIN)
			return;
		if (r != 0) {
			slot_finish(s, sl, MG_SEND_RETRY, false, "%s", why);
			/* Not trusted, wrong name, or the handshake refused. */
			sl->result.permanent = r == MG_ERR_DENIED || r == MG_ERR_TLS;
			return;
		}
		sl->state = SLOT_SENDING;
	}
	while (sl->state == SLOT_SENDING && sl->written < sl->frame_len) {
		r = mg_tls_conn_write(sl->conn, sl->frame + sl->written,
				      sl->frame_len - sl->written, &n, why, sizeof(why));
		if (r == MG_ERR_AGAIN)
			return;
		if (r != 0) {
			if (slot_lost(s, sl, why))
				slot_advance(s, sl);
			return;
		}
		sl->written += n;
	}
	if (sl->state == SLOT_SENDING)
		sl->state = SLOT_AWAITING;
	if (sl->state == SLOT_AWAITING) {
		slot_read_ack(s, sl);
		if (sl->state == SLOT_CONNECTING)	/* lost, sending again */
			slot_advance(s, sl);
	}
}

/* An idle keep-alive connection became readable: the EMR closed it, or
 * sent something nobody asked for. Either way it is of no more use;
 * TLS-internal records (session tickets) are fine. */
static void slot_idle_event(struct mllp_sender *s, struct mllp_slot *sl)
{
	char buf[256], why[MG_OUTBOX_ERROR_MAX];
	size_t got;
	int r;

	r = mg_tls_conn_read(sl->conn, buf, sizeof(buf), &got, why, sizeof(why));
	sodium_memzero(buf, sizeof(buf));
	if (r == MG_ERR_AGAIN)
		return;
	if (r == 0) {
		mg_log_warning("outbox: [emr.%s] connection %zu: data from the EMR between "
			       "messages; closed", s->name, slot_index(s, sl));
		slot_close(s, sl, "unexpected data");
		return;
	}
	slot_close(s, sl, why);
}

static void slot_check_deadline(struct mllp_sender *s, struct mllp_slot *sl, int64_t now)
{
	static const char *const what[] = {
		[SLOT_CONNECTING] = "no connection",
		[SLOT_SENDING] = "message not sent",
		[SLOT_AWAITING] = "no ACK",
	};

	if (sl->state == SLOT_CONNECTING || sl->state == SLOT_SENDING ||
	    sl->state == SLOT_AWAITING) {
		if (now >= sl->deadline_ms)
			slot_finish(s, sl, MG_SEND_RETRY, false, "%s within %u s", what[sl->state],
				    s->timeout_s);
	}
}

/* ---- the sender operations ---- */

static size_t mllp_free_slots(struct mg_sender *base)
{
	struct mllp_sender *s = (struct mllp_sender *)base;
	size_t n = 0;

	for (size_t i = 0; i < s->nslots; i++)
		n += s->slots[i].state == SLOT_IDLE;
	return n;
}

/* An idle slot, one with an open connection first. */
static struct mllp_slot *slot_pick(struct mllp_sender *s)
{
	struct mllp_slot *closed = NULL;

	for (size_t i = 0; i < s->nslots; i++) {
		struct mllp_slot *sl = &s->slots[i];

		if (sl->state != SLOT_IDLE)
			continue;
		if (sl->conn != NULL)
			return sl;
		if (closed == NULL)
			closed = sl;
	}
	return closed;
}

static int mllp_submit(struct mg_sender *base, int64_t item_id, const char *message, size_t len,
		       const char *control_id, const char *scrub)
{
	(void)scrub;	/* the ACK's text is cleaned against the PID we sent */
	struct mllp_sender *s = (struct mllp_sender *)base;
	struct mllp_slot *sl;
	size_t idlen;
	int r;

	if (control_id == NULL || (idlen = strlen(control_id)) == 0)
		return MG_ERR_INVALID;
	if (idlen > MG_HL7_CONTROL_ID_MAX)
		return MG_ERR_LIMIT;
	if ((sl = slot_pick(s)) == NULL)
		return MG_ERR_BUSY;
	if ((r = mg_mllp_wrap(message, len, &sl->frame, &sl->frame_len)) != 0)
		return r;
	memcpy(sl->control_id, control_id, idlen + 1);
	sl->result.item_id = item_id;
	sl->written = 0;
	sl->resent = false;
	sl->answered = false;
	sl->deadline_ms = mg_monotonic_ms() + (int64_t)s->timeout_s * 1000;
	if (sl->conn != NULL) {
		sl->reused = true;
		sl->state = SLOT_SENDING;
	} else {
		slot_connect(s, sl);
	}
	slot_advance(s, sl);
	return 0;
}

/* Hand every finished send to done; the slot is free again first, so
 * done may submit. Returns how many. */
static size_t report_done(struct mllp_sender *s, mg_send_done_fn done, void *arg)
{
	struct mg_send_result res;
	size_t n = 0;

	for (size_t i = 0; i < s->nslots; i++) {
		struct mllp_slot *sl = &s->slots[i];

		if (sl->state != SLOT_DONE)
			continue;
		res = sl->result;
		slot_release_message(sl);
		sl->state = SLOT_IDLE;
		done(arg, &res);
		sodium_memzero(&res, sizeof(res));
		n++;
	}
	return n;
}

/* Fill pfd for every slot with a socket (slot index in map); pfd[0] is
 * the wake fd. Returns the count and lowers *wait_ms to the nearest
 * deadline. */
static nfds_t poll_set(struct mllp_sender *s, struct pollfd *pfd, size_t *map, int64_t now,
		       int64_t *wait_ms)
{
	nfds_t n = 1;

	pfd[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	for (size_t i = 0; i < s->nslots; i++) {
		struct mllp_slot *sl = &s->slots[i];

		if (sl->conn == NULL || sl->state == SLOT_DONE)
			continue;
		if (sl->state != SLOT_IDLE && sl->deadline_ms - now < *wait_ms)
			*wait_ms = sl->deadline_ms - now > 0 ? sl->deadline_ms - now : 0;
		pfd[n] = (struct pollfd){ .fd = mg_tls_conn_fd(sl->conn),
					  .events = sl->state == SLOT_IDLE
							    ? POLLIN
							    : mg_tls_conn_events(sl->conn) };
		map[n++] = i;
	}
	return n;
}

static int mllp_poll(struct mg_sender *base, int timeout_ms, mg_send_done_fn done, void *arg)
{
	struct mllp_sender *s = (struct mllp_sender *)base;
	struct pollfd pfd[MLLP_SLOTS_MAX + 1];
	size_t map[MLLP_SLOTS_MAX + 1];
	int64_t now = mg_monotonic_ms(), end = now + (timeout_ms > 0 ? timeout_ms : 0);
	bool woken = false;
	uint64_t count;

	do {
		int64_t wait = end - now;
		nfds_t n;
		int r;

		for (size_t i = 0; i < s->nslots; i++)
			slot_check_deadline(s, &s->slots[i], now);
		if (report_done(s, done, arg) > 0)
			return 0;
		n = poll_set(s, pfd, map, now, &wait);
		r = poll(pfd, n, (int)(wait > 0 ? wait : 0));
		if (r < 0 && errno != EINTR) {
			mg_log_error("outbox: [emr.%s] poll failed: %s", s->name, strerror(errno));
			return MG_ERR_IO;
		}
		if (r > 0 && (pfd[0].revents & POLLIN) &&
		    read(s->wake_fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
			woken = true;
		for (nfds_t k = 1; r > 0 && k < n; k++) {
			struct mllp_slot *sl = &s->slots[map[k]];

			if (pfd[k].revents == 0)
				continue;
			if (sl->state == SLOT_IDLE)
				slot_idle_event(s, sl);
			else
				slot_advance(s, sl);
		}
		now = mg_monotonic_ms();
		for (size_t i = 0; i < s->nslots; i++)
			slot_check_deadline(s, &s->slots[i], now);
		if (report_done(s, done, arg) > 0 || woken)
			return 0;
	} while (now < end);
	return 0;
}

static void mllp_wake(struct mg_sender *base)
{
	struct mllp_sender *s = (struct mllp_sender *)base;
	uint64_t one = 1;

	/* Fails only if the counter is full, and then a wake is pending. */
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void mllp_free(struct mg_sender *base)
{
	struct mllp_sender *s = (struct mllp_sender *)base;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nslots; i++) {
		slot_close(s, &s->slots[i], "sender stopped");
		slot_release_message(&s->slots[i]);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	mg_tls_client_free(s->tls);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static const struct mg_sender_ops mllp_ops = {
	.free_slots = mllp_free_slots,
	.submit = mllp_submit,
	.poll = mllp_poll,
	.wake = mllp_wake,
	.free = mllp_free,
};

/* ---- construction ---- */

static int config_file(const struct mg_config *cfg, const char *path, char *out, size_t outlen,
		       char *err, size_t errlen)
{
	out[0] = '\0';
	if (path[0] == '\0')
		return 0;
	if (mg_config_path(cfg, path, out, outlen) != 0) {
		snprintf(err, errlen, "path too long: %s", path);
		return MG_ERR_CONFIG;
	}
	return 0;
}

static int sender_tls(struct mllp_sender *s, const struct mg_config *cfg,
		      const struct mg_emr_config *d, char *err, size_t errlen)
{
	char ca[MG_PATH_MAX], cert[MG_PATH_MAX], key[MG_PATH_MAX];
	const char *priorities = mg_tls_priorities(cfg->tls_profile);
	int r;

	if (priorities == NULL) {
		snprintf(err, errlen, "unknown TLS profile %s", cfg->tls_profile);
		return MG_ERR_CONFIG;
	}
	if ((r = config_file(cfg, d->ca_cert, ca, sizeof(ca), err, errlen)) != 0 ||
	    (r = config_file(cfg, d->client_cert, cert, sizeof(cert), err, errlen)) != 0 ||
	    (r = config_file(cfg, d->client_key, key, sizeof(key), err, errlen)) != 0)
		return r;
	return mg_tls_client_new(s->host, ca, cert, key, priorities, &s->tls, err, errlen);
}

int mg_mllp_sender_new(const struct mg_config *cfg, const struct mg_emr_config *d,
		       struct mg_sender **out, char *err, size_t errlen)
{
	struct mllp_sender *s;
	int r;

	*out = NULL;
	snprintf(err, errlen, "%s", "");
	if (d->connections < 1 || d->connections > MLLP_SLOTS_MAX || d->timeout < 1) {
		snprintf(err, errlen, "connections must be 1 to %d and timeout at least 1 s",
			 MLLP_SLOTS_MAX);
		return MG_ERR_CONFIG;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MG_ERR_NOMEM;
	s->base.ops = &mllp_ops;
	s->wake_fd = -1;
	s->nslots = d->connections;
	s->timeout_s = d->timeout;
	snprintf(s->name, sizeof(s->name), "%s", d->name);
	if ((r = mg_tls_address_split(d->address, s->host, sizeof(s->host), s->port, sizeof(s->port),
			       err, errlen)) != 0 ||
	    (d->tls && (r = sender_tls(s, cfg, d, err, errlen)) != 0))
		goto out;
	if ((s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		r = MG_ERR_IO;
		goto out;
	}
	*out = &s->base;
	s = NULL;
	r = 0;
out:
	if (s != NULL)
		mllp_free(&s->base);
	return r;
}
