/* The MLLP listener's loop: one thread, one epoll set holding the
 * listening socket, a stop event, the writer's completion event and every
 * connection. Level-triggered: a connection is watched only for what it
 * waits for (nothing while its message is with the writer), so a
 * pipelining client cannot make the loop spin. Deadlines are checked on
 * a tick; limits are checked at accept, before any TLS work. */
#include "ingest/mllp_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/privileges.h"
#include "access/switches.h"
#include "detect/detect.h"
#include "common/timefmt.h"
#include "ingest/mllp_internal.h"
#include "tls/conn.h"

#define EPOLL_BATCH 64

/* Tags for the epoll entries that are not connections. */
static char tag_listen, tag_stop, tag_done;

int64_t mllp_now(void)
{
	return mg_monotonic_ms();
}

/* ---- per-address counts ---- */

static size_t address_bucket(const struct mllp_address *a)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return h % MLLP_ADDRESS_BUCKETS;
}

static struct mllp_address_count **address_slot(struct mg_mllp_listener *l,
						const struct mllp_address *a)
{
	struct mllp_address_count **p = &l->addresses[address_bucket(a)];

	while (*p != NULL && memcmp((*p)->address.bytes, a->bytes, sizeof(a->bytes)) != 0)
		p = &(*p)->next;
	return p;
}

static unsigned address_count(struct mg_mllp_listener *l, const struct mllp_address *a)
{
	struct mllp_address_count *e = *address_slot(l, a);

	return e != NULL ? e->count : 0;
}

static int address_add(struct mg_mllp_listener *l, const struct mllp_address *a)
{
	struct mllp_address_count **p = address_slot(l, a);

	if (*p == NULL) {
		if ((*p = calloc(1, sizeof(**p))) == NULL)
			return MG_ERR_NOMEM;
		(*p)->address = *a;
	}
	(*p)->count++;
	return 0;
}

static void address_drop(struct mg_mllp_listener *l, const struct mllp_address *a)
{
	struct mllp_address_count **p = address_slot(l, a), *e = *p;

	if (e == NULL)
		return;
	if (--e->count == 0) {
		*p = e->next;
		free(e);
	}
}

/* The address as a key (IPv4 mapped into IPv6) and as text for logs. */
static void address_of(const struct sockaddr_storage *ss, struct mllp_address *a, char *text,
		       size_t textlen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		a->bytes[10] = a->bytes[11] = 0xff;
		memcpy(a->bytes + 12, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		memcpy(a->bytes, &in6->sin6_addr, 16);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, a->bytes + 12, host, sizeof(host));
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(text, textlen, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* ---- connections in the loop ---- */

void mllp_listener_watch(struct mllp_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	c->events = events;
	if (epoll_ctl(c->l->epoll_fd, EPOLL_CTL_MOD, mg_tls_conn_fd(c->tls), &ev) != 0)
		mg_log_error("mllp: epoll_ctl: %s", strerror(errno));
}

int mllp_listener_add(struct mllp_conn *c)
{
	struct mg_mllp_listener *l = c->l;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (address_add(l, &c->address) != 0)
		return MG_ERR_NOMEM;
	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, mg_tls_conn_fd(c->tls), &ev) != 0) {
		address_drop(l, &c->address);
		return MG_ERR_IO;
	}
	c->events = EPOLLIN;
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	mg_metrics_connection(l->deps.metrics, MG_IFACE_MLLP, true);
	return 0;
}

void mllp_listener_forget(struct mllp_conn *c)
{
	struct mg_mllp_listener *l = c->l;

	epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, mg_tls_conn_fd(c->tls), NULL);
	address_drop(l, &c->address);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = NULL;
	/* Freed at the end of this turn of the loop: events for it may
	 * still be waiting in the batch being handled. */
	c->next = l->closed;
	l->closed = c;
	l->nconns--;
	mg_metrics_connection(l->deps.metrics, MG_IFACE_MLLP, false);
}

