/* libFuzzer harness for the erasure log's reader (backup/erasures.c):
 * what backup restore reads from the file beside the backups before it
 * erases anything. With a key nobody holds no line can verify: every
 * input must be refused with a reason, and nothing may reach the
 * callback. */
#include <stddef.h>
#include <stdint.h>

#include "backup/erasures.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int reached(const struct mg_erasure *e, void *arg)
{
	(void)e;
	(void)arg;
	__builtin_trap();	/* an unsigned line was taken */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char err[256] = "";
	int r = mg_erasure_log_check((const char *)data, size, key, reached, NULL, err,
				     sizeof(err));

	if (r == 0 && size > 0)
		__builtin_trap();	/* text with no valid line accepted */
	if (r != 0 && err[0] == '\0')
		__builtin_trap();	/* every refusal says why */
	return 0;
}
