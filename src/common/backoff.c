#include "common/backoff.h"

#include <sodium.h>

int64_t mg_backoff_base_ms(int64_t failures, int64_t max_ms)
{
	int64_t ms = MG_BACKOFF_FIRST_MS;

	for (int64_t i = 0; i < failures && ms < max_ms; i++)
		ms *= 2;
	return ms > max_ms ? max_ms : ms;
}

int64_t mg_backoff_ms(int64_t failures, int64_t max_ms)
{
	int64_t ms = mg_backoff_base_ms(failures, max_ms);

	if (ms <= 0)
		return 0;
	return ms + (int64_t)randombytes_uniform((uint32_t)(ms / 5 + 1));
}
