/* medgatectl firmware import|keygen|sign: signed device firmware with
 * rollback protection (docs/device-api.md, "Firmware"). import checks a
 * maker's manifest against the model's keys ([devices] firmware_keys), the
 * image against the manifest, and the sequence against every release of
 * the model, then stores both for the device port. keygen and sign are the
 * maker's side, for tests and small makers: the signing key never belongs
 * on a gateway. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/timefmt.h"
#include "model/device_model.h"
#include "model/firmware_manifest.h"

#define KEYS_FILE_MAX (64 * 1024)

static int firmware_usage(FILE *f)
{
	fprintf(f, "usage: medgatectl -c CONF firmware import --model M --version V --sequence N\n"
		   "           --image FILE --manifest FILE\n"
		   "       medgatectl -c CONF firmware list\n"
		   "       medgatectl firmware keygen --secret FILE --public FILE\n"
		   "       medgatectl firmware sign --key SECRET --model M --version V --sequence N\n"
		   "           --image FILE --expires RFC3339 [--out FILE]\n");
	return f == stdout ? 0 : 2;
}

/* The options named in names (NULL-terminated) into values; any other
 * argument, a missing one or one given twice is a usage error. */
static int options_get(int argc, char **argv, const char *const *names, const char **values,
		       size_t nrequired)
{
	bool bad = false;
	size_t n = 0, i;

	for (i = 0; names[i] != NULL; i++) {
		values[i] = cli_option(argc, argv, names[i], &bad);
		if (values[i] != NULL)
			n++;
		else if (i < nrequired)
			bad = true;
	}
	return bad || (size_t)argc != 1 + 2 * n ? -1 : 0;
}

/* A file named on the command line, read whole, with its name in errors. */
static int file_get(const char *path, size_t max, char **data, size_t *len)
{
	int r = mg_file_read(path, max, data, len);

	if (r != 0)
		fprintf(stderr, "medgatectl: %s: %s\n", path,
			r == MG_ERR_LIMIT ? "too large" : mg_strerror(r));
	return r;
}

/* Whether a key of model in the keys file (lines "MODEL HEXKEY", # for
 * comments) verifies m. Returns 0, MG_ERR_NOT_FOUND (no key for model),
 * MG_ERR_DENIED (no key verifies), or MG_ERR_CONFIG and the like with a
 * message printed (the file unreadable, changeable by others, malformed). */
static int keys_verify(struct cli *cli, const struct mg_firmware_manifest *m,
		       const char *manifest)
{
	char path[MG_PATH_MAX], *text = NULL, *line, *next;
	unsigned char key[MG_FIRMWARE_KEY_LEN];
	struct stat st;
	size_t len;
	unsigned lineno = 0;
	int r;

	if (cli->cfg.firmware_keys[0] == '\0') {
		fprintf(stderr, "medgatectl: firmware import: no maker keys configured "
				"([devices] firmware_keys)\n");
		return MG_ERR_CONFIG;
	}
	if ((r = mg_config_path(&cli->cfg, cli->cfg.firmware_keys, path, sizeof(path))) != 0 ||
	    (r = file_get(path, KEYS_FILE_MAX, &text, &len)) != 0)
		return r == 0 ? MG_ERR_CONFIG : r;
	if (stat(path, &st) != 0 || (st.st_mode & 022) != 0) {
		fprintf(stderr, "medgatectl: %s: writable by group or others: the maker keys must "
				"be changeable by their owner only (chmod go-w)\n", path);
		r = MG_ERR_CONFIG;
		goto out;
	}
	r = MG_ERR_NOT_FOUND;
	for (line = text; line != NULL; line = next) {
		char *sp;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		line += strspn(line, " \t");
		if (*line == '#' || *line == '\0')
			continue;
		if ((sp = strpbrk(line, " \t")) == NULL) {
			fprintf(stderr, "medgatectl: %s: line %u: expected MODEL HEXKEY\n", path,
				lineno);
			r = MG_ERR_CONFIG;
			goto out;
		}
		*sp++ = '\0';
		if (!mg_model_name_valid(line) || mg_firmware_key_parse(sp, strlen(sp), key) != 0) {
			fprintf(stderr, "medgatectl: %s: line %u: expected MODEL and a key of 64 hex "
					"digits\n", path, lineno);
			r = MG_ERR_CONFIG;
			goto out;
		}
		/* Read to the end: a malformed line anywhere is an error. */
		if (strcmp(line, m->model) != 0 || r == 0)
			continue;
		r = mg_firmware_manifest_verify(m, manifest, key) == 0 ? 0 : MG_ERR_DENIED;
	}
out:
	free(text);
	return r;
}

