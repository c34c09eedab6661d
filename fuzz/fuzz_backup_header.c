/* libFuzzer harness for the backup file's header, manifest and trailer
 * parsers (backup/format.c): what `backup verify` reads from a file
 * before any signature is checked. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backup/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether name could leave the folder it is restored into: absolute, or
 * a component that is "." or ".." (or any starting with a dot). Dots
 * inside a name ("master..key") are only a file name. */
static int escapes(const char *name)
{
	if (name[0] == '/')
		return 1;
	for (const char *c = name; *c != '\0'; c++)
		if (*c == '.' && (c == name || c[-1] == '/'))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_backup_manifest m;
	unsigned char sig[MG_BACKUP_SIGNATURE_BYTES];
	uint64_t payload_len;
	size_t mlen;
	char err[256] = "";

	if (size >= MG_BACKUP_TRAILER_BYTES)
		(void)mg_backup_trailer_parse(data + size - MG_BACKUP_TRAILER_BYTES, &payload_len,
					      sig);
	if (mg_backup_prefix_parse(data, size, &mlen, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			__builtin_trap();	/* every refusal says why */
		return 0;
	}
	if (mlen == 0 || mlen > MG_BACKUP_MANIFEST_MAX)
		__builtin_trap();
	if (size < MG_BACKUP_PREFIX_BYTES + mlen)
		mlen = size - MG_BACKUP_PREFIX_BYTES;
	err[0] = '\0';
	if (mg_backup_manifest_parse((const char *)data + MG_BACKUP_PREFIX_BYTES, mlen, &m, err,
				     sizeof(err)) != 0) {
		if (err[0] == '\0')
			__builtin_trap();
		return 0;
	}
	/* What was accepted is safe to restore from. */
	if (m.nparts == 0 || m.nparts > MG_BACKUP_PARTS_MAX || m.format != MG_BACKUP_FORMAT ||
	    strlen(m.instance_id) != MG_BACKUP_INSTANCE_ID_LEN)
		__builtin_trap();
	for (size_t i = 0; i < m.nparts; i++)
		if (!mg_backup_part_name_ok(m.parts[i].name) || escapes(m.parts[i].name) ||
		    m.parts[i].size > MG_BACKUP_PART_SIZE_MAX)
			__builtin_trap();
	return 0;
}
