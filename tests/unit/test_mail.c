/* Outgoing mail. The message format is checked as data (headers, RFC 2047
 * subjects, folding, line ends, refusals); sending is checked against a
 * real SMTP server (tests/integration/tools/smtp_sink.py, aiosmtpd) on a
 * free loopback port with throwaway certificates made by openssl: STARTTLS
 * with login, implicit TLS, and every way it must fail (server down, no
 * STARTTLS, untrusted or misnamed certificate, wrong password, bad
 * configuration, header injection). Needs MG_SOURCE_DIR, openssl and
 * Debian's python3-aiosmtpd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "notify/mail.h"

#define FROM "medgate@klinik.example"
#define NOW 1700000000	/* Tue, 14 Nov 2023 22:13:20 +0000 */

static char dir[] = "/tmp/medgate-mail-XXXXXX";
static char path_buf[8][512];

/* A file in the test folder (up to eight at a time). */
static const char *at(const char *name)
{
	static unsigned next;
	char *p = path_buf[next++ % 8];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

__attribute__((format(printf, 1, 2)))
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* A CA, and a server certificate it signs for the names in san. */
static void make_ca(const char *name)
{
	run("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout %s.key -out %s.pem -days 2 -subj '/CN=%s' "
	    "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
	    "2>/dev/null",
	    dir, name, name, name);
}

static void make_server_cert(const char *name, const char *ca, const char *san)
{
	run("cd %s && printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth\\n' > %s.ext && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s.key "
	    "-out %s.csr -subj /CN=mail 2>/dev/null && "
	    "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -CAcreateserial -days 2 "
	    "-extfile %s.ext -out %s.pem 2>/dev/null",
	    dir, san, name, name, name, name, ca, ca, name, name);
}

struct sink {
	pid_t pid;
	unsigned port;
	char out[512];
};

/* Start the SMTP sink: tls is "starttls", "implicit" or "none"; cert is
 * the base name of a certificate made above; auth "user:password" or
 * NULL. Waits until it listens. */
static void sink_start(struct sink *s, const char *tls, const char *cert, const char *auth)
{
	const char *src = getenv("MG_SOURCE_DIR");
	char script[1024], port_file[600], certp[600], keyp[600];
	static unsigned n;
	FILE *f;
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(script, sizeof(script), "%s/tests/integration/tools/smtp_sink.py",
		 src != NULL ? src : ".");
	snprintf(s->out, sizeof(s->out), "%s/sink%u", dir, ++n);
	snprintf(port_file, sizeof(port_file), "%s.port", s->out);
	snprintf(certp, sizeof(certp), "%s/%s.pem", dir, cert);
	snprintf(keyp, sizeof(keyp), "%s/%s.key", dir, cert);
	assert_int_equal(mkdir(s->out, 0700), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		if (auth != NULL)
			execl("/usr/bin/python3", "python3", script, "--dir", s->out, "--port-file",
			      port_file, "--tls", tls, "--cert", certp, "--key", keyp, "--auth", auth,
			      "--lifetime", "60", (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", script, "--dir", s->out, "--port-file",
			      port_file, "--tls", tls, "--cert", certp, "--key", keyp, "--lifetime",
			      "60", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {	/* up to 10 s */
		if ((f = fopen(port_file, "r")) != NULL) {
			assert_int_equal(fscanf(f, "%u", &s->port), 1);
			fclose(f);
			return;
		}
		assert_int_equal(waitpid(s->pid, NULL, WNOHANG), 0);	/* still alive */
		usleep(50000);
	}
	fail_msg("SMTP sink did not start");
}

static void sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

/* The n-th message the sink received (NULL if none). */
static json_t *sink_message(const struct sink *s, int n)
{
	char path[600];
	json_error_t e;

	snprintf(path, sizeof(path), "%s/msg-%03d.json", s->out, n);
	return json_load_file(path, 0, &e);
}

static void config_for(struct mg_config *cfg, const char *scheme, unsigned port, bool login)
{
	mg_config_defaults(cfg);
	snprintf(cfg->smtp_url, sizeof(cfg->smtp_url), "%s://127.0.0.1:%u", scheme, port);
	snprintf(cfg->smtp_from, sizeof(cfg->smtp_from), "%s", FROM);
	snprintf(cfg->smtp_ca_cert, sizeof(cfg->smtp_ca_cert), "%s", at("ca.pem"));
	if (login) {
		snprintf(cfg->smtp_username, sizeof(cfg->smtp_username), "mailer");
		snprintf(cfg->smtp_password_file, sizeof(cfg->smtp_password_file), "%s",
			 at("smtp-password"));
	}
}

/* A loopback port nobody listens on. */
static unsigned closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Undo RFC 2047 B-encoding of a Subject value (folded words). */
static void subject_decode(const char *value, char *out, size_t outlen)
{
	const char *p = value, *end;
	size_t len = 0, n;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		assert_non_null(end = strstr(p, "?="));
		assert_int_equal(sodium_base642bin((unsigned char *)out + len, outlen - len - 1, p,
						   (size_t)(end - p), NULL, &n, NULL,
						   sodium_base64_VARIANT_ORIGINAL),
				 0);
		len += n;
		p = end + 2;
	}
	out[len] = '\0';
}

/* The value of header name in msg, unfolded (CRLF before WSP removed). */
static void header_value(const char *msg, const char *name, char *out, size_t outlen)
{
	char key[64];
	const char *p, *end;
	size_t len = 0;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if (strncmp(msg, key + 2, strlen(key) - 2) == 0)
		p = msg + strlen(key) - 2;
	else if ((p = strstr(msg, key)) != NULL)
		p += strlen(key);
	else
		fail_msg("no header %s", name);
	end = strstr(msg, "\r\n\r\n");
	for (; p < end; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ' && p[2] != '\t')
				break;
			p++;
			continue;
		}
		assert_true(len + 1 < outlen);
		out[len++] = *p;
	}
	out[len] = '\0';
}

/* Every line of a message ends in CRLF and none is longer than max. */
static void lines_check(const char *msg, size_t len, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (msg[i] == '\n')
			fail_msg("bare LF at %zu", i);
		if (msg[i] == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		if (++col > max)
			fail_msg("line longer than %zu at %zu", max, i);
	}
	assert_true(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
}

static void test_format(void **state)
{
	const char *to[] = { "anna.berg@klinik.example", "it-security@klinik.example" };
	char *msg = NULL, err[128], value[1024];
	size_t len = 0;
	unsigned i;

	(void)state;
	assert_int_equal(mg_mail_format(FROM, to, 2, "Alert: brute force on account 17",
					"Line one\nline two\r\n.\n..two dots\n\ttab", NOW, &msg, &len,
					err, sizeof(err)),
			 0);
	assert_int_equal(strlen(msg), len);
	assert_string_equal(err, "");
	lines_check(msg, len, 78);
	assert_int_equal(strncmp(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
				      "From: medgate <medgate@klinik.example>\r\n"
				      "To: anna.berg@klinik.example,\r\n it-security@klinik.example\r\n"
				      "Subject: Alert: brute force on account 17\r\nMessage-ID: <",
			 strlen("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
				"From: medgate <medgate@klinik.example>\r\n"
				"To: anna.berg@klinik.example,\r\n it-security@klinik.example\r\n"
				"Subject: Alert: brute force on account 17\r\nMessage-ID: <")),
			 0);
	header_value(msg, "Message-ID", value, sizeof(value));
	assert_int_equal(strlen(value), 1 + 32 + 1 + strlen("klinik.example") + 1);
	assert_int_equal(strspn(value + 1, "0123456789abcdef"), 32);
	assert_string_equal(value + 33, "@klinik.example>");
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"
				    "Content-Type: text/plain; charset=utf-8\r\n"
				    "Content-Transfer-Encoding: 8bit\r\n"
				    "Auto-Submitted: auto-generated\r\n\r\n"
				    "Line one\r\nline two\r\n.\r\n..two dots\r\n\ttab\r\n"));
	assert_string_equal(strstr(msg, "\r\n\r\n") + 4,
			    "Line one\r\nline two\r\n.\r\n..two dots\r\n\ttab\r\n");
	free(msg);

	/* A long ASCII subject is folded at spaces and unfolds to itself. */
	{
		const char *s = "Daily report: 3 devices blocked, 12 measurements refused, "
				"2 accounts locked, 1 certificate expiring in 14 days";

		assert_int_equal(mg_mail_format(FROM, to, 1, s, "", NOW, &msg, &len, err, sizeof(err)),
				 0);
		lines_check(msg, len, 78);
		header_value(msg, "Subject", value, sizeof(value));
		assert_string_equal(value, s);
		assert_string_equal(strstr(msg, "\r\n\r\n") + 4, "");	/* empty body */
		free(msg);
	}
	/* Not ASCII, or "=?" in it: RFC 2047 words of whole characters. */
	static const char *const subjects[] = {
		"Gerät 7 blockiert",
		("Ärger mit Gerät 7 — bitte prüfen: Zertifikat läuft in 14 Tagen ab, Station "
		 "Nord, 日本語も大丈夫です 🏥"),
		"=?UTF-8?B?not really?=",
	};
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		assert_int_equal(mg_mail_format(FROM, to, 1, subjects[i], "x", NOW, &msg, &len, err,
						sizeof(err)),
				 0);
		lines_check(msg, len, 78);
		header_value(msg, "Subject", value, sizeof(value));
		assert_int_equal(strncmp(value, "=?UTF-8?B?", 10), 0);
		{
			char decoded[1024];

			subject_decode(value, decoded, sizeof(decoded));
			assert_string_equal(decoded, subjects[i]);
		}
		free(msg);
	}
}

