/* medgatectl backup drill: restore a backup into a scratch folder, start
 * the real medgated on loopback, check that it answers and that its audit
 * trail holds, stop and remove it, and record how long the restore took
 * (audit action backup.drill, setting backup.drill_last). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/schedule.h"
#include "cli/backup_cli.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/run.h"
#include "common/timefmt.h"
#include "model/settings.h"

#define DRILL_START_MS	30000	/* longest wait for the restored daemon to answer */
#define DRILL_STOP_MS	20000	/* longest wait for it to stop */

/* A free TCP port on 127.0.0.1 (free now; the daemon binds it soon). */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(a);
	unsigned port = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The newest *.mgbackup in the [backup] folder, by name (names sort by
 * time: backup/schedule.c makes them so) into out. */
static int newest_backup(const struct mg_config *cfg, char *out, size_t outlen)
{
	char folder[MG_PATH_MAX], best[256] = "";
	struct dirent *e;
	DIR *d;

	if (mg_config_path(cfg, cfg->backup_folder, folder, sizeof(folder)) != 0 ||
	    (d = opendir(folder)) == NULL)
		return MG_ERR_NOT_FOUND;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n > strlen(MG_BACKUP_SUFFIX) && n < sizeof(best) &&
		    strcmp(e->d_name + n - strlen(MG_BACKUP_SUFFIX), MG_BACKUP_SUFFIX) == 0 &&
		    e->d_name[0] != '.' && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return MG_ERR_NOT_FOUND;
	return snprintf(out, outlen, "%s/%s", folder, best) < (int)outlen ? 0 : MG_ERR_LIMIT;
}

/* The restored instance, made safe to run beside the real one: loopback
 * on free ports, nothing sent anywhere (no EMR, syslog, e-mail), no
 * scheduled backups, no account switch. */
