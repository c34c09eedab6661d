/* `enroll`, `reenroll` and `cacerts`: EST (RFC 7030) simpleenroll with a
 * one-time token, simplereenroll with the current certificate, and
 * fetching the server's CA certificates. */
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/timefmt.h"
#include "device/args.h"
#include "device/device.h"
#include "device/est.h"
#include "device/file.h"
#include "device/http.h"
#include "device/options.h"
#include "device/queue.h"
#include "device/state.h"

#define TOKEN_FILE_MAX		4096
#define CA_FILE_MAX		MG_DEVICE_CERT_FILE_MAX
#define EST_CONTENT_TYPE	"application/pkcs7-mime"

/* server + path into buf, without a doubled '/'. */
static int url_join(char *buf, size_t buflen, const char *server, const char *path)
{
	size_t len = strlen(server);
	int n;

	while (len > 0 && server[len - 1] == '/')
		len--;
	n = snprintf(buf, buflen, "%.*s%s", (int)len, server, path);
	return n < 0 || (size_t)n >= buflen ? MG_ERR_LIMIT : 0;
}

/* The token from --token-file: its first line, checked. */
static int token_load(const char *path, char *token, size_t tokenlen)
{
	char *text = NULL;
	size_t len;
	int r;

	token[0] = '\0';
	if ((r = mg_device_file_read(path, TOKEN_FILE_MAX, &text, &len)) != 0)
		return r;
	len = strcspn(text, "\r\n");
	text[len] = '\0';
	r = mg_device_check_token(text) == 0 ? mg_device_copy_text(token, tokenlen, text) :
	    MG_ERR_INVALID;
	gnutls_memset(text, 0, len);
	free(text);
	return r;
}

/* The state folder: made 0700, or an existing folder nobody else can use. */
static int state_dir_prepare(const char *dir, int force, char *err, size_t errlen)
{
	char path[MG_PATH_MAX];
	struct stat st;
	int r;

	if ((r = mg_device_dir_make(dir)) != 0) {
		snprintf(err, errlen, "cannot make state folder %s: %s", dir, mg_strerror(r));
		return r;
	}
	if (stat(dir, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "state folder %s must be accessible to its owner only "
			 "(chmod 700)", dir);
		return MG_ERR_DENIED;
	}
	if ((r = mg_device_state_path(dir, MG_DEVICE_CERT_FILE, path, sizeof(path))) != 0) {
		snprintf(err, errlen, "state folder path too long");
		return r;
	}
	if (!force && mg_device_path_exists(path)) {
		snprintf(err, errlen, "%s holds a certificate already (enrolled); use --force "
			 "to enrol again", dir);
		return MG_ERR_EXISTS;
	}
	return 0;
}

/* Random hex for measurement ids, kept across re-enrolment. */
static int prefix_choose(const char *dir, char *prefix, size_t prefixlen)
{
	struct mg_device_state old;
	unsigned char rnd[MG_DEVICE_PREFIX_LEN / 2];
	char ignored[128];

	if (prefixlen < MG_DEVICE_PREFIX_LEN + 1)
		return MG_ERR_LIMIT;
	if (mg_device_state_load(dir, &old, ignored, sizeof(ignored)) == 0)
		return mg_device_copy_text(prefix, prefixlen, old.id_prefix);
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return MG_ERR_CRYPTO;
	return mg_hex_encode(rnd, sizeof(rnd), MG_HEX_LOWER, prefix, prefixlen);
}

/* Write everything enrolment produced; the certificate last, so that a
 * folder with cert.pem is a complete one. */
static int state_write(const struct mg_device_state *st, const char *ca_pem, size_t ca_len,
		       const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len)
{
	struct mg_device_queue q;
	int r;

	if ((r = mg_device_state_save(st)) != 0 ||
	    (r = mg_device_queue_open(&q, st->dir)) != 0)
		return r;
	mg_device_queue_close(&q);
	if ((r = mg_device_file_write(st->dir, MG_DEVICE_CA_FILE, ca_pem, ca_len, 0600)) != 0 ||
	    (r = mg_device_file_write(st->dir, MG_DEVICE_KEY_FILE, key_pem, key_len, 0600)) != 0 ||
	    (r = mg_device_file_write(st->dir, MG_DEVICE_CERT_FILE, cert_pem, cert_len, 0600)) != 0)
		return r;
	return 0;
}