struct refusal {
	const char *from, *to, *subject, *body;
	const char *why;	/* part of the reason */
};

static void test_format_refusals(void **state)
{
	static char long_line[MG_MAIL_LINE_MAX + 2], big[MG_MAIL_BODY_MAX + 2],
		long_local[80], long_address[300];
	const struct refusal rows[] = {
		/* Header injection through the subject or an address. */
		{ FROM, "a@b.example", "hi\r\nBcc: victim@evil.example", "x", "subject" },
		{ FROM, "a@b.example", "hi\nBcc: victim@evil.example", "x", "subject" },
		{ FROM, "a@b.example", "hi\rthere", "x", "subject" },
		{ FROM, "a@b.example", "tab\there", "x", "subject" },
		{ FROM, "a@b.example\r\nBcc: victim@evil.example", "hi", "x", "recipient 1" },
		{ FROM "\r\nBcc: v@evil.example", "a@b.example", "hi", "x", "sender" },
		{ FROM, "a@b.example", "bad \xff utf-8", "x", "UTF-8" },
		{ FROM, "a@b.example", "overlong \xc0\xaf", "x", "UTF-8" },
		/* Addresses we do not send to. */
		{ FROM, "<a@b.example>", "hi", "x", "recipient" },
		{ FROM, "Anna <a@b.example>", "hi", "x", "recipient" },
		{ FROM, "a b@c.example", "hi", "x", "recipient" },
		{ FROM, "a@b..example", "hi", "x", "recipient" },
		{ FROM, "@b.example", "hi", "x", "recipient" },
		{ FROM, "a@", "hi", "x", "recipient" },
		{ FROM, "a", "hi", "x", "recipient" },
		{ FROM, "a@@b.example", "hi", "x", "recipient" },
		{ FROM, "a@b@c.example", "hi", "x", "recipient" },
		{ FROM, "a@-b.example", "hi", "x", "recipient" },
		{ FROM, "a@b-.example", "hi", "x", "recipient" },
		{ FROM, "a@b_c.example", "hi", "x", "recipient" },
		{ FROM, "a.@b.example", "hi", "x", "recipient" },
		{ FROM, ".a@b.example", "hi", "x", "recipient" },
		{ FROM, "a..b@c.example", "hi", "x", "recipient" },
		{ FROM, "a\"b@c.example", "hi", "x", "recipient" },
		{ FROM, "a,b@c.example", "hi", "x", "recipient" },
		{ FROM, "j\xc3\xb6rg@c.example", "hi", "x", "recipient" },
		{ FROM, long_local, "hi", "x", "recipient" },
		{ FROM, long_address, "hi", "x", "recipient" },
		/* Bodies that cannot go as 8bit text. */
		{ FROM, "a@b.example", "hi", "lone\rCR", "control" },
		{ FROM, "a@b.example", "hi", "bell\a", "control" },
		{ FROM, "a@b.example", "hi", "bad \xfe", "UTF-8" },
		{ FROM, "a@b.example", "hi", long_line, "line longer" },
		{ FROM, "a@b.example", "hi", big, "body longer" },
	};
	char *msg = NULL, err[128];
	size_t i, len = 0;

	(void)state;
	memset(long_line, 'x', MG_MAIL_LINE_MAX + 1);
	memset(big, 'y', MG_MAIL_BODY_MAX + 1);
	for (i = 0; i + 1 < sizeof(big) - 1; i += 80)
		big[i] = '\n';
	memset(long_local, 'l', 65);
	memcpy(long_local + 65, "@b.example", 11);
	memset(long_address, 'd', 255);
	memcpy(long_address, "a@", 2);
	long_address[255] = '\0';
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *to[] = { rows[i].to };
		int r = mg_mail_format(rows[i].from, to, 1, rows[i].subject, rows[i].body, NOW, &msg,
				       &len, err, sizeof(err));

		if (r != MG_ERR_INVALID || msg != NULL || strstr(err, rows[i].why) == NULL)
			fail_msg("row %zu: got %d \"%s\", expected refusal naming \"%s\"", i, r, err,
				 rows[i].why);
	}
	/* The longest line and body allowed pass. */
	{
		const char *to[] = { "a@b.example" };

		long_line[MG_MAIL_LINE_MAX] = '\0';
		assert_int_equal(mg_mail_format(FROM, to, 1, "hi", long_line, NOW, &msg, &len, err,
						sizeof(err)),
				 0);
		free(msg);
		big[MG_MAIL_BODY_MAX] = '\0';
		assert_int_equal(mg_mail_format(FROM, to, 1, "hi", big, NOW, &msg, &len, err,
						sizeof(err)),
				 0);
		free(msg);
	}
	/* From 1 to MG_MAIL_RECIPIENTS_MAX recipients. */
	{
		const char *to[MG_MAIL_RECIPIENTS_MAX + 1];

		for (i = 0; i <= MG_MAIL_RECIPIENTS_MAX; i++)
			to[i] = "a@b.example";
		assert_int_equal(mg_mail_format(FROM, to, 0, "hi", "x", NOW, &msg, &len, err,
						sizeof(err)),
				 MG_ERR_INVALID);
		assert_int_equal(mg_mail_format(FROM, to, MG_MAIL_RECIPIENTS_MAX + 1, "hi", "x", NOW,
						&msg, &len, err, sizeof(err)),
				 MG_ERR_INVALID);
		assert_int_equal(mg_mail_format(FROM, to, MG_MAIL_RECIPIENTS_MAX, "hi", "x", NOW, &msg,
						&len, err, sizeof(err)),
				 0);
		free(msg);
	}
	assert_int_equal(mg_mail_address_check("medgate@localhost"), 0);
	assert_int_equal(mg_mail_address_check("first.last+tag@sub.klinik-nord.example"), 0);
}

