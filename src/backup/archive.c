/* Backup files: a signed header, a payload sealed to the recovery key
 * (crypto_box_seal of a random file key, then XChaCha20-Poly1305
 * secretstream messages of at most MG_BACKUP_CHUNK_MAX bytes, each
 * bound to the header by its SHA-256 as associated data), a trailer. */
#include "backup/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

#define SEALED_KEY_BYTES (crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES)
#define STREAM_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define FRAME_MAX (MG_BACKUP_CHUNK_MAX + STREAM_ABYTES)
#define PAYLOAD_MIN (SEALED_KEY_BYTES + crypto_secretstream_xchacha20poly1305_HEADERBYTES + 4 + \
		     STREAM_ABYTES)

struct mg_backup_writer {
	int fd;
	char path[4096], tmp[4096 + 16];
	crypto_hash_sha256_state file_hash;
	crypto_secretstream_xchacha20poly1305_state stream;
	unsigned char ad[MG_BACKUP_SHA256_BYTES];	/* SHA-256 of the header */
	uint64_t payload_len;
	size_t fill;
	unsigned char chunk[MG_BACKUP_CHUNK_MAX];
	unsigned char frame[4 + FRAME_MAX];
};

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return MG_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *data, size_t len)
{
	unsigned char *p = data;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return MG_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Bytes of the file: hashed for the signature as they are written. */
static int emit(struct mg_backup_writer *w, const void *data, size_t len, bool payload)
{
	crypto_hash_sha256_update(&w->file_hash, data, len);
	if (payload)
		w->payload_len += len;
	return write_all(w->fd, data, len);
}

static int writer_start(struct mg_backup_writer *w, const struct mg_backup_manifest *m)
{
	unsigned char prefix[MG_BACKUP_PREFIX_BYTES], key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char sealed[SEALED_KEY_BYTES], header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	crypto_hash_sha256_state h;
	char *json = NULL;
	size_t len;
	int r;

	if ((r = mg_backup_manifest_encode(m, &json, &len)) != 0)
		return r;
	mg_backup_prefix_encode(len, prefix);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, prefix, sizeof(prefix));
	crypto_hash_sha256_update(&h, (const unsigned char *)json, len);
	crypto_hash_sha256_final(&h, w->ad);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(sealed, key, sizeof(key), m->recipient) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_push(&w->stream, header, key) != 0)
		r = MG_ERR_CRYPTO;
	sodium_memzero(key, sizeof(key));
	if (r == 0 && ((r = emit(w, prefix, sizeof(prefix), false)) != 0 ||
		       (r = emit(w, json, len, false)) != 0 ||
		       (r = emit(w, sealed, sizeof(sealed), true)) != 0))
		r = MG_ERR_IO;
	if (r == 0)
		r = emit(w, header, sizeof(header), true);
	free(json);
	return r;
}

int mg_backup_writer_open(const char *path, const struct mg_backup_manifest *m,
			  struct mg_backup_writer **out, char *err, size_t errlen)
{
	struct mg_backup_writer *w;
	int r;

