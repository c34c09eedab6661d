/* bench-ingest: one connection's life up to a completed handshake:
 * connect, the GnuTLS transport over a read-ahead buffer, the handshake,
 * the --rate slots. */
#include "bench.h"

void conn_sleep(struct conn *c, int64_t until)
{
	struct worker *w = c->w;

	if (c->wake_ns == 0)
		w->sleeping++;
	c->wake_ns = until;
	if (until < w->next_wake_ns)
		w->next_wake_ns = until;
}

bool in_window(const struct bench *b, int64_t t)
{
	return t >= atomic_load_explicit(&b->warm_end_ns, memory_order_relaxed) &&
	       t < atomic_load_explicit(&b->end_ns, memory_order_relaxed);
}

void conn_watch(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	if (epoll_ctl(c->w->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl", strerror(errno));
	c->events = events;
}

/* After GNUTLS_E_AGAIN: false if read-ahead bytes are waiting, so the
 * caller must call GnuTLS again at once (it returns GNUTLS_E_AGAIN after
 * handling a TLS 1.3 session ticket even when the next record is already
 * here, and epoll knows nothing of our buffer). Otherwise waits for the
 * direction GnuTLS was blocked on and returns true. */
bool conn_wait_tls(struct conn *c)
{
	bool writing = gnutls_record_get_direction(c->tls) == 1;

	if (!writing && c->ra_off < c->ra_len)
		return false;
	conn_watch(c, writing ? EPOLLOUT : EPOLLIN);
	return true;
}

void conn_close(struct conn *c, bool abort_tcp)
{
	if (c->tls != NULL) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0) {
		/* A reset instead of FIN: a new connection per request would
		 * otherwise leave tens of thousands of TIME_WAIT sockets and
		 * run the loopback port range dry. Only done once the whole
		 * response has been read. */
		if (abort_tcp) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd);
		c->fd = -1;
	}
	c->events = 0;
	c->state = CS_CLOSED;
}

void conn_error(struct conn *c, enum err_kind kind, const char *msg)
{
	struct worker *w = c->w;
	bool idle = w->b->o.idle > 0;

	w->errors[kind]++;
	if (w->first_error[kind][0] == '\0')
		snprintf(w->first_error[kind], sizeof(w->first_error[kind]), "%s", msg);
	conn_close(c, false);
	if (idle) {
		atomic_fetch_add_explicit(&w->failed, 1, memory_order_relaxed);
		w->in_flight--;
		return;
	}
	conn_sleep(c, now_ns() + RETRY_BACKOFF_NS);
}

void conn_tls_error(struct conn *c, enum err_kind kind, int r)
{
	char msg[120];

	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED || r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		snprintf(msg, sizeof(msg), "%s (%s)", gnutls_strerror(r),
			 gnutls_alert_get_name(gnutls_alert_get(c->tls)));
	else
		snprintf(msg, sizeof(msg), "%s", gnutls_strerror(r));
	conn_error(c, kind, msg);
}

/* Spreads connections over 127.1.x.y source addresses, as if they came
 * from K devices: a server limiting connections per address would
 * otherwise see one huge device. */
static int conn_bind_source(struct conn *c, int fd)
{
	const struct bench *b = c->w->b;
	struct sockaddr_in src = { .sin_family = AF_INET };
	uint32_t host = 0x7f010001u + (uint32_t)(c->index % (unsigned long)b->o.sources);
	int one = 1;

	if (b->o.sources <= 1)
		return 0;
	src.sin_addr.s_addr = htonl(host);
	/* The port is chosen at connect() time, per destination, instead of
	 * reserving one of the 28,000 ephemeral ports for every source. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)&src, sizeof(src));
}

void conn_open(struct conn *c)
{
	const struct bench *b = c->w->b;
	int fd, one = 1;

	c->connect_ns = now_ns();
	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_error(c, ERR_CONNECT, strerror(errno));
		return;
	}
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (conn_bind_source(c, fd) != 0 ||
	    (connect(fd, (const struct sockaddr *)&b->addr, b->addrlen) != 0 &&
	     errno != EINPROGRESS)) {
		conn_error(c, ERR_CONNECT, strerror(errno));
		return;
	}
	c->state = CS_CONNECTING;
	conn_watch(c, EPOLLOUT);
}

/* GnuTLS reads a record's 5-byte header and its body with two recv()
 * calls; reading ahead into a small buffer makes that one per response.
 * Bytes in this buffer are invisible to epoll: see conn_wait_tls(). */
static ssize_t conn_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct conn *c = ptr;
	ssize_t n;

	if (c->ra_off == c->ra_len) {
		if (len >= sizeof(c->ra))
			return recv(c->fd, data, len, 0);
		if ((n = recv(c->fd, c->ra, sizeof(c->ra), 0)) <= 0)
			return n;
		c->ra_off = 0;
		c->ra_len = (size_t)n;
	}
	if (len > c->ra_len - c->ra_off)
		len = c->ra_len - c->ra_off;
	memcpy(data, c->ra + c->ra_off, len);
	c->ra_off += len;
	return (ssize_t)len;
}

