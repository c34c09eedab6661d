#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

int mg_store_open(const struct mg_config *cfg, bool create, struct mg_store **out,
		  char *err, size_t errlen)
{
	char path[MG_PATH_MAX];

	*out = NULL;
	if (strcmp(cfg->storage_backend, "sqlite") == 0) {
		if (mg_config_path(cfg, cfg->storage_path, path, sizeof(path)) != 0) {
			snprintf(err, errlen, "[storage] path too long");
			return MG_ERR_LIMIT;
		}
		return mg_store_sqlite_open(path, create, out, err, errlen);
	}
	snprintf(err, errlen, "[storage] backend %s is not available in this build",
		 cfg->storage_backend);
	return MG_ERR_CONFIG;
}

void mg_store_close(struct mg_store *s)
{
	if (s != NULL)
		s->close(s);
}

static const char *const status_names[] = { "active", "blocked", "revoked" };

const char *mg_device_status_name(enum mg_device_status st)
{
	return (unsigned)st < 3 ? status_names[st] : "unknown";
}

int mg_device_status_parse(const char *text, enum mg_device_status *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(text, status_names[i]) == 0) {
			*out = (enum mg_device_status)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}
