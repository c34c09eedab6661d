#include "http/listener.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/privileges.h"
#include "common/timefmt.h"
#include "http/http.h"
#include "tls/profile.h"

#define REAPER_TICK_MS 250
#define RETIRE_GRACE_MS 1000	/* a quiesced daemon may still be taking its last connection */
#define REOPEN_RETRY_MS 5000	/* after a failed switch-on */

/* Where a connection is in its current request. */
enum phase {
	PHASE_WAITING,		/* for a request's first line (or the handshake) */
	PHASE_RECEIVING,	/* the first line came: headers and body must follow */
	PHASE_ANSWERING,	/* the request is whole: no deadline */
	PHASE_SHUT,		/* past its deadline, shut down */
};

/* One open connection, in the listener's list. */
struct watch {
	struct watch *prev, *next;
	int fd;
	enum phase phase;
	int64_t since_ms;	/* when the phase began, monotonic */
	unsigned calls;		/* handler calls for the current request */
	unsigned generation;	/* of the daemon that accepted it */
	void *user;		/* the params' socket context */
};

/* A daemon quiesced when the port was switched off: it answers what it
 * has, then the reaper stops it. */
struct retired {
	struct retired *next;
	struct MHD_Daemon *daemon;
	unsigned generation;
	int64_t since_ms;
};

struct mg_http_listener {
	struct mg_http_listener_params p;
	struct mg_listener_config limits;
	/* Under switch_lock: the reaper switches, the daemon quiesces. */
	pthread_mutex_t switch_lock;
	struct MHD_Daemon *daemon;	/* accepting, or NULL while switched off */
	int fd;			/* the listening socket (closed while off); -1 once quiesced */
	bool off;
	int64_t retry_ms;	/* a failed switch-on is tried again from then */
	struct retired *retired;
	pthread_mutex_t lock;	/* the list, the phases, generation, stopping */
	unsigned generation;	/* of the accepting daemon; raised when switched off */
	pthread_cond_t wake;
	struct watch *watches;
	bool stopping, reaper_started;
	unsigned long timeouts;
	pthread_t reaper;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	(void)cls;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* libmicrohttpd ends its messages with a newline; the log adds one. */
	for (size_t len = strnlen(line, sizeof(line)); len > 0 && line[len - 1] == '\n'; len--)
		line[len - 1] = '\0';
	mg_log_debug("http: %s", line);
}

static unsigned threads_or_cores(unsigned threads)
{
	long n = threads ? (long)threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (unsigned)n;
}

static struct watch *watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void *mg_http_socket_context(struct MHD_Connection *c)
{
	struct watch *w = watch_of(c);

	return w != NULL ? w->user : NULL;
}

static void phase_set(struct mg_http_listener *l, struct watch *w, enum phase phase)
{
	pthread_mutex_lock(&l->lock);
	if (w->phase != PHASE_SHUT) {
		w->phase = phase;
		w->since_ms = mg_monotonic_ms();
	}
	pthread_mutex_unlock(&l->lock);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct mg_http_listener *l = cls;
	struct watch *w = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Every TLS session gets the rest of the profile (tls/profile.h:
		 * extended master secret required) before its handshake. */
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci != NULL && ci->tls_session != NULL)
			mg_tls_session_profile((gnutls_session_t)ci->tls_session);
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return;	/* unwatched: libmicrohttpd's own timeout still holds */
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		w->fd = ci != NULL ? ci->connect_fd : -1;
		w->phase = PHASE_WAITING;
		w->since_ms = mg_monotonic_ms();
		if (l->p.notify_connection != NULL)
			l->p.notify_connection(l->p.handler_cls, c, &w->user, code);
		pthread_mutex_lock(&l->lock);
		w->generation = l->generation;
		if ((w->next = l->watches) != NULL)
			w->next->prev = w;
		l->watches = w;
		pthread_mutex_unlock(&l->lock);
		*socket_context = w;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || w == NULL)
		return;
	/* Called before libmicrohttpd closes the socket: once w is out of the
	 * list, the reaper can no longer touch this descriptor number. */
	pthread_mutex_lock(&l->lock);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		l->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&l->lock);
	if (l->p.notify_connection != NULL)
		l->p.notify_connection(l->p.handler_cls, c, &w->user, code);
	free(w);
	*socket_context = NULL;
}

