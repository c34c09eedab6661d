/* bench-ingest: one request and its response on an established
 * connection, and the epoll event that moves a connection along. */
#include "bench.h"

static int put(char *dst, size_t cap, size_t *len, const char *src, size_t n)
{
	if (n > cap - *len)
		return -1;
	memcpy(dst + *len, src, n);
	*len += n;
	return 0;
}

static const char *time_text(struct worker *w)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != w->time_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(w->time_text, sizeof(w->time_text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			die("strftime", NULL);
		w->time_sec = ts.tv_sec;
	}
	return w->time_text;
}

/* Fills the body template for this connection's next request into the
 * worker's scratch buffer. Returns its length, or -1 if it does not fit. */
static long body_build(struct conn *c)
{
	struct worker *w = c->w;
	const struct bench *b = w->b;
	char field[64];
	size_t len = 0;
	int n;

	for (size_t i = 0; i < b->nseg; i++) {
		const struct segment *s = &b->seg[i];

		switch (s->field) {
		case FIELD_TEXT:
			if (put(w->scratch, sizeof(w->scratch), &len, s->text, s->len) != 0)
				return -1;
			continue;
		case FIELD_ID:
			n = snprintf(field, sizeof(field), "b-%s-%u-%" PRIu64,
				     b->run_id, c->index, c->seq);
			break;
		case FIELD_TIME:
			n = snprintf(field, sizeof(field), "%s", time_text(w));
			break;
		case FIELD_PATIENT:
			n = snprintf(field, sizeof(field), "P-%u",
				     (unsigned)((c->index * 131u + c->seq) % 1000u));
			break;
		default:
			return -1;
		}
		if (n < 0 || (size_t)n >= sizeof(field) ||
		    put(w->scratch, sizeof(w->scratch), &len, field, (size_t)n) != 0)
			return -1;
	}
	return (long)len;
}

static int request_build(struct conn *c)
{
	const struct bench *b = c->w->b;
	long body = body_build(c);
	int n;

	if (body < 0)
		return -1;
	n = snprintf(c->buf, REQ_MAX,
		     "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %ld\r\n%s\r\n",
		     b->o.path, b->host_header, body,
		     b->o.newconn ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n + (size_t)body > REQ_MAX)
		return -1;
	memcpy(c->buf + n, c->w->scratch, (size_t)body);
	c->req_len = (size_t)n + (size_t)body;
	return 0;
}

static void conn_send(struct conn *c)
{
	ssize_t r;

	for (;;) {
		/* After GNUTLS_E_AGAIN GnuTLS holds the encrypted record and
		 * only needs to be called again; the same arguments are fine. */
		r = gnutls_record_send(c->tls, c->buf, c->req_len);
		if (r == (ssize_t)c->req_len) {
			c->state = CS_RECEIVING;
			conn_watch(c, EPOLLIN);
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r >= 0) {	/* only if a request outgrew one record */
			conn_error(c, ERR_SEND, "request larger than one TLS record");
			return;
		}
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
			conn_tls_error(c, ERR_SEND, (int)r);
			return;
		}
	}
}

static void conn_send_new(struct conn *c)
{
	if (c->buf == NULL && (c->buf = malloc(REQ_MAX + RESP_MAX)) == NULL)
		die("out of memory", NULL);
	if (request_build(c) != 0)
		die("request does not fit in its buffer (body template too large?)", NULL);
	c->resp_len = 0;
	c->head_len = 0;
	c->status = 0;
	c->chunked = c->until_eof = c->close_after = false;
	c->body_left = 0;
	c->state = CS_SENDING;
	c->send_ns = now_ns();
	c->slot_ns = c->w->b->period_ns > 0 ? c->sched_ns : c->send_ns;
	conn_send(c);
}

/* Sends now, or sleeps until the connection's next slot under --rate. */
void conn_ready(struct conn *c)
{
	if (c->w->b->period_ns > 0 && c->sched_ns > now_ns()) {
		c->state = CS_READY;
		conn_watch(c, EPOLLIN);	/* notice the server closing meanwhile */
		conn_sleep(c, c->sched_ns);
		return;
	}
	conn_send_new(c);
}

/* ---- response ---- */

enum parse { PARSE_MORE, PARSE_DONE, PARSE_BAD };

