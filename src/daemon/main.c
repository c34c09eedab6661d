/* medgated: the gateway daemon. Reads its configuration, checks and loads
 * its keys, binds its ports as root, drops to its own account, opens the
 * store, and serves until SIGTERM or SIGINT; SIGHUP reopens the log. */
#include <errno.h>
#include <fcntl.h>
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/instance_lock.h"
#include "common/log.h"
#include "common/privileges.h"
#include "daemon/gateway.h"
#include "model/device_model.h"
#include "model/settings.h"
#include "tls/profile.h"
#include "web/web_api.h"

#define SHUTDOWN_GRACE_MS 10000	/* longest wait for requests in flight */

static void usage(FILE *out)
{
	fprintf(out, "usage: medgated -c CONFIG\n"
		     "  -c, --config FILE   the instance's medgate.conf\n"
		     "  -V, --version       print the version and exit\n"
		     "  -h, --help          print this help and exit\n");
}

/* Refuse keys that others may read: a copied or restored key file with a
 * loose mode is a leak waiting to happen. */
static int check_key_file(const struct mg_config *cfg, const char *configured)
{
	char path[MG_PATH_MAX];
	mode_t mode;
	int r;

	if (mg_config_path(cfg, configured, path, sizeof(path)) != 0)
		return MG_ERR_LIMIT;
	r = mg_file_check_private(path, &mode);
	if (r == MG_ERR_DENIED)
		fprintf(stderr, "medgated: key file %s is not private (mode %04o); fix: "
				MG_FILE_PRIVATE_FIX "\n", path, (unsigned)mode);
	else if (r != 0)
		fprintf(stderr, "medgated: key file %s: %s\n", path, strerror(errno));
	return r;
}

static int read_pem(const struct mg_config *cfg, const char *configured, char **out)
{
	char path[MG_PATH_MAX];
	size_t len;
	int r;

	if ((r = mg_config_path(cfg, configured, path, sizeof(path))) != 0)
		return r;
	if ((r = mg_file_read(path, 64 * 1024, out, &len)) != 0)
		fprintf(stderr, "medgated: %s: %s\n", path,
			r == MG_ERR_LIMIT ? "file too large" : strerror(errno));
	return r;
}

/* After the switch to the service account: it must not be able to change
 * its own configuration, keys or certificates (a compromised daemon would
 * otherwise keep its foothold across restarts). An instance with a service
 * account (`user` set, made by root) refuses to start; one made by an
 * ordinary account for itself (no `user`) owns its files, and is told. */
static int check_own_files(const struct mg_config *cfg, const char *config_path)
{
	const char *const files[] = { config_path, cfg->master_key, cfg->server_key,
				      cfg->server_cert, cfg->device_ca_key, cfg->device_ca_cert,
				      cfg->ca_cert };
	char path[MG_PATH_MAX], why[MG_PATH_MAX + 64];
	int r, bad = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i][0] == '\0' || mg_config_path(cfg, files[i], path, sizeof(path)) != 0 ||
		    (r = mg_file_changeable(i == 0 ? files[i] : path, why, sizeof(why))) <= 0)
			continue;
		if (cfg->user[0] == '\0') {
			mg_log_warning("the account medgated runs as can change its own configuration and "
				    "keys (%s): fine for a personal test instance; for service, make the "
				    "instance as root with a service account (medgatectl init --user)",
				    why);
			return 0;
		}
		fprintf(stderr, "medgated: account %s could change its own files: %s; fix: chown "
				"root:%s and chmod 640 (0644 for certificates) the file, and make its "
				"folder root's (chmod 750)\n", cfg->user, why, cfg->user);
		bad = 1;
	}
	return bad ? MG_ERR_DENIED : 0;
}

/* The metrics credential: [metrics] token_file, mode 0600, one line of
 * at least MG_METRICS_TOKEN_MIN printable characters. */
