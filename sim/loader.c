/* sim/loader.c - guest image loading (see loader.h): format detection by content, gzip
 * (zlib, bounded), ELF32/ELF64 (libelf, validated here because libelf does not check that
 * segments lie inside the file), Linux arm64 Image, raw binaries; placement into guest RAM. */
#include "sim/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DEFAULT_GUNZIP_LIMIT (512ull << 20)
#define PF_RWX 7u

/* Linux Documentation/arm64/booting.rst: "ARM\x64" at offset 0x38 of the 64-byte header. */
#define ARM64_IMAGE_MAGIC 0x644d5241u
#define ARM64_IMAGE_HDR_SIZE 64
#define ARM64_IMAGE_FLAG_BE 1ull
/* booting.rst: "Prior to v3.17 ... image_size is zero and text_offset can be assumed 0x80000". */
#define ARM64_IMAGE_OLD_TEXT_OFFSET 0x80000ull
/* booting.rst: "The Image must be placed text_offset bytes from a 2MB aligned base address". */
#define ARM64_IMAGE_BASE_ALIGN (2ull << 20)

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* [off, off+size) inside a buffer of len bytes, without overflow. */
static bool in_file(uint64_t off, uint64_t size, uint64_t len)
{
    return off <= len && size <= len - off;
}

const char *sim_image_format_name(enum sim_image_format f)
{
    switch (f) {
    case SIM_IMG_ELF32: return "ELF32";
    case SIM_IMG_ELF64: return "ELF64";
    case SIM_IMG_ARM64_IMAGE: return "arm64 Image";
    case SIM_IMG_RAW: return "raw";
    default: return "none";
    }
}

const char *sim_image_arch_name(enum sim_image_arch a)
{
    switch (a) {
    case SIM_ARCH_ARM64: return "arm64";
    case SIM_ARCH_X86_64: return "x86_64";
    case SIM_ARCH_X86_32: return "x86_32";
    default: return "unknown";
    }
}

/* Xen xen/include/public/elfnote.h; string-ness as in Xen's
 * xen/common/libelf/libelf-dominfo.c elf_xen_parse_note() note_desc[]. */
static const struct {
    const char *name;
    bool str;
} xen_notes[] = {
    [0] = {"INFO", false},
    [1] = {"ENTRY", false},
    [2] = {"HYPERCALL_PAGE", false},
    [3] = {"VIRT_BASE", false},
    [4] = {"PADDR_OFFSET", false},
    [5] = {"XEN_VERSION", true},
    [6] = {"GUEST_OS", true},
    [7] = {"GUEST_VERSION", true},
    [8] = {"LOADER", true},
    [9] = {"PAE_MODE", true},
    [10] = {"FEATURES", true},
    [11] = {"BSD_SYMTAB", true},
    [12] = {"HV_START_LOW", false},
    [13] = {"L1_MFN_VALID", false},
    [14] = {"SUSPEND_CANCEL", false},
    [15] = {"INIT_P2M", false},
    [16] = {"MOD_START_PFN", false},
    [17] = {"SUPPORTED_FEATURES", false},
    [18] = {"PHYS32_ENTRY", false},
};

const char *sim_image_note_name(uint32_t type)
{
    if (type < sizeof(xen_notes) / sizeof(xen_notes[0]) && xen_notes[type].name)
        return xen_notes[type].name;
    return NULL;
}

/* ---- gzip ---------------------------------------------------------------------------- */

/* Inflate a gzip file (RFC 1952) into a new buffer of at most limit bytes. zlib checks the
 * trailer's CRC32 and ISIZE; trailing bytes after the member are refused. */