static void test_send_starttls_login(void **state)
{
	const char *to[] = { "anna.berg@klinik.example", "it-security@klinik.example" };
	const char *subject = "Alarm: Gerät 7 blockiert — bitte prüfen";
	const char *body = "Device 7 was blocked at 22:13.\n.\n..\nSee the audit trail.\n";
	struct mg_config cfg;
	struct sink s;
	char err[256], value[512], decoded[512];
	json_t *m, *rcpt, *p;
	const char *data;

	(void)state;
	sink_start(&s, "starttls", "server", "mailer:s3cret pass");
	config_for(&cfg, "smtp", s.port, true);
	assert_int_equal(mg_mail_send(&cfg, to, 2, subject, body, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	sink_stop(&s);

	assert_non_null(m = sink_message(&s, 1));
	assert_true(json_is_true(json_object_get(m, "tls")));
	assert_string_equal(json_string_value(json_object_get(m, "login")), "mailer");
	assert_string_equal(json_string_value(json_object_get(m, "mail_from")), FROM);
	rcpt = json_object_get(m, "rcpt_tos");
	assert_int_equal(json_array_size(rcpt), 2);
	assert_string_equal(json_string_value(json_array_get(rcpt, 0)), to[0]);
	assert_string_equal(json_string_value(json_array_get(rcpt, 1)), to[1]);
	data = json_string_value(json_object_get(m, "data"));
	assert_non_null(data);
	header_value(data, "From", value, sizeof(value));
	assert_string_equal(value, "medgate <" FROM ">");
	header_value(data, "To", value, sizeof(value));
	assert_string_equal(value, "anna.berg@klinik.example, it-security@klinik.example");
	header_value(data, "Subject", value, sizeof(value));
	subject_decode(value, decoded, sizeof(decoded));
	assert_string_equal(decoded, subject);
	header_value(data, "Date", value, sizeof(value));
	assert_int_equal(strlen(value), strlen("Tue, 14 Nov 2023 22:13:20 +0000"));
	assert_string_equal(value + strlen(value) - 6, " +0000");
	header_value(data, "Content-Type", value, sizeof(value));
	assert_string_equal(value, "text/plain; charset=utf-8");
	header_value(data, "Content-Transfer-Encoding", value, sizeof(value));
	assert_string_equal(value, "8bit");
	header_value(data, "MIME-Version", value, sizeof(value));
	assert_string_equal(value, "1.0");
	header_value(data, "Message-ID", value, sizeof(value));
	assert_string_equal(value + strlen(value) - strlen("@klinik.example>"), "@klinik.example>");
	/* Lines of dots arrive as written: curl stuffed them, the server unstuffed. */
	assert_string_equal(strstr(data, "\r\n\r\n") + 4,
			    "Device 7 was blocked at 22:13.\r\n.\r\n..\r\nSee the audit trail.\r\n");
	/* Python's e-mail parser, not ours, reads the same. */
	p = json_object_get(m, "parsed");
	assert_null(json_object_get(p, "error"));
	assert_string_equal(json_string_value(json_object_get(p, "subject")), subject);
	assert_string_equal(json_string_value(json_object_get(p, "from")), "medgate <" FROM ">");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "to"), 0)), to[0]);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "to"), 1)), to[1]);
	assert_string_equal(json_string_value(json_object_get(p, "content_type")), "text/plain");
	assert_string_equal(json_string_value(json_object_get(p, "charset")), "utf-8");
	assert_int_equal(json_array_size(json_object_get(p, "defects")), 0);
	assert_string_equal(json_string_value(json_object_get(p, "body")),
			    "Device 7 was blocked at 22:13.\r\n.\r\n..\r\nSee the audit trail.\r\n");
	json_decref(m);
	assert_null(sink_message(&s, 2));
}