	*out = NULL;
	if (strlen(path) >= sizeof(w->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return MG_ERR_LIMIT;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists; a backup never replaces a file", path);
		return MG_ERR_EXISTS;
	}
	if ((w = sodium_malloc(sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MG_ERR_NOMEM;
	}
	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp-XXXXXX", path);
	if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
		sodium_free(w);
		return MG_ERR_IO;
	}
	fchmod(w->fd, 0600);
	crypto_hash_sha256_init(&w->file_hash);
	if ((r = writer_start(w, m)) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", w->tmp, mg_strerror(r));
		mg_backup_writer_abort(w);
		return r;
	}
	*out = w;
	return 0;
}

static int push(struct mg_backup_writer *w, unsigned char tag)
{
	unsigned long long clen;
	size_t n;

	crypto_secretstream_xchacha20poly1305_push(&w->stream, w->frame + 4, &clen, w->chunk,
						   w->fill, w->ad, sizeof(w->ad), tag);
	n = (size_t)clen;
	w->frame[0] = (unsigned char)(n >> 24);
	w->frame[1] = (unsigned char)(n >> 16);
	w->frame[2] = (unsigned char)(n >> 8);
	w->frame[3] = (unsigned char)n;
	w->fill = 0;
	return emit(w, w->frame, 4 + n, true);
}

int mg_backup_writer_put(struct mg_backup_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	int r;

	while (len > 0) {
		size_t n = MG_BACKUP_CHUNK_MAX - w->fill;

		if (n > len)
			n = len;
		memcpy(w->chunk + w->fill, p, n);
		w->fill += n;
		p += n;
		len -= n;
		if (w->fill == MG_BACKUP_CHUNK_MAX &&
		    (r = push(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) != 0)
			return r;
	}
	return 0;
}

static int writer_finish(struct mg_backup_writer *w, const struct mg_master_key *mk)
{
	unsigned char digest[MG_BACKUP_SHA256_BYTES], msg[MG_BACKUP_SIGNED_BYTES];
	unsigned char sig[MG_BACKUP_SIGNATURE_BYTES], trailer[MG_BACKUP_TRAILER_BYTES];
	int r;

	if ((r = push(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL)) != 0)
		return r;
	crypto_hash_sha256_final(&w->file_hash, digest);
	mg_backup_signed_message(digest, msg);
	mg_audit_sign(mk, msg, sizeof(msg), sig);
	mg_backup_trailer_encode(w->payload_len, sig, trailer);
	if ((r = write_all(w->fd, trailer, sizeof(trailer))) != 0 || fsync(w->fd) != 0)
		return MG_ERR_IO;
	/* link() never replaces: a file made at path meanwhile stays. */
	if (link(w->tmp, w->path) != 0)
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	unlink(w->tmp);
	return mg_file_sync_dir(w->path);
}

int mg_backup_writer_close(struct mg_backup_writer *w, const struct mg_master_key *mk,
			   char *err, size_t errlen)
{
	int r = writer_finish(w, mk);

	if (r != 0)
		snprintf(err, errlen, "%s: %s", w->path,
			 r == MG_ERR_EXISTS ? "appeared meanwhile; not replaced" : strerror(errno));
	mg_backup_writer_abort(w);
	return r;
}

void mg_backup_writer_abort(struct mg_backup_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp);
	sodium_free(w);
}

struct mg_backup_reader {
	int fd;
	uint64_t size, payload_len;
	size_t header_len;
	unsigned char ad[MG_BACKUP_SHA256_BYTES];
	struct mg_backup_manifest m;
};

static int reader_header(struct mg_backup_reader *r, char *err, size_t errlen)
{
	unsigned char prefix[MG_BACKUP_PREFIX_BYTES];
	crypto_hash_sha256_state h;
	size_t mlen;
	char *json;
	int rc;

	if (r->size < MG_BACKUP_PREFIX_BYTES || read_all(r->fd, prefix, sizeof(prefix)) != 0) {
		snprintf(err, errlen, "not a medgate backup (too short)");
		return MG_ERR_INVALID;
	}
	if ((rc = mg_backup_prefix_parse(prefix, sizeof(prefix), &mlen, err, errlen)) != 0)
		return rc;
	if (r->size < MG_BACKUP_PREFIX_BYTES + mlen + PAYLOAD_MIN + MG_BACKUP_TRAILER_BYTES) {
		snprintf(err, errlen, "truncated: %llu bytes cannot hold the header, a payload and "
			 "the signature", (unsigned long long)r->size);
		return MG_ERR_INVALID;
	}
	if ((json = malloc(mlen)) == NULL)
		return MG_ERR_NOMEM;
	if (read_all(r->fd, json, mlen) != 0)
		rc = MG_ERR_IO;
	else
		rc = mg_backup_manifest_parse(json, mlen, &r->m, err, errlen);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, prefix, sizeof(prefix));
	crypto_hash_sha256_update(&h, (unsigned char *)json, mlen);
	crypto_hash_sha256_final(&h, r->ad);
	free(json);
	r->header_len = MG_BACKUP_PREFIX_BYTES + mlen;
	return rc;
}

int mg_backup_file_digest(int fd, uint64_t len, unsigned char digest[MG_BACKUP_SHA256_BYTES])
{
	const size_t bufsize = 1 << 16;
	unsigned char *buf = malloc(bufsize);
	crypto_hash_sha256_state h;
	off_t at = 0;

	if (buf == NULL)
		return MG_ERR_NOMEM;
	crypto_hash_sha256_init(&h);
	while (len > 0) {
		ssize_t got = pread(fd, buf, len < bufsize ? (size_t)len : bufsize, at);

		if (got <= 0) {
			free(buf);
			return MG_ERR_IO;
		}
		crypto_hash_sha256_update(&h, buf, (size_t)got);
		at += got;
		len -= (uint64_t)got;
	}
	free(buf);
	crypto_hash_sha256_final(&h, digest);
	return 0;
}

/* The trailer's length and signature against the whole file. */
static int reader_signature(struct mg_backup_reader *r, char *err, size_t errlen)
{
	unsigned char trailer[MG_BACKUP_TRAILER_BYTES], sig[MG_BACKUP_SIGNATURE_BYTES];
	unsigned char digest[MG_BACKUP_SHA256_BYTES], msg[MG_BACKUP_SIGNED_BYTES];
	uint64_t left = r->size - MG_BACKUP_TRAILER_BYTES;

	if (pread(r->fd, trailer, sizeof(trailer), (off_t)left) != (ssize_t)sizeof(trailer) ||
	    mg_backup_trailer_parse(trailer, &r->payload_len, sig) != 0) {
		snprintf(err, errlen, "truncated: the signature at the end is missing");
		return MG_ERR_INVALID;
	}
	if (r->payload_len != left - r->header_len) {
		snprintf(err, errlen, "truncated or extended: the payload is %llu bytes, the "
			 "trailer says %llu", (unsigned long long)(left - r->header_len),
			 (unsigned long long)r->payload_len);
		return MG_ERR_INVALID;
	}
	if (mg_backup_file_digest(r->fd, left, digest) != 0) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		return MG_ERR_IO;
	}
	mg_backup_signed_message(digest, msg);
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), r->m.signing_key) != 0) {
		snprintf(err, errlen, "the signature does not match: the file was changed");
		return MG_ERR_CRYPTO;
	}
	return 0;
}