static void drill_config(struct mg_config *cfg)
{
	struct mg_listener_config *l[] = { &cfg->web, &cfg->device, &cfg->mllp };

	for (size_t i = 0; i < 3; i++) {
		snprintf(l[i]->address, sizeof(l[i]->address), "127.0.0.1");
		l[i]->port = free_port();
	}
	cfg->web.enabled = true;
	for (size_t i = 0; i < cfg->nemr; i++)
		cfg->emr[i].enabled = false;
	cfg->syslog_address[0] = cfg->smtp_url[0] = cfg->alerts_email[0] = '\0';
	cfg->backup_schedule[0] = cfg->user[0] = '\0';
	snprintf(cfg->log_file, sizeof(cfg->log_file), "log/medgated.log");
	snprintf(cfg->public_url, sizeof(cfg->public_url), "https://localhost:%u", cfg->web.port);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Whether the web port answers /api/v1/health with 200 over TLS that the
 * restored instance CA vouches for. */
static bool answers(const struct mg_config *cfg)
{
	char url[128], ca[MG_PATH_MAX];
	long code = 0;
	CURL *c = curl_easy_init();

	if (c == NULL || mg_config_path(cfg, cfg->ca_cert, ca, sizeof(ca)) != 0) {
		curl_easy_cleanup(c);
		return false;
	}
	snprintf(url, sizeof(url), "https://localhost:%u/api/v1/health", cfg->web.port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code == 200;
}

/* medgated beside this medgatectl, else from PATH. */
static void daemon_path(char *out, size_t outlen)
{
	char self[MG_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(out, outlen, "%s/medgated", dirname(self));
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, outlen, "medgated");
}

static int daemon_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	for (int64_t until = mg_monotonic_ms() + DRILL_STOP_MS; mg_monotonic_ms() < until;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : MG_ERR_IO;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return MG_ERR_UNAVAILABLE;
}

/* Start the restored instance, wait for it to answer (restore time ends
 * there), check its trail, stop it. */
static int drill_serve(const char *scratch, const struct mg_config *cfg, int64_t t0,
		       int64_t *restore_ms, char *err, size_t errlen)
{
	char exe[MG_PATH_MAX], conf[MG_PATH_MAX], log[MG_PATH_MAX];
	const char *const argv[] = { exe, "-c", conf, NULL };
	bool up = false;
	pid_t pid;
	int r, status;

	daemon_path(exe, sizeof(exe));
	snprintf(conf, sizeof(conf), "%s/medgate.conf", scratch);
	snprintf(log, sizeof(log), "%s/medgated.stderr", scratch);
	if (mg_run_start(argv, log, &pid) != 0) {
		snprintf(err, errlen, "cannot start medgated: %s", strerror(errno));
		return MG_ERR_IO;
	}
	for (int64_t until = mg_monotonic_ms() + DRILL_START_MS; !up && mg_monotonic_ms() < until;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			snprintf(err, errlen, "the restored medgated exited at start (status %d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return MG_ERR_IO;
		}
		if (!(up = answers(cfg)))
			usleep(100 * 1000);
	}
	*restore_ms = mg_monotonic_ms() - t0;
	if (!up) {
		daemon_stop(pid);
		snprintf(err, errlen, "the restored medgated did not answer within %d s",
			 DRILL_START_MS / 1000);
		return MG_ERR_UNAVAILABLE;
	}
	r = cli_backup_copy_verify(cfg, err, errlen);
	if (daemon_stop(pid) != 0 && r == 0) {
		snprintf(err, errlen, "the restored medgated did not stop cleanly");
		r = MG_ERR_IO;
	}
	return r;
}

static int drill_run(struct cli *cli, const char *file, const unsigned char *sk, int64_t t0,
		     int64_t *restore_ms, char *err, size_t errlen)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	char scratch[] = "/tmp/medgate-drill-XXXXXX", db[40] = "", conninfo[600];
	struct mg_backup_reader *rd = NULL;
	bool pg, made = false;
	int r;

	if (cfg == NULL)
		return MG_ERR_NOMEM;
	if ((r = mg_backup_reader_open(file, &rd, err, errlen)) != 0)
		goto out;
	if (mkdtemp(scratch) == NULL) {
		snprintf(err, errlen, "cannot make a folder in /tmp: %s", strerror(errno));
		r = MG_ERR_IO;
		goto out;
	}
	made = true;
	pg = strcmp(mg_backup_reader_manifest(rd)->storage, "postgresql") == 0;
	if (pg) {
		cli_backup_scratch_name("medgate_drill_", db);
		snprintf(conninfo, sizeof(conninfo), "%s dbname=%s", cli->cfg.storage_conninfo, db);
		if ((r = cli_backup_scratch_db(cli->cfg.storage_conninfo, db, true, err, errlen)) != 0) {
			db[0] = '\0';
			goto out;
		}
	}
	if ((r = cli_backup_unpack(cli, rd, sk, file, scratch, pg ? conninfo : NULL, false,
				   "backup.drill", NULL, cfg, err, errlen)) != 0)
		goto out;
	drill_config(cfg);
	if ((r = cli_backup_config_rewrite(scratch, cfg, err, errlen)) != 0)
		goto out;
	r = drill_serve(scratch, cfg, t0, restore_ms, err, errlen);
out:
	if (made && mg_backup_remove_tree(scratch) != 0)
		fprintf(stderr, "medgatectl: remove the scratch folder %s by hand\n", scratch);
	if (db[0] != '\0') {
		char e2[256];

		if (cli_backup_scratch_db(cli->cfg.storage_conninfo, db, false, e2, sizeof(e2)) != 0)
			fprintf(stderr, "medgatectl: drop the scratch database %s by hand: %s\n", db,
				e2);
	}
	mg_backup_reader_free(rd);
	free(cfg);
	return r;
}

/* The outcome, on the trail and in the setting the security page reads. */
static int drill_record(struct cli *cli, const char *file, int r, int64_t restore_ms,
			int64_t total_ms, const char *why)
{
	char details[1024], value[64], *text;
	json_t *o = json_pack("{ss ss sI sI}", "file", file, "result", r == 0 ? "passed" : "failed",
			      "restore_ms", (json_int_t)restore_ms, "total_ms", (json_int_t)total_ms);

	if (o != NULL && r != 0)
		json_object_set_new(o, "reason", json_string(why));
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	snprintf(details, sizeof(details), "%s", text != NULL && strlen(text) < sizeof(details)
						 ? text : "{}");
	free(text);
	json_decref(o);
	snprintf(value, sizeof(value), "%lld %s %lld", (long long)mg_now_ms(),
		 r == 0 ? "passed" : "failed", (long long)restore_ms);
	if (cli_record(cli, "backup.drill", NULL, 0, 0, r == 0 ? MG_AUDIT_SUCCESS
							 : MG_AUDIT_FAILURE, details) != 0 ||
	    mg_store_setting_set(cli->store, MG_SETTING_BACKUP_DRILL, value) != 0)
		return MG_ERR_STORE;
	if (r == 0) {	/* for /metrics and the health page */
		snprintf(value, sizeof(value), "%lld", (long long)mg_now_ms());
		if (mg_store_setting_set(cli->store, MG_SETTING_DRILL_LAST_MS, value) != 0)
			return MG_ERR_STORE;
	}
	return 0;
}

int cli_backup_drill(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--key", NULL };
	const char *file = argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL, *key;
	unsigned char sk[MG_RECOVERY_KEY_BYTES];
	char path[MG_PATH_MAX], err[1024] = "";
	int64_t t0, restore_ms = 0;
	bool bad = false;
	int shift = file != NULL ? 1 : 0, r;

	key = cli_option(argc - shift, argv + shift, "--key", &bad);
	if (bad || key == NULL || !cli_options_known(argc - shift, argv + shift, names)) {
		fprintf(stderr, "usage: medgatectl backup drill [FILE] --key KEYFILE\n");
		return 2;
	}
	if (cli_backup_secret_key(key, sk) != 0 || cli_open(cli, true) != 0)
		return 1;
	if (file == NULL) {
		if (newest_backup(&cli->cfg, path, sizeof(path)) != 0) {
			fprintf(stderr, "medgatectl: no backup (*%s) in the [backup] folder %s; "
					"name one\n", MG_BACKUP_SUFFIX, cli->cfg.backup_folder);
			return 1;
		}
		file = path;
	}
	t0 = mg_monotonic_ms();
	r = drill_run(cli, file, sk, t0, &restore_ms, err, sizeof(err));
	sodium_memzero(sk, sizeof(sk));
	if (drill_record(cli, file, r, restore_ms, mg_monotonic_ms() - t0, err) != 0)
		return 1;
	if (r != 0) {
		fprintf(stderr, "medgatectl: drill of %s failed: %s\n", file, err);
		return 1;
	}
	printf("drill of %s passed: restored and answering in %lld ms; audit trail intact\n",
	       file, (long long)restore_ms);
	return 0;
}