static bool header_is(const char *p, const char *eol, const char *name, const char **value)
{
	size_t n = strlen(name);

	if ((size_t)(eol - p) <= n || p[n] != ':' || strncasecmp(p, name, n) != 0)
		return false;
	for (p += n + 1; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	*value = p;
	return true;
}

static bool value_has(const char *v, const char *eol, const char *token)
{
	size_t n = strlen(token);

	for (; (size_t)(eol - v) >= n; v++)
		if (strncasecmp(v, token, n) == 0)
			return true;
	return false;
}

static int content_length(const char *v, const char *eol, uint64_t *out)
{
	uint64_t n = 0;
	const char *start = v;

	for (; v < eol && isdigit((unsigned char)*v); v++) {
		if (n > (1ull << 40))
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	if (v == start || v != eol)
		return -1;
	*out = n;
	return 0;
}

/* Reads the status line and the three headers that frame the body. */
static int head_parse(struct conn *c, const char *head, const char *end)
{
	const char *p, *eol, *v;
	bool have_length = false;

	if (end - head < 12 || memcmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' ||
	    !isdigit((unsigned char)head[9]) || !isdigit((unsigned char)head[10]) ||
	    !isdigit((unsigned char)head[11]))
		return -1;
	c->status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	p = memchr(head, '\n', (size_t)(end - head));
	for (p = p ? p + 1 : end; p < end; p = eol + 2) {
		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL || eol == p)
			break;
		if (header_is(p, eol, "content-length", &v)) {
			if (content_length(v, eol, &c->body_left) != 0)
				return -1;
			have_length = true;
		} else if (header_is(p, eol, "transfer-encoding", &v)) {
			c->chunked = value_has(v, eol, "chunked");
		} else if (header_is(p, eol, "connection", &v)) {
			c->close_after = value_has(v, eol, "close");
		}
	}
	if (c->status == 204 || c->status == 304 || c->status < 200)
		c->body_left = 0;
	else if (!c->chunked && !have_length)
		c->until_eof = c->close_after = true;
	return 0;
}

/* Walks a chunked body held whole in buf[0..len). */
static enum parse chunked_walk(const char *buf, size_t len)
{
	size_t pos = 0;

	for (;;) {
		const char *eol = memmem(buf + pos, len - pos, "\r\n", 2);
		const char *p = buf + pos;
		size_t size = 0;

		if (eol == NULL)
			return PARSE_MORE;
		if (p == eol || !isxdigit((unsigned char)*p))
			return PARSE_BAD;
		for (; p < eol && isxdigit((unsigned char)*p); p++) {
			if (size > (1u << 24))
				return PARSE_BAD;
			size = size * 16 + (size_t)(isdigit((unsigned char)*p) ? *p - '0' :
				(tolower((unsigned char)*p) - 'a' + 10));
		}
		pos = (size_t)(eol - buf) + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return PARSE_MORE;
		if (memcmp(buf + pos + size, "\r\n", 2) != 0)
			return PARSE_BAD;
		pos += size + 2;
	}
	for (;;) {	/* trailers, up to the empty line */
		const char *eol = memmem(buf + pos, len - pos, "\r\n", 2);

		if (eol == NULL)
			return PARSE_MORE;
		if (eol == buf + pos)
			return pos + 2 == len ? PARSE_DONE : PARSE_BAD;
		pos = (size_t)(eol - buf) + 2;
	}
}

/* Takes n new bytes: appended to c->resp while the head (or a chunked
 * body) is incomplete, otherwise just counted off the body. */
static enum parse response_feed(struct conn *c, size_t n)
{
	char *resp = c->buf + REQ_MAX;
	const char *end;
	size_t from;

	if (c->head_len == 0) {
		from = c->resp_len > 3 ? c->resp_len - 3 : 0;
		c->resp_len += n;
		end = memmem(resp + from, c->resp_len - from, "\r\n\r\n", 4);
		if (end == NULL)
			return c->resp_len == RESP_MAX ? PARSE_BAD : PARSE_MORE;
		c->head_len = (size_t)(end - resp) + 4;
		if (head_parse(c, resp, end + 2) != 0)
			return PARSE_BAD;
		n = c->resp_len - c->head_len;	/* body bytes already here */
	} else if (c->chunked) {
		c->resp_len += n;
	}
	if (c->chunked)
		return chunked_walk(resp + c->head_len, c->resp_len - c->head_len);
	if (c->until_eof)
		return PARSE_MORE;
	if (n > c->body_left)
		return PARSE_BAD;	/* more than announced: we never pipeline */
	c->body_left -= n;
	return c->body_left == 0 ? PARSE_DONE : PARSE_MORE;
}

static void conn_response_done(struct conn *c)
{
	struct worker *w = c->w;
	const struct bench *b = w->b;
	int64_t now = now_ns();

	w->status_count[c->status < 600 ? c->status : 0]++;
	/* Only what was due and answered inside the window counts: a request
	 * started during warm-up would carry warm-up's queueing into the
	 * figures, and under --rate a late request for an earlier slot would
	 * count one slot twice. */
	if (c->status >= 200 && c->status < 300) {
		if (in_window(b, c->slot_ns) && in_window(b, now)) {
			w->ok++;
			hist_add(&w->latency, now - c->send_ns);
			if (b->o.newconn)
				w->conns_done++;
		}
	} else {
		w->errors[ERR_STATUS]++;
	}
	c->seq++;
	conn_schedule_next(c, now);
	if (b->o.newconn || c->close_after) {
		conn_close(c, b->o.newconn);
		if (c->sched_ns > now)
			conn_sleep(c, c->sched_ns);
		else
			conn_open(c);
		return;
	}
	conn_ready(c);
}

static size_t recv_room(struct conn *c, char **at)
{
	if (c->head_len == 0 || c->chunked) {
		*at = c->buf + REQ_MAX + c->resp_len;
		return RESP_MAX - c->resp_len;
	}
	*at = c->w->scratch;
	return sizeof(c->w->scratch);
}

static void conn_receive(struct conn *c)
{
	enum parse p;
	ssize_t r;
	char *at;

	for (;;) {
		size_t room = recv_room(c, &at);

		if (room == 0) {
			conn_error(c, ERR_HTTP, "chunked response larger than 4 KiB");
			return;
		}
		r = gnutls_record_recv(c->tls, at, room);
		if (r > 0) {
			if ((p = response_feed(c, (size_t)r)) == PARSE_MORE)
				continue;
			if (p == PARSE_BAD) {
				conn_error(c, ERR_HTTP, "malformed or oversized response");
			} else if (gnutls_record_check_pending(c->tls) > 0) {
				conn_error(c, ERR_HTTP, "data after the response");
			} else {
				conn_response_done(c);
			}
			return;
		}
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
			if (c->until_eof && c->head_len > 0)
				conn_response_done(c);
			else
				conn_error(c, ERR_EOF, "server closed the connection mid-request");
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal((int)r)) {
			conn_tls_error(c, ERR_RECV, (int)r);
			return;
		}
	}
}