static void print_enrolled(const char *verb, const char *dir, const char *cert_pem,
			   size_t cert_len)
{
	char subject[256], issuer[256], when[MG_TIME_TEXT_LEN];
	long long expires;

	if (mg_device_est_cert_info(cert_pem, cert_len, subject, sizeof(subject), issuer,
				    sizeof(issuer), &expires) != 0 ||
	    mg_time_format((int64_t)expires * 1000, when, sizeof(when)) != 0) {
		printf("%s %s\n", verb, dir);
		return;
	}
	printf("%s %s: %s, issued by %s, valid until %s\n", verb, dir, subject, issuer, when);
}

/* Everything after the options are checked: one POST, then the files. */
static int enroll_run(const struct mg_device_enroll_options *o, const char *token,
		      const char *ca_pem, size_t ca_len)
{
	struct mg_device_state st;
	struct mg_device_http *h = NULL;
	struct mg_device_http_answer ans = { 0 };
	gnutls_x509_privkey_t key = NULL;
	char url[MG_DEVICE_URL_MAX + 64], err[512];
	char *csr = NULL, *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	const char *cn = o->name[0] ? o->name : MG_DEVICE_DEFAULT_NAME;
	const char *user = o->name[0] ? o->name : MG_DEVICE_DEFAULT_USER;
	int status = MG_DEVICE_EXIT_ERROR, r;

	memset(&st, 0, sizeof(st));
	if (mg_device_copy_text(st.dir, sizeof(st.dir), o->state_dir) != 0 ||
	    mg_device_copy_text(st.server, sizeof(st.server), o->server) != 0 ||
	    mg_device_copy_text(st.name, sizeof(st.name), cn) != 0 ||
	    mg_device_copy_text(st.model, sizeof(st.model), o->model) != 0 ||
	    mg_device_copy_text(st.firmware, sizeof(st.firmware), o->firmware) != 0 ||
	    url_join(url, sizeof(url), o->server, MG_DEVICE_EST_ENROLL_PATH) != 0 ||
	    prefix_choose(o->state_dir, st.id_prefix, sizeof(st.id_prefix)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: bad state folder or server URL\n");
		goto out;
	}
	if ((r = mg_device_est_request_new(cn, &key, &csr)) != 0 ||
	    (r = mg_device_http_new(o->ca_file, NULL, NULL, NULL, &h)) != 0 ||
	    (o->model[0] != '\0' &&
	     (r = mg_device_http_set_header(h, MG_DEVICE_MODEL_HEADER, o->model)) != 0)) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: %s\n", mg_strerror(r));
		goto out;
	}
	r = mg_device_http_request(h, url, "application/pkcs10", csr, strlen(csr), user, token,
				   &ans, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: no answer from %s: %s\n", o->server,
			err);
		goto out;
	}
	if (ans.status != 200) {
		mg_device_http_answer_error(&ans, err, sizeof(err));
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrolment refused: %s\n", err);
		goto out;
	}
	if (strncmp(ans.content_type, EST_CONTENT_TYPE, sizeof(EST_CONTENT_TYPE) - 1) != 0 ||
	    (r = mg_device_est_certs_pem(ans.body, ans.len, key, &cert_pem, &cert_len)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: the answer holds no certificate for "
			"our key (content type \"%.64s\")\n", ans.content_type);
		goto out;
	}
	if ((r = mg_device_est_key_pem(key, &key_pem, &key_len)) != 0 ||
	    (r = state_write(&st, ca_pem, ca_len, key_pem, key_len, cert_pem, cert_len)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: cannot write %s: %s\n", o->state_dir,
			mg_strerror(r));
		goto out;
	}
	print_enrolled("enrolled", o->state_dir, cert_pem, cert_len);
	status = MG_DEVICE_EXIT_OK;
out:
	mg_device_est_secret_free(key_pem, key_len);
	free(cert_pem);
	free(csr);
	mg_device_http_answer_clear(&ans);
	mg_device_http_free(h);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return status;
}