static void test_send_implicit_tls(void **state)
{
	const char *to[] = { "anna.berg@klinik.example" };
	struct mg_config cfg;
	struct sink s;
	char err[256];
	json_t *m;

	(void)state;
	sink_start(&s, "implicit", "server", NULL);
	config_for(&cfg, "smtps", s.port, false);
	assert_int_equal(mg_mail_send(&cfg, to, 1, "Password reset", "Follow the link.", err,
				      sizeof(err)),
			 0);
	sink_stop(&s);
	assert_non_null(m = sink_message(&s, 1));
	assert_true(json_is_true(json_object_get(m, "tls")));
	assert_true(json_is_null(json_object_get(m, "login")));
	json_decref(m);
}

/* Each way the server side can fail: MG_ERR_UNAVAILABLE, a reason, and
 * nothing delivered. */
static void expect_unavailable(const char *tls, const char *cert, const char *auth,
			       const char *scheme, bool login, const char *ca, const char *why)
{
	const char *to[] = { "anna.berg@klinik.example" };
	struct mg_config cfg;
	struct sink s;
	char err[256];
	int r;

	sink_start(&s, tls, cert, auth);
	config_for(&cfg, scheme, s.port, login);
	if (ca != NULL)
		snprintf(cfg.smtp_ca_cert, sizeof(cfg.smtp_ca_cert), "%s", ca);
	r = mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err));
	sink_stop(&s);
	print_message("%s %s: %s\n", tls, cert, err);
	if (r != MG_ERR_UNAVAILABLE || strstr(err, why) == NULL)
		fail_msg("%s/%s: got %d \"%s\", expected unavailable with \"%s\"", tls, cert, r, err,
			 why);
	assert_null(sink_message(&s, 1));
}

