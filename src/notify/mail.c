#include "notify/mail.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/limits.h"

#define LINE_SHOULD_MAX		78	/* RFC 5322 2.1.1: lines should stay within */
#define ENCODED_CHUNK_MAX	42	/* bytes per RFC 2047 word: 77-column lines */
#define LOCAL_PART_MAX		64	/* RFC 5321 4.5.3.1.1 */
#define LABEL_MAX		63	/* one label of a domain name */
#define PASSWORD_FILE_MAX	4096

/* What curl reads the message from. */
struct upload {
	const char *data;
	size_t len, pos;
};

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return r;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);	/* a too small err gets it cut */
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
	return r;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool domain_ok(const char *d, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (d[i] == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] >= '0' && d[i] <= '9') || d[i] == '-'))
			return false;
		if ((label == 0 && d[i] == '-') || ++label > LABEL_MAX)
			return false;
	}
	return d[len - 1] != '-';
}

int mg_mail_address_check(const char *address)
{
	size_t len = strnlen(address, MG_MAIL_ADDRESS_MAX + 1), at, i;
	const char *sep;

	if (len == 0 || len > MG_MAIL_ADDRESS_MAX)
		return MG_ERR_INVALID;
	if ((sep = strchr(address, '@')) == NULL || strchr(sep + 1, '@') != NULL)
		return MG_ERR_INVALID;
	at = (size_t)(sep - address);
	if (at == 0 || at > LOCAL_PART_MAX || address[0] == '.' || address[at - 1] == '.')
		return MG_ERR_INVALID;
	for (i = 0; i < at; i++) {
		unsigned char c = (unsigned char)address[i];

		/* Printable ASCII without the specials of RFC 5322 3.2.3. */
		if (c <= 0x20 || c >= 0x7f || strchr("()<>[]\\,;:\"", c) != NULL ||
		    (c == '.' && address[i + 1] == '.'))
			return MG_ERR_INVALID;
	}
	return domain_ok(sep + 1, len - at - 1) ? 0 : MG_ERR_INVALID;
}

/* "Thu, 13 Feb 1969 23:32:54 +0000" (RFC 5322 3.3), whatever the locale. */
static int date_text(int64_t now_s, char *out, size_t outlen)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now_s;
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return MG_ERR_INVALID;
	n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
		     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		     tm.tm_sec);
	return n > 0 && (size_t)n < outlen ? 0 : MG_ERR_LIMIT;
}

/* Subject as plain ASCII, folded at spaces to keep lines near 78. */
static void subject_ascii(FILE *f, const char *s)
{
	size_t col = strlen("Subject: "), i = 0, j;

	fputs("Subject: ", f);
	while (s[i] != '\0') {
		/* A token: spaces, then the word after them. */
		for (j = i; s[j] == ' '; j++)
			;
		while (s[j] != '\0' && s[j] != ' ')
			j++;
		if (s[i] == ' ' && s[j - 1] != ' ' && col + (j - i) > LINE_SHOULD_MAX &&
		    col > strlen("Subject: ")) {
			fputs("\r\n", f);	/* the token's space starts the next line */
			col = 0;
		}
		fwrite(s + i, 1, j - i, f);
		col += j - i;
		i = j;
	}
	fputs("\r\n", f);
}