int mg_device_cmd_enroll(int argc, char **argv)
{
	struct mg_device_enroll_options o;
	char token[MG_TOKEN_TEXT_MAX + 1], err[MG_PATH_MAX + 256];
	char *ca_pem = NULL;
	size_t ca_len = 0;
	int status = MG_DEVICE_EXIT_ERROR, r;

	if (mg_device_enroll_options_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " enroll: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (o.token_file[0] != '\0') {
		if ((r = token_load(o.token_file, token, sizeof(token))) != 0) {
			fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: cannot read a token from "
				"%s: %s\n", o.token_file, mg_strerror(r));
			goto out;
		}
	} else {
		memcpy(token, o.token, sizeof(token));
	}
	if ((r = mg_device_file_read(o.ca_file, CA_FILE_MAX, &ca_pem, &ca_len)) != 0 ||
	    (r = mg_device_est_check_pem_certs(ca_pem, ca_len)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: %s holds no usable PEM "
			"certificates: %s\n", o.ca_file, mg_strerror(r));
		goto out;
	}
	if (state_dir_prepare(o.state_dir, o.force, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": enrol: %s\n", err);
		goto out;
	}
	status = enroll_run(&o, token, ca_pem, ca_len);
out:
	gnutls_memset(token, 0, sizeof(token));
	gnutls_memset(o.token, 0, sizeof(o.token));
	free(ca_pem);
	return status;
}

/* One renewal: a new key, its request sent under the current certificate;
 * the answer's certificate must be for the new key. */
static int reenroll_run(const struct mg_device_state *st, const char *ca, const char *cert,
			const char *key_file)
{
	struct mg_device_http *h = NULL;
	struct mg_device_http_answer ans = { 0 };
	gnutls_x509_privkey_t key = NULL;
	char url[MG_DEVICE_URL_MAX + 64], err[512];
	char *csr = NULL, *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	int status = MG_DEVICE_EXIT_ERROR, r;

	if (url_join(url, sizeof(url), st->server, MG_DEVICE_EST_REENROLL_PATH) != 0 ||
	    (r = mg_device_est_request_new(st->name, &key, &csr)) != 0 ||
	    (r = mg_device_http_new(ca, cert, key_file, NULL, &h)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: cannot prepare the request\n");
		goto out;
	}
	r = mg_device_http_request(h, url, "application/pkcs10", csr, strlen(csr), NULL, NULL,
				   &ans, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: no answer from %s: %s\n", st->server,
			err);
		goto out;
	}
	if (ans.status != 200) {
		mg_device_http_answer_error(&ans, err, sizeof(err));
		fprintf(stderr, MG_DEVICE_PROGRAM ": renewal refused: %s\n", err);
		goto out;
	}
	if (strncmp(ans.content_type, EST_CONTENT_TYPE, sizeof(EST_CONTENT_TYPE) - 1) != 0 ||
	    mg_device_est_certs_pem(ans.body, ans.len, key, &cert_pem, &cert_len) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: the answer holds no certificate for "
			"our key\n");
		goto out;
	}
	/* The gateway accepts only the new certificate from now on: the key
	 * first, then the certificate, each replaced crash-safely. */
	if ((r = mg_device_est_key_pem(key, &key_pem, &key_len)) != 0 ||
	    (r = mg_device_file_write(st->dir, MG_DEVICE_KEY_FILE, key_pem, key_len, 0600)) != 0 ||
	    (r = mg_device_file_write(st->dir, MG_DEVICE_CERT_FILE, cert_pem, cert_len, 0600)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: cannot write %s: %s\n", st->dir,
			mg_strerror(r));
		goto out;
	}
	print_enrolled("renewed", st->dir, cert_pem, cert_len);
	status = MG_DEVICE_EXIT_OK;
out:
	mg_device_est_secret_free(key_pem, key_len);
	free(cert_pem);
	free(csr);
	mg_device_http_answer_clear(&ans);
	mg_device_http_free(h);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return status;
}