static int gunzip(const uint8_t *in, size_t inlen, uint64_t limit, uint8_t **out, size_t *outlen,
                  char *err, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return fail(err, errlen, -ENOMEM, "zlib: inflateInit2 failed");
    if (limit > SIZE_MAX - 1)
        limit = SIZE_MAX - 1;
    /* Grow geometrically; the buffer holds at most limit + 1 bytes so an excess is seen. */
    size_t cap = inlen < (SIZE_MAX / 4) ? inlen * 4 + 4096 : SIZE_MAX;
    if (cap > limit + 1)
        cap = (size_t)limit + 1;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        inflateEnd(&zs);
        return fail(err, errlen, -ENOMEM, "out of memory inflating gzip data");
    }
    size_t have = 0;
    int rc = 0, zr;
    /* zlib's avail_in is a uInt: feed at most UINT32_MAX at a time. */
    const uint8_t *next = in;
    size_t left = inlen;
    for (;;) {
        if (zs.avail_in == 0 && left) {
            uInt n = left > 0x40000000u ? 0x40000000u : (uInt)left;
            zs.next_in = (Bytef *)(uintptr_t)next;
            zs.avail_in = n;
            next += n;
            left -= n;
        }
        if (have == cap) {
            if (have > limit) {
                rc = fail(err, errlen, -EFBIG, "decompressed size exceeds limit of %" PRIu64 " bytes",
                          limit);
                break;
            }
            size_t ncap = cap > (SIZE_MAX / 2) ? SIZE_MAX : cap * 2;
            if (ncap > limit + 1)
                ncap = (size_t)limit + 1;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = fail(err, errlen, -ENOMEM, "out of memory inflating gzip data");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - have;
        if (room > 0x40000000u)
            room = 0x40000000u;
        zs.next_out = buf + have;
        zs.avail_out = (uInt)room;
        zr = inflate(&zs, Z_NO_FLUSH);
        have += room - zs.avail_out;
        if (have > limit) {
            rc = fail(err, errlen, -EFBIG, "decompressed size exceeds limit of %" PRIu64 " bytes",
                      limit);
            break;
        }
        if (zr == Z_STREAM_END) {
            if (zs.avail_in || left)
                rc = fail(err, errlen, -EINVAL, "trailing data after the gzip stream (%zu bytes)",
                          (size_t)zs.avail_in + left);
            break;
        }
        if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR) {
            rc = fail(err, errlen, -EINVAL, "corrupt gzip data: %s",
                      zs.msg ? zs.msg : "inflate failed");
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rc = fail(err, errlen, -ENOMEM, "out of memory inflating gzip data");
            break;
        }
        /* Z_OK or Z_BUF_ERROR: no progress possible once the input is used up and there
         * is still room for output -> the stream ended early. */
        if (zs.avail_in == 0 && !left && zs.avail_out != 0) {
            rc = fail(err, errlen, -EINVAL, "truncated gzip stream (%zu bytes inflated)", have);
            break;
        }
    }
    inflateEnd(&zs);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = have;
    return 0;
}

/* ---- ELF ----------------------------------------------------------------------------- */

