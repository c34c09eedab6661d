#include "access/totp.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>

#include "common/err.h"
#include "common/hex.h"

#define CODE_TYPED_MAX	32	/* a typed TOTP code, spaces included */
#define RECOVERY_TYPED_MAX 64	/* a typed recovery code, separators included */
#define RECOVERY_CHARS	12	/* characters of a recovery code without dashes */
#define QR_QUIET_ZONE	4	/* modules of white around the code (ISO 18004) */
#define QR_MODULE_PX	6	/* default drawing size of one module */

/* Lower case letters and digits that cannot be mistaken for one another:
 * no i, l, o, 0, 1. 31 symbols, 12 of them: 59 bits. */
static const char recovery_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

/* Keyed hashes of recovery codes are kept apart from those of other
 * tokens (mg_token_hash) by this prefix. */
static const char recovery_hash_prefix[] = "medgate recovery code v1:";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_OK;

static void oath_start(void)
{
	oath_status = oath_init();
}

int mg_totp_secret_new(unsigned char secret[MG_TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, MG_TOTP_SECRET_BYTES);
	return 0;
}

int mg_totp_base32(const unsigned char *secret, size_t len, char *out, size_t outlen)
{
	char *enc = NULL;
	size_t enclen = 0, need = (len * 8 + 4) / 5;
	int r;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < need + 1 || len > MG_TOTP_SECRET_MAX)
		return MG_ERR_LIMIT;
	if (len == 0)
		return 0;
	if (oath_base32_encode((const char *)secret, len, &enc, &enclen) != OATH_OK)
		return MG_ERR_NOMEM;
	/* liboath pads with '=' to a multiple of eight; apps want none. */
	if (enclen < need) {
		r = MG_ERR_INVALID;
		goto out;
	}
	memcpy(out, enc, need);
	out[need] = '\0';
	r = 0;
out:
	sodium_memzero(enc, enclen);
	free(enc);
	return r;
}

/* The digits of a typed code without its spaces, into digits (6 + NUL).
 * Returns 0 or MG_ERR_DENIED. */
static int code_digits(const char *code, char digits[MG_TOTP_DIGITS + 1])
{
	size_t i, n = 0, len = strnlen(code, CODE_TYPED_MAX + 1);

	if (len > CODE_TYPED_MAX)
		return MG_ERR_DENIED;
	for (i = 0; i < len; i++) {
		if (code[i] == ' ')
			continue;
		if (code[i] < '0' || code[i] > '9' || n == MG_TOTP_DIGITS)
			return MG_ERR_DENIED;
		digits[n++] = code[i];
	}
	digits[n] = '\0';
	return n == MG_TOTP_DIGITS ? 0 : MG_ERR_DENIED;
}

int mg_totp_check(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
		  int64_t *step_out)
{
	static const int offsets[] = { 0, -1, 1 };
	char digits[MG_TOTP_DIGITS + 1], expected[MG_TOTP_DIGITS + 1];
	int64_t step, matched = -1;
	size_t i;
	int r = MG_ERR_DENIED;

	*step_out = 0;
	if (len == 0 || len > MG_TOTP_SECRET_MAX || now_s < 0 ||
	    now_s > INT64_MAX - 2 * MG_TOTP_STEP_SECONDS)
		return MG_ERR_DENIED;
	if (pthread_once(&oath_once, oath_start) != 0 || oath_status != OATH_OK)
		return MG_ERR_DENIED;
	if (code_digits(code, digits) != 0)
		return MG_ERR_DENIED;
	/* All three steps are computed and compared, matching or not, so the
	 * time taken does not tell which one matched. */
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		step = now_s / MG_TOTP_STEP_SECONDS + offsets[i];
		if (step < 0)
			continue;
		if (oath_totp_generate((const char *)secret, len,
				       (time_t)(step * MG_TOTP_STEP_SECONDS),
				       MG_TOTP_STEP_SECONDS, OATH_TOTP_DEFAULT_START_TIME,
				       MG_TOTP_DIGITS, expected) != OATH_OK)
			goto out;
		if (sodium_memcmp(expected, digits, MG_TOTP_DIGITS) == 0 && matched < 0)
			matched = step;
	}
	if (matched >= 0) {
		*step_out = matched;
		r = 0;
	}
out:
	sodium_memzero(expected, sizeof(expected));
	sodium_memzero(digits, sizeof(digits));
	return r;
}

/* A bounded text writer: counts only while p is NULL, fails on overflow. */
struct text_out {
	char *p;
	size_t len, cap;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void out_printf(struct text_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p != NULL ? o->p + o->len : NULL, o->p != NULL ? o->cap - o->len : 0,
		      fmt, ap);
	va_end(ap);
	if (n < 0 || (o->p != NULL && (size_t)n >= o->cap - o->len)) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

/* Percent-encode s (RFC 3986: everything but unreserved characters). */
static void out_percent(struct text_out *o, const char *s)
{
	const unsigned char *c;
	char hex[2];

	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			out_printf(o, "%c", *c);
		else {
			mg_hex_byte(*c, MG_HEX_UPPER, hex);
			out_printf(o, "%%%.2s", hex);
		}
	}
}

static bool label_ok(const char *s)
{
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f || *c == ':')
			return false;
	return true;
}

