/* The inventory: medgate's programs, every library they load (followed
 * through DT_NEEDED as the loader resolves it), and the dpkg package
 * each file belongs to. */
#include "sbom/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hex.h"

struct object {
	char *path; /* as the loader found it (real path) */
	unsigned machine;
	size_t needs[MG_ELF_NEEDED_MAX];
	size_t nneeds;
	long pkg; /* index in packages, -1 none */
};

struct walk {
	struct object *obj;
	size_t n, current;
	struct sbom_dirs dirs;
	char *err;
	size_t errlen;
};

static int file_map(const char *path, const unsigned char **buf, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return MG_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > MG_SBOM_FILE_MAX) {
		close(fd);
		errno = EINVAL;
		return MG_ERR_IO;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return MG_ERR_IO;
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static int count_cb(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return 0;
}

/* Whether path is an ELF object for machine (the loader skips others). */
static bool elf_fits(const char *path, unsigned machine)
{
	const unsigned char *buf;
	size_t len;
	unsigned m;
	bool ok;

	if (file_map(path, &buf, &len) != 0)
		return false;
	ok = mg_elf_needed(buf, len, &m, count_cb, NULL) == 0 && m == machine;
	munmap((void *)(uintptr_t)buf, len);
	return ok;
}

static int object_add(struct walk *w, const char *real, unsigned machine, size_t *index)
{
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->obj[i].path, real) == 0) {
			*index = i;
			return 0;
		}
	}
	/* Room for the "/usr" alias dpkg may know it by (aliases()). */
	if (strlen(real) + 5 > MG_PATH_MAX) {
		snprintf(w->err, w->errlen, "%.64s...: path longer than %d bytes", real,
			 MG_PATH_MAX - 5);
		return MG_ERR_LIMIT;
	}
	if (w->n >= MG_SBOM_OBJECTS_MAX) {
		snprintf(w->err, w->errlen, "more than %d libraries", MG_SBOM_OBJECTS_MAX);
		return MG_ERR_LIMIT;
	}
	if ((w->obj[w->n].path = strdup(real)) == NULL)
		return MG_ERR_NOMEM;
	w->obj[w->n].machine = machine;
	w->obj[w->n].pkg = -1;
	*index = w->n++;
	return 0;
}

static int needed_cb(const char *name, void *arg)
{
	struct walk *w = arg;
	struct object *o = &w->obj[w->current];
	char path[MG_PATH_MAX], real[PATH_MAX]; /* realpath needs PATH_MAX */
	size_t index;
	int r;

	for (size_t i = 0; i < w->dirs.n; i++) {
		if (name[0] == '/')
			snprintf(path, sizeof(path), "%s", name);
		else if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->dirs.dir[i], name) >=
			 sizeof(path))
			continue;
		if (!elf_fits(path, o->machine) || realpath(path, real) == NULL) {
			if (name[0] == '/')
				break;
			continue;
		}
		if ((r = object_add(w, real, o->machine, &index)) != 0)
			return r;
		o = &w->obj[w->current];
		if (index != w->current)
			o->needs[o->nneeds++] = index;
		return 0;
	}
	snprintf(w->err, w->errlen, "%s: library %s not found", o->path, name);
	return MG_ERR_IO;
}

static int object_walk(struct walk *w, size_t i, struct mg_sbom_binary *bin)
{
	const unsigned char *buf;
	size_t len;
	unsigned machine;
	unsigned char hash[crypto_hash_sha256_BYTES];
	int r;

	if (file_map(w->obj[i].path, &buf, &len) != 0) {
		snprintf(w->err, w->errlen, "%s: %s", w->obj[i].path, strerror(errno));
		return MG_ERR_IO;
	}
	w->current = i;
	r = mg_elf_needed(buf, len, &machine, count_cb, NULL);
	if (r == 0 && i < MG_SBOM_BINARIES_MAX && bin != NULL) {
		w->obj[i].machine = machine;
		crypto_hash_sha256(hash, buf, len);
		mg_hex_encode(hash, sizeof(hash), MG_HEX_LOWER, bin->sha256, sizeof(bin->sha256));
	}
	if (r == 0)
		r = mg_elf_needed(buf, len, &machine, needed_cb, w);
	else
		snprintf(w->err, w->errlen, "%s: not an ELF object", w->obj[i].path);
	munmap((void *)(uintptr_t)buf, len);
	return r;
}

