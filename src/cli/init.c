/* medgatectl init DIR: a new instance with its keys, CAs, server
 * certificate, configuration, store, default tenant and administrator. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "crypto/password.h"
#include "common/privileges.h"
#include "store/postgres/postgres.h"
#include "tls/ca.h"

#define CA_DAYS 3650
#define SERVER_CERT_DAYS 825
#define ADMIN_PASSWORD_MIN 12
#define ADMIN_PASSWORD_MAX 128

struct init_options {
	const char *dir;
	const char *user;
	const char *password_file;
	unsigned web_port, device_port, mllp_port;
	const char *listen;	/* numeric address of every listener; "::" = all */
	const char *storage;	/* "sqlite" (default) or "postgresql" */
	const char *conninfo;	/* libpq connection string for postgresql */
};

static int init_usage(void)
{
	fprintf(stderr, "usage: medgatectl init DIR [--web-port N] [--device-port N] "
			"[--mllp-port N]\n"
			"                      [--listen ADDRESS]"
			"                      [--admin-password-file FILE] [--user ACCOUNT]\n"
			"                      [--storage sqlite|postgresql --conninfo \"host=... "
			"dbname=... user=...\"]\n");
	return 2;
}

static int path_in(const char *dir, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n >= 0 && (size_t)n < outlen ? 0 : MG_ERR_LIMIT;
}

/* The instance's folders. Made by root for a service account (pw), the
 * folder itself, keys/ and certs/ are root's and only readable by the
 * service group, so the daemon cannot change its keys, certificates or
 * configuration; data/, log/ and backups/ (the default [backup] folder:
 * scheduled backups and the erasure log) are the service account's. Made
 * by anyone else, everything is theirs. */
static int make_dirs(const struct init_options *o, const struct passwd *pw)
{
	static const struct { const char *name; mode_t mode; bool service_owns; } dirs[] = {
		{ "", 0750, false }, { "keys", 0750, false }, { "certs", 0755, false },
		{ "data", 0700, true }, { "log", 0750, true }, { "backups", 0700, true },
	};
	char path[MG_PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (path_in(o->dir, dirs[i].name, path, sizeof(path)) != 0)
			return MG_ERR_LIMIT;
		if (mkdir(path, dirs[i].mode) != 0 && !(errno == EEXIST && i == 0)) {
			fprintf(stderr, "medgatectl: cannot create %s: %s\n", path, strerror(errno));
			return MG_ERR_IO;
		}
		if (chmod(path, dirs[i].mode) != 0 ||
		    (pw != NULL && chown(path, dirs[i].service_owns ? pw->pw_uid : 0,
					 pw->pw_gid) != 0)) {
			fprintf(stderr, "medgatectl: cannot set owner or mode of %s: %s\n", path,
				strerror(errno));
			return MG_ERR_IO;
		}
	}
	return 0;
}

static int read_admin_password(const char *file, char *out, size_t outlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = mg_file_read(file, 4096, &text, &len)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", file,
			r == MG_ERR_LIMIT ? "file too large" : strerror(errno));
		return r;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len < ADMIN_PASSWORD_MIN || len > ADMIN_PASSWORD_MAX || len >= outlen ||
	    memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "medgatectl: %s: the password must be %d to %d characters\n", file,
			ADMIN_PASSWORD_MIN, ADMIN_PASSWORD_MAX);
		r = MG_ERR_INVALID;
	} else {
		memcpy(out, text, len);
		out[len] = '\0';
	}
	sodium_memzero(text, len);
	free(text);
	return r;
}

/* One file or folder of the instance to root, group gid, mode. */
static int set_owner(const char *path, gid_t gid, mode_t mode)
{
	if (chown(path, 0, gid) == 0 && chmod(path, mode) == 0)
		return 0;
	fprintf(stderr, "medgatectl: cannot set owner or mode of %s: %s\n", path, strerror(errno));
	return MG_ERR_IO;
}

/* Every regular file of folder dir/sub to root, group gid and mode; the
 * instance CA's key to root alone. */
static int secure_folder(const char *dir, const char *sub, gid_t gid, mode_t mode)
{
	char folder[MG_PATH_MAX], path[2 * MG_PATH_MAX + 2];
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (path_in(dir, sub, folder, sizeof(folder)) != 0 || (d = opendir(folder)) == NULL)
		return MG_ERR_IO;
	while (r == 0 && (e = readdir(d)) != NULL) {
		struct stat st;
		bool ca_key = strcmp(sub, "keys") == 0 && strcmp(e->d_name, "ca.key") == 0;

		snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		r = set_owner(path, ca_key ? 0 : gid, ca_key ? 0600 : mode);
	}
	closedir(d);
	return r;
}