static int read_metrics_token(struct gateway *gw)
{
	const struct mg_config *cfg = gw->cfg;
	char path[MG_PATH_MAX], *token = NULL;
	size_t len = 0;
	int r;

	if (cfg->metrics_token_file[0] == '\0')
		return 0;
	if ((r = check_key_file(cfg, cfg->metrics_token_file)) != 0 ||
	    (r = mg_config_path(cfg, cfg->metrics_token_file, path, sizeof(path))) != 0)
		return r;
	if ((r = mg_file_read(path, MG_METRICS_TOKEN_MAX + 2, &token, &len)) != 0) {
		fprintf(stderr, "medgated: [metrics] token_file %s: %s\n", path,
			r == MG_ERR_LIMIT ? "longer than 256 characters" : strerror(errno));
		return r;
	}
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		token[--len] = '\0';
	r = 0;
	for (size_t i = 0; i < len; i++)
		if (token[i] <= ' ' || token[i] > '~')
			r = MG_ERR_CONFIG;
	if (r != 0 || len < MG_METRICS_TOKEN_MIN || len > MG_METRICS_TOKEN_MAX) {
		fprintf(stderr, "medgated: [metrics] token_file %s must hold one line of %d to %d "
				"printable characters without spaces\n", path, MG_METRICS_TOKEN_MIN,
			MG_METRICS_TOKEN_MAX);
		r = MG_ERR_CONFIG;
	} else {
		memcpy(gw->metrics_token, token, len + 1);
	}
	sodium_memzero(token, len);
	free(token);
	return r;
}

/* Everything that needs root or must happen before the switch. */
static int load_secrets(struct gateway *gw)
{
	const struct mg_config *cfg = gw->cfg;
	char cert[MG_PATH_MAX], key[MG_PATH_MAX];
	struct mg_master_key *mk = NULL;
	int r;

	if ((r = check_key_file(cfg, cfg->master_key)) != 0 ||
	    (r = check_key_file(cfg, cfg->server_key)) != 0 ||
	    (r = check_key_file(cfg, cfg->device_ca_key)) != 0 ||
	    (r = read_metrics_token(gw)) != 0)
		return r;
	if ((r = read_pem(cfg, cfg->server_cert, &gw->server_cert_pem)) != 0 ||
	    (r = read_pem(cfg, cfg->server_key, &gw->server_key_pem)) != 0 ||
	    (r = read_pem(cfg, cfg->device_ca_cert, &gw->device_ca_pem)) != 0)
		return r;
	if ((r = mg_config_path(cfg, cfg->device_ca_cert, cert, sizeof(cert))) != 0 ||
	    (r = mg_config_path(cfg, cfg->device_ca_key, key, sizeof(key))) != 0 ||
	    (r = mg_ca_load(cert, key, &gw->device_ca)) != 0) {
		fprintf(stderr, "medgated: cannot load the device CA: %s\n", mg_strerror(r));
		return r;
	}
	if ((r = mg_config_path(cfg, cfg->master_key, key, sizeof(key))) != 0 ||
	    (r = mg_master_key_load(key, &mk)) != 0) {
		fprintf(stderr, "medgated: cannot load the master key: %s\n", mg_strerror(r));
		return r;
	}
	if ((r = mg_keyring_new(mk, &gw->keys)) != 0) {
		mg_master_key_free(mk);
		return r;
	}
	/* medgatectl key rotate replaces the file; the keyring follows it. */
	mg_keyring_watch(gw->keys, key);
	if ((gw->tls.priorities = mg_tls_priorities(cfg->tls_profile)) == NULL) {
		fprintf(stderr, "medgated: unknown [tls] profile %s\n", cfg->tls_profile);
		return MG_ERR_CONFIG;
	}
	gw->tls.cert_pem = gw->server_cert_pem;
	gw->tls.key_pem = gw->server_key_pem;
	return 0;
}