/* ---- dpkg ---- */

static int package_find_or_add(struct mg_sbom *sbom, const char *name, size_t n, long *index)
{
	struct mg_sbom_package *more;

	for (size_t i = 0; i < sbom->npackages; i++) {
		if (strlen(sbom->packages[i].name) == n &&
		    memcmp(sbom->packages[i].name, name, n) == 0) {
			*index = (long)i;
			return 0;
		}
	}
	more = realloc(sbom->packages, (sbom->npackages + 1) * sizeof(*more));
	if (more == NULL)
		return MG_ERR_NOMEM;
	sbom->packages = more;
	memset(&more[sbom->npackages], 0, sizeof(*more));
	if ((more[sbom->npackages].name = strndup(name, n)) == NULL)
		return MG_ERR_NOMEM;
	*index = (long)sbom->npackages++;
	return 0;
}

/* The spellings dpkg may know a library by on a merged-/usr system. */
static size_t aliases(const char *path, char out[2][MG_PATH_MAX])
{
	size_t n = 0;

	snprintf(out[n++], MG_PATH_MAX, "%s", path);
	if (strncmp(path, "/usr/", 5) == 0)
		snprintf(out[n++], MG_PATH_MAX, "%s", path + 4);
	else if (path[0] == '/')
		snprintf(out[n++], MG_PATH_MAX, "/usr%s", path);
	return n;
}

/* dpkg-query -S for every object: "pkg[:arch][, pkg2]: /path" lines. */
static int owners_find(struct walk *w, struct mg_sbom *sbom, long *self_pkg)
{
	char **argv = calloc(w->n * 2 + 3, sizeof(char *)), (*al)[MG_PATH_MAX] = NULL;
	char *out = NULL, *line, *next;
	size_t argc = 0, len;
	int r;

	al = calloc(w->n * 2, MG_PATH_MAX);
	if (argv == NULL || al == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	argv[argc++] = "dpkg-query";
	argv[argc++] = "-S";
	for (size_t i = 0; i < w->n; i++) {
		size_t k = aliases(w->obj[i].path, &al[i * 2]);

		for (size_t j = 0; j < k; j++)
			argv[argc++] = al[i * 2 + j];
	}
	if ((r = sbom_run(argv, &out, &len)) != 0) {
		snprintf(w->err, w->errlen, "cannot run dpkg-query -S");
		goto out;
	}
	for (line = out; line != NULL && *line != '\0'; line = next) {
		char *sep, *path;
		size_t pn;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "diversion ", 10) == 0 || (sep = strstr(line, ": /")) == NULL)
			continue;
		path = sep + 2;
		pn = strcspn(line, ",");
		if (pn > (size_t)(sep - line))
			pn = (size_t)(sep - line);
		for (size_t i = 0; i < w->n; i++) {
			char mine[2][MG_PATH_MAX];
			size_t k = aliases(w->obj[i].path, mine);
			long index;

			for (size_t j = 0; j < k; j++) {
				if (strcmp(mine[j], path) != 0 || w->obj[i].pkg >= 0)
					continue;
				if (i < sbom->nbinaries) {
					if (*self_pkg < 0 &&
					    (sbom->self_package = strndup(line, pn)) != NULL)
						*self_pkg = 0;
					continue;
				}
				if ((r = package_find_or_add(sbom, line, pn, &index)) != 0)
					goto out;
				w->obj[i].pkg = index;
			}
		}
	}
out:
	free(out);
	free(al);
	free(argv);
	return r;
}

