/* The mailer thread (notify/mailer.h): a bounded queue of heap-allocated
 * messages, one thread that sends them in order. */
#include "notify/mailer.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "notify/mail.h"

struct mail_item {
	struct mail_item *next;
	const char *what;
	size_t nto;
	const char *to[MG_MAIL_RECIPIENTS_MAX];
	const char *subject, *body;
	size_t size;		/* of the whole item, for wiping */
	char data[];		/* the texts, NUL-terminated one after another */
};

struct mg_mailer {
	const struct mg_config *cfg;
	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t wake;
	struct mail_item *head, *tail;
	size_t n;
	bool stopping;
	struct mg_mailer_stats stats;
	pthread_t thread;
};

static void item_free(struct mail_item *it)
{
	if (it == NULL)
		return;
	sodium_memzero(it, it->size);
	free(it);
}

static char *put_text(char **p, const char *text)
{
	size_t len = strlen(text) + 1;
	char *start = *p;

	memcpy(start, text, len);
	*p += len;
	return start;
}

static struct mail_item *item_new(const char *what, const char *const *to, size_t nto,
				  const char *subject, const char *body)
{
	size_t size = sizeof(struct mail_item) + strlen(subject) + strlen(body) + 2;
	struct mail_item *it;
	char *p;

	for (size_t i = 0; i < nto; i++)
		size += strlen(to[i]) + 1;
	if ((it = calloc(1, size)) == NULL)
		return NULL;
	it->size = size;
	it->what = what;
	it->nto = nto;
	p = it->data;
	for (size_t i = 0; i < nto; i++)
		it->to[i] = put_text(&p, to[i]);
	it->subject = put_text(&p, subject);
	it->body = put_text(&p, body);
	return it;
}

int mg_mailer_queue(struct mg_mailer *m, const char *what, const char *const *to, size_t nto,
		    const char *subject, const char *body)
{
	struct mail_item *it;

	if (nto == 0 || nto > MG_MAIL_RECIPIENTS_MAX || subject == NULL || body == NULL ||
	    what == NULL)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < nto; i++)
		if (to[i] == NULL)
			return MG_ERR_INVALID;
	if (m->cfg->smtp_url[0] == '\0')
		return MG_ERR_CONFIG;
	if ((it = item_new(what, to, nto, subject, body)) == NULL)
		return MG_ERR_NOMEM;
	pthread_mutex_lock(&m->lock);
	if (m->n >= MG_MAILER_QUEUE_MAX || m->stopping) {
		m->stats.dropped++;
		pthread_mutex_unlock(&m->lock);
		item_free(it);
		mg_log_warning("%s: e-mail queue full; message not sent", what);
		return MG_ERR_BUSY;
	}
	if (m->tail != NULL)
		m->tail->next = it;
	else
		m->head = it;
	m->tail = it;
	m->n++;
	m->stats.queued++;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void send_one(struct mg_mailer *m, const struct mail_item *it)
{
	char err[256];
	int r;

	r = mg_mail_send(m->cfg, it->to, it->nto, it->subject, it->body, err, sizeof(err));
	pthread_mutex_lock(&m->lock);
	if (r != 0)
		m->stats.failed++;
	else
		m->stats.sent++;
	pthread_mutex_unlock(&m->lock);
	if (r != 0)
		mg_log_error("%s: e-mail not sent: %s", it->what, err);
	else
		mg_log_info("%s: e-mail sent to %zu recipient%s", it->what, it->nto,
			    it->nto == 1 ? "" : "s");
}

static void *mailer_main(void *arg)
{
	struct mg_mailer *m = arg;
	struct mail_item *it;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (m->head == NULL && !m->stopping)
			pthread_cond_wait(&m->wake, &m->lock);
		if (m->stopping)
			break;
		it = m->head;
		if ((m->head = it->next) == NULL)
			m->tail = NULL;
		m->n--;
		pthread_mutex_unlock(&m->lock);
		send_one(m, it);
		item_free(it);
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int mg_mailer_new(const struct mg_config *cfg, struct mg_mailer **out)
{
	struct mg_mailer *m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MG_ERR_NOMEM;
	m->cfg = cfg;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) {
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return MG_ERR_IO;
	}
	*out = m;
	return 0;
}

void mg_mailer_stats(struct mg_mailer *m, struct mg_mailer_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->stats;
	pthread_mutex_unlock(&m->lock);
}

void mg_mailer_free(struct mg_mailer *m)
{
	struct mail_item *it;
	size_t unsent;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	/* Each send may take MG_MAIL_TIMEOUT s: a shutdown does not wait for
	 * the queue. What it held (alerts) stays in the store and the trail. */
	unsent = m->n;
	while ((it = m->head) != NULL) {
		m->head = it->next;
		item_free(it);
	}
	if (unsent > 0)
		mg_log_warning("mailer: %zu queued e-mail%s not sent at shutdown", unsent,
			       unsent == 1 ? "" : "s");
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