int mg_device_cmd_reenroll(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char ca[MG_PATH_MAX], cert[MG_PATH_MAX], key[MG_PATH_MAX], err[256];
	struct mg_device_state st;
	const char *dir = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1 && c == 's')
		dir = optarg;
	if (c != -1 || dir == NULL || optind != argc) {
		fprintf(stderr, MG_DEVICE_PROGRAM " reenroll: give --state DIR (an enrolled "
			"device)\n");
		return MG_DEVICE_EXIT_USAGE;
	}
	if (mg_device_state_load(dir, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: %s\n", err);
		return MG_DEVICE_EXIT_ERROR;
	}
	if (mg_device_state_path(dir, MG_DEVICE_CA_FILE, ca, sizeof(ca)) != 0 ||
	    mg_device_state_path(dir, MG_DEVICE_CERT_FILE, cert, sizeof(cert)) != 0 ||
	    mg_device_state_path(dir, MG_DEVICE_KEY_FILE, key, sizeof(key)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": reenrol: state folder path too long\n");
		return MG_DEVICE_EXIT_ERROR;
	}
	return reenroll_run(&st, ca, cert, key);
}

enum { OPT_CA_STATE = 256, OPT_CA_SERVER, OPT_CA_CA };

/* Where to ask: from --state, or from --server and --ca. */
static int cacerts_target(int argc, char **argv, char *url, size_t urllen, char *ca,
			  size_t calen)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, OPT_CA_STATE },
		{ "server", required_argument, NULL, OPT_CA_SERVER },
		{ "ca", required_argument, NULL, OPT_CA_CA },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *server = NULL, *ca_file = NULL;
	struct mg_device_state st;
	char err[256];
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_CA_STATE)
			dir = optarg;
		else if (c == OPT_CA_SERVER)
			server = optarg;
		else if (c == OPT_CA_CA)
			ca_file = optarg;
		else
			return MG_ERR_INVALID;
	}
	if (optind < argc || (dir == NULL) == (server == NULL && ca_file == NULL))
		return MG_ERR_INVALID;
	if (dir != NULL) {
		if (mg_device_state_load(dir, &st, err, sizeof(err)) != 0) {
			fprintf(stderr, MG_DEVICE_PROGRAM ": cacerts: %s\n", err);
			return MG_ERR_CONFIG;
		}
		if (mg_device_state_path(dir, MG_DEVICE_CA_FILE, ca, calen) != 0)
			return MG_ERR_INVALID;
		return url_join(url, urllen, st.server, MG_DEVICE_EST_CACERTS_PATH);
	}
	if (server == NULL || ca_file == NULL || mg_device_check_server_url(server) != 0 ||
	    mg_device_copy_text(ca, calen, ca_file) != 0)
		return MG_ERR_INVALID;
	return url_join(url, urllen, server, MG_DEVICE_EST_CACERTS_PATH);
}

int mg_device_cmd_cacerts(int argc, char **argv)
{
	struct mg_device_http *h = NULL;
	struct mg_device_http_answer ans = { 0 };
	char url[MG_DEVICE_URL_MAX + 64], ca[MG_PATH_MAX], err[512] = "";
	char *pem = NULL;
	size_t pem_len = 0;
	int status = MG_DEVICE_EXIT_ERROR, r;

	r = cacerts_target(argc, argv, url, sizeof(url), ca, sizeof(ca));
	if (r == MG_ERR_CONFIG)
		return MG_DEVICE_EXIT_ERROR;
	if (r != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " cacerts: give --state DIR, or --server "
			"https://HOST:PORT and --ca CA.pem\n");
		return MG_DEVICE_EXIT_USAGE;
	}
	if ((r = mg_device_http_new(ca, NULL, NULL, NULL, &h)) != 0 ||
	    (r = mg_device_http_request(h, url, NULL, NULL, 0, NULL, NULL, &ans, err,
					sizeof(err))) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": cacerts: no answer: %s\n",
			r == 0 ? "" : err[0] ? err : mg_strerror(r));
		goto out;
	}
	if (ans.status != 200) {
		mg_device_http_answer_error(&ans, err, sizeof(err));
		fprintf(stderr, MG_DEVICE_PROGRAM ": cacerts: refused: %s\n", err);
		goto out;
	}
	if (mg_device_est_certs_pem(ans.body, ans.len, NULL, &pem, &pem_len) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": cacerts: the answer is not a certs-only "
			"PKCS#7\n");
		goto out;
	}
	fwrite(pem, 1, pem_len, stdout);
	status = MG_DEVICE_EXIT_OK;
out:
	free(pem);
	mg_device_http_answer_clear(&ans);
	mg_device_http_free(h);
	return status;
}