static char *field_take(char **p)
{
	char *start = *p, *tab = strchr(start, '\t');
	size_t n;

	if (tab != NULL) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = start + strlen(start);
	}
	n = strlen(start);
	return strndup(start, n < MG_SBOM_FIELD_MAX ? n : MG_SBOM_FIELD_MAX - 1);
}

#define DPKG_FORMAT                                                                                \
	"${binary:Package}\t${Version}\t${Architecture}\t${Maintainer}\t"                          \
	"${source:Package}\t${source:Version}\t${Homepage}\n"

/* dpkg-query -W for the owning packages (and medgate's own). */
static int packages_describe(struct mg_sbom *sbom, char *err, size_t errlen)
{
	char **argv = calloc(sbom->npackages + 5, sizeof(char *)), *out = NULL, *line, *next;
	size_t argc = 0, len;
	int r;

	if (argv == NULL)
		return MG_ERR_NOMEM;
	argv[argc++] = "dpkg-query";
	argv[argc++] = "-W";
	argv[argc++] = "-f=" DPKG_FORMAT;
	for (size_t i = 0; i < sbom->npackages; i++)
		argv[argc++] = sbom->packages[i].name;
	if (sbom->self_package != NULL)
		argv[argc++] = sbom->self_package;
	if ((r = sbom_run(argv, &out, &len)) != 0)
		snprintf(err, errlen, "cannot run dpkg-query -W");
	for (line = out; r == 0 && line != NULL && *line != '\0'; line = next) {
		char *p = strchr(line, '\t');

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (p == NULL)
			continue;
		*p++ = '\0';
		if (sbom->self_package != NULL && strcmp(line, sbom->self_package) == 0) {
			free(sbom->self_version);
			sbom->self_version = field_take(&p);
			continue;
		}
		for (size_t i = 0; i < sbom->npackages; i++) {
			struct mg_sbom_package *k = &sbom->packages[i];
			char bare[MG_SBOM_FIELD_MAX];

			if (strcmp(k->name, line) != 0 || k->owned)
				continue;
			k->owned = true;
			k->version = field_take(&p);
			k->arch = field_take(&p);
			k->maintainer = field_take(&p);
			k->source = field_take(&p);
			k->source_version = field_take(&p);
			k->homepage = field_take(&p);
			/* "libsodium23:amd64" is "libsodium23" to everything but dpkg. */
			snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(k->name, ":"), k->name);
			k->license = sbom_license(bare);
			k->name[strcspn(k->name, ":")] = '\0';
			if (!k->version || !k->arch || !k->maintainer || !k->source ||
			    !k->source_version || !k->homepage || !k->license)
				r = MG_ERR_NOMEM;
			break;
		}
	}
	free(out);
	free(argv);
	return r;
}

static int needs_add(size_t **needs, size_t *n, size_t pkg)
{
	size_t *more;

	for (size_t i = 0; i < *n; i++)
		if ((*needs)[i] == pkg)
			return 0;
	if ((more = realloc(*needs, (*n + 1) * sizeof(*more))) == NULL)
		return MG_ERR_NOMEM;
	more[(*n)++] = pkg;
	*needs = more;
	return 0;
}

/* A library no package owns is a component of its own, by file name. */
static int unowned_name(struct walk *w, struct mg_sbom *sbom)
{
	for (size_t i = sbom->nbinaries; i < w->n; i++) {
		const char *base = strrchr(w->obj[i].path, '/');
		long index;
		int r;

		if (w->obj[i].pkg >= 0)
			continue;
		base = base != NULL ? base + 1 : w->obj[i].path;
		if ((r = package_find_or_add(sbom, base, strlen(base), &index)) != 0)
			return r;
		w->obj[i].pkg = index;
	}
	for (size_t i = 0; i < sbom->npackages; i++) {
		struct mg_sbom_package *k = &sbom->packages[i];
		char **f[] = {&k->version,        &k->arch,     &k->maintainer, &k->source,
			      &k->source_version, &k->homepage, &k->license};

		for (size_t j = 0; j < sizeof(f) / sizeof(f[0]); j++)
			if (*f[j] == NULL && (*f[j] = strdup("")) == NULL)
				return MG_ERR_NOMEM;
	}
	return 0;
}