/* Subject as RFC 2047 encoded words of whole UTF-8 characters, one a line. */
static void subject_encoded(FILE *f, const char *s, size_t len)
{
	char b64[sodium_base64_ENCODED_LEN(ENCODED_CHUNK_MAX, sodium_base64_VARIANT_ORIGINAL)];
	size_t i = 0, n;

	fputs("Subject:", f);
	while (i < len) {
		n = len - i < ENCODED_CHUNK_MAX ? len - i : ENCODED_CHUNK_MAX;
		/* Never split a character: back off continuation bytes. */
		while (i + n < len && n > 0 && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		fprintf(f, "%s=?UTF-8?B?%s?=", i == 0 ? " " : "\r\n ", b64);
		i += n;
	}
	fputs("\r\n", f);
}

static int subject_check(const char *subject, char *err, size_t errlen)
{
	size_t len = strnlen(subject, MG_MAIL_SUBJECT_MAX + 1), i;

	if (len > MG_MAIL_SUBJECT_MAX)
		return fail(err, errlen, MG_ERR_INVALID, "subject longer than %d bytes",
			    MG_MAIL_SUBJECT_MAX);
	for (i = 0; i < len; i++)
		if (is_control((unsigned char)subject[i]))
			return fail(err, errlen, MG_ERR_INVALID,
				    "subject contains a control character (CR, LF, ...)");
	if (!mg_utf8_valid(subject, len))
		return fail(err, errlen, MG_ERR_INVALID, "subject is not valid UTF-8");
	return 0;
}

static int body_check(const char *body, char *err, size_t errlen)
{
	size_t len = strnlen(body, MG_MAIL_BODY_MAX + 1), i, line = 0;

	if (len > MG_MAIL_BODY_MAX)
		return fail(err, errlen, MG_ERR_INVALID, "body longer than %d bytes",
			    MG_MAIL_BODY_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n' || (c == '\r' && body[i + 1] == '\n')) {
			line = 0;
			continue;
		}
		if (is_control(c) && c != '\t')
			return fail(err, errlen, MG_ERR_INVALID,
				    "body contains a control character or a lone CR");
		if (++line > MG_MAIL_LINE_MAX)
			return fail(err, errlen, MG_ERR_INVALID, "body line longer than %d bytes",
				    MG_MAIL_LINE_MAX);
	}
	if (!mg_utf8_valid(body, len))
		return fail(err, errlen, MG_ERR_INVALID, "body is not valid UTF-8");
	return 0;
}

/* The body with every line ended by CRLF (curl does the dot-stuffing). */
static void body_write(FILE *f, const char *body)
{
	size_t i;

	for (i = 0; body[i] != '\0'; i++) {
		if (body[i] == '\r')
			continue;	/* body_check let only CRLF through */
		if (body[i] == '\n')
			fputs("\r\n", f);
		else
			fputc(body[i], f);
	}
	if (i > 0 && body[i - 1] != '\n')
		fputs("\r\n", f);
}

static void headers_write(FILE *f, const char *from, const char *const *to, size_t nto,
			  const char *subject, const char *date)
{
	unsigned char id[16];
	char idhex[MG_HEX_TEXT_LEN(sizeof(id))];
	size_t i, len = strlen(subject);

	randombytes_buf(id, sizeof(id));
	(void)mg_hex_encode(id, sizeof(id), MG_HEX_LOWER, idhex, sizeof(idhex));
	fprintf(f, "Date: %s\r\nFrom: medgate <%s>\r\nTo: ", date, from);
	for (i = 0; i < nto; i++)
		fprintf(f, "%s%s", i == 0 ? "" : ",\r\n ", to[i]);
	fputs("\r\n", f);
	for (i = 0; i < len && (unsigned char)subject[i] < 0x80; i++)
		;
	/* "=?" in plain text could be taken for an encoded word: encode it. */
	if (i == len && strstr(subject, "=?") == NULL)
		subject_ascii(f, subject);
	else
		subject_encoded(f, subject, len);
	fprintf(f, "Message-ID: <%s@%s>\r\n", idhex, strchr(from, '@') + 1);
	fputs("MIME-Version: 1.0\r\n"
	      "Content-Type: text/plain; charset=utf-8\r\n"
	      "Content-Transfer-Encoding: 8bit\r\n"
	      "Auto-Submitted: auto-generated\r\n"
	      "\r\n", f);
}