static int bind_ports(struct gateway *gw)
{
	const struct mg_config *cfg = gw->cfg;
	char err[256];
	int r;

	if (cfg->web.enabled &&
	    (r = mg_listen_tcp(cfg->web.address, cfg->web.port, &gw->web_fd, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgated: web %s\n", err);
		return r;
	}
	if (cfg->device.enabled &&
	    (r = mg_listen_tcp(cfg->device.address, cfg->device.port, &gw->device_fd, err,
			       sizeof(err))) != 0) {
		fprintf(stderr, "medgated: device %s\n", err);
		return r;
	}
	if (cfg->mllp.enabled &&
	    (r = mg_listen_tcp(cfg->mllp.address, cfg->mllp.port, &gw->mllp_fd, err,
			       sizeof(err))) != 0) {
		fprintf(stderr, "medgated: mllp %s\n", err);
		return r;
	}
	return 0;
}

static void wake_forwarders(void *arg)
{
	mg_outbox_wake(((struct gateway *)arg)->outbox);
}

/* Where a tenant's measurements go: the outbox's routing, handed to the
 * ingest pipeline so that ingest never calls up into the outbox. */
static size_t route(void *arg, int64_t tenant_id, const char **out, size_t max)
{
	return mg_outbox_destinations(arg, tenant_id, out, max);
}

static int open_store(struct gateway *gw)
{
	char err[512];
	int64_t sealed = 0;
	int r, version;

	if ((r = mg_store_open(gw->cfg, false, &gw->store, err, sizeof(err))) != 0) {
		mg_log_error("cannot open the store: %s", err);
		fprintf(stderr, "medgated: cannot open the store: %s\n", err);
		return r;
	}
	if ((r = mg_store_migrate(gw->store, &version)) != 0) {
		mg_log_error("cannot bring the store schema up to date: %s", mg_strerror(r));
		fprintf(stderr, "medgated: cannot bring the store schema up to date\n");
		return r;
	}
	mg_log_info("store %s at schema version %d", mg_store_name(gw->store), version);
	mg_store_set_keyring(gw->store, gw->keys);
	/* Once after migration 0014: the values stored in clear before. */
	if ((r = mg_store_values_seal_clear(gw->store, &sealed)) != 0)
		mg_log_error("cannot seal the values stored before migration 0014: %s; they read as"
			     " altered until a start that can", mg_strerror(r));
	else if (sealed > 0)
		mg_log_info("sealed %lld measurement values stored in clear before migration 0014",
			    (long long)sealed);
	return 0;
}

/* When the web port's certificate ends, for the health figures; 0 if it
 * cannot be read (it was loaded, so that does not happen). */
static int64_t cert_not_after_ms(const char *pem)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };
	time_t t = (time_t)-1;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0)
		t = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return t == (time_t)-1 ? 0 : (int64_t)t * 1000;
}

/* After the switch: the log, the store, then each module with what it
 * needs, in the order they depend on each other. */