static void note_string(char *dst, size_t dstlen, const uint8_t *p, uint32_t n)
{
    size_t j = 0;
    for (uint32_t i = 0; i < n && p[i] && j + 1 < dstlen; i++)
        dst[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[j] = 0;
}

/* Parse one note area (ELF gABI "Note Section": namesz, descsz, type, name, desc, each
 * padded to the area's alignment) and record the notes named "Xen". */
static int parse_notes(struct sim_image_info *info, const uint8_t *p, uint64_t size, uint64_t align,
                       char *err, size_t errlen)
{
    uint64_t off = 0;
    align = align == 8 ? 8 : 4;
    while (size - off >= 12) {
        uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
        off += 12;
        if (namesz > size - off)
            return fail(err, errlen, -EINVAL, "ELF note name (namesz %" PRIu32 ") runs past the end of "
                        "the note area", namesz);
        const uint8_t *name = p + off;
        uint64_t npad = ((uint64_t)namesz + align - 1) & ~(align - 1);
        off = npad > size - off ? size : off + npad;
        if (descsz > size - off)
            return fail(err, errlen, -EINVAL, "ELF note descriptor (descsz %" PRIu32 ") runs past the end "
                        "of the note area", descsz);
        const uint8_t *desc = p + off;
        uint64_t dpad = ((uint64_t)descsz + align - 1) & ~(align - 1);
        off = dpad > size - off ? size : off + dpad;
        if (namesz != 4 || memcmp(name, "Xen", 4))
            continue;
        if (info->nnotes == SIM_IMAGE_MAX_NOTES)
            return fail(err, errlen, -E2BIG, "more than %d Xen ELF notes", SIM_IMAGE_MAX_NOTES);
        struct sim_image_note *n = &info->notes[info->nnotes++];
        memset(n, 0, sizeof(*n));
        n->type = type;
        n->descsz = descsz;
        bool known = sim_image_note_name(type) != NULL;
        bool numeric_size = descsz == 1 || descsz == 2 || descsz == 4 || descsz == 8;
        if (known ? xen_notes[type].str : !numeric_size) {
            n->is_string = true;
            note_string(n->str, sizeof(n->str), desc, descsz);
        } else if (numeric_size) {
            /* Xen libelf elf_note_numeric(): 1, 2, 4 or 8 bytes, target byte order (LE). */
            for (uint32_t i = 0; i < descsz; i++)
                n->value |= (uint64_t)desc[i] << (8 * i);
        }
        if (type == SIM_XEN_ELFNOTE_PHYS32_ENTRY) {
            if (!numeric_size)
                return fail(err, errlen, -EINVAL, "Xen note PHYS32_ENTRY has a %" PRIu32 "-byte "
                            "descriptor (expected 4)", descsz);
            if (n->value > 0xffffffffull)
                return fail(err, errlen, -EINVAL, "Xen note PHYS32_ENTRY 0x%" PRIx64 " is not a "
                            "32-bit address", n->value);
            info->has_phys32_entry = true;
            info->phys32_entry = n->value;
        }
    }
    return 0;
}

static int elf_machine_arch(unsigned machine, enum sim_image_arch *arch)
{
    switch (machine) {
    case EM_AARCH64: *arch = SIM_ARCH_ARM64; return 0;
    case EM_X86_64: *arch = SIM_ARCH_X86_64; return 0;
    case EM_386: *arch = SIM_ARCH_X86_32; return 0;
    default: return -ENOTSUP;
    }
}

/* Check the raw ELF header's table fields before libelf looks at them. */
static int elf_check_header(const uint8_t *b, size_t len, bool is64, char *err, size_t errlen)
{
    uint64_t phoff, shoff;
    unsigned phentsize, phnum, shentsize, shnum, ehsize, want_ph, want_sh;
    if (is64) {
        if (len < sizeof(Elf64_Ehdr))
            return fail(err, errlen, -EINVAL, "truncated ELF64 header (%zu bytes, need %zu)", len,
                        sizeof(Elf64_Ehdr));
        phoff = rd64(b + offsetof(Elf64_Ehdr, e_phoff));
        shoff = rd64(b + offsetof(Elf64_Ehdr, e_shoff));
        ehsize = rd16(b + offsetof(Elf64_Ehdr, e_ehsize));
        phentsize = rd16(b + offsetof(Elf64_Ehdr, e_phentsize));
        phnum = rd16(b + offsetof(Elf64_Ehdr, e_phnum));
        shentsize = rd16(b + offsetof(Elf64_Ehdr, e_shentsize));
        shnum = rd16(b + offsetof(Elf64_Ehdr, e_shnum));
        want_ph = sizeof(Elf64_Phdr);
        want_sh = sizeof(Elf64_Shdr);
    } else {
        if (len < sizeof(Elf32_Ehdr))
            return fail(err, errlen, -EINVAL, "truncated ELF32 header (%zu bytes, need %zu)", len,
                        sizeof(Elf32_Ehdr));
        phoff = rd32(b + offsetof(Elf32_Ehdr, e_phoff));
        shoff = rd32(b + offsetof(Elf32_Ehdr, e_shoff));
        ehsize = rd16(b + offsetof(Elf32_Ehdr, e_ehsize));
        phentsize = rd16(b + offsetof(Elf32_Ehdr, e_phentsize));
        phnum = rd16(b + offsetof(Elf32_Ehdr, e_phnum));
        shentsize = rd16(b + offsetof(Elf32_Ehdr, e_shentsize));
        shnum = rd16(b + offsetof(Elf32_Ehdr, e_shnum));
        want_ph = sizeof(Elf32_Phdr);
        want_sh = sizeof(Elf32_Shdr);
    }
    (void)ehsize;
    if (phnum == 0)
        return fail(err, errlen, -ENOEXEC, "ELF file has no program headers (no PT_LOAD segments)");
    if (phnum == PN_XNUM)
        return fail(err, errlen, -ENOTSUP, "ELF extended program header numbering (PN_XNUM) is not "
                    "supported");
    if (phentsize != want_ph)
        return fail(err, errlen, -EINVAL, "ELF e_phentsize %u, expected %u", phentsize, want_ph);
    if (!in_file(phoff, (uint64_t)phnum * phentsize, len))
        return fail(err, errlen, -EINVAL, "ELF program header table [0x%" PRIx64 ", +%u*%u) lies "
                    "beyond the end of the file (%zu bytes)", phoff, phnum, phentsize, len);
    if (shoff) {
        /* gABI: e_shnum 0 with e_shoff set means the count is in section 0's sh_size. */
        uint64_t n = shnum;
        if (shentsize != want_sh)
            return fail(err, errlen, -EINVAL, "ELF e_shentsize %u, expected %u", shentsize, want_sh);
        if (!in_file(shoff, want_sh, len))
            return fail(err, errlen, -EINVAL, "ELF section header table at 0x%" PRIx64 " lies beyond "
                        "the end of the file", shoff);
        if (n == 0)
            n = is64 ? rd64(b + shoff + offsetof(Elf64_Shdr, sh_size))
                     : rd32(b + shoff + offsetof(Elf32_Shdr, sh_size));
        if (n > len / want_sh || !in_file(shoff, n * want_sh, len))
            return fail(err, errlen, -EINVAL, "ELF section header table (%" PRIu64 " entries at 0x%"
                        PRIx64 ") lies beyond the end of the file", n, shoff);
    }
    return 0;
}

static int parse_elf_with(Elf *e, struct sim_image *img, bool is64, char *err, size_t errlen)
{
    struct sim_image_info *info = &img->info;
    const uint8_t *b = img->buf;
    size_t len = img->len;
    GElf_Ehdr eh;
    if (!gelf_getehdr(e, &eh))
        return fail(err, errlen, -EINVAL, "bad ELF header: %s", elf_errmsg(-1));
    info->format = is64 ? SIM_IMG_ELF64 : SIM_IMG_ELF32;
    if (elf_machine_arch(eh.e_machine, &info->arch))
        return fail(err, errlen, -ENOTSUP, "unsupported ELF machine %u", (unsigned)eh.e_machine);
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return fail(err, errlen, -ENOEXEC, "ELF type %u is not an executable (ET_EXEC/ET_DYN)",
                    (unsigned)eh.e_type);
    size_t phnum;
    if (elf_getphdrnum(e, &phnum))
        return fail(err, errlen, -EINVAL, "bad ELF program headers: %s", elf_errmsg(-1));
    bool have_pt_note = false;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph))
            return fail(err, errlen, -EINVAL, "bad ELF program header %zu: %s", i, elf_errmsg(-1));
        if (ph.p_type == PT_NOTE) {
            if (!in_file(ph.p_offset, ph.p_filesz, len))
                return fail(err, errlen, -EINVAL, "PT_NOTE %zu [0x%" PRIx64 ", +0x%" PRIx64 ") lies "
                            "beyond the end of the file (%zu bytes)", i, (uint64_t)ph.p_offset,
                            (uint64_t)ph.p_filesz, len);
            int rc = parse_notes(info, b + ph.p_offset, ph.p_filesz, ph.p_align, err, errlen);
            if (rc)
                return rc;
            have_pt_note = true;
            continue;
        }
        if (ph.p_type != PT_LOAD)
            continue;
        /* ELF gABI "Program Header": p_filesz <= p_memsz, the file image is [p_offset,
         * p_offset + p_filesz) of the file; the rest of the memory image is zero. */
        if (!in_file(ph.p_offset, ph.p_filesz, len))
            return fail(err, errlen, -EINVAL, "PT_LOAD %zu: file range [0x%" PRIx64 ", +0x%" PRIx64
                        ") lies beyond the end of the file (%zu bytes)", i, (uint64_t)ph.p_offset,
                        (uint64_t)ph.p_filesz, len);
        if (ph.p_filesz > ph.p_memsz)
            return fail(err, errlen, -EINVAL, "PT_LOAD %zu: p_filesz 0x%" PRIx64 " > p_memsz 0x%"
                        PRIx64, i, (uint64_t)ph.p_filesz, (uint64_t)ph.p_memsz);
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
            return fail(err, errlen, -EOVERFLOW, "PT_LOAD %zu: p_paddr 0x%" PRIx64 " + p_memsz 0x%"
                        PRIx64 " overflows", i, (uint64_t)ph.p_paddr, (uint64_t)ph.p_memsz);
        if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
            return fail(err, errlen, -EOVERFLOW, "PT_LOAD %zu: p_vaddr 0x%" PRIx64 " + p_memsz 0x%"
                        PRIx64 " overflows", i, (uint64_t)ph.p_vaddr, (uint64_t)ph.p_memsz);
        if (!is64 && ph.p_paddr + ph.p_memsz > 0x100000000ull)
            return fail(err, errlen, -EOVERFLOW, "PT_LOAD %zu: [0x%" PRIx64 ", +0x%" PRIx64 ") "
                        "extends beyond 4 GiB in an ELF32 file", i, (uint64_t)ph.p_paddr,
                        (uint64_t)ph.p_memsz);
        if (ph.p_memsz == 0)
            continue; /* occupies nothing */
        if (info->nseg == SIM_IMAGE_MAX_SEGMENTS)
            return fail(err, errlen, -E2BIG, "more than %d PT_LOAD segments", SIM_IMAGE_MAX_SEGMENTS);
        struct sim_image_segment *s = &info->seg[info->nseg];
        for (unsigned j = 0; j < info->nseg; j++) {
            const struct sim_image_segment *o = &info->seg[j];
            if (ph.p_paddr < o->paddr + o->memsz && o->paddr < ph.p_paddr + ph.p_memsz)
                return fail(err, errlen, -EINVAL, "PT_LOAD segments overlap: [0x%" PRIx64 ", 0x%"
                            PRIx64 ") and [0x%" PRIx64 ", 0x%" PRIx64 ")", o->paddr,
                            o->paddr + o->memsz, (uint64_t)ph.p_paddr,
                            (uint64_t)(ph.p_paddr + ph.p_memsz));
        }
        s->paddr = ph.p_paddr;
        s->vaddr = ph.p_vaddr;
        s->data = b + ph.p_offset;
        s->filesz = ph.p_filesz;
        s->memsz = ph.p_memsz;
        s->flags = ph.p_flags;
        info->nseg++;
    }
    if (info->nseg == 0)
        return fail(err, errlen, -ENOEXEC, "ELF file has no (non-empty) PT_LOAD segments");
    /* No PT_NOTE: look for the Xen notes in SHT_NOTE sections (e.g. an unlinked-style or
     * stripped-of-phdr-notes image). */
    if (!have_pt_note) {
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(e, scn))) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh))
                return fail(err, errlen, -EINVAL, "bad ELF section header: %s", elf_errmsg(-1));
            if (sh.sh_type != SHT_NOTE)
                continue;
            if (!in_file(sh.sh_offset, sh.sh_size, len))
                return fail(err, errlen, -EINVAL, "SHT_NOTE section [0x%" PRIx64 ", +0x%" PRIx64 ") "
                            "lies beyond the end of the file (%zu bytes)", (uint64_t)sh.sh_offset,
                            (uint64_t)sh.sh_size, len);
            int rc = parse_notes(info, b + sh.sh_offset, sh.sh_size, sh.sh_addralign, err, errlen);
            if (rc)
                return rc;
        }
    }
    /* The entry point is a virtual address: translate it through the PT_LOAD holding it. */
    info->entry = eh.e_entry;
    for (unsigned i = 0; i < info->nseg; i++) {
        const struct sim_image_segment *s = &info->seg[i];
        if (eh.e_entry >= s->vaddr && eh.e_entry - s->vaddr < s->memsz) {
            info->entry = s->paddr + (eh.e_entry - s->vaddr);
            break;
        }
    }
    return 0;
}

