/* The erasure log (backup/erasures.h). A line is
 *   {"seq":N,"time_ms":T,"tenant_id":I,"patient":"<hex>","prev":"<hex>","sig":"<hex>"}
 * where prev is the SHA-256 of the line before (without its newline; 64
 * zeros for the first) and sig the Ed25519 signature of a context string
 * and the line up to "prev" (the text before ,"sig"). */
#include "backup/erasures.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"

#define CONTEXT		"medgate erasure log 1\n"
#define HASH_BYTES	crypto_hash_sha256_BYTES
#define BODY_MAX	400
#define LINE_MAX_	(BODY_MAX + 16 + 2 * MG_AUDIT_SIGNATURE_BYTES)

int mg_erasure_log_path(const struct mg_config *cfg, char *out, size_t outlen, char *err,
			size_t errlen)
{
	char folder[MG_PATH_MAX];

	if (mg_config_path(cfg, cfg->backup_folder, folder, sizeof(folder)) != 0 ||
	    snprintf(out, outlen, "%s/%s", folder, MG_ERASURE_LOG_NAME) >= (int)outlen) {
		snprintf(err, errlen, "[backup] folder: path too long");
		return MG_ERR_LIMIT;
	}
	if (mkdir(folder, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "[backup] folder %s: %s", folder, strerror(errno));
		return MG_ERR_IO;
	}
	return 0;
}

/* The signed part of a line: everything before ,"sig". */
static int body_format(const struct mg_erasure *e, const unsigned char prev[HASH_BYTES],
		       char *out, size_t outlen)
{
	char patient[2 * MG_BLIND_INDEX_BYTES + 1], hprev[2 * HASH_BYTES + 1];

	mg_hex_encode(e->patient, sizeof(e->patient), MG_HEX_LOWER, patient, sizeof(patient));
	mg_hex_encode(prev, HASH_BYTES, MG_HEX_LOWER, hprev, sizeof(hprev));
	return snprintf(out, outlen,
			"{\"seq\":%lld,\"time_ms\":%lld,\"tenant_id\":%lld,\"patient\":\"%s\","
			"\"prev\":\"%s\"",
			(long long)e->seq, (long long)e->time_ms, (long long)e->tenant_id, patient,
			hprev) >= (int)outlen ? MG_ERR_LIMIT : 0;
}

static void body_message(const char *body, unsigned char *msg, size_t *len)
{
	size_t c = strlen(CONTEXT), b = strlen(body);

	memcpy(msg, CONTEXT, c);
	memcpy(msg + c, body, b);
	*len = c + b;
}

static int hex_member(json_t *o, const char *key, unsigned char *out, size_t size)
{
	const char *text = json_string_value(json_object_get(o, key));

	return text != NULL && strlen(text) == 2 * size &&
	       mg_hex_decode(text, 2 * size, out, size, NULL) == 0 ? 0 : MG_ERR_INVALID;
}

static int int_member(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return MG_ERR_INVALID;
	*out = json_integer_value(v);
	return 0;
}

/* Check one line (len bytes, no newline) against the chain so far
 * (prev, expected seq) and the key; *e gets it. */
static int line_check(const char *line, size_t len, const unsigned char prev[HASH_BYTES],
		      int64_t seq, const unsigned char *pk, struct mg_erasure *e)
{
	unsigned char lprev[HASH_BYTES], sig[MG_AUDIT_SIGNATURE_BYTES];
	unsigned char msg[sizeof(CONTEXT) + BODY_MAX];
	char body[BODY_MAX];
	size_t mlen;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	int r = MG_ERR_INVALID;

	memset(e, 0, sizeof(*e));
	if (o != NULL && json_is_object(o) && json_object_size(o) == 6 &&
	    int_member(o, "seq", &e->seq) == 0 && int_member(o, "time_ms", &e->time_ms) == 0 &&
	    int_member(o, "tenant_id", &e->tenant_id) == 0 &&
	    hex_member(o, "patient", e->patient, sizeof(e->patient)) == 0 &&
	    hex_member(o, "prev", lprev, sizeof(lprev)) == 0 &&
	    hex_member(o, "sig", sig, sizeof(sig)) == 0 &&
	    body_format(e, lprev, body, sizeof(body)) == 0) {
		body_message(body, msg, &mlen);
		/* The line must be exactly what was signed, plus its sig. */
		r = len != strlen(body) + 10 + 2 * MG_AUDIT_SIGNATURE_BYTES ||
		    strncmp(line, body, strlen(body)) != 0 ||
		    e->seq != seq || sodium_memcmp(lprev, prev, HASH_BYTES) != 0 ||
		    crypto_sign_verify_detached(sig, msg, mlen, pk) != 0 ? MG_ERR_CRYPTO : 0;
	}
	json_decref(o);
	return r;
}