int mg_mail_format(const char *from, const char *const *to, size_t nto, const char *subject,
		   const char *body, int64_t now_s, char **msg_out, size_t *len_out, char *err,
		   size_t errlen)
{
	char date[64], *msg = NULL;
	size_t i, len = 0;
	FILE *f;
	int r;

	*msg_out = NULL;
	*len_out = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (mg_mail_address_check(from) != 0)
		return fail(err, errlen, MG_ERR_INVALID, "sender address is not local@domain");
	if (nto == 0 || nto > MG_MAIL_RECIPIENTS_MAX)
		return fail(err, errlen, MG_ERR_INVALID, "1 to %d recipients, not %zu",
			    MG_MAIL_RECIPIENTS_MAX, nto);
	for (i = 0; i < nto; i++)
		if (mg_mail_address_check(to[i]) != 0)
			return fail(err, errlen, MG_ERR_INVALID,
				    "recipient %zu is not an address local@domain", i + 1);
	if ((r = subject_check(subject, err, errlen)) != 0 ||
	    (r = body_check(body, err, errlen)) != 0)
		return r;
	if (date_text(now_s, date, sizeof(date)) != 0)
		return fail(err, errlen, MG_ERR_INVALID, "time out of range");
	if ((f = open_memstream(&msg, &len)) == NULL)
		return fail(err, errlen, MG_ERR_NOMEM, "out of memory");
	headers_write(f, from, to, nto, subject, date);
	body_write(f, body);
	if (ferror(f) != 0) {
		fclose(f);
		free(msg);
		return fail(err, errlen, MG_ERR_NOMEM, "out of memory");
	}
	if (fclose(f) != 0) {
		free(msg);
		return fail(err, errlen, MG_ERR_NOMEM, "out of memory");
	}
	*msg_out = msg;
	*len_out = len;
	return 0;
}

static size_t upload_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct upload *u = userdata;
	size_t n = size * nitems;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* Check the [smtp] keys; ca gets the resolved ca_cert path ("" = system). */
static int config_check(const struct mg_config *cfg, char *ca, size_t calen, char *err,
			size_t errlen)
{
	ca[0] = '\0';
	if (cfg->smtp_url[0] == '\0')
		return fail(err, errlen, MG_ERR_CONFIG, "no mail server: [smtp] url is empty");
	if (strncasecmp(cfg->smtp_url, "smtp://", 7) != 0 &&
	    strncasecmp(cfg->smtp_url, "smtps://", 8) != 0)
		return fail(err, errlen, MG_ERR_CONFIG,
			    "[smtp] url must start with smtp:// or smtps://");
	if (mg_mail_address_check(cfg->smtp_from) != 0)
		return fail(err, errlen, MG_ERR_CONFIG,
			    "[smtp] from is not an address local@domain");
	if ((cfg->smtp_username[0] == '\0') != (cfg->smtp_password_file[0] == '\0'))
		return fail(err, errlen, MG_ERR_CONFIG,
			    "[smtp] username and password_file go together");
	if (cfg->smtp_ca_cert[0] != '\0') {
		if (mg_config_path(cfg, cfg->smtp_ca_cert, ca, calen) != 0)
			return fail(err, errlen, MG_ERR_CONFIG, "[smtp] ca_cert path too long");
		if (access(ca, R_OK) != 0)
			return fail(err, errlen, MG_ERR_CONFIG, "cannot read [smtp] ca_cert %s",
				    ca);
	}
	return 0;
}

/* Read the SMTP password (a file only its owner may read) into *out,
 * without a final line end; the caller wipes and frees it. */
static int password_read(const struct mg_config *cfg, char **out, size_t *len, char *err,
			 size_t errlen)
{
	char path[MG_PATH_MAX];
	mode_t mode;

	*out = NULL;
	*len = 0;
	if (mg_config_path(cfg, cfg->smtp_password_file, path, sizeof(path)) != 0)
		return fail(err, errlen, MG_ERR_CONFIG, "[smtp] password_file path too long");
	if (mg_file_check_private(path, &mode) != 0)
		return fail(err, errlen, MG_ERR_CONFIG,
			    "[smtp] password_file %s missing or not mode 0600", path);
	if (mg_file_read(path, PASSWORD_FILE_MAX, out, len) != 0)
		return fail(err, errlen, MG_ERR_CONFIG, "cannot read [smtp] password_file %s",
			    path);
	while (*len > 0 && ((*out)[*len - 1] == '\n' || (*out)[*len - 1] == '\r'))
		(*out)[--*len] = '\0';
	return 0;
}