static void listener_free_closed(struct mg_mllp_listener *l)
{
	while (l->closed != NULL) {
		struct mllp_conn *c = l->closed;

		l->closed = c->next;
		free(c);
	}
}

/* Log a refusal at accept at most once a second: a flood must not fill
 * the disk. */
static void refusal_log(struct mg_mllp_listener *l, const char *peer, const char *why)
{
	int64_t now = mllp_now();

	if (now - l->refusal_logged_ms < 1000)
		return;
	l->refusal_logged_ms = now;
	mg_log_warning("mllp: refused connection from %s: %s", peer, why);
}

static void listener_accept(struct mg_mllp_listener *l)
{
	for (int i = 0; i < MLLP_ACCEPT_BATCH && !l->stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		struct mllp_address a;
		char peer[MLLP_PEER_TEXT];
		int fd, one = 1;

		fd = accept4(l->listen_fd, (struct sockaddr *)&ss, &sslen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* Out of descriptors or memory: pause accepting
				 * for a tick rather than spin on the socket. */
				refusal_log(l, "(not accepted)", strerror(errno));
				l->accept_paused = true;
				epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->listen_fd, NULL);
			}
			return;
		}
		address_of(&ss, &a, peer, sizeof(peer));
		if (l->nconns >= l->cfg->max_connections) {
			refusal_log(l, peer, "too many connections ([mllp] max_connections)");
			close(fd);
			continue;
		}
		if (address_count(l, &a) >= l->cfg->connections_per_address) {
			refusal_log(l, peer,
				    "too many connections from this address "
				    "([mllp] connections_per_address)");
			close(fd);
			continue;
		}
		/* One small ACK per message: Nagle's delay would only slow it. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		mllp_conn_open(l, fd, &a, peer);
	}
}

static void listener_resume_accept(struct mg_mllp_listener *l)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_listen };

	if (!l->accept_paused || l->stopping || l->switched_off)
		return;
	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->listen_fd, &ev) == 0)
		l->accept_paused = false;
}

/* Answers from the writer: each job goes back to its connection. */
static void listener_completions(struct mg_mllp_listener *l)
{
	struct mllp_job *job, *next;
	uint64_t count;

	if (read(l->completions->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		mg_log_error("mllp: completion event: %s", strerror(errno));
	for (job = mllp_completions_take(l->completions); job != NULL; job = next) {
		struct mllp_conn *c = job->conn;

		next = job->next;
		mg_ingest_stored(l->deps.ingest, &job->write);
		if (c != NULL) {
			c->job = NULL;
			mllp_conn_stored(c, &job->write.put);
		}
		mllp_job_free(job);
	}
}

/* Follow the mllp switch: off closes the listening socket (the port stays
 * bound, connect attempts are refused) and idle connections; messages
 * with the writer still get their answer. On listens again. */
static void listener_switch(struct mg_mllp_listener *l)
{
	bool on = mg_interface_on(l->deps.switches, MG_IF_MLLP);
	struct mllp_conn *c, *next;

	if (l->stopping || on == !l->switched_off)
		return;
	if (on) {
		if (mg_listen_reopen(l->listen_fd) != 0) {
			mg_log_error("mllp: cannot listen again: %s", strerror(errno));
			return;	/* tried again on the next tick */
		}
		l->switched_off = false;
		l->accept_paused = true;	/* re-added to the loop below */
		listener_resume_accept(l);
		mg_log_info("mllp port %u switched on: listening", l->cfg->port);
		return;
	}
	if (!l->accept_paused)
		epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->listen_fd, NULL);
	if (mg_listen_close(l->listen_fd) != 0)
		mg_log_error("mllp: cannot close the listening socket: %s", strerror(errno));
	l->switched_off = true;
	l->accept_paused = false;
	for (c = l->conns; c != NULL; c = next) {
		next = c->next;
		c->close_after_answer = true;
		if (c->state != MLLP_STORING && c->state != MLLP_ANSWERING)
			mllp_conn_close(c);
	}
	mg_log_info("mllp port %u switched off: listening socket closed", l->cfg->port);
}

/* Close what has passed its deadline. */
static void listener_tick(struct mg_mllp_listener *l, int64_t now)
{
	struct mllp_conn *c, *next;

	listener_switch(l);
	listener_resume_accept(l);
	for (c = l->conns; c != NULL; c = next) {
		next = c->next;
		if (c->deadline_ms != 0 && now >= c->deadline_ms)
			mllp_conn_timeout(c);
	}
}

/* Stop accepting; connections not waiting for the writer or writing an
 * answer close now, the others once their answer is out. */
static void listener_begin_stop(struct mg_mllp_listener *l, int64_t now)
{
	struct mllp_conn *c, *next;

	l->stopping = true;
	l->stop_deadline_ms = now + MG_MLLP_STOP_GRACE_MS;
	if (l->listen_fd >= 0) {
		if (!l->switched_off && !l->accept_paused)
			epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->listen_fd, NULL);
		close(l->listen_fd);
		l->listen_fd = -1;
	}
	for (c = l->conns; c != NULL; c = next) {
		next = c->next;
		c->close_after_answer = true;
		if (c->state != MLLP_STORING && c->state != MLLP_ANSWERING)
			mllp_conn_close(c);
	}
	mg_log_info("mllp: stopping, %zu connection%s finishing", l->nconns,
		    l->nconns == 1 ? "" : "s");
}