/* Between requests (or while --idle holds a connection) the server may
 * still send: TLS 1.3 session tickets, or a close. */
static void conn_drain(struct conn *c)
{
	struct worker *w = c->w;
	ssize_t r;

	for (;;) {
		r = gnutls_record_recv(c->tls, w->scratch, sizeof(w->scratch));
		if (r == GNUTLS_E_AGAIN) {
			if (c->ra_off < c->ra_len)
				continue;
			return;
		}
		if (r == GNUTLS_E_INTERRUPTED || (r < 0 && !gnutls_error_is_fatal((int)r)))
			continue;
		if (r > 0)
			continue;	/* unsolicited bytes: ignored */
		w->closed_by_server++;
		conn_close(c, false);
		if (w->b->o.idle == 0 && c->wake_ns == 0)
			conn_open(c);	/* a sleeping one reconnects when it wakes */
		return;
	}
}

void conn_on_event(struct conn *c)
{
	switch (c->state) {
	case CS_CONNECTING: conn_connected(c); break;
	case CS_HANDSHAKE: conn_handshake(c); break;
	case CS_SENDING: conn_send(c); break;
	case CS_RECEIVING: conn_receive(c); break;
	case CS_READY: /* fall through */
	case CS_HELD: conn_drain(c); break;
	case CS_CLOSED: break;
	}
}

void conn_wake(struct conn *c)
{
	if (c->state == CS_CLOSED)
		conn_open(c);
	else if (c->state == CS_READY)
		conn_send_new(c);
}