static int open_runtime(struct gateway *gw)
{
	const struct mg_config *cfg = gw->cfg;
	char path[MG_PATH_MAX], err[512];
	struct mg_model_list models;	/* checked here; the device port keeps its own */
	int r;

	if (cfg->log_file[0] != '\0') {
		if ((r = mg_config_path(cfg, cfg->log_file, path, sizeof(path))) != 0 ||
		    (r = mg_log_open("medgated", path, cfg->log_level)) != 0) {
			fprintf(stderr, "medgated: cannot open log file %s: %s\n", path,
				strerror(errno));
			return r;
		}
	}
	if ((r = mg_metrics_new(&gw->metrics)) != 0 || (r = open_store(gw)) != 0)
		return r;
	if ((r = mg_model_list_parse(cfg->device_models, &models, err, sizeof(err))) != 0) {
		mg_log_error("%s", err);
		fprintf(stderr, "medgated: %s\n", err);
		return MG_ERR_CONFIG;
	}
	if ((r = mg_switches_new(gw->store, &gw->switches)) != 0 ||
	    (r = mg_mailer_new(cfg, &gw->mailer)) != 0 ||
	    (r = mg_access_new(cfg, gw->store, gw->keys, &gw->access)) != 0 ||
	    (r = mg_writer_new(gw->store, &gw->writer)) != 0)
		return r;
	mg_writer_set_metrics(gw->writer, gw->metrics);
	/* Before the forwarders: they raise alerts. */
	if ((r = mg_detector_start(cfg, gw->store, gw->keys, gw->mailer, &gw->detector, err,
				   sizeof(err))) != 0) {
		mg_log_error("cannot start detection: %s", err);
		fprintf(stderr, "medgated: cannot start detection: %s\n", err);
		return r;
	}
	const struct mg_outbox_deps outbox = {
		.cfg = cfg, .store = gw->store, .keys = gw->keys, .switches = gw->switches,
		.metrics = gw->metrics, .detector = gw->detector,
	};
	if ((r = mg_outbox_start(&outbox, &gw->outbox)) != 0 ||
	    (r = mg_audit_exporter_start(cfg, gw->store, gw->tls.priorities, &gw->exporter)) != 0)
		return r;
	mg_writer_set_hook(gw->writer, wake_forwarders, gw);
	if ((r = mg_backup_scheduler_start(cfg, gw->store, mg_keyring_master(gw->keys),
					   &gw->backups, err, sizeof(err))) != 0) {
		mg_log_error("cannot start scheduled backups: %s", err);
		fprintf(stderr, "medgated: cannot start scheduled backups: %s\n", err);
		return r;
	}
	if ((r = mg_retention_start(cfg, gw->store, mg_keyring_master(gw->keys),
				    &gw->retention)) != 0) {
		mg_log_error("cannot start the retention job: %s", mg_strerror(r));
		return r;
	}
	const struct mg_ingest_deps ingest = {
		.keys = gw->keys, .writer = gw->writer, .detector = gw->detector,
		.route = route, .route_arg = gw->outbox, .metrics = gw->metrics,
	};
	if ((r = mg_ingest_new(&ingest, &gw->ingest)) != 0)
		return r;
	gw->web = (struct mg_web){
		.cfg = cfg, .store = gw->store, .keys = gw->keys, .access = gw->access,
		.switches = gw->switches, .detector = gw->detector, .mailer = gw->mailer,
		.metrics = gw->metrics, .route = route, .route_arg = gw->outbox,
	};
	memcpy(gw->web.metrics_token, gw->metrics_token, sizeof(gw->web.metrics_token));
	gw->web.server_cert_not_after_ms = cert_not_after_ms(gw->server_cert_pem);
	return 0;
}

static void wait_inflight(struct gateway *gw)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int waited = 0; mg_device_port_inflight(gw->device_port) > 0 &&
			     waited < SHUTDOWN_GRACE_MS;
	     waited += 20)
		nanosleep(&tick, NULL);
}

/* Application activity on the trail (ATNA wants start and stop). */
static void record_activity(struct gateway *gw, const char *action)
{
	struct mg_audit_event e = { .actor = "system", .action = action, .object = "medgated",
				    .outcome = MG_AUDIT_SUCCESS };
	int r;

	if ((r = mg_audit_append(gw->store, mg_keyring_master(gw->keys), &e)) != 0)
		mg_log_error("cannot record %s on the audit trail: %s", action, mg_strerror(r));
}

/* medgate.conf edited between two starts: its hash differs from the one
 * the last start kept (setting MG_SETTING_CONFIG_SHA256), which records
 * config.file, a change to review (docs/changes.md). The first start only
 * keeps the hash. The setting moves on only once the record is written,
 * so a failure to record is caught up at the next start. */
static void config_file_check(struct gateway *gw)
{
	char last[MG_SETTING_VALUE_MAX], details[192];
	struct mg_audit_event e = { .actor = "system", .action = "config.file",
				    .object = "config", .outcome = MG_AUDIT_SUCCESS,
				    .details = details };
	int r = mg_store_setting_get(gw->store, MG_SETTING_CONFIG_SHA256, last, sizeof(last));

	if (gw->cfg->sha256[0] == '\0' || (r == 0 && strcmp(last, gw->cfg->sha256) == 0))
		return;
	if (r != 0 && r != MG_ERR_NOT_FOUND) {
		mg_log_error("cannot read the configuration's last hash: %s", mg_strerror(r));
		return;
	}
	if (r == 0) {
		snprintf(details, sizeof(details), "{\"previous_sha256\":\"%.64s\",\"sha256\":\"%.64s\"}",
			 last, gw->cfg->sha256);
		if ((r = mg_audit_append(gw->store, mg_keyring_master(gw->keys), &e)) != 0) {
			mg_log_error("cannot record config.file on the audit trail: %s",
				     mg_strerror(r));
			return;
		}
		mg_log_warning("medgate.conf changed since the last start: a change to review");
	}
	if ((r = mg_store_setting_set(gw->store, MG_SETTING_CONFIG_SHA256, gw->cfg->sha256)) != 0)
		mg_log_error("cannot keep the configuration's hash: %s", mg_strerror(r));
}