int cli_instance_secure(const char *dir, const struct passwd *pw)
{
	char path[MG_PATH_MAX];
	int r;

	if (pw == NULL)
		return 0;
	if ((r = set_owner(dir, pw->pw_gid, 0750)) != 0 ||
	    (r = path_in(dir, "keys", path, sizeof(path))) != 0 ||
	    (r = set_owner(path, pw->pw_gid, 0750)) != 0 ||
	    (r = path_in(dir, "certs", path, sizeof(path))) != 0 ||
	    (r = set_owner(path, pw->pw_gid, 0755)) != 0 ||
	    (r = secure_folder(dir, "keys", pw->pw_gid, 0640)) != 0 ||
	    (r = secure_folder(dir, "certs", pw->pw_gid, 0644)) != 0 ||
	    (r = path_in(dir, "medgate.conf", path, sizeof(path))) != 0)
		return r;
	return set_owner(path, pw->pw_gid, 0640);
}

static int make_pki(const char *dir)
{
	static const char *const dns[] = { "localhost" };
	static const char *const ips[] = { "127.0.0.1", "::1" };
	char cert[MG_PATH_MAX], key[MG_PATH_MAX];
	struct mg_ca *ca = NULL, *device_ca = NULL;
	int r;

	if ((r = path_in(dir, "keys/master.key", key, sizeof(key))) != 0 ||
	    (r = mg_master_key_create(key)) != 0)
		goto out;
	if ((r = mg_ca_create("medgate device CA", CA_DAYS, &device_ca)) != 0 ||
	    (r = path_in(dir, "certs/device-ca.pem", cert, sizeof(cert))) != 0 ||
	    (r = path_in(dir, "keys/device-ca.key", key, sizeof(key))) != 0 ||
	    (r = mg_ca_save(device_ca, cert, key)) != 0)
		goto out;
	if ((r = mg_ca_create("medgate instance CA", CA_DAYS, &ca)) != 0 ||
	    (r = path_in(dir, "certs/ca.pem", cert, sizeof(cert))) != 0 ||
	    (r = path_in(dir, "keys/ca.key", key, sizeof(key))) != 0 ||
	    (r = mg_ca_save(ca, cert, key)) != 0)
		goto out;
	if ((r = path_in(dir, "certs/server.pem", cert, sizeof(cert))) != 0 ||
	    (r = path_in(dir, "keys/server.key", key, sizeof(key))) != 0)
		goto out;
	r = mg_ca_issue_server(ca, dns, 1, ips, 2, SERVER_CERT_DAYS, cert, key);
out:
	if (r != 0)
		fprintf(stderr, "medgatectl: cannot create keys and certificates: %s\n",
			mg_strerror(r));
	mg_ca_free(ca);
	mg_ca_free(device_ca);
	return r;
}

static int write_config(struct cli *cli, const struct init_options *o, const char *user)
{
	char path[MG_PATH_MAX], err[512];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	mg_config_defaults(&cli->cfg);
	snprintf(cli->cfg.user, sizeof(cli->cfg.user), "%s", user);
	cli->cfg.web.port = o->web_port;
	cli->cfg.device.port = o->device_port;
	cli->cfg.mllp.port = o->mllp_port;
	/* Written out, so nobody has to know that empty means every address. */
	snprintf(cli->cfg.web.address, sizeof(cli->cfg.web.address), "%s", o->listen);
	snprintf(cli->cfg.device.address, sizeof(cli->cfg.device.address), "%s", o->listen);
	snprintf(cli->cfg.mllp.address, sizeof(cli->cfg.mllp.address), "%s", o->listen);
	/* Reset links in e-mails must reach the port the web listens on. */
	snprintf(cli->cfg.public_url, sizeof(cli->cfg.public_url), "https://localhost:%u",
		 o->web_port);
	if (o->conninfo != NULL) {
		snprintf(cli->cfg.storage_backend, sizeof(cli->cfg.storage_backend), "postgresql");
		snprintf(cli->cfg.storage_conninfo, sizeof(cli->cfg.storage_conninfo), "%s",
			 o->conninfo);
	}
	if ((f = open_memstream(&text, &len)) == NULL)
		return MG_ERR_NOMEM;
	r = mg_config_write(&cli->cfg, f);
	fclose(f);
	if (r == 0 && (r = path_in(o->dir, "medgate.conf", path, sizeof(path))) == 0)
		r = mg_file_create(path, text, len, 0640);
	free(text);
	if (r != 0) {
		fprintf(stderr, "medgatectl: cannot write %s: %s\n", path, mg_strerror(r));
		return r;
	}
	if ((r = mg_config_load(path, &cli->cfg, err, sizeof(err))) != 0)
		fprintf(stderr, "medgatectl: %s\n", err);
	return r;
}

