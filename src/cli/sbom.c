/* medgatectl sbom: the software bill of materials of the installed
 * medgate (docs/sbom.md), as CycloneDX 1.5 JSON. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "sbom/sbom.h"

static int sbom_usage(void)
{
	fprintf(stderr, "usage: medgatectl sbom [--binary PATH ...] [--out FILE]\n");
	return 2;
}

/* medgate's programs beside this medgatectl: medgated in the same folder,
 * medgate-device there or in ../bin (sbin and bin once installed). */
static size_t programs_beside(char paths[][PATH_MAX], size_t max)
{
	static const char *const names[] = {"medgatectl", "medgated", "medgate-device",
					    "../bin/medgate-device"};
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	size_t count = 0;
	bool device = false;

	if (n <= 0)
		return 0;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && count < max; i++) {
		bool is_device = strstr(names[i], "medgate-device") != NULL;

		if (is_device && device)
			continue;
		if ((size_t)snprintf(paths[count], PATH_MAX, "%s/%s", self, names[i]) >= PATH_MAX ||
		    access(paths[count], X_OK) != 0)
			continue;
		device = device || is_device;
		count++;
	}
	return count;
}

int cli_sbom_collect(int *argi, int argc, char **argv, struct mg_sbom **out)
{
	char found[MG_SBOM_BINARIES_MAX][PATH_MAX], err[512] = "";
	const char *paths[MG_SBOM_BINARIES_MAX];
	size_t n = 0;
	int r;

	*out = NULL;
	while (*argi + 1 < argc && strcmp(argv[*argi], "--binary") == 0) {
		if (n >= MG_SBOM_BINARIES_MAX) {
			fprintf(stderr, "medgatectl: at most %d --binary\n", MG_SBOM_BINARIES_MAX);
			return MG_ERR_LIMIT;
		}
		paths[n++] = argv[*argi + 1];
		*argi += 2;
	}
	if (n == 0) {
		n = programs_beside(found, MG_SBOM_BINARIES_MAX);
		for (size_t i = 0; i < n; i++)
			paths[i] = found[i];
	}
	if (n == 0) {
		fprintf(stderr,
			"medgatectl: cannot find medgate's programs; name them with --binary\n");
		return MG_ERR_IO;
	}
	if ((r = mg_sbom_collect(paths, n, out, err, sizeof(err))) != 0)
		fprintf(stderr, "medgatectl: sbom: %s\n", err[0] ? err : mg_strerror(r));
	return r;
}

/* A random (version 4) UUID for the BOM's serial number. */
static void uuid_make(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

int cli_sbom(struct cli *cli, int argc, char **argv)
{
	struct mg_sbom *sbom = NULL;
	const char *file = NULL;
	char serial[37];
	json_t *bom = NULL;
	int argi = 1, status = 1, fd = -1;
	FILE *f = stdout;

	(void)cli;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: medgatectl sbom [--binary PATH ...] [--out FILE]\n");
		return 0;
	}
	if (cli_sbom_collect(&argi, argc, argv, &sbom) != 0)
		return argi < argc && strcmp(argv[argi], "--binary") == 0 ? sbom_usage() : 1;
	if (argi + 2 == argc && strcmp(argv[argi], "--out") == 0)
		file = argv[argi + 1];
	else if (argi != argc) {
		mg_sbom_free(sbom);
		return sbom_usage();
	}
	uuid_make(serial);
	if ((bom = mg_sbom_cyclonedx(sbom, serial, mg_now_ms())) == NULL) {
		fprintf(stderr, "medgatectl: sbom: out of memory\n");
		goto out;
	}
	if (file != NULL) {
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "medgatectl: %s: %s\n", file, strerror(errno));
			goto out;
		}
		fd = -1;
	}
	if (json_dumpf(bom, f, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0) {
		fprintf(stderr, "medgatectl: sbom: cannot write\n");
		goto out;
	}
	status = 0;
out:
	if (f != stdout && f != NULL && fclose(f) != 0)
		status = 1;
	if (fd >= 0)
		close(fd);
	json_decref(bom);
	mg_sbom_free(sbom);
	return status;
}
