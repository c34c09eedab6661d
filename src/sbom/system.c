/* What the inventory asks the installed system: the distribution
 * (/etc/os-release), the loader's library folders (/etc/ld.so.conf and
 * what it includes), dpkg's answers (dpkg-query, run without a shell),
 * and a package's licence from its machine-readable copyright file. */
#include "sbom/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

#define OS_RELEASE_MAX  (64 * 1024)
#define LDCONF_MAX      (64 * 1024)
#define LDCONF_DEPTH    4
#define COPYRIGHT_MAX   (4u << 20)
#define DPKG_OUTPUT_MAX (16u << 20)

static void os_value(const char *line, const char *key, char *out, size_t outlen)
{
	size_t k = strlen(key), n;
	const char *v;

	if (strncmp(line, key, k) != 0 || line[k] != '=')
		return;
	v = line + k + 1;
	n = strcspn(v, "\n");
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v++;
		n -= 2;
	}
	if (n < outlen && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789._-") >= n)
		snprintf(out, outlen, "%.*s", (int)n, v);
}

void sbom_os_release(const char *path, struct mg_sbom *sbom)
{
	char *text = NULL, *line;
	size_t len;

	snprintf(sbom->distro, sizeof(sbom->distro), "debian");
	if (mg_file_read(path, OS_RELEASE_MAX, &text, &len) != 0)
		return;
	for (line = text; line != NULL && *line != '\0';
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		os_value(line, "ID", sbom->distro, sizeof(sbom->distro));
		os_value(line, "VERSION_ID", sbom->distro_version, sizeof(sbom->distro_version));
		os_value(line, "VERSION_CODENAME", sbom->codename, sizeof(sbom->codename));
	}
	free(text);
}

static int dir_add(struct sbom_dirs *d, const char *dir, size_t n)
{
	if (n == 0 || n >= MG_PATH_MAX || dir[0] != '/')
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->dir[i]) == n && memcmp(d->dir[i], dir, n) == 0)
			return 0;
	if (d->n >= SBOM_DIRS_MAX)
		return MG_ERR_LIMIT;
	snprintf(d->dir[d->n++], MG_PATH_MAX, "%.*s", (int)n, dir);
	return 0;
}

/* ldconfig's syntax: folders separated by white space, ':' or ',',
 * "include GLOB" (relative to the including file's folder), '#' comments. */
static void ldconf_read(struct sbom_dirs *d, const char *path, int depth)
{
	char *text = NULL, *line, *next;
	size_t len;

	if (depth > LDCONF_DEPTH || mg_file_read(path, LDCONF_MAX, &text, &len) != 0)
		return;
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		line += strspn(line, " \t");
		if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
			char pattern[MG_PATH_MAX];
			const char *slash = strrchr(path, '/');
			glob_t g;
			char *pat = line + 8 + strspn(line + 8, " \t");

			pat[strcspn(pat, " \t\r")] = '\0';
			if (pat[0] == '/' || slash == NULL)
				snprintf(pattern, sizeof(pattern), "%s", pat);
			else
				snprintf(pattern, sizeof(pattern), "%.*s/%s", (int)(slash - path),
					 path, pat);
			if (glob(pattern, 0, NULL, &g) == 0)
				for (size_t i = 0; i < g.gl_pathc; i++)
					ldconf_read(d, g.gl_pathv[i], depth + 1);
			globfree(&g);
			continue;
		}
		if (strncmp(line, "hwcap", 5) == 0)
			continue;
		while (*line != '\0') {
			size_t n = strcspn(line, " \t\r:,");

			if (dir_add(d, line, n) != 0)
				break;
			line += n;
			line += strspn(line, " \t\r:,");
		}
	}
	free(text);
}

void sbom_loader_dirs(const char *ldconf, struct sbom_dirs *d)
{
	d->n = 0;
	ldconf_read(d, ldconf, 0);
	dir_add(d, "/lib", 4);
	dir_add(d, "/usr/lib", 8);
}

int sbom_run(char *const argv[], char **out, size_t *len)
{
	static char *const env[] = {"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);
	int fds[2] = {-1, -1}, status = 0, r = MG_ERR_IO;
	pid_t pid = -1;
	ssize_t got;

	*out = NULL;
	*len = 0;
	if (buf == NULL)
		return MG_ERR_NOMEM;
	if (pipe2(fds, O_CLOEXEC) != 0 || posix_spawn_file_actions_init(&fa) != 0) {
		free(buf);
		return MG_ERR_IO;
	}
	if (posix_spawn_file_actions_adddup2(&fa, fds[1], 1) == 0 &&
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0 &&
	    posix_spawnp(&pid, argv[0], &fa, NULL, argv, env) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (pid > 0) {
		if (n + 1 >= cap) {
			char *more = cap * 2 <= DPKG_OUTPUT_MAX ? realloc(buf, cap * 2) : NULL;

			if (more == NULL)
				break;
			buf = more;
			cap *= 2;
		}
		got = read(fds[0], buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got == 0 ? 0 : MG_ERR_IO;
			break;
		}
		n += (size_t)got;
	}
	close(fds[0]);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		/* dpkg-query exits 1 when some of the names were not found. */
		if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) > 1))
			r = MG_ERR_IO;
	}
	if (r != 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The value of the first "License:" line of the copyright paragraph for
 * "Files: *", else of the first one; "" if the file is not
 * machine-readable (DEP-5). */
char *sbom_license(const char *package)
{
	char path[MG_PATH_MAX], *text = NULL, *p, *found = NULL, *result;
	size_t len, n;
	bool all_files = false;

	snprintf(path, sizeof(path), "/usr/share/doc/%s/copyright", package);
	if (strchr(package, '/') != NULL || mg_file_read(path, COPYRIGHT_MAX, &text, &len) != 0)
		return strdup("");
	n = strcspn(text, "\n");
	if (strncmp(text, "Format:", 7) != 0 ||
	    memmem(text, n, "copyright-format/1.0", 20) == NULL) {
		free(text);
		return strdup("");
	}
	p = text + n;
	for (char *line = p; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');

		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '\0')
			all_files = false;
		else if (strncmp(line, "Files:", 6) == 0)
			all_files = strcmp(line + 6 + strspn(line + 6, " \t"), "*") == 0;
		else if (strncmp(line, "License:", 8) == 0) {
			char *v = line + 8 + strspn(line + 8, " \t");

			if (*v != '\0' && (found == NULL || all_files))
				found = v;
			if (all_files && *v != '\0')
				break;
		}
		line = next;
	}
	n = found != NULL ? strcspn(found, "\r") : 0;
	result =
	    strndup(found != NULL ? found : "", n < MG_SBOM_FIELD_MAX ? n : MG_SBOM_FIELD_MAX - 1);
	free(text);
	return result;
}