static void test_send_refused(void **state)
{
	(void)state;
	/* A server without STARTTLS: nothing, not even the password, in clear. */
	expect_unavailable("none", "server", NULL, "smtp", false, NULL, "mail not sent");
	/* A certificate from a CA we do not trust, with ours or the system's. */
	expect_unavailable("starttls", "rogue", NULL, "smtp", false, NULL, "mail not sent");
	expect_unavailable("starttls", "rogue", NULL, "smtp", false, "", "mail not sent");
	expect_unavailable("implicit", "rogue", NULL, "smtps", false, NULL, "mail not sent");
	/* Our CA, but a certificate for another host name. */
	expect_unavailable("starttls", "misnamed", NULL, "smtp", false, NULL, "mail not sent");
	/* A wrong password. */
	expect_unavailable("starttls", "server", "mailer:other", "smtp", true, NULL,
			   "mail not sent");
}

static void test_server_down(void **state)
{
	const char *to[] = { "anna.berg@klinik.example" };
	struct timespec a, b;
	struct mg_config cfg;
	char err[256];

	(void)state;
	config_for(&cfg, "smtp", closed_port(), true);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)),
			 MG_ERR_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(strstr(err, "mail not sent"));
	/* A refused connection fails at once, not after a timeout. */
	assert_true(b.tv_sec - a.tv_sec < MG_MAIL_CONNECT_TIMEOUT);
}