static int make_store(struct cli *cli, const char *password)
{
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
	char hash[MG_PASSWORD_HASH_MAX], err[512];
	struct mg_user_new admin = {
		.name = "admin", .display_name = "Administrator", .email = "",
		.password_hash = hash, .must_change_password = true, .roles = MG_ROLE_ADMIN,
	};
	int64_t id;
	int r, version;

	if ((r = mg_store_open(&cli->cfg, true, &cli->store, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: cannot create the store: %s\n", err);
		return r;
	}
	if ((r = mg_store_migrate(cli->store, &version)) != 0 ||
	    (r = mg_tenant_key_new(cli->master, wrapped)) != 0 ||
	    (r = mg_store_tenant_create(cli->store, "default", wrapped, &id)) != 0 ||
	    (r = mg_password_hash(password, strlen(password), hash, sizeof(hash))) != 0 ||
	    (r = mg_store_user_create(cli->store, &admin, &id)) != 0)
		fprintf(stderr, "medgatectl: cannot fill the store: %s\n", mg_strerror(r));
	return r;
}

/* --storage postgresql needs --conninfo and nothing else does. A
 * password in the conninfo would sit in medgate.conf: point to a libpq
 * password file instead (passfile=..., mode 0600). */
static int storage_options_check(struct init_options *o)
{
	const char *storage = o->storage != NULL ? o->storage : "sqlite";
	struct mg_config probe;

	if (strcmp(storage, "sqlite") != 0 && strcmp(storage, "postgresql") != 0) {
		fprintf(stderr, "medgatectl: --storage %s: expected sqlite or postgresql\n", storage);
		return MG_ERR_INVALID;
	}
	if ((strcmp(storage, "postgresql") == 0) != (o->conninfo != NULL)) {
		fprintf(stderr, "medgatectl: --conninfo goes with --storage postgresql, and "
				"--storage postgresql needs --conninfo\n");
		return MG_ERR_INVALID;
	}
	if (o->conninfo == NULL)
		return 0;
	if (o->conninfo[0] == '\0' || strlen(o->conninfo) >= sizeof(probe.storage_conninfo) ||
	    strpbrk(o->conninfo, "\n\r") != NULL) {
		fprintf(stderr, "medgatectl: --conninfo must be one line of 1 to %zu characters\n",
			sizeof(probe.storage_conninfo) - 1);
		return MG_ERR_INVALID;
	}
	if (mg_conninfo_has_password(o->conninfo))
		fprintf(stderr, "medgatectl: warning: the conninfo holds a password, which will "
				"be written to medgate.conf; prefer passfile=FILE (mode 0600, "
				"owned by the daemon's account)\n");
	return 0;
}

/* A listener address as the daemon binds it: a numeric IPv4 or IPv6
 * address, no host name (that would depend on name resolution at start). */
static bool address_numeric(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return strlen(text) < sizeof(((struct mg_listener_config *)0)->address) &&
	       (inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1);
}

static int parse_options(int argc, char **argv, struct init_options *o)
{
	static const struct option options[] = {
		{ "web-port", required_argument, NULL, 'w' },
		{ "device-port", required_argument, NULL, 'd' },
		{ "mllp-port", required_argument, NULL, 'm' },
		{ "admin-password-file", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "storage", required_argument, NULL, 's' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	long long port;
	int opt;

	o->web_port = 8443;
	o->device_port = 8444;
	o->mllp_port = 2575;
	o->listen = "::";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'w': case 'd': case 'm':
			if (cli_parse_int(optarg, 1, 65535, &port) != 0) {
				fprintf(stderr, "medgatectl: port %s: expected 1 to 65535\n", optarg);
				return 2;
			}
			*(opt == 'w' ? &o->web_port : opt == 'd' ? &o->device_port : &o->mllp_port) =
				(unsigned)port;
			break;
		case 'p': o->password_file = optarg; break;
		case 'u': o->user = optarg; break;
		case 's': o->storage = optarg; break;
		case 'c': o->conninfo = optarg; break;
		case 'l':
			if (!address_numeric(optarg)) {
				fprintf(stderr, "medgatectl: --listen %s: expected a numeric IPv4 or "
						"IPv6 address (:: for every address)\n", optarg);
				return 2;
			}
			o->listen = optarg;
			break;
		default: return init_usage();
		}
	}
	if (storage_options_check(o) != 0)
		return 2;
	if (optind + 1 != argc)
		return init_usage();
	o->dir = argv[optind];
	if (strlen(o->dir) > MG_PATH_MAX - 64) {
		fprintf(stderr, "medgatectl: %s: path too long\n", o->dir);
		return 2;
	}
	return 0;
}

/* "[::]:8443" or "127.0.0.1:8443", as people write an address and port. */
static const char *listen_text(const char *address, unsigned port, char *out, size_t outlen)
{
	snprintf(out, outlen, strchr(address, ':') ? "[%s]:%u" : "%s:%u", address, port);
	return out;
}

int cli_init(struct cli *cli, int argc, char **argv)
{
	struct init_options o = { 0 };
	char path[MG_PATH_MAX], password[ADMIN_PASSWORD_MAX + 1], err[256], a[80];
	const struct passwd *pw = NULL;
	const char *user = "";
	int r;

	if ((r = parse_options(argc, argv, &o)) != 0)
		return r;
	if (path_in(o.dir, "medgate.conf", path, sizeof(path)) != 0 || access(path, F_OK) == 0) {
		fprintf(stderr, "medgatectl: %s holds an instance already (medgate.conf exists); "
				"refusing to overwrite it\n", o.dir);
		return 1;
	}
	if (geteuid() == 0) {
		user = o.user ? o.user : "medgate";
		if ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0) {
			fprintf(stderr, "medgatectl: as root, init needs an unprivileged account for "
					"the daemon: %s does not exist (create it: useradd --system "
					"%s, or pass --user)\n", user, user);
			return 1;
		}
	}
	if (o.password_file != NULL) {
		if (read_admin_password(o.password_file, password, sizeof(password)) != 0)
			return 1;
	} else if (mg_password_random(password, sizeof(password)) != 0) {
		return 1;
	}
	if (make_dirs(&o, pw) != 0 || make_pki(o.dir) != 0 || write_config(cli, &o, user) != 0 ||
	    cli_instance_secure(o.dir, pw) != 0) {
		sodium_memzero(password, sizeof(password));
		return 1;
	}
	/* The store is made by and for the daemon's account. */
	if (pw != NULL && mg_privileges_drop(user, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return 1;
	}
	if (path_in(o.dir, "data", path, sizeof(path)) != 0 || access(path, R_OK | W_OK | X_OK) != 0) {
		fprintf(stderr, "medgatectl: %s is not reachable by account %s (%s); a parent "
				"folder is closed to it: choose a folder such as /var/lib/medgate/NAME\n",
			o.dir, pw ? user : "running this command", strerror(errno));
		return 1;
	}
	if (mg_config_path(&cli->cfg, cli->cfg.master_key, path, sizeof(path)) != 0 ||
	    mg_master_key_load(path, &cli->master) != 0 || make_store(cli, password) != 0) {
		sodium_memzero(password, sizeof(password));
		return 1;
	}
	printf("instance created in %s\n", o.dir);
	printf("  configuration:        %s/medgate.conf\n", o.dir);
	printf("  store:                %s\n", o.conninfo ? "postgresql" : "sqlite");
	printf("  instance CA (trust it to reach the gateway): %s/certs/ca.pem\n", o.dir);
	printf("  web and API:          https://localhost:%u/ (listening on %s)\n", o.web_port,
	       listen_text(o.listen, o.web_port, a, sizeof(a)));
	printf("  devices:              https://localhost:%u/ (mutual TLS, EST enrolment; "
	       "listening on %s)\n", o.device_port, listen_text(o.listen, o.device_port, a, sizeof(a)));
	printf("  device HL7 (MLLP/TLS): listening on %s\n",
	       listen_text(o.listen, o.mllp_port, a, sizeof(a)));
	if (strcmp(o.listen, "::") == 0)
		printf("  every address of this host, IPv6 and IPv4: use --listen (or [web] address "
		       "etc.) to narrow it\n");
	if (o.password_file == NULL)
		printf("  administrator admin, one-time password (shown once): %s\n", password);
	else
		printf("  administrator admin, one-time password from %s\n", o.password_file);
	sodium_memzero(password, sizeof(password));
	return 0;
}