/* What an operator should hear of at every start: an interface switched
 * off at run time (it stays off across restarts), and accounts that break
 * the separation of duties (made before the rule; they keep their roles,
 * since nobody's access changes silently, but get no patient data). */
static int role_conflict(const struct mg_user *u, void *arg)
{
	struct gateway *gw = arg;
	const char *why = mg_roles_conflict(u->roles);
	char subject[32];

	if (why == NULL)
		return 0;
	snprintf(subject, sizeof(subject), "user:%lld", (long long)u->id);
	mg_log_warning("access: account %lld breaks the separation of duties (%s): it gets no "
		       "patient data until an administrator removes one of the roles",
		       (long long)u->id, why);
	mg_alert_raise(gw->detector, "access.role_conflict", MG_SEVERITY_HIGH, subject, 0,
		       "account %lld holds conflicting roles (%s); remove one", (long long)u->id,
		       why);
	return 0;
}

static void startup_warnings(struct gateway *gw)
{
	for (unsigned i = 0; i < MG_IF_COUNT; i++)
		if (!mg_interface_on(gw->switches, (enum mg_interface)i))
			mg_log_warning("interface %s is switched off (at run time, it stays off "
				       "across restarts); %s", mg_interface_name((enum mg_interface)i),
				       mg_interface_web_switchable((enum mg_interface)i)
					       ? "an administrator switches it on under Settings in "
						 "the web interface (PUT /api/v1/settings) or with "
						 "medgatectl interface on"
					       : "an operator switches it on with medgatectl "
						 "interface on web");
	mg_store_user_list(gw->store, role_conflict, gw);
}