static void test_config_and_input(void **state)
{
	const char *to[] = { "anna.berg@klinik.example" };
	const char *bad_to[] = { "anna.berg@klinik.example\r\nBcc: x@evil.example" };
	struct mg_config cfg;
	char err[256];

	(void)state;
	/* Bad input is refused before any connection (there is no server). */
	config_for(&cfg, "smtp", closed_port(), true);
	assert_int_equal(mg_mail_send(&cfg, bad_to, 1, "hi", "x", err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi\r\nBcc: x@evil.example", "x", err,
				      sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "subject"));

	mg_config_defaults(&cfg);
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
	assert_non_null(strstr(err, "url is empty"));
	static const char *const urls[] = { "http://127.0.0.1:25", "smtp:/x", "file:///etc/passwd",
					    "ldap://x" };
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		config_for(&cfg, "smtp", 25, false);
		snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "%s", urls[i]);
		assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)),
				 MG_ERR_CONFIG);
	}
	config_for(&cfg, "smtp", 25, false);
	snprintf(cfg.smtp_from, sizeof(cfg.smtp_from), "medgate");
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
	config_for(&cfg, "smtp", 25, false);
	snprintf(cfg.smtp_ca_cert, sizeof(cfg.smtp_ca_cert), "%s", at("missing.pem"));
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
	config_for(&cfg, "smtp", 25, false);
	snprintf(cfg.smtp_username, sizeof(cfg.smtp_username), "mailer");	/* no password */
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
	/* The password file must be the owner's alone. */
	config_for(&cfg, "smtp", 25, true);
	assert_int_equal(chmod(at("smtp-password"), 0644), 0);
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
	assert_non_null(strstr(err, "0600"));
	assert_int_equal(chmod(at("smtp-password"), 0600), 0);
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", at("nothing"));
	assert_int_equal(mg_mail_send(&cfg, to, 1, "hi", "x", err, sizeof(err)), MG_ERR_CONFIG);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL || sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -1;
	make_ca("ca");
	make_ca("rogue-ca");
	make_server_cert("server", "ca", "DNS:localhost,IP:127.0.0.1");
	make_server_cert("rogue", "rogue-ca", "DNS:localhost,IP:127.0.0.1");
	make_server_cert("misnamed", "ca", "DNS:mail.example");
	umask(077);
	if ((f = fopen(at("smtp-password"), "w")) == NULL)
		return -1;
	fputs("s3cret pass\n", f);	/* the line end is not part of it */
	return fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	run("rm -rf %s", dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_refusals),
		cmocka_unit_test(test_send_starttls_login),
		cmocka_unit_test(test_send_implicit_tls),
		cmocka_unit_test(test_send_refused),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_config_and_input),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