static void listener_dispatch(struct mg_mllp_listener *l, const struct epoll_event *ev)
{
	struct mllp_conn *c = ev->data.ptr;
	uint64_t count;

	if (ev->data.ptr == &tag_listen) {
		listener_accept(l);
	} else if (ev->data.ptr == &tag_stop) {
		if (read(l->stop_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			mg_log_error("mllp: stop event: %s", strerror(errno));
	} else if (ev->data.ptr == &tag_done) {
		listener_completions(l);
	} else if (!c->closed) {
		mllp_conn_event(c, ev->events);
	}
}

static void *listener_main(void *arg)
{
	struct mg_mllp_listener *l = arg;
	struct epoll_event events[EPOLL_BATCH];
	int64_t now = mllp_now(), next_tick = now + MLLP_TICK_MS;

	listener_switch(l);	/* switched off before this start: closed at once */
	for (;;) {
		int n, timeout = next_tick > now ? (int)(next_tick - now) : 0;

		n = epoll_wait(l->epoll_fd, events, EPOLL_BATCH, timeout);
		if (n < 0 && errno != EINTR) {
			mg_log_error("mllp: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			listener_dispatch(l, &events[i]);
		listener_free_closed(l);
		now = mllp_now();
		if (now >= next_tick) {
			listener_tick(l, now);
			listener_free_closed(l);
			next_tick = now + MLLP_TICK_MS;
		}
		if (atomic_load(&l->quiescing) && !l->stopping) {
			listener_begin_stop(l, now);
			listener_free_closed(l);
		}
		if (l->stopping && (l->nconns == 0 || now >= l->stop_deadline_ms))
			break;
	}
	return NULL;
}

/* ---- start and stop ---- */

static int listener_tls(struct mg_mllp_listener *l)
{
	const struct mg_mllp_deps *d = &l->deps;
	gnutls_datum_t cert = { (unsigned char *)(uintptr_t)d->cert_pem,
				(unsigned)strlen(d->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)(uintptr_t)d->key_pem,
			       (unsigned)strlen(d->key_pem) };
	gnutls_datum_t ca = { (unsigned char *)(uintptr_t)d->ca_pem, (unsigned)strlen(d->ca_pem) };
	const char *where = NULL;
	int r;

	if (gnutls_certificate_allocate_credentials(&l->credentials) < 0) {
		l->credentials = NULL;
		return MG_ERR_NOMEM;
	}
	if ((r = gnutls_certificate_set_x509_key_mem(l->credentials, &cert, &key,
						     GNUTLS_X509_FMT_PEM)) < 0) {
		mg_log_error("mllp: server certificate or key: %s", gnutls_strerror(r));
		return MG_ERR_TLS;
	}
	if ((r = gnutls_certificate_set_x509_trust_mem(l->credentials, &ca,
						       GNUTLS_X509_FMT_PEM)) <= 0) {
		mg_log_error("mllp: device CA certificate: %s",
			     r < 0 ? gnutls_strerror(r) : "no certificate");
		return MG_ERR_TLS;
	}
	if ((r = gnutls_priority_init2(&l->priorities, d->priorities, &where, 0)) < 0) {
		l->priorities = NULL;
		mg_log_error("mllp: TLS priorities: %s", gnutls_strerror(r));
		return MG_ERR_TLS;
	}
	return 0;
}

static int listener_watch_fd(struct mg_mllp_listener *l, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		mg_log_error("mllp: epoll_ctl: %s", strerror(errno));
		return MG_ERR_IO;
	}
	return 0;
}

static void listener_free(struct mg_mllp_listener *l)
{
	if (l == NULL)
		return;
	while (l->conns != NULL)
		mllp_conn_close(l->conns);
	listener_free_closed(l);
	if (l->completions != NULL)
		mllp_completions_detach(l->completions);
	for (size_t i = 0; i < MLLP_ADDRESS_BUCKETS; i++)
		while (l->addresses[i] != NULL) {
			struct mllp_address_count *e = l->addresses[i];

			l->addresses[i] = e->next;
			free(e);
		}
	if (l->epoll_fd >= 0)
		close(l->epoll_fd);
	if (l->stop_fd >= 0)
		close(l->stop_fd);
	if (l->priorities != NULL)
		gnutls_priority_deinit(l->priorities);
	if (l->credentials != NULL)
		gnutls_certificate_free_credentials(l->credentials);
	free(l);
}

int mg_mllp_listener_start(const struct mg_mllp_deps *deps, int listen_fd,
			   struct mg_mllp_listener **out)
{
	struct mg_mllp_listener *l;
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return MG_ERR_NOMEM;
	l->deps = *deps;
	l->cfg = deps->limits;
	l->listen_fd = -1;
	l->epoll_fd = -1;
	l->stop_fd = -1;
	atomic_init(&l->quiescing, false);
	if ((r = listener_tls(l)) != 0 || (r = mllp_completions_new(&l->completions)) != 0)
		goto fail;
	if ((l->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (l->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		mg_log_error("mllp: cannot create the event loop: %s", strerror(errno));
		r = MG_ERR_IO;
		goto fail;
	}
	if ((r = listener_watch_fd(l, listen_fd, &tag_listen)) != 0 ||
	    (r = listener_watch_fd(l, l->stop_fd, &tag_stop)) != 0 ||
	    (r = listener_watch_fd(l, l->completions->event_fd, &tag_done)) != 0)
		goto fail;
	l->listen_fd = listen_fd;	/* ours once the thread runs */
	if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
		mg_log_error("mllp: cannot start the listener thread");
		l->listen_fd = -1;
		r = MG_ERR_NOMEM;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	listener_free(l);
	return r;
}

void mg_mllp_listener_quiesce(struct mg_mllp_listener *l)
{
	uint64_t one = 1;

	if (l == NULL)
		return;
	atomic_store(&l->quiescing, true);
	if (write(l->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mg_log_error("mllp: stop event: %s", strerror(errno));
}

void mg_mllp_listener_stop(struct mg_mllp_listener *l)
{
	size_t left;

	if (l == NULL)
		return;
	mg_mllp_listener_quiesce(l);
	pthread_join(l->thread, NULL);
	left = l->nconns;
	if (l->listen_fd >= 0)
		close(l->listen_fd);
	if (left > 0)
		mg_log_warning("mllp: %zu connection%s still waiting after %d ms: closed", left,
			       left == 1 ? "" : "s", MG_MLLP_STOP_GRACE_MS);
	listener_free(l);
	mg_log_info("mllp: stopped");
}