/* Not called for non-blocking TLS sessions, but the GnuTLS manual asks
 * for one whenever a custom pull function is set. */
static int conn_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	const struct conn *c = ptr;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->ra_off < c->ra_len)
		return 1;
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t conn_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	const struct conn *c = ptr;
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
		.msg_iovlen = (size_t)iovcnt };

	return sendmsg(c->fd, &msg, MSG_NOSIGNAL);
}

void conn_handshake(struct conn *c);

void conn_connected(struct conn *c)
{
	const struct bench *b = c->w->b;
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_error(c, ERR_CONNECT, strerror(err));
		return;
	}
	if ((r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0 ||
	    (r = gnutls_priority_set(c->tls, b->prio)) < 0 ||
	    (r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, b->cred)) < 0) {
		conn_tls_error(c, ERR_HANDSHAKE, r);
		return;
	}
	/* The server certificate is checked against --ca; no host name, since
	 * the gateway's certificate names "localhost" and we dial an address. */
	gnutls_session_set_verify_cert(c->tls, NULL, 0);
	c->ra_off = c->ra_len = 0;
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_pull_function(c->tls, conn_pull);
	gnutls_transport_set_pull_timeout_function(c->tls, conn_pull_timeout);
	gnutls_transport_set_vec_push_function(c->tls, conn_push);
	c->state = CS_HANDSHAKE;
	conn_handshake(c);
}

/* Remembers what the first handshake negotiated, to show both servers
 * were measured with the same protocol, group and cipher. */
static void tls_desc_note(struct bench *b, gnutls_session_t s)
{
	char *desc;

	if (atomic_flag_test_and_set(&b->desc_taken))
		return;
	if ((desc = gnutls_session_get_desc(s)) != NULL) {
		snprintf(b->tls_desc, sizeof(b->tls_desc), "%s", desc);
		gnutls_free(desc);
	}
}

/* --rate: every connection keeps its own clock, one slot per period from
 * its phase, like a device measuring once a second. After a slow answer
 * the latest missed slot is sent at once and older ones are dropped, so
 * there is never a burst to catch up and the devices stay spread out. */
void conn_schedule_next(struct conn *c, int64_t now)
{
	int64_t period = c->w->b->period_ns;

	if (period == 0)
		return;
	c->sched_ns += period;
	if (now - c->sched_ns > period)
		c->sched_ns += (now - c->sched_ns) / period * period;
}

/* A device that was not connected yet has nothing to catch up: its first
 * request goes in its next slot. */
static void conn_schedule_first(struct conn *c, int64_t now)
{
	int64_t period = c->w->b->period_ns;

	if (period > 0 && c->sched_ns < now)
		c->sched_ns += ((now - c->sched_ns) / period + 1) * period;
}

void conn_ready(struct conn *c);

static void conn_handshake_done(struct conn *c)
{
	struct worker *w = c->w;
	int64_t now = now_ns();

	tls_desc_note(w->b, c->tls);
	if (in_window(w->b, c->connect_ns) && in_window(w->b, now))
		hist_add(&w->handshake, now - c->connect_ns);
	if (!c->was_established) {
		c->was_established = true;
		atomic_fetch_add_explicit(&w->established, 1, memory_order_relaxed);
		if (!w->b->o.newconn)	/* newconn connects in its slot already */
			conn_schedule_first(c, now);
	}
	if (w->b->o.idle > 0) {
		w->in_flight--;
		c->state = CS_HELD;
		conn_watch(c, EPOLLIN);
		return;
	}
	conn_ready(c);
}

void conn_handshake(struct conn *c)
{
	int r;

	for (;;) {
		r = gnutls_handshake(c->tls);
		if (r == 0) {
			conn_handshake_done(c);
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(r)) {
			conn_tls_error(c, ERR_HANDSHAKE, r);
			return;
		}
	}
}
