/* Signed firmware manifests (docs/device-api.md, "Firmware"): a small,
 * strict text that a device maker signs with Ed25519, in the spirit of TUF
 * and RFC 9124 (SUIT). The gateway checks it at import, the device again
 * before it installs. Exactly these lines, in this order, each ending in
 * "\n", nothing before, between or after:
 *
 *	medgate-firmware-manifest 1
 *	model=acme-s100
 *	version=2.4.1
 *	sequence=7
 *	size=123456
 *	sha256=<64 lower-case hex digits>
 *	expires=2027-06-30T00:00:00Z
 *	signature=<128 lower-case hex digits>
 *
 * The signature is Ed25519 (detached) over the bytes of all lines before
 * the signature line. The sequence number orders releases of a model
 * (rollback protection); the version is a label for people. Pure
 * functions (libsodium for SHA-256 and Ed25519). */
#ifndef MG_MODEL_FIRMWARE_MANIFEST_H
#define MG_MODEL_FIRMWARE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define MG_FIRMWARE_MANIFEST_MAX 1024			/* bytes of a manifest */
#define MG_FIRMWARE_IMAGE_MAX	 (16 * 1024 * 1024)	/* bytes of an image */
#define MG_FIRMWARE_SEQUENCE_MAX 9007199254740991LL	/* 2^53 - 1 */
#define MG_FIRMWARE_SHA256_LEN	 64			/* hex digits */
#define MG_FIRMWARE_KEY_LEN	 32			/* Ed25519 public key bytes */
#define MG_FIRMWARE_SIG_LEN	 64			/* Ed25519 signature bytes */
#define MG_FIRMWARE_MAGIC	 "medgate-firmware-manifest 1\n"

struct mg_firmware_manifest {
	char model[MG_MODEL_MAX + 1];
	char version[MG_FIRMWARE_MAX + 1];
	int64_t sequence;				/* 1..MG_FIRMWARE_SEQUENCE_MAX */
	int64_t size;					/* 1..MG_FIRMWARE_IMAGE_MAX */
	char sha256[MG_FIRMWARE_SHA256_LEN + 1];	/* lower-case hex */
	int64_t expires_ms;				/* Unix ms */
	unsigned char signature[MG_FIRMWARE_SIG_LEN];
	size_t signed_len;	/* bytes of the text the signature covers */
};

/* Parse the manifest text of len bytes into *out (cleared first). Returns
 * 0, or MG_ERR_INVALID / MG_ERR_LIMIT with the reason in err (naming the
 * line). Checks form only: verify the signature with the next call. */
int mg_firmware_manifest_parse(const char *text, size_t len, struct mg_firmware_manifest *out,
			       char *err, size_t errlen);

/* Whether m's signature over the first m->signed_len bytes of text (the
 * text m was parsed from) verifies with the maker's public key. Returns 0
 * or MG_ERR_DENIED. */
int mg_firmware_manifest_verify(const struct mg_firmware_manifest *m, const char *text,
				const unsigned char key[MG_FIRMWARE_KEY_LEN]);

/* Whether image (len bytes) is the one m names: its size and SHA-256.
 * Returns 0, or MG_ERR_INVALID with the reason in err. */
int mg_firmware_image_check(const struct mg_firmware_manifest *m, const void *image, size_t len,
			    char *err, size_t errlen);

/* The lower-case hex SHA-256 of len bytes at data into out. */
void mg_firmware_sha256_hex(const void *data, size_t len,
			    char out[MG_FIRMWARE_SHA256_LEN + 1]);

/* An Ed25519 public key written as 64 hex digits (surrounding blanks and
 * one final newline allowed) into key. Returns 0 or MG_ERR_INVALID. */
int mg_firmware_key_parse(const char *text, size_t len, unsigned char key[MG_FIRMWARE_KEY_LEN]);

#endif