/* Walk the text of a log. *last and *seq get the chain's head. */
static int text_walk(const char *text, size_t len, const unsigned char *pk, mg_erasure_cb cb,
		     void *arg, unsigned char last[HASH_BYTES], int64_t *seq, char *err,
		     size_t errlen)
{
	struct mg_erasure e;
	const char *p = text, *end = text + len, *nl;
	int r;

	memset(last, 0, HASH_BYTES);
	*seq = 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			snprintf(err, errlen, "line %lld does not end: cut short",
				 (long long)*seq + 1);
			return MG_ERR_CRYPTO;
		}
		r = (size_t)(nl - p) > LINE_MAX_ ? MG_ERR_INVALID
		    : line_check(p, (size_t)(nl - p), last, *seq + 1, pk, &e);
		if (r != 0) {
			snprintf(err, errlen, "line %lld %s", (long long)*seq + 1,
				 r == MG_ERR_CRYPTO ? "is altered, out of its place or not signed by"
						      " this instance's key"
						    : "is not an erasure entry");
			return r == MG_ERR_INVALID ? MG_ERR_CRYPTO : r;
		}
		crypto_hash_sha256(last, (const unsigned char *)p, (unsigned long long)(nl - p));
		*seq = e.seq;
		if (cb != NULL && (r = cb(&e, arg)) != 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

int mg_erasure_log_check(const char *text, size_t len, const unsigned char public_key[32],
			 mg_erasure_cb cb, void *arg, char *err, size_t errlen)
{
	unsigned char last[HASH_BYTES];
	int64_t seq;

	return text_walk(text, len, public_key, cb, arg, last, &seq, err, errlen);
}

int mg_erasure_log_walk(const char *path, const unsigned char public_key[32], mg_erasure_cb cb,
			void *arg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = mg_file_read(path, MG_ERASURE_LOG_MAX, &text, &len)) != 0) {
		if (r == MG_ERR_IO && errno == ENOENT)
			return snprintf(err, errlen, "%s: no erasure log", path), MG_ERR_NOT_FOUND;
		snprintf(err, errlen, "%s: %s", path, r == MG_ERR_LIMIT ? "too large" : strerror(errno));
		return r;
	}
	r = mg_erasure_log_check(text, len, public_key, cb, arg, err, errlen);
	free(text);
	return r;
}

/* Read all of fd (at most MG_ERASURE_LOG_MAX) into *text. */
static int fd_read_all(int fd, char **text, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;

	if (fstat(fd, &st) != 0)
		return MG_ERR_IO;
	if ((uint64_t)st.st_size > MG_ERASURE_LOG_MAX)
		return MG_ERR_LIMIT;
	if ((*text = malloc((size_t)st.st_size + 1)) == NULL)
		return MG_ERR_NOMEM;
	while (got < (size_t)st.st_size) {
		n = pread(fd, *text + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return MG_ERR_IO;
		}
		got += (size_t)n;
	}
	*len = got;
	return 0;
}

static int append_locked(int fd, const struct mg_master_key *mk, struct mg_erasure *e,
			 char *err, size_t errlen)
{
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES], last[HASH_BYTES];
	unsigned char sig[MG_AUDIT_SIGNATURE_BYTES], msg[sizeof(CONTEXT) + BODY_MAX];
	char body[BODY_MAX], line[LINE_MAX_ + 2], hsig[2 * MG_AUDIT_SIGNATURE_BYTES + 1];
	char *text = NULL;
	size_t len = 0, mlen;
	int64_t seq;
	int r, n;

	mg_audit_public_key(mk, pk);
	if ((r = fd_read_all(fd, &text, &len)) != 0) {
		free(text);
		snprintf(err, errlen, "cannot read it: %s", mg_strerror(r));
		return r;
	}
	r = text_walk(text, len, pk, NULL, NULL, last, &seq, err, errlen);
	free(text);
	if (r != 0)
		return r;
	e->seq = seq + 1;
	if ((r = body_format(e, last, body, sizeof(body))) != 0)
		return r;
	body_message(body, msg, &mlen);
	mg_audit_sign(mk, msg, mlen, sig);
	mg_hex_encode(sig, sizeof(sig), MG_HEX_LOWER, hsig, sizeof(hsig));
	n = snprintf(line, sizeof(line), "%s,\"sig\":\"%s\"}\n", body, hsig);
	if (n < 0 || n >= (int)sizeof(line))
		return MG_ERR_LIMIT;
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write it: %s", strerror(errno));
		/* A partial line would break the chain: take it back. */
		if (ftruncate(fd, (off_t)len) != 0)
			snprintf(err, errlen, "cannot write it, and a partial line remains");
		return MG_ERR_IO;
	}
	return 0;
}

int mg_erasure_log_append(const char *path, const struct mg_master_key *mk,
			  struct mg_erasure *e, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600), r;
	char why[512] = "";

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MG_ERR_IO;
	}
	if (flock(fd, LOCK_EX) != 0) {
		snprintf(err, errlen, "%s: cannot lock it: %s", path, strerror(errno));
		close(fd);
		return MG_ERR_IO;
	}
	if ((r = append_locked(fd, mk, e, why, sizeof(why))) != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	if (r == 0 && mg_file_sync_dir(path) != 0) {
		snprintf(err, errlen, "%s: cannot sync its folder", path);
		r = MG_ERR_IO;
	}
	close(fd);
	return r;
}