int mg_backup_reader_open(const char *path, struct mg_backup_reader **out, char *err,
			  size_t errlen)
{
	struct mg_backup_reader *r;
	struct stat st;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MG_ERR_NOMEM;
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(r->fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		mg_backup_reader_free(r);
		return MG_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		mg_backup_reader_free(r);
		return MG_ERR_IO;
	}
	r->size = (uint64_t)st.st_size;
	if ((rc = reader_header(r, err, errlen)) != 0 ||
	    (rc = reader_signature(r, err, errlen)) != 0) {
		mg_backup_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

const struct mg_backup_manifest *mg_backup_reader_manifest(const struct mg_backup_reader *r)
{
	return &r->m;
}

void mg_backup_reader_free(struct mg_backup_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Where decryption stands: the part being filled and its hash. */
struct part_cursor {
	const struct mg_backup_manifest *m;
	size_t part;
	uint64_t got;
	crypto_hash_sha256_state h;
	mg_backup_part_fn fn;
	void *arg;
};

/* Finish every part that is complete (empty ones too): check its hash,
 * tell fn. */
static int parts_settle(struct part_cursor *c, char *err, size_t errlen)
{
	unsigned char digest[MG_BACKUP_SHA256_BYTES];
	int rc;

	while (c->part < c->m->nparts && c->got == c->m->parts[c->part].size) {
		const struct mg_backup_part *p = &c->m->parts[c->part];

		crypto_hash_sha256_final(&c->h, digest);
		if (sodium_memcmp(digest, p->sha256, sizeof(digest)) != 0) {
			snprintf(err, errlen, "part %s: its SHA-256 differs from the manifest's",
				 p->name);
			return MG_ERR_INVALID;
		}
		if ((rc = c->fn(c->arg, p, NULL, 0, true)) != 0) {
			snprintf(err, errlen, "part %s: %s", p->name, mg_strerror(rc));
			return rc;
		}
		c->part++;
		c->got = 0;
		crypto_hash_sha256_init(&c->h);
	}
	return 0;
}

static int parts_feed(struct part_cursor *c, const unsigned char *data, size_t len, char *err,
		      size_t errlen)
{
	int rc;

	if ((rc = parts_settle(c, err, errlen)) != 0)
		return rc;
	while (len > 0) {
		const struct mg_backup_part *p;
		uint64_t want;
		size_t n;

		if (c->part >= c->m->nparts) {
			snprintf(err, errlen, "the payload holds more than the manifest's parts");
			return MG_ERR_INVALID;
		}
		p = &c->m->parts[c->part];
		want = p->size - c->got;
		n = want < len ? (size_t)want : len;
		crypto_hash_sha256_update(&c->h, data, n);
		if ((rc = c->fn(c->arg, p, data, n, false)) != 0) {
			snprintf(err, errlen, "part %s: %s", p->name, mg_strerror(rc));
			return rc;
		}
		c->got += n;
		data += n;
		len -= n;
		if ((rc = parts_settle(c, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

static int stream_open(struct mg_backup_reader *r, const unsigned char *sk,
		       crypto_secretstream_xchacha20poly1305_state *st, char *err, size_t errlen)
{
	unsigned char pk[MG_BACKUP_KEY_BYTES], sealed[SEALED_KEY_BYTES];
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	int rc = 0;

	crypto_scalarmult_base(pk, sk);
	if (sodium_memcmp(pk, r->m.recipient, sizeof(pk)) != 0) {
		snprintf(err, errlen, "wrong key: this backup was sealed to another recovery key");
		return MG_ERR_CRYPTO;
	}
	if (lseek(r->fd, (off_t)r->header_len, SEEK_SET) < 0 ||
	    read_all(r->fd, sealed, sizeof(sealed)) != 0 || read_all(r->fd, header, sizeof(header)) != 0)
		return MG_ERR_IO;
	if (crypto_box_seal_open(key, sealed, sizeof(sealed), pk, sk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(st, header, key) != 0) {
		snprintf(err, errlen, "the key does not open this backup's sealed file key");
		rc = MG_ERR_CRYPTO;
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

int mg_backup_reader_decrypt(struct mg_backup_reader *r, const unsigned char *secret_key,
			     mg_backup_part_fn fn, void *arg,
			     void (*progress)(void *arg, uint64_t done, uint64_t total),
			     char *err, size_t errlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	struct part_cursor c = { .m = &r->m, .fn = fn, .arg = arg };
	uint64_t left = r->payload_len - SEALED_KEY_BYTES -
			crypto_secretstream_xchacha20poly1305_HEADERBYTES;
	unsigned char *frame = NULL, *plain = NULL, lenbuf[4], tag = 0;
	int rc;

	crypto_hash_sha256_init(&c.h);
	if ((rc = stream_open(r, secret_key, &st, err, errlen)) != 0)
		return rc;
	if ((frame = malloc(FRAME_MAX)) == NULL || (plain = sodium_malloc(MG_BACKUP_CHUNK_MAX)) == NULL) {
		rc = MG_ERR_NOMEM;
		goto out;
	}
	while (left > 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		unsigned long long plen;
		size_t n;

		if (left < 4 || read_all(r->fd, lenbuf, 4) != 0)
			goto broken;
		n = (size_t)lenbuf[0] << 24 | (size_t)lenbuf[1] << 16 | (size_t)lenbuf[2] << 8 | lenbuf[3];
		left -= 4;
		if (n < STREAM_ABYTES || n > FRAME_MAX || n > left || read_all(r->fd, frame, n) != 0)
			goto broken;
		left -= n;
		if (crypto_secretstream_xchacha20poly1305_pull(&st, plain, &plen, &tag, frame, n,
							       r->ad, sizeof(r->ad)) != 0) {
			snprintf(err, errlen, "the payload was changed (a message does not "
					      "authenticate)");
			rc = MG_ERR_CRYPTO;
			goto out;
		}
		if ((rc = parts_feed(&c, plain, (size_t)plen, err, errlen)) != 0)
			goto out;
		if (progress != NULL)
			progress(arg, r->payload_len - left, r->payload_len);
	}
	if (left != 0 || tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		goto broken;
	if ((rc = parts_settle(&c, err, errlen)) != 0)
		goto out;
	if (c.part != r->m.nparts) {
		snprintf(err, errlen, "the payload ends before the manifest's parts do");
		rc = MG_ERR_INVALID;
	}
	goto out;
broken:
	snprintf(err, errlen, "the payload's framing is broken (truncated or changed)");
	rc = MG_ERR_INVALID;
out:
	free(frame);
	if (plain != NULL)
		sodium_free(plain);
	sodium_memzero(&st, sizeof(st));
	return rc;
}