/* libmicrohttpd has read a request's first line. */
static void *request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct watch *w = watch_of(c);

	(void)uri;
	if (w != NULL) {
		w->calls = 0;
		phase_set(cls, w, PHASE_RECEIVING);
	}
	return NULL;	/* the handler's *con_cls starts empty */
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct mg_http_listener *l = cls;
	struct watch *w = watch_of(c);

	/* The call after the body (or the second call of a request without
	 * one) has the request whole: from then on the answer may take as
	 * long as the store needs. */
	if (w != NULL && w->calls++ > 0 && *upload_data_size == 0)
		phase_set(l, w, PHASE_ANSWERING);
	return l->p.handler(l->p.handler_cls, c, url, method, version, upload_data,
			    upload_data_size, con_cls);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct mg_http_listener *l = cls;
	struct watch *w = watch_of(c);

	if (l->p.completed != NULL)
		l->p.completed(l->p.handler_cls, c, con_cls, toe);
	if (w != NULL)
		phase_set(l, w, PHASE_WAITING);
}

/* Shut down every connection past its deadline; libmicrohttpd then sees
 * the end of the stream and closes it as usual. */
static void reap(struct mg_http_listener *l, int64_t now)
{
	/* An idle connection is libmicrohttpd's to close (connection_timeout
	 * without progress); one that trickles its first line gets as long
	 * again as a whole request may take. */
	const int64_t receiving = (int64_t)l->limits.request_timeout * 1000;
	const int64_t waiting = (int64_t)l->limits.connection_timeout * 1000 + receiving;
	unsigned shut = 0;

	for (struct watch *w = l->watches; w != NULL; w = w->next) {
		int64_t limit = w->phase == PHASE_WAITING ? waiting
				: w->phase == PHASE_RECEIVING ? receiving : 0;

		/* Switched off since it was accepted: idle, it goes now. */
		if (w->generation != l->generation && w->phase == PHASE_WAITING && w->fd >= 0) {
			shutdown(w->fd, SHUT_RDWR);
			w->phase = PHASE_SHUT;
			continue;
		}
		if (limit == 0 || w->fd < 0 || now - w->since_ms < limit)
			continue;
		shutdown(w->fd, SHUT_RDWR);
		w->phase = PHASE_SHUT;
		shut++;
	}
	if (shut > 0) {
		l->timeouts += shut;
		mg_log_warning("%s port: closed %u connection%s that sent no whole request in time "
			       "(request_timeout %u s)", l->p.name, shut, shut == 1 ? "" : "s",
			       l->limits.request_timeout);
	}
}

static struct MHD_Daemon *daemon_start(struct mg_http_listener *l);

/* Switch the port off: the listening socket closes (the port stays ours),
 * the daemon takes no more connections and is retired. switch_lock held. */
static void port_close(struct mg_http_listener *l, int64_t now)
{
	struct retired *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;	/* tried again on the next tick */
	MHD_quiesce_daemon(l->daemon);	/* hands back l->fd */
	if (mg_listen_close(l->fd) != 0)
		mg_log_error("%s port %u: cannot close the listening socket: %s", l->p.name,
			     l->limits.port, strerror(errno));
	pthread_mutex_lock(&l->lock);
	r->generation = l->generation++;
	pthread_mutex_unlock(&l->lock);
	r->daemon = l->daemon;
	r->since_ms = now;
	r->next = l->retired;
	l->retired = r;
	l->daemon = NULL;
	l->off = true;
	mg_log_info("%s port %u switched off: listening socket closed", l->p.name,
		    l->limits.port);
}

/* Switch the port on again: listen, and a new daemon. switch_lock held. */
static void port_open(struct mg_http_listener *l, int64_t now)
{
	if (mg_listen_reopen(l->fd) != 0) {
		mg_log_error("%s port %u: cannot listen again: %s", l->p.name, l->limits.port,
			     strerror(errno));
		l->retry_ms = now + REOPEN_RETRY_MS;
		return;
	}
	if ((l->daemon = daemon_start(l)) == NULL) {
		mg_listen_close(l->fd);
		l->retry_ms = now + REOPEN_RETRY_MS;
		return;
	}
	l->off = false;
	mg_log_info("%s port %u switched on: listening", l->p.name, l->limits.port);
}

static unsigned watches_of(struct mg_http_listener *l, unsigned generation)
{
	unsigned n = 0;

	pthread_mutex_lock(&l->lock);
	for (struct watch *w = l->watches; w != NULL; w = w->next)
		n += w->generation == generation;
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* Follow the switch, and stop retired daemons that have nothing left (a
 * daemon with a suspended connection must not be stopped). */
static void switch_follow(struct mg_http_listener *l, int64_t now)
{
	bool on = l->p.enabled == NULL || l->p.enabled(l->p.enabled_arg);
	const union MHD_DaemonInfo *di;

	pthread_mutex_lock(&l->switch_lock);
	if (l->fd >= 0 && on == l->off && now >= l->retry_ms) {
		if (on)
			port_open(l, now);
		else
			port_close(l, now);
	}
	for (struct retired **pp = &l->retired, *r; (r = *pp) != NULL;) {
		if (now - r->since_ms >= RETIRE_GRACE_MS && watches_of(l, r->generation) == 0 &&
		    (di = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)) !=
			    NULL && di->num_connections == 0) {
			*pp = r->next;
			MHD_stop_daemon(r->daemon);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&l->switch_lock);
}

static void *reaper_main(void *arg)
{
	struct mg_http_listener *l = arg;
	struct timespec until;

	pthread_mutex_lock(&l->lock);
	while (!l->stopping) {
		reap(l, mg_monotonic_ms());
		pthread_mutex_unlock(&l->lock);
		switch_follow(l, mg_monotonic_ms());
		pthread_mutex_lock(&l->lock);
		if (l->stopping)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += REAPER_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->wake, &l->lock, &until);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static void reaper_stop(struct mg_http_listener *l)
{
	if (!l->reaper_started)
		return;
	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->reaper, NULL);
	l->reaper_started = false;
}

static void listener_free(struct mg_http_listener *l)
{
	reaper_stop(l);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->switch_lock);
	free(l);
}