/* The command line must say what the manifest says: an operator who
 * imports "2.4.1, sequence 7" gets exactly that or a refusal. */
static int args_match(const struct mg_firmware_manifest *m, const char *model,
		      const char *version, const char *sequence)
{
	long long n;

	if (strcmp(model, m->model) != 0 || strcmp(version, m->version) != 0 ||
	    cli_parse_int(sequence, 1, MG_FIRMWARE_SEQUENCE_MAX, &n) != 0 || n != m->sequence) {
		fprintf(stderr,
			"medgatectl: firmware import refused: the manifest is for model %s, "
			"version %s, sequence %lld, not what the command line says\n",
			m->model, m->version, (long long)m->sequence);
		return -1;
	}
	return 0;
}

static void refuse(struct cli *cli, const char *details, const char *why)
{
	fprintf(stderr, "medgatectl: firmware import refused: %s\n", why);
	cli_record(cli, "firmware.import", NULL, 0, 0, MG_AUDIT_DENIED, details);
}

static int firmware_import(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--model", "--version", "--sequence", "--image",
					     "--manifest", NULL };
	const char *v[6];
	struct mg_firmware_manifest m;
	struct mg_firmware_release rel;
	char *image = NULL, *manifest = NULL, err[256], details[384], why[320];
	size_t ilen, mlen;
	int64_t highest;
	int status = 1, r;

	if (options_get(argc, argv, names, v, 5) != 0)
		return firmware_usage(stderr);
	/* Read before cli_open: with the caller's rights, not the service's. */
	if (file_get(v[4], MG_FIRMWARE_MANIFEST_MAX, &manifest, &mlen) != 0 ||
	    file_get(v[3], MG_FIRMWARE_IMAGE_MAX, &image, &ilen) != 0)
		goto out;
	if (mg_firmware_manifest_parse(manifest, mlen, &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", v[4], err);
		goto out;
	}
	if (args_match(&m, v[0], v[1], v[2]) != 0 || cli_open(cli, true) != 0)
		goto out;
	snprintf(details, sizeof(details),
		 "{\"model\":\"%s\",\"version\":\"%s\",\"sequence\":%lld,\"sha256\":\"%s\"}",
		 m.model, m.version, (long long)m.sequence, m.sha256);
	if (cli->cfg.device_models[0] != '\0') {
		struct mg_model_list models;

		if (mg_model_list_parse(cli->cfg.device_models, &models, err, sizeof(err)) != 0) {
			fprintf(stderr, "medgatectl: %s\n", err);
			goto out;
		}
		if (mg_model_list_find(&models, m.model) == NULL) {
			snprintf(why, sizeof(why), "unknown model %s (not in [devices] models)",
				 m.model);
			refuse(cli, details, why);
			goto out;
		}
	}
	if ((r = keys_verify(cli, &m, manifest)) != 0) {
		if (r == MG_ERR_NOT_FOUND) {
			snprintf(why, sizeof(why), "unknown model %s (no maker key for it in "
				 "[devices] firmware_keys)", m.model);
			refuse(cli, details, why);
		} else if (r == MG_ERR_DENIED) {
			refuse(cli, details, "bad signature: no maker key of the model verifies "
					     "the manifest");
		}
		goto out;
	}
	if (mg_firmware_image_check(&m, image, ilen, err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "wrong image: %s", err);
		refuse(cli, details, why);
		goto out;
	}
	if (m.expires_ms <= mg_now_ms()) {
		refuse(cli, details, "the manifest has expired");
		goto out;
	}
	memset(&rel, 0, sizeof(rel));
	memcpy(rel.model, m.model, sizeof(rel.model));
	memcpy(rel.version, m.version, sizeof(rel.version));
	memcpy(rel.sha256, m.sha256, sizeof(rel.sha256));
	memcpy(rel.manifest, manifest, mlen);
	rel.sequence = m.sequence;
	rel.size = m.size;
	rel.expires_ms = m.expires_ms;
	rel.imported_ms = mg_now_ms();
	if (cli_record(cli, "firmware.import", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		goto out;
	if ((r = mg_store_firmware_put(cli->store, &rel, image, &highest)) != 0) {
		if (r == MG_ERR_CONFLICT)
			fprintf(stderr, "medgatectl: firmware import refused: rollback: sequence "
					"%lld is not higher than %lld, the highest imported for "
					"model %s\n", (long long)m.sequence, (long long)highest,
				m.model);
		else
			fprintf(stderr, "medgatectl: cannot store the firmware: %s\n",
				mg_strerror(r));
		cli_record(cli, "firmware.import", NULL, 0, 0,
			   r == MG_ERR_CONFLICT ? MG_AUDIT_DENIED : MG_AUDIT_FAILURE, details);
		goto out;
	}
	printf("imported firmware %s for model %s (sequence %lld, %lld bytes, sha256 %s)\n",
	       m.version, m.model, (long long)m.sequence, (long long)m.size, m.sha256);
	status = 0;
out:
	free(image);
	free(manifest);
	return status;
}

static int firmware_keygen(int argc, char **argv)
{
	static const char *const names[] = { "--secret", "--public", NULL };
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char skhex[MG_HEX_TEXT_LEN(sizeof(sk)) + 1], pkhex[MG_HEX_TEXT_LEN(sizeof(pk)) + 1];
	const char *v[2];
	int r;

	if (options_get(argc, argv, names, v, 2) != 0)
		return firmware_usage(stderr);
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	mg_hex_encode(sk, sizeof(sk), MG_HEX_LOWER, skhex, sizeof(skhex));
	mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, pkhex, sizeof(pkhex));
	memcpy(skhex + 2 * sizeof(sk), "\n", 2);	/* each file ends in a newline */
	memcpy(pkhex + 2 * sizeof(pk), "\n", 2);
	sodium_memzero(sk, sizeof(sk));
	r = mg_file_create(v[0], skhex, strlen(skhex), 0600);
	sodium_memzero(skhex, sizeof(skhex));
	if (r != 0 || (r = mg_file_create(v[1], pkhex, strlen(pkhex), 0644)) != 0) {
		fprintf(stderr, "medgatectl: firmware keygen: %s\n", r == MG_ERR_EXISTS
			? "a key file exists already (never overwritten)" : mg_strerror(r));
		return 1;
	}
	printf("%s", pkhex);
	return 0;
}

static int firmware_sign(int argc, char **argv)
{
	static const char *const names[] = { "--key", "--model", "--version", "--sequence",
					     "--image", "--expires", "--out", NULL };
	unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	char text[MG_FIRMWARE_MANIFEST_MAX + 1], hash[MG_FIRMWARE_SHA256_LEN + 1];
	char sighex[MG_HEX_TEXT_LEN(sizeof(sig))], err[256];
	char *key = NULL, *image = NULL;
	const char *v[7];
	struct mg_firmware_manifest m;
	size_t klen, ilen;
	int64_t expires;
	int n, status = 1;

	if (options_get(argc, argv, names, v, 6) != 0)
		return firmware_usage(stderr);
	if (sodium_init() < 0 || file_get(v[0], 1024, &key, &klen) != 0 ||
	    file_get(v[4], MG_FIRMWARE_IMAGE_MAX, &image, &ilen) != 0)
		goto out;
	while (klen > 0 && key[klen - 1] == '\n')
		klen--;
	if (mg_hex_decode(key, klen, sk, sizeof(sk), NULL) != 0 || klen != 2 * sizeof(sk)) {
		fprintf(stderr, "medgatectl: %s: not a secret key (128 hex digits)\n", v[0]);
		goto out;
	}
	if (mg_time_parse(v[5], &expires) != 0) {
		fprintf(stderr, "medgatectl: --expires: an RFC 3339 date-time\n");
		goto out;
	}
	mg_firmware_sha256_hex(image, ilen, hash);
	n = snprintf(text, sizeof(text),
		     MG_FIRMWARE_MAGIC "model=%s\nversion=%s\nsequence=%s\nsize=%zu\nsha256=%s\n"
				       "expires=%s\n",
		     v[1], v[2], v[3], ilen, hash, v[5]);
	if (n < 0 || (size_t)n >= sizeof(text) - sizeof(sighex) - 12) {
		fprintf(stderr, "medgatectl: firmware sign: manifest too long\n");
		goto out;
	}
	crypto_sign_detached(sig, NULL, (const unsigned char *)text, (size_t)n, sk);
	mg_hex_encode(sig, sizeof(sig), MG_HEX_LOWER, sighex, sizeof(sighex));
	snprintf(text + n, sizeof(text) - (size_t)n, "signature=%s\n", sighex);
	/* What a gateway would refuse is not signed at all. */
	if (mg_firmware_manifest_parse(text, strlen(text), &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: firmware sign: %s\n", err);
		goto out;
	}
	if (v[6] == NULL) {
		fputs(text, stdout);
	} else if ((n = mg_file_create(v[6], text, strlen(text), 0644)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", v[6], mg_strerror(n));
		goto out;
	}
	status = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	if (key != NULL)
		sodium_memzero(key, klen);
	free(key);
	free(image);
	return status;
}

struct list_walk {
	int64_t now;
	char model[MG_MODEL_MAX + 1];
};

static int list_row(const struct mg_firmware_release *rel, void *arg)
{
	struct list_walk *w = arg;
	char expires[MG_TIME_TEXT_LEN], imported[MG_TIME_TEXT_LEN];
	bool newest = strcmp(w->model, rel->model) != 0;

	snprintf(w->model, sizeof(w->model), "%s", rel->model);
	mg_time_format(rel->expires_ms, expires, sizeof(expires));
	mg_time_format(rel->imported_ms, imported, sizeof(imported));
	printf("%-20s %-16s %8lld %10lld %-24s %-24s %s\n", rel->model, rel->version,
	       (long long)rel->sequence, (long long)rel->size, expires, imported,
	       !newest ? "-" : rel->expires_ms > w->now ? "offered" : "expired");
	return 0;
}

/* The releases imported, by model, newest first; which one devices get. */
static int firmware_list(struct cli *cli)
{
	struct list_walk w = { mg_now_ms(), "" };
	int r;

	if (cli_open(cli, false) != 0)
		return 1;
	printf("%-20s %-16s %8s %10s %-24s %-24s %s\n", "MODEL", "VERSION", "SEQUENCE", "BYTES",
	       "EXPIRES", "IMPORTED", "OFFERED");
	if ((r = mg_store_firmware_list(cli->store, MG_FIRMWARE_LIST_MAX, list_row, &w)) != 0) {
		fprintf(stderr, "medgatectl: firmware list: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

int cli_firmware(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return firmware_list(cli);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return firmware_import(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return firmware_keygen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return firmware_sign(argc - 1, argv + 1);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return firmware_usage(stdout);
	return firmware_usage(stderr);
}
