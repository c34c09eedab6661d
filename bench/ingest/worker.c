/* bench-ingest's worker threads: each owns an epoll set and a slice of the connections. */
#include "bench.h"

static void worker_wake_due(struct worker *w, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < w->nconns && w->sleeping > 0; i++) {
		struct conn *c = &w->conns[i];

		if (c->wake_ns == 0)
			continue;
		if (c->wake_ns <= now) {
			c->wake_ns = 0;
			w->sleeping--;
			conn_wake(c);
		}
		if (c->wake_ns != 0 && c->wake_ns < next)
			next = c->wake_ns;
	}
	w->next_wake_ns = next;
}

/* --idle: keeps at most IDLE_IN_FLIGHT handshakes going per thread. */
static void worker_idle_fill(struct worker *w)
{
	while (w->in_flight < IDLE_IN_FLIGHT && w->idle_next < w->nconns) {
		w->in_flight++;
		conn_open(&w->conns[w->idle_next++]);
	}
}

/* Spreads first connections and requests over one period under --rate,
 * so 1,000 devices sending once a second neither connect nor send all in
 * the same millisecond. */
static void worker_start(struct worker *w)
{
	const struct bench *b = w->b;
	size_t total = (size_t)b->o.connections;

	if (b->o.idle > 0) {
		worker_idle_fill(w);
		return;
	}
	for (size_t i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		c->sched_ns = b->start_ns + b->period_ns * (int64_t)c->index / (int64_t)total;
		if (c->sched_ns > b->start_ns)
			conn_sleep(c, c->sched_ns);
		else
			conn_open(c);
	}
}

static int worker_timeout(const struct worker *w, int64_t now)
{
	int64_t ms;

	if (w->sleeping == 0)
		return LOOP_TICK_MS;
	ms = (w->next_wake_ns - now + 999999) / 1000000;
	return ms < 0 ? 0 : ms > LOOP_TICK_MS ? LOOP_TICK_MS : (int)ms;
}

void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[EVENTS_MAX];
	int n;

	worker_start(w);
	while (!atomic_load_explicit(&w->b->stop, memory_order_relaxed)) {
		n = epoll_wait(w->epfd, ev, EVENTS_MAX, worker_timeout(w, now_ns()));
		if (n < 0 && errno != EINTR)
			die("epoll_wait", strerror(errno));
		for (int i = 0; i < n; i++)
			conn_on_event(ev[i].data.ptr);
		if (w->sleeping > 0) {
			int64_t now = now_ns();

			if (now >= w->next_wake_ns)
				worker_wake_due(w, now);
		}
		if (w->b->o.idle > 0)
			worker_idle_fill(w);
	}
	for (size_t i = 0; i < w->nconns; i++)
		conn_close(&w->conns[i], false);
	return NULL;
}