static struct MHD_Daemon *daemon_start(struct mg_http_listener *l)
{
	const unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
			       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const struct mg_http_listener_params *p = &l->p;
	struct MHD_OptionItem extra[2];
	struct MHD_Daemon *d;
	size_t n = 0;

	/* libmicrohttpd asks for a client certificate when it has a trust. */
	if (p->trust_pem != NULL)
		extra[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
						      (void *)(uintptr_t)p->trust_pem };
	extra[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	d = MHD_start_daemon(
		flags, 0, NULL, NULL, handler, l,
		MHD_OPTION_LISTEN_SOCKET, l->fd,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, mg_http_unescape, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection, l,
		MHD_OPTION_NOTIFY_COMPLETED, completed, l,
		MHD_OPTION_URI_LOG_CALLBACK, request_line, l,
		MHD_OPTION_HTTPS_MEM_KEY, p->tls->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, p->tls->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES, p->tls->priorities,
		MHD_OPTION_THREAD_POOL_SIZE, threads_or_cores(p->threads),
		MHD_OPTION_CONNECTION_TIMEOUT, l->limits.connection_timeout,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->limits.connections_per_address,
		MHD_OPTION_CONNECTION_LIMIT, l->limits.max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, p->connection_memory,
		MHD_OPTION_ARRAY, extra,
		MHD_OPTION_END);
	if (d == NULL)
		mg_log_error("cannot start the %s port %u", p->name, l->limits.port);
	return d;
}

int mg_http_listener_start(const struct mg_http_listener_params *p,
			   struct mg_http_listener **out)
{
	struct mg_http_listener *l;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return MG_ERR_NOMEM;
	l->p = *p;
	l->limits = *p->limits;
	l->p.limits = &l->limits;
	l->fd = p->fd;
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->switch_lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	if (p->enabled != NULL && !p->enabled(p->enabled_arg)) {
		/* Switched off at run time before this start: closed from the
		 * outset (the reaper opens it when switched on). */
		mg_listen_close(l->fd);
		l->off = true;
		mg_log_warning("%s port %u is switched off: not listening", p->name,
			       p->limits->port);
	} else if ((l->daemon = daemon_start(l)) == NULL) {
		listener_free(l);
		return MG_ERR_IO;
	}
	if (pthread_create(&l->reaper, NULL, reaper_main, l) != 0) {
		if (l->daemon != NULL)
			MHD_stop_daemon(l->daemon);
		listener_free(l);
		return MG_ERR_NOMEM;
	}
	l->reaper_started = true;
	*out = l;
	return 0;
}

void mg_http_listener_quiesce(struct mg_http_listener *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->switch_lock);
	if (l->fd >= 0) {
		/* The listening socket comes back to us: closing it frees the port. */
		if (l->daemon != NULL)
			MHD_quiesce_daemon(l->daemon);
		close(l->fd);
		l->fd = -1;
	}
	pthread_mutex_unlock(&l->switch_lock);
}

bool mg_http_listener_open(struct mg_http_listener *l)
{
	bool open;

	pthread_mutex_lock(&l->switch_lock);
	open = l->fd >= 0 && l->daemon != NULL;
	pthread_mutex_unlock(&l->switch_lock);
	return open;
}

unsigned long mg_http_listener_timeouts(struct mg_http_listener *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->lock);
	n = l->timeouts;
	pthread_mutex_unlock(&l->lock);
	return n;
}

void mg_http_listener_stop(struct mg_http_listener *l)
{
	if (l == NULL)
		return;
	/* The reaper first: it may switch; then every daemon, each closing
	 * its connections (the list empties). */
	reaper_stop(l);
	mg_http_listener_quiesce(l);	/* the socket is closed by us, not by the daemon */
	if (l->daemon != NULL)
		MHD_stop_daemon(l->daemon);
	while (l->retired != NULL) {
		struct retired *r = l->retired;

		l->retired = r->next;
		MHD_stop_daemon(r->daemon);
		free(r);
	}
	listener_free(l);
}
