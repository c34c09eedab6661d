/* bench-ingest's set-up before the run: body template, TLS credentials, file limit. */
#include "bench.h"

static void template_add(struct bench *b, enum field f, const char *text, size_t len)
{
	if (b->nseg == TEMPLATE_SEGMENTS_MAX)
		die("body template has too many placeholders", NULL);
	b->seg[b->nseg++] = (struct segment){ .field = f, .text = text, .len = len };
}

/* Splits the template at {{id}}, {{time}} and {{patient}}. */
static void template_compile(struct bench *b)
{
	static const struct { const char *tag; enum field f; } tags[] = {
		{ "{{id}}", FIELD_ID }, { "{{time}}", FIELD_TIME },
		{ "{{patient}}", FIELD_PATIENT },
	};
	const char *p = b->template_text, *lit = p;

	while (*p != '\0') {
		size_t i;

		for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strncmp(p, tags[i].tag, strlen(tags[i].tag)) == 0)
				break;
		if (i == sizeof(tags) / sizeof(tags[0])) {
			p++;
			continue;
		}
		if (p > lit)
			template_add(b, FIELD_TEXT, lit, (size_t)(p - lit));
		template_add(b, tags[i].f, NULL, 0);
		p += strlen(tags[i].tag);
		lit = p;
	}
	if (p > lit)
		template_add(b, FIELD_TEXT, lit, (size_t)(p - lit));
}

void template_load(struct bench *b)
{
	FILE *f;
	size_t n;

	if (b->o.body_template == NULL) {
		n = strlen(DEFAULT_TEMPLATE);
		memcpy(b->template_text, DEFAULT_TEMPLATE, n + 1);
	} else {
		if ((f = fopen(b->o.body_template, "r")) == NULL)
			die("cannot open --body-template", strerror(errno));
		n = fread(b->template_text, 1, BODY_TEMPLATE_MAX + 1, f);
		if (ferror(f) || n > BODY_TEMPLATE_MAX)
			die("--body-template unreadable or over 4096 bytes", b->o.body_template);
		fclose(f);
		b->template_text[n] = '\0';
		if (strlen(b->template_text) != n)
			die("--body-template holds a NUL byte", b->o.body_template);
	}
	template_compile(b);
}

/* ---- TLS set-up ---- */

void tls_setup(struct bench *b)
{
	const char *errpos = NULL;
	int r;

	if ((r = gnutls_certificate_allocate_credentials(&b->cred)) < 0)
		die("gnutls credentials", gnutls_strerror(r));
	r = gnutls_certificate_set_x509_trust_file(b->cred, b->o.ca, GNUTLS_X509_FMT_PEM);
	if (r <= 0)
		die("no CA certificate read from --ca", r < 0 ? gnutls_strerror(r) : b->o.ca);
	if (b->o.cert != NULL) {
		r = gnutls_certificate_set_x509_key_file(b->cred, b->o.cert, b->o.key,
							  GNUTLS_X509_FMT_PEM);
		if (r < 0)
			die("cannot load --cert/--key", gnutls_strerror(r));
	}
	if ((r = gnutls_priority_init(&b->prio, b->o.priority, &errpos)) < 0)
		die("bad --priority near", errpos ? errpos : gnutls_strerror(r));
}

/* Room for every connection, its epoll and a margin; more than the soft
 * limit is normal for --idle 10000. */
void nofile_raise(size_t conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* works as root */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("cannot raise RLIMIT_NOFILE for that many connections", strerror(errno));
}
