/* The libraries an ELF object names in its dynamic section (DT_NEEDED),
 * read from the file's bytes as the loader reads them: the program
 * headers give PT_DYNAMIC and the PT_LOAD segments, DT_STRTAB is an
 * address mapped back to a file offset through them. Every offset and
 * size is checked against the buffer before it is used; the file may be
 * anything. 32- and 64-bit little-endian objects (what Debian's amd64,
 * arm64, armhf and i386 run). */
#include "sbom/sbom.h"

#include <elf.h>
#include <string.h>

#include "common/err.h"

struct elf_view {
	const unsigned char *buf;
	size_t len;
	bool is64;
};

static uint64_t rd(const struct elf_view *v, size_t off, size_t n)
{
	uint64_t x = 0;

	for (size_t i = n; i > 0; i--)
		x = (x << 8) | v->buf[off + i - 1];
	return x;
}

static bool in_range(const struct elf_view *v, uint64_t off, uint64_t n)
{
	return off <= v->len && n <= v->len - off;
}

struct segment {
	uint64_t type, offset, vaddr, filesz;
};

static int phdr_read(const struct elf_view *v, uint64_t phoff, size_t i, size_t phentsize,
		     struct segment *s)
{
	uint64_t at = phoff + (uint64_t)i * phentsize;

	if (!in_range(v, at, phentsize))
		return MG_ERR_INVALID;
	s->type = rd(v, at, 4);
	if (v->is64) {
		s->offset = rd(v, at + 8, 8);
		s->vaddr = rd(v, at + 16, 8);
		s->filesz = rd(v, at + 32, 8);
	} else {
		s->offset = rd(v, at + 4, 4);
		s->vaddr = rd(v, at + 8, 4);
		s->filesz = rd(v, at + 16, 4);
	}
	return 0;
}

/* The file offset of address addr, through the PT_LOAD segment holding it. */
static int addr_to_offset(const struct elf_view *v, uint64_t phoff, size_t phnum, size_t phentsize,
			  uint64_t addr, uint64_t *off)
{
	struct segment s;

	for (size_t i = 0; i < phnum; i++) {
		if (phdr_read(v, phoff, i, phentsize, &s) != 0)
			return MG_ERR_INVALID;
		if (s.type == PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
			*off = s.offset + (addr - s.vaddr);
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

/* A library name as DT_NEEDED holds it: a plain file name or a path. */
static bool needed_name_ok(const char *name, size_t n)
{
	if (n == 0 || n > MG_SBOM_SONAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

int mg_elf_needed(const unsigned char *buf, size_t len, unsigned *machine_out, mg_elf_needed_cb cb,
		  void *arg)
{
	struct elf_view v = {buf, len, false};
	uint64_t phoff, dyn_off = 0, dyn_size = 0, strtab_addr = 0, strsz = 0, str_off;
	size_t phnum, phentsize, dsize, ndyn, nneeded = 0;
	struct segment s;
	bool have_dyn = false, have_strtab = false;
	int r;

	*machine_out = 0;
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return MG_ERR_INVALID;
	if (buf[EI_DATA] != ELFDATA2LSB ||
	    (buf[EI_CLASS] != ELFCLASS64 && buf[EI_CLASS] != ELFCLASS32))
		return MG_ERR_INVALID;
	v.is64 = buf[EI_CLASS] == ELFCLASS64;
	if (!in_range(&v, 0, v.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return MG_ERR_INVALID;
	*machine_out = (unsigned)rd(&v, 18, 2);
	phoff = v.is64 ? rd(&v, 32, 8) : rd(&v, 28, 4);
	phentsize = (size_t)rd(&v, v.is64 ? 54 : 42, 2);
	phnum = (size_t)rd(&v, v.is64 ? 56 : 44, 2);
	if (phentsize < (v.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    phnum > MG_ELF_PHDR_MAX || !in_range(&v, phoff, (uint64_t)phnum * phentsize))
		return MG_ERR_INVALID;
	for (size_t i = 0; i < phnum; i++) {
		if ((r = phdr_read(&v, phoff, i, phentsize, &s)) != 0)
			return r;
		if (s.type == PT_DYNAMIC) {
			dyn_off = s.offset;
			dyn_size = s.filesz;
			have_dyn = true;
		}
	}
	if (!have_dyn)
		return 0; /* linked statically: needs nothing */
	dsize = v.is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	if (!in_range(&v, dyn_off, dyn_size))
		return MG_ERR_INVALID;
	ndyn = (size_t)(dyn_size / dsize);
	for (size_t i = 0; i < ndyn; i++) {
		uint64_t tag = rd(&v, dyn_off + i * dsize, dsize / 2);
		uint64_t val = rd(&v, dyn_off + i * dsize + dsize / 2, dsize / 2);

		if (tag == DT_NULL)
			break;
		if (tag == DT_STRTAB) {
			strtab_addr = val;
			have_strtab = true;
		} else if (tag == DT_STRSZ) {
			strsz = val;
		}
	}
	if (!have_strtab ||
	    addr_to_offset(&v, phoff, phnum, phentsize, strtab_addr, &str_off) != 0 ||
	    !in_range(&v, str_off, strsz))
		return MG_ERR_INVALID;
	for (size_t i = 0; i < ndyn; i++) {
		uint64_t tag = rd(&v, dyn_off + i * dsize, dsize / 2);
		uint64_t val = rd(&v, dyn_off + i * dsize + dsize / 2, dsize / 2);
		const char *name, *end;

		if (tag == DT_NULL)
			break;
		if (tag != DT_NEEDED)
			continue;
		if (val >= strsz || ++nneeded > MG_ELF_NEEDED_MAX)
			return MG_ERR_INVALID;
		name = (const char *)buf + str_off + val;
		end = memchr(name, '\0', (size_t)(strsz - val));
		if (end == NULL || !needed_name_ok(name, (size_t)(end - name)))
			return MG_ERR_INVALID;
		if ((r = cb(name, arg)) != 0)
			return r;
	}
	return 0;
}