static int serve(struct gateway *gw, const sigset_t *signals)
{
	int sig, r;

	const struct mg_device_port_deps device = {
		.cfg = gw->cfg, .store = gw->store, .keys = gw->keys, .device_ca = gw->device_ca,
		.device_ca_pem = gw->device_ca_pem, .ingest = gw->ingest,
		.switches = gw->switches, .detector = gw->detector, .metrics = gw->metrics,
	};
	const struct mg_mllp_deps mllp = {
		.limits = &gw->cfg->mllp, .store = gw->store, .keys = gw->keys,
		.ingest = gw->ingest, .switches = gw->switches, .cert_pem = gw->server_cert_pem,
		.key_pem = gw->server_key_pem, .ca_pem = gw->device_ca_pem,
		.priorities = gw->tls.priorities, .adt_senders = gw->cfg->adt_senders,
		.metrics = gw->metrics,
	};

	/* Each listener owns its socket once it runs. */
	if (gw->web_fd >= 0) {
		if ((r = mg_web_port_start(&gw->web, gw->web_fd, &gw->tls, &gw->web_port)) != 0)
			return r;
		gw->web_fd = -1;
	}
	if (gw->device_fd >= 0) {
		if ((r = mg_device_port_start(&device, gw->device_fd, &gw->tls,
					      &gw->device_port)) != 0)
			return r;
		gw->device_fd = -1;
	}
	if (gw->mllp_fd >= 0) {
		if ((r = mg_mllp_listener_start(&mllp, gw->mllp_fd, &gw->mllp)) != 0)
			return r;
		gw->mllp_fd = -1;
	}
	mg_log_info("medgated %s started: web %s%u, device %s%u, mllp %s%u", MG_VERSION,
		    gw->cfg->web.enabled ? "port " : "off ", gw->cfg->web.port,
		    gw->cfg->device.enabled ? "port " : "off ", gw->cfg->device.port,
		    gw->cfg->mllp.enabled ? "port " : "off ", gw->cfg->mllp.port);
	record_activity(gw, "daemon.start");
	config_file_check(gw);
	startup_warnings(gw);
	for (;;) {
		if (sigwait(signals, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (mg_log_reopen() != 0)
				fprintf(stderr, "medgated: cannot reopen the log\n");
			mg_log_info("log reopened");
			continue;
		}
		break;
	}
	mg_log_info("signal %d: stopping; finishing requests in flight", sig);
	record_activity(gw, "daemon.stop");
	mg_http_listener_quiesce(gw->web_port);
	mg_device_port_quiesce(gw->device_port);
	mg_mllp_listener_quiesce(gw->mllp);
	wait_inflight(gw);
	mg_mllp_listener_stop(gw->mllp);
	gw->mllp = NULL;
	return 0;
}

static void gateway_close(struct gateway *gw)
{
	mg_mllp_listener_stop(gw->mllp);	/* it submits to the writer */
	/* The writer answers all it holds before the connections go away. */
	mg_writer_free(gw->writer);
	mg_outbox_stop(gw->outbox);
	mg_audit_exporter_stop(gw->exporter);
	mg_http_listener_stop(gw->web_port);
	mg_device_port_free(gw->device_port);
	mg_ingest_free(gw->ingest);
	mg_detector_stop(gw->detector);	/* request threads raise alerts too */
	mg_backup_scheduler_stop(gw->backups);
	mg_retention_stop(gw->retention);
	mg_access_free(gw->access);
	mg_mailer_free(gw->mailer);	/* after everything that mails */
	mg_switches_free(gw->switches);
	mg_store_close(gw->store);
	mg_metrics_free(gw->metrics);
	sodium_memzero(gw->metrics_token, sizeof(gw->metrics_token));
	sodium_memzero(gw->web.metrics_token, sizeof(gw->web.metrics_token));
	mg_keyring_free(gw->keys);
	mg_ca_free(gw->device_ca);
	free(gw->server_cert_pem);
	if (gw->server_key_pem != NULL) {
		explicit_bzero(gw->server_key_pem, strlen(gw->server_key_pem));
		free(gw->server_key_pem);
	}
	free(gw->device_ca_pem);
	if (gw->web_fd >= 0)
		close(gw->web_fd);
	if (gw->device_fd >= 0)
		close(gw->device_fd);
	if (gw->mllp_fd >= 0)
		close(gw->mllp_fd);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mg_config cfg;
	struct gateway gw;
	const char *config = NULL;
	char err[512];
	sigset_t signals;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:Vh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'V': printf("medgated %s\n", MG_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	umask(077);
	mg_json_init();
	/* Threads inherit the mask: only the main thread takes these signals. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mg_config_load(config, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgated: %s\n", err);
		return 2;
	}
	mg_log_open("medgated", NULL, cfg.log_level);
	memset(&gw, 0, sizeof(gw));
	gw.cfg = &cfg;
	gw.web_fd = gw.device_fd = gw.mllp_fd = -1;
	if (mg_crypto_init() != 0 || gnutls_global_init() < 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "medgated: cannot initialise the crypto libraries\n");
		return 1;
	}
	/* Taken before the switch, so a root-owned folder works too. */
	if ((r = mg_instance_lock(&cfg, config, true, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgated: %s\n", err);
		goto out;
	}
	if ((r = load_secrets(&gw)) != 0 ||
	    (r = bind_ports(&gw)) != 0)
		goto out;
	if ((r = mg_privileges_drop(cfg.user, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgated: %s\n", err);
		goto out;
	}
	if ((r = check_own_files(&cfg, config)) != 0)
		goto out;
	if ((r = open_runtime(&gw)) != 0)
		goto out;
	r = serve(&gw, &signals);
out:
	gateway_close(&gw);
	curl_global_cleanup();
	gnutls_global_deinit();
	mg_log_info("medgated stopped");
	mg_log_close();
	return r == 0 ? 0 : 1;
}
