/* The backup file format (docs/backup.md): a header anyone can read
 * (magic, format version, the manifest as JSON), the payload sealed to
 * the recovery public key, and a trailer with the instance's Ed25519
 * signature over the SHA-256 of everything before it. These functions
 * only encode and parse; they read no files (fuzz/fuzz_backup_header.c). */
#ifndef MG_BACKUP_FORMAT_H
#define MG_BACKUP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_BACKUP_MAGIC		"MGBACKUP"	/* 8 bytes, no NUL in the file */
#define MG_BACKUP_MAGIC_LEN	8
#define MG_BACKUP_FORMAT	1
#define MG_BACKUP_PREFIX_BYTES	14		/* magic, version (2), manifest length (4) */
#define MG_BACKUP_MANIFEST_MAX	(64 * 1024)
#define MG_BACKUP_PARTS_MAX	64
#define MG_BACKUP_PART_NAME_MAX	128
#define MG_BACKUP_PART_SIZE_MAX	(1ULL << 44)	/* 16 TiB: a store, never more */
#define MG_BACKUP_CHUNK_MAX	(64 * 1024)	/* plaintext bytes per stream message */
#define MG_BACKUP_KEY_BYTES	32		/* X25519 public or secret key */
#define MG_BACKUP_SHA256_BYTES	32
#define MG_BACKUP_SIGNATURE_BYTES 64
#define MG_BACKUP_TRAILER_MAGIC	"MGBKSIG1"
#define MG_BACKUP_TRAILER_BYTES	(8 + 8 + MG_BACKUP_SIGNATURE_BYTES)
#define MG_BACKUP_INSTANCE_ID_LEN 16

/* The store part's name per back end, restored to the configured store. */
#define MG_BACKUP_PART_SQLITE	"store.sqlite"
#define MG_BACKUP_PART_PGDUMP	"store.pgdump"
#define MG_BACKUP_PART_CONFIG	"medgate.conf"
/* The instance CA's key, where medgatectl init puts it; root's alone, so
 * only in backups root made (docs/backup.md). */
#define MG_BACKUP_PART_CA_KEY	"keys/ca.key"

struct mg_backup_part {
	char name[MG_BACKUP_PART_NAME_MAX + 1];	/* relative path, checked */
	uint64_t size;
	unsigned char sha256[MG_BACKUP_SHA256_BYTES];
};

struct mg_backup_manifest {
	unsigned format;
	char instance_id[MG_BACKUP_INSTANCE_ID_LEN + 1];
	int schema_version;
	int64_t seq;		/* the backup.create record on the audit trail */
	int64_t created_ms;
	char storage[16];	/* "sqlite" or "postgresql" */
	unsigned char signing_key[32];	/* the instance's Ed25519 public key */
	unsigned char recipient[MG_BACKUP_KEY_BYTES];	/* recovery public key */
	size_t nparts;
	struct mg_backup_part parts[MG_BACKUP_PARTS_MAX];
};

/* Whether name may name a part: 1 to MG_BACKUP_PART_NAME_MAX bytes of
 * [A-Za-z0-9._-] in at most two '/'-separated components, none empty,
 * none starting with '.'. Restores write parts under a folder by this
 * name, so nothing may climb out of it. */
bool mg_backup_part_name_ok(const char *name);

/* The manifest as compact JSON text (the caller frees *out). Returns 0,
 * MG_ERR_NOMEM or MG_ERR_LIMIT (longer than MG_BACKUP_MANIFEST_MAX). */
int mg_backup_manifest_encode(const struct mg_backup_manifest *m, char **out, size_t *len);

/* Parse and check manifest JSON of len bytes. Returns 0 or MG_ERR_INVALID
 * with the reason in err. */
int mg_backup_manifest_parse(const char *text, size_t len, struct mg_backup_manifest *out,
			     char *err, size_t errlen);

/* The fixed prefix for a manifest of manifest_len bytes. */
void mg_backup_prefix_encode(size_t manifest_len, unsigned char out[MG_BACKUP_PREFIX_BYTES]);

/* Check the prefix (len >= MG_BACKUP_PREFIX_BYTES bytes at buf): magic,
 * a known format version, a manifest length within bounds. Returns 0 with
 * *manifest_len set, or MG_ERR_INVALID with the reason in err. */
int mg_backup_prefix_parse(const unsigned char *buf, size_t len, size_t *manifest_len,
			   char *err, size_t errlen);

/* The trailer: magic, the payload length (bytes between the header and
 * the trailer), the signature. parse: 0 or MG_ERR_INVALID. */
void mg_backup_trailer_encode(uint64_t payload_len, const unsigned char *sig,
			      unsigned char out[MG_BACKUP_TRAILER_BYTES]);
int mg_backup_trailer_parse(const unsigned char in[MG_BACKUP_TRAILER_BYTES],
			    uint64_t *payload_len, unsigned char *sig);

/* What is signed: a context string and the file's SHA-256 up to the
 * trailer, so a signature cannot be taken for another kind of message. */
#define MG_BACKUP_SIGNED_BYTES (24 + MG_BACKUP_SHA256_BYTES)
void mg_backup_signed_message(const unsigned char digest[MG_BACKUP_SHA256_BYTES],
			      unsigned char out[MG_BACKUP_SIGNED_BYTES]);

#endif