static int graph_build(struct walk *w, struct mg_sbom *sbom)
{
	int r = 0;

	for (size_t i = 0; i < w->n && r == 0; i++) {
		for (size_t j = 0; j < w->obj[i].nneeds && r == 0; j++) {
			size_t to = (size_t)w->obj[w->obj[i].needs[j]].pkg;

			if (i < sbom->nbinaries)
				r = needs_add(&sbom->binaries[i].needs, &sbom->binaries[i].nneeds,
					      to);
			else if ((size_t)w->obj[i].pkg != to)
				r = needs_add(&sbom->packages[w->obj[i].pkg].needs,
					      &sbom->packages[w->obj[i].pkg].nneeds, to);
		}
	}
	return r;
}

int mg_sbom_collect(const char *const *paths, size_t n, struct mg_sbom **out, char *err,
		    size_t errlen)
{
	struct mg_sbom *sbom = calloc(1, sizeof(*sbom));
	struct walk *w = calloc(1, sizeof(*w));
	char real[PATH_MAX]; /* realpath needs PATH_MAX */
	long self_pkg = -1;
	size_t index;
	int r = 0;

	*out = NULL;
	if (sbom == NULL || w == NULL ||
	    (w->obj = calloc(MG_SBOM_OBJECTS_MAX, sizeof(*w->obj))) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (n == 0 || n > MG_SBOM_BINARIES_MAX) {
		snprintf(err, errlen, "give 1 to %d programs", MG_SBOM_BINARIES_MAX);
		r = MG_ERR_LIMIT;
		goto out;
	}
	w->err = err;
	w->errlen = errlen;
	sbom_os_release("/etc/os-release", sbom);
	sbom_loader_dirs("/etc/ld.so.conf", &w->dirs);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (realpath(paths[i], real) == NULL) {
			snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
			r = MG_ERR_IO;
		} else if ((r = object_add(w, real, 0, &index)) == 0 && index != i) {
			snprintf(err, errlen, "%s named twice", paths[i]);
			r = MG_ERR_INVALID;
		} else if (r == 0 && (sbom->binaries[i].path = strdup(real)) == NULL) {
			r = MG_ERR_NOMEM;
		}
		sbom->nbinaries = i + 1;
	}
	for (size_t i = 0; r == 0 && i < w->n; i++)
		r = object_walk(w, i, i < n ? &sbom->binaries[i] : NULL);
	if (r == 0)
		r = owners_find(w, sbom, &self_pkg);
	if (r == 0)
		r = packages_describe(sbom, err, errlen);
	if (r == 0)
		r = unowned_name(w, sbom);
	if (r == 0)
		r = graph_build(w, sbom);
	if (r == 0 && sbom->self_version == NULL &&
	    (sbom->self_version = strdup(MG_VERSION)) == NULL)
		r = MG_ERR_NOMEM;
	if (r == 0) {
		*out = sbom;
		sbom = NULL;
	}
out:
	if (w != NULL && w->obj != NULL)
		for (size_t i = 0; i < w->n; i++)
			free(w->obj[i].path);
	if (w != NULL)
		free(w->obj);
	free(w);
	mg_sbom_free(sbom);
	return r;
}

void mg_sbom_free(struct mg_sbom *sbom)
{
	if (sbom == NULL)
		return;
	for (size_t i = 0; i < sbom->nbinaries; i++) {
		free(sbom->binaries[i].path);
		free(sbom->binaries[i].needs);
	}
	for (size_t i = 0; i < sbom->npackages; i++) {
		struct mg_sbom_package *k = &sbom->packages[i];

		free(k->name);
		free(k->version);
		free(k->arch);
		free(k->source);
		free(k->source_version);
		free(k->maintainer);
		free(k->license);
		free(k->homepage);
		free(k->needs);
	}
	free(sbom->packages);
	free(sbom->self_version);
	free(sbom->self_package);
	free(sbom);
}