static int parse_elf(struct sim_image *img, char *err, size_t errlen)
{
    const uint8_t *b = img->buf;
    size_t len = img->len;
    if (len < EI_NIDENT)
        return fail(err, errlen, -EINVAL, "truncated ELF header (%zu bytes)", len);
    bool is64;
    if (b[EI_CLASS] == ELFCLASS64)
        is64 = true;
    else if (b[EI_CLASS] == ELFCLASS32)
        is64 = false;
    else
        return fail(err, errlen, -EINVAL, "bad ELF class %u", b[EI_CLASS]);
    if (b[EI_DATA] == ELFDATA2MSB)
        return fail(err, errlen, -ENOTSUP, "big-endian ELF is not supported (hvsim is little-endian "
                    "only)");
    if (b[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, -EINVAL, "bad ELF data encoding %u", b[EI_DATA]);
    if (b[EI_VERSION] != EV_CURRENT)
        return fail(err, errlen, -EINVAL, "bad ELF version %u", b[EI_VERSION]);
    int rc = elf_check_header(b, len, is64, err, errlen);
    if (rc)
        return rc;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail(err, errlen, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
    Elf *e = elf_memory((char *)img->buf, len);
    if (!e)
        return fail(err, errlen, -EINVAL, "libelf: %s", elf_errmsg(-1));
    if (elf_kind(e) != ELF_K_ELF) {
        elf_end(e);
        return fail(err, errlen, -EINVAL, "libelf does not recognise the ELF file");
    }
    rc = parse_elf_with(e, img, is64, err, errlen);
    elf_end(e);
    return rc;
}

/* ---- arm64 Image, raw ------------------------------------------------------------------ */

static int parse_arm64_image(struct sim_image *img, const struct sim_load_opts *o, char *err,
                             size_t errlen)
{
    struct sim_image_info *info = &img->info;
    const uint8_t *b = img->buf;
    size_t len = img->len;
    if (len < ARM64_IMAGE_HDR_SIZE)
        return fail(err, errlen, -EINVAL, "truncated arm64 Image header (%zu bytes, need %d)", len,
                    ARM64_IMAGE_HDR_SIZE);
    info->format = SIM_IMG_ARM64_IMAGE;
    info->arch = SIM_ARCH_ARM64;
    info->efi_stub = b[0] == 'M' && b[1] == 'Z'; /* PE/COFF "MZ" of the EFI stub */
    info->text_offset = rd64(b + 8);
    info->image_size = rd64(b + 16);
    info->flags = rd64(b + 24);
    /* booting.rst flags bit 0: kernel endianness, 1 = big-endian. */
    if (info->flags & ARM64_IMAGE_FLAG_BE)
        return fail(err, errlen, -ENOTSUP, "big-endian arm64 Image (flags bit 0 set) is not "
                    "supported: hvsim is little-endian only");
    uint64_t memsz;
    if (info->image_size == 0) {
        info->text_offset = ARM64_IMAGE_OLD_TEXT_OFFSET;
        memsz = len;
    } else {
        if (len > info->image_size)
            return fail(err, errlen, -EINVAL, "file larger than image_size (%zu > 0x%" PRIx64 " bytes)",
                        len, info->image_size);
        memsz = info->image_size;
    }
    uint64_t base = o->ram_base & ~(ARM64_IMAGE_BASE_ALIGN - 1);
    uint64_t pa = base + info->text_offset;
    if (pa < base || pa + memsz < pa)
        return fail(err, errlen, -EOVERFLOW, "arm64 Image at 0x%" PRIx64 " + text_offset 0x%" PRIx64
                    " + size 0x%" PRIx64 " overflows the address space", base, info->text_offset,
                    memsz);
    struct sim_image_segment *s = &info->seg[0];
    s->paddr = s->vaddr = pa;
    s->data = b;
    s->filesz = len;
    s->memsz = memsz;
    s->flags = PF_RWX;
    info->nseg = 1;
    info->entry = pa; /* booting.rst: "jump to the first instruction of the kernel image" */
    return 0;
}

static int parse_raw(struct sim_image *img, const struct sim_load_opts *o, char *err, size_t errlen)
{
    struct sim_image_info *info = &img->info;
    if (o->load_addr + img->len < o->load_addr)
        return fail(err, errlen, -EOVERFLOW, "raw image at 0x%" PRIx64 " (%zu bytes) overflows the "
                    "address space", o->load_addr, img->len);
    info->format = SIM_IMG_RAW;
    info->arch = SIM_ARCH_UNKNOWN;
    struct sim_image_segment *s = &info->seg[0];
    s->paddr = s->vaddr = o->load_addr;
    s->data = img->buf;
    s->filesz = s->memsz = img->len;
    s->flags = PF_RWX;
    info->nseg = 1;
    info->entry = o->load_addr;
    return 0;
}

static bool is_gzip(const uint8_t *b, size_t len) { return len >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

static int parse_owned(struct sim_image *img, const struct sim_load_opts *o, char *err, size_t errlen)
{
    if (img->len == 0)
        return fail(err, errlen, -EINVAL, "empty file");
    if (is_gzip(img->buf, img->len)) {
        uint8_t *out = NULL;
        size_t outlen = 0;
        int rc = gunzip(img->buf, img->len, o->gunzip_limit ? o->gunzip_limit : DEFAULT_GUNZIP_LIMIT,
                        &out, &outlen, err, errlen);
        if (rc)
            return rc;
        free(img->buf);
        img->buf = out;
        img->len = outlen;
        img->info.gzipped = true;
        if (outlen == 0)
            return fail(err, errlen, -EINVAL, "gzip stream decompresses to an empty file");
        if (is_gzip(out, outlen))
            return fail(err, errlen, -EINVAL, "gzip inside gzip is not supported (one level only)");
    }
    const uint8_t *b = img->buf;
    size_t len = img->len;
    img->info.file_size = len;
    if (len >= 4 && !memcmp(b, ELFMAG, SELFMAG))
        return parse_elf(img, err, errlen);
    if (len >= ARM64_IMAGE_HDR_SIZE && rd32(b + 56) == ARM64_IMAGE_MAGIC)
        return parse_arm64_image(img, o, err, errlen);
    if (len < ARM64_IMAGE_HDR_SIZE && len >= 2 && b[0] == 'M' && b[1] == 'Z' && !o->have_load_addr)
        return parse_arm64_image(img, o, err, errlen); /* reports the truncated header */
    if (o->have_load_addr)
        return parse_raw(img, o, err, errlen);
    return fail(err, errlen, -ENOEXEC, "unrecognised image format (not ELF, arm64 Image or gzip); "
                "use --load-addr for a raw binary");
}

static int parse_take(uint8_t *buf, size_t len, const struct sim_load_opts *opts,
                      struct sim_image *img, char *err, size_t errlen)
{
    static const struct sim_load_opts defaults;
    memset(img, 0, sizeof(*img));
    img->buf = buf;
    img->len = len;
    if (err && errlen)
        err[0] = 0;
    int rc = parse_owned(img, opts ? opts : &defaults, err, errlen);
    if (rc)
        sim_image_free(img);
    return rc;
}

int sim_image_parse_buf(const uint8_t *data, size_t len, const struct sim_load_opts *opts,
                        struct sim_image *img, char *err, size_t errlen)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        memset(img, 0, sizeof(*img));
        return fail(err, errlen, -ENOMEM, "out of memory (%zu bytes)", len);
    }
    if (len)
        memcpy(buf, data, len);
    return parse_take(buf, len, opts, img, err, errlen);
}

int sim_image_parse(const char *path, const struct sim_load_opts *opts, struct sim_image *img,
                    char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, -errno, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return fail(err, errlen, -e, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(err, errlen, -EISDIR, "cannot read: %s", strerror(EISDIR));
    }
    /* Read to EOF (st_size is only a hint: pipes and /proc files report 0). Streams that
     * are not regular files (a pipe, /dev/zero) are bounded like gzip output. */
    uint64_t max = S_ISREG(st.st_mode) ? SIZE_MAX
                   : (opts && opts->gunzip_limit ? opts->gunzip_limit : DEFAULT_GUNZIP_LIMIT);
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return fail(err, errlen, -ENOMEM, "out of memory reading the file");
    }
    for (;;) {
        if (len > max) {
            free(buf);
            close(fd);
            return fail(err, errlen, -EFBIG, "input stream longer than %" PRIu64 " bytes", max);
        }
        if (len == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return fail(err, errlen, -ENOMEM, "out of memory reading the file");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return fail(err, errlen, -e, "cannot read: %s", strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    return parse_take(buf, len, opts, img, err, errlen);
}

void sim_image_free(struct sim_image *img)
{
    if (!img)
        return;
    free(img->buf);
    memset(img, 0, sizeof(*img));
}

/* ---- placement ------------------------------------------------------------------------- */

int sim_image_place(const struct sim_image *img, struct sim_mem *mem, char *err, size_t errlen)
{
    const struct sim_image_info *info = &img->info;
    /* Check everything first so a failing load writes nothing. */
    for (unsigned i = 0; i < info->nseg; i++) {
        const struct sim_image_segment *s = &info->seg[i];
        if (s->memsz == 0)
            continue;
        if (s->paddr + s->memsz < s->paddr || s->filesz > s->memsz)
            return fail(err, errlen, -EINVAL, "segment %u at 0x%" PRIx64 " is malformed", i, s->paddr);
        if (!sim_mem_is_ram(mem, s->paddr, s->memsz))
            return fail(err, errlen, -EFAULT, "segment %u [0x%" PRIx64 ", 0x%" PRIx64 ") is outside "
                        "guest RAM", i, s->paddr, s->paddr + s->memsz);
    }
    static const uint8_t zero[4096];
    for (unsigned i = 0; i < info->nseg; i++) {
        const struct sim_image_segment *s = &info->seg[i];
        int rc = s->filesz ? sim_mem_write_buf(mem, s->paddr, s->data, s->filesz) : 0;
        for (uint64_t off = s->filesz; !rc && off < s->memsz;) {
            uint64_t n = s->memsz - off < sizeof(zero) ? s->memsz - off : sizeof(zero);
            rc = sim_mem_write_buf(mem, s->paddr + off, zero, n);
            off += n;
        }
        if (rc)
            return fail(err, errlen, rc, "segment %u: copy to 0x%" PRIx64 " failed: %s", i, s->paddr,
                        strerror(-rc));
    }
    return 0;
}

/* ---- description ----------------------------------------------------------------------- */

static void flags_str(uint32_t f, char out[4])
{
    out[0] = f & PF_R ? 'R' : '-';
    out[1] = f & PF_W ? 'W' : '-';
    out[2] = f & PF_X ? 'X' : '-';
    out[3] = 0;
}

void sim_image_describe(const struct sim_image *img, FILE *f)
{
    const struct sim_image_info *in = &img->info;
    fprintf(f, "format:       %s\n", sim_image_format_name(in->format));
    fprintf(f, "arch:         %s\n", sim_image_arch_name(in->arch));
    fprintf(f, "gzipped:      %s\n", in->gzipped ? "yes" : "no");
    fprintf(f, "size:         %" PRIu64 " bytes%s\n", in->file_size,
            in->gzipped ? " (decompressed)" : "");
    fprintf(f, "entry:        0x%" PRIx64 "\n", in->entry);
    if (in->has_phys32_entry)
        fprintf(f, "phys32 entry: 0x%" PRIx64 " (XEN_ELFNOTE_PHYS32_ENTRY, PVH)\n", in->phys32_entry);
    if (in->format == SIM_IMG_ARM64_IMAGE) {
        fprintf(f, "Image header: text_offset 0x%" PRIx64 ", image_size 0x%" PRIx64 ", flags 0x%"
                PRIx64 " (%s-endian, %s pages, %s placement), EFI stub %s\n",
                in->text_offset, in->image_size, in->flags,
                in->flags & 1 ? "big" : "little",
                /* booting.rst flags bits 1-2: page size 0 unspecified, 1 4K, 2 16K, 3 64K */
                ((const char *[]){"unspecified", "4K", "16K", "64K"})[(in->flags >> 1) & 3],
                in->flags & 8 ? "anywhere" : "near base of DRAM", in->efi_stub ? "yes" : "no");
    }
    fprintf(f, "segments:     %u\n", in->nseg);
    for (unsigned i = 0; i < in->nseg; i++) {
        const struct sim_image_segment *s = &in->seg[i];
        char fl[4];
        flags_str(s->flags, fl);
        fprintf(f, "  [%u] paddr 0x%" PRIx64 " vaddr 0x%" PRIx64 " filesz 0x%" PRIx64 " memsz 0x%"
                PRIx64 " flags %s\n", i, s->paddr, s->vaddr, s->filesz, s->memsz, fl);
    }
    if (in->nnotes) {
        fprintf(f, "xen notes:    %u\n", in->nnotes);
        for (unsigned i = 0; i < in->nnotes; i++) {
            const struct sim_image_note *n = &in->notes[i];
            const char *name = sim_image_note_name(n->type);
            char unk[24];
            if (!name) {
                snprintf(unk, sizeof(unk), "type %" PRIu32, n->type);
                name = unk;
            }
            if (n->is_string)
                fprintf(f, "  %-18s \"%s\"\n", name, n->str);
            else if (n->descsz == 1 || n->descsz == 2 || n->descsz == 4 || n->descsz == 8)
                fprintf(f, "  %-18s 0x%" PRIx64 "\n", name, n->value);
            else
                fprintf(f, "  %-18s (%" PRIu32 "-byte descriptor)\n", name, n->descsz);
        }
    }
}