int mg_totp_uri(const char *issuer, const char *account, const char *base32, char *out,
		size_t outlen)
{
	struct text_out o = { .p = out, .cap = outlen };

	if (outlen > 0)
		out[0] = '\0';
	if (outlen == 0)
		return MG_ERR_LIMIT;
	if (account[0] == '\0' || !label_ok(account) || !label_ok(issuer) || base32[0] == '\0')
		return MG_ERR_INVALID;
	if (strspn(base32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != strlen(base32))
		return MG_ERR_INVALID;
	out_printf(&o, "otpauth://totp/");
	if (issuer[0] != '\0') {
		out_percent(&o, issuer);
		out_printf(&o, ":");
	}
	out_percent(&o, account);
	out_printf(&o, "?secret=%s", base32);
	if (issuer[0] != '\0') {
		out_printf(&o, "&issuer=");
		out_percent(&o, issuer);
	}
	out_printf(&o, "&algorithm=SHA1&digits=%d&period=%d", MG_TOTP_DIGITS, MG_TOTP_STEP_SECONDS);
	if (o.overflow) {
		out[0] = '\0';
		return MG_ERR_LIMIT;
	}
	return 0;
}

/* Draw qr into o: one rectangle per horizontal run of dark modules. */
static void qr_draw(const QRcode *qr, struct text_out *o)
{
	const int size = qr->width + 2 * QR_QUIET_ZONE;
	int x, y, run = 0;

	out_printf(o,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		   "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
		   "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><g fill=\"#000\">",
		   size, size, size * QR_MODULE_PX, size * QR_MODULE_PX, size, size);
	for (y = 0; y < qr->width; y++) {
		for (x = 0; x < qr->width; x += run > 0 ? run : 1) {
			for (run = 0; x + run < qr->width &&
				      (qr->data[y * qr->width + x + run] & 1) != 0; run++)
				;
			if (run > 0)
				out_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>",
					   x + QR_QUIET_ZONE, y + QR_QUIET_ZONE, run);
		}
	}
	out_printf(o, "</g></svg>");
}

int mg_qr_svg(const char *text, char **svg_out)
{
	struct text_out o = { 0 };
	QRcode *qr;
	int r;

	*svg_out = NULL;
	if (strnlen(text, MG_QR_TEXT_MAX + 1) > MG_QR_TEXT_MAX)
		return MG_ERR_LIMIT;
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return errno == ENOMEM ? MG_ERR_NOMEM : errno == ERANGE ? MG_ERR_LIMIT
									 : MG_ERR_INVALID;
	qr_draw(qr, &o);	/* first pass: measure */
	if (o.overflow) {
		r = MG_ERR_INVALID;
		goto out;
	}
	o.cap = o.len + 1;
	o.len = 0;
	if ((o.p = malloc(o.cap)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	qr_draw(qr, &o);
	if (o.overflow) {
		free(o.p);
		r = MG_ERR_INVALID;
		goto out;
	}
	*svg_out = o.p;
	r = 0;
out:
	QRcode_free(qr);
	return r;
}

static void recovery_hash(const struct mg_master_key *mk, const char *normalized,
			  unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	char text[sizeof(recovery_hash_prefix) + RECOVERY_CHARS];

	memcpy(text, recovery_hash_prefix, sizeof(recovery_hash_prefix) - 1);
	memcpy(text + sizeof(recovery_hash_prefix) - 1, normalized, RECOVERY_CHARS);
	mg_token_hash(mk, text, sizeof(recovery_hash_prefix) - 1 + RECOVERY_CHARS, hash);
	sodium_memzero(text, sizeof(text));
}

int mg_recovery_codes_new(const struct mg_master_key *mk, size_t n,
			  char (*codes)[MG_RECOVERY_CODE_LEN + 1],
			  unsigned char (*hashes)[MG_TOKEN_HASH_BYTES])
{
	char plain[RECOVERY_CHARS];
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		for (j = 0, k = 0; j < RECOVERY_CHARS; j++) {
			plain[j] = recovery_alphabet[randombytes_uniform(
				(uint32_t)(sizeof(recovery_alphabet) - 1))];
			if (j > 0 && j % 4 == 0)
				codes[i][k++] = '-';
			codes[i][k++] = plain[j];
		}
		codes[i][k] = '\0';
		recovery_hash(mk, plain, hashes[i]);
	}
	sodium_memzero(plain, sizeof(plain));
	return 0;
}

int mg_recovery_code_hash(const struct mg_master_key *mk, const char *typed,
			  unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	char plain[RECOVERY_CHARS], c;
	size_t i, n = 0, len = strnlen(typed, RECOVERY_TYPED_MAX + 1);
	int r = MG_ERR_INVALID;

	memset(hash, 0, MG_TOKEN_HASH_BYTES);
	if (len > RECOVERY_TYPED_MAX)
		return MG_ERR_INVALID;
	for (i = 0; i < len; i++) {
		c = typed[i];
		if (c == ' ' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n == RECOVERY_CHARS || strchr(recovery_alphabet, c) == NULL)
			goto out;
		plain[n++] = c;
	}
	if (n != RECOVERY_CHARS)
		goto out;
	recovery_hash(mk, plain, hash);
	r = 0;
out:
	sodium_memzero(plain, sizeof(plain));
	return r;
}