static int transfer(const struct mg_config *cfg, const char *ca, const char *password,
		    const char *const *to, size_t nto, struct upload *up, char *err,
		    size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "", rcpt[MG_MAIL_ADDRESS_MAX + 3],
	     sender[MG_MAIL_ADDRESS_MAX + 3];
	struct curl_slist *list = NULL, *l;
	CURL *curl;
	CURLcode c = CURLE_OK;
	size_t i;
	int n, r;

	if ((curl = curl_easy_init()) == NULL)
		return fail(err, errlen, MG_ERR_NOMEM, "cannot start libcurl");
	/* Addresses were checked: they hold no '<', '>' or CR/LF. */
	for (i = 0; i < nto; i++) {
		n = snprintf(rcpt, sizeof(rcpt), "<%s>", to[i]);
		if (n < 0 || (size_t)n >= sizeof(rcpt)) {
			r = fail(err, errlen, MG_ERR_INVALID, "recipient address too long");
			goto out;
		}
		if ((l = curl_slist_append(list, rcpt)) == NULL) {
			r = fail(err, errlen, MG_ERR_NOMEM, "out of memory");
			goto out;
		}
		list = l;
	}
	n = snprintf(sender, sizeof(sender), "<%s>", cfg->smtp_from);
	if (n < 0 || (size_t)n >= sizeof(sender)) {
		r = fail(err, errlen, MG_ERR_CONFIG, "[smtp] from too long");
		goto out;
	}
	/* The first option libcurl refuses stops the rest. */
#define SET(opt, val) \
	do { \
		if (c == CURLE_OK) \
			c = curl_easy_setopt(curl, opt, val); \
	} while (0)
	SET(CURLOPT_URL, cfg->smtp_url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_PROXY, "");		/* no proxy from the environment */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);	/* STARTTLS or nothing */
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca[0] != '\0')
		SET(CURLOPT_CAINFO, ca);
	SET(CURLOPT_CONNECTTIMEOUT, (long)MG_MAIL_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, (long)MG_MAIL_TIMEOUT);
	if (password != NULL) {
		SET(CURLOPT_USERNAME, cfg->smtp_username);
		SET(CURLOPT_PASSWORD, password);
	}
	SET(CURLOPT_MAIL_FROM, sender);
	SET(CURLOPT_MAIL_RCPT, list);
	SET(CURLOPT_READFUNCTION, upload_read);
	SET(CURLOPT_READDATA, up);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	if (c != CURLE_OK) {
		r = fail(err, errlen, MG_ERR_CONFIG, "libcurl refused an option: %s",
			 curl_easy_strerror(c));
		goto out;
	}
	if ((c = curl_easy_perform(curl)) != CURLE_OK) {
		r = fail(err, errlen, MG_ERR_UNAVAILABLE, "mail not sent: %s",
			 errbuf[0] != '\0' ? errbuf : curl_easy_strerror(c));
		goto out;
	}
	r = 0;
out:
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
	return r;
}

int mg_mail_send(const struct mg_config *cfg, const char *const *to, size_t nto,
		 const char *subject, const char *body, char *err, size_t errlen)
{
	char ca[MG_PATH_MAX], *msg = NULL, *password = NULL;
	struct upload up = { 0 };
	size_t msglen = 0, pwlen = 0;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = config_check(cfg, ca, sizeof(ca), err, errlen)) != 0)
		return r;
	if ((r = mg_mail_format(cfg->smtp_from, to, nto, subject, body, (int64_t)time(NULL), &msg,
				&msglen, err, errlen)) != 0)
		return r;
	if (cfg->smtp_username[0] != '\0' &&
	    (r = password_read(cfg, &password, &pwlen, err, errlen)) != 0)
		goto out;
	up.data = msg;
	up.len = msglen;
	r = transfer(cfg, ca, password, to, nto, &up, err, errlen);
out:
	if (password != NULL) {
		sodium_memzero(password, pwlen);
		free(password);
	}
	free(msg);
	return r;
}
