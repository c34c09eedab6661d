/* libFuzzer harness for the medgate.conf parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_config cfg;
	char err[256];

	mg_config_defaults(&cfg);
	err[0] = '\0';
	if (mg_config_parse((const char *)data, size, &cfg, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			__builtin_trap();	/* every refusal must say why */
		return 0;
	}
	/* What was accepted obeys the table's bounds. */
	if (cfg.device.port < 1 || cfg.device.port > 65535 ||
	    memchr(cfg.user, '\0', sizeof(cfg.user)) == NULL ||
	    memchr(cfg.storage_conninfo, '\0', sizeof(cfg.storage_conninfo)) == NULL)
		__builtin_trap();
	return 0;
}
