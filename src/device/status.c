/* `status`: what the state folder holds, without touching the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "device/device.h"
#include "device/est.h"
#include "device/file.h"
#include "device/options.h"
#include "device/queue.h"
#include "device/state.h"

static void print_certificate(const char *dir, int64_t now_ms)
{
	char path[MG_PATH_MAX], subject[256], issuer[256], when[MG_TIME_TEXT_LEN];
	long long expires;
	char *pem = NULL;
	size_t len;

	if (mg_device_state_path(dir, MG_DEVICE_CERT_FILE, path, sizeof(path)) != 0 ||
	    mg_device_file_read(path, MG_DEVICE_CERT_FILE_MAX, &pem, &len) != 0) {
		printf("certificate: none\n");
		return;
	}
	if (mg_device_est_cert_info(pem, len, subject, sizeof(subject), issuer, sizeof(issuer),
				    &expires) != 0 ||
	    mg_time_format((int64_t)expires * 1000, when, sizeof(when)) != 0) {
		printf("certificate: unreadable\n");
	} else {
		printf("certificate: %s\n", subject);
		printf("issuer:      %s\n", issuer);
		printf("expires:     %s%s\n", when,
		       (int64_t)expires * 1000 < now_ms ? " (EXPIRED)" : "");
	}
	free(pem);
}

/* The end of a maintenance this device consented to, while it lasts. */
static void print_maintenance(const char *dir, int64_t now_ms)
{
	char path[MG_PATH_MAX], *text = NULL;
	int64_t until = 0;
	size_t len;

	if (mg_device_state_path(dir, MG_DEVICE_MAINTENANCE_FILE, path, sizeof(path)) != 0 ||
	    mg_device_file_read(path, 64, &text, &len) != 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	if (mg_time_parse(text, &until) == 0 && until > now_ms)
		printf("maintenance: out of service until %s (measurements wait here)\n", text);
	free(text);
}

int mg_device_cmd_status(int argc, char **argv)
{
	struct mg_device_state st;
	struct mg_device_queue q;
	char dir[MG_PATH_MAX], err[256];
	size_t queued = 0, rejected = 0;
	int r;

	if (mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " status: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (mg_device_state_load(dir, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": status: %s: %s\n", dir, err);
		return MG_DEVICE_EXIT_ERROR;
	}
	printf("state:       %s\n", st.dir);
	printf("server:      %s\n", st.server);
	printf("name:        %s\n", st.name);
	print_certificate(dir, mg_now_ms());
	if ((r = mg_device_queue_open(&q, dir)) != 0 ||
	    (r = mg_device_queue_count(&q, &queued, &rejected)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": status: cannot read the queue: %s\n",
			mg_strerror(r));
		return MG_DEVICE_EXIT_ERROR;
	}
	print_maintenance(dir, mg_now_ms());
	printf("queued:      %zu\n", queued);
	printf("rejected:    %zu\n", rejected);
	mg_device_queue_close(&q);
	return MG_DEVICE_EXIT_OK;
}
