/* tests/sim/test_loader_gen.h - build guest image files by hand for the loader tests and
 * the fuzzer's seed corpus: ELF32/ELF64 (with <elf.h> structs, Xen notes as a PT_NOTE
 * segment or an SHT_NOTE section), Linux arm64 Image headers (booting.rst) and gzip.
 * Every builder returns a malloc'd buffer (caller frees) or NULL. */
#ifndef TEST_LOADER_GEN_H
#define TEST_LOADER_GEN_H

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct tl_seg {
    uint64_t paddr, vaddr, filesz, memsz;
    uint32_t flags;
};

struct tl_note {
    const char *name; /* NULL = "Xen" */
    uint32_t type;
    const void *desc;
    uint32_t descsz;
};

/* The byte at offset k of segment i's file data. */
static inline uint8_t tl_seg_byte(unsigned i, uint64_t k)
{
    return (uint8_t)(i * 0x40 + 1 + k * 7);
}

static inline size_t tl_align4(size_t x) { return (x + 3) & ~(size_t)3; }

static inline size_t tl_notes_size(const struct tl_note *n, unsigned nn)
{
    size_t sz = 0;
    for (unsigned i = 0; i < nn; i++)
        sz += 12 + tl_align4(strlen(n[i].name ? n[i].name : "Xen") + 1) + tl_align4(n[i].descsz);
    return sz;
}

static inline void tl_put_notes(uint8_t *p, const struct tl_note *n, unsigned nn)
{
    for (unsigned i = 0; i < nn; i++) {
        const char *name = n[i].name ? n[i].name : "Xen";
        uint32_t hdr[3] = {(uint32_t)strlen(name) + 1, n[i].descsz, n[i].type};
        memcpy(p, hdr, 12);
        p += 12;
        memcpy(p, name, hdr[0]);
        p += tl_align4(hdr[0]);
        if (n[i].descsz)
            memcpy(p, n[i].desc, n[i].descsz);
        p += tl_align4(n[i].descsz);
    }
}

/* ELF layout: Ehdr | Phdr[ns] (+ one PT_NOTE unless notes_in_section) | notes | segment data
 * | Shdr[2] (null, SHT_NOTE) when notes_in_section. Segment data is tl_seg_byte(i, k). */
static inline uint8_t *tl_elf(bool is64, uint16_t machine, uint64_t entry, const struct tl_seg *s,
                              unsigned ns, const struct tl_note *n, unsigned nn,
                              bool notes_in_section, size_t *len)
{
    *len = 0;
    size_t ehsz = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phsz = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t shsz = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    unsigned nph = ns + (nn && !notes_in_section ? 1 : 0);
    size_t notes_off = ehsz + nph * phsz, notes_sz = tl_notes_size(n, nn);
    size_t data_off = (notes_off + notes_sz + 7) & ~(size_t)7, total = data_off;
    for (unsigned i = 0; i < ns; i++)
        total += s[i].filesz;
    total = (total + 7) & ~(size_t)7;
    size_t sh_off = total;
    if (notes_in_section)
        total += 2 * shsz;
    uint8_t *b = calloc(1, total);
    if (!b)
        return NULL;
    memcpy(b, ELFMAG, SELFMAG);
    b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
    b[EI_DATA] = ELFDATA2LSB;
    b[EI_VERSION] = EV_CURRENT;
    size_t off = data_off;
    if (is64) {
        Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
        eh->e_type = ET_EXEC;
        eh->e_machine = machine;
        eh->e_version = EV_CURRENT;
        eh->e_entry = entry;
        eh->e_phoff = ehsz;
        eh->e_ehsize = (uint16_t)ehsz;
        eh->e_phentsize = (uint16_t)phsz;
        eh->e_phnum = (uint16_t)nph;
        Elf64_Phdr *ph = (Elf64_Phdr *)(b + ehsz);
        for (unsigned i = 0; i < ns; i++, ph++) {
            ph->p_type = PT_LOAD;
            ph->p_flags = s[i].flags;
            ph->p_offset = off;
            ph->p_vaddr = s[i].vaddr;
            ph->p_paddr = s[i].paddr;
            ph->p_filesz = s[i].filesz;
            ph->p_memsz = s[i].memsz;
            ph->p_align = 8;
            off += s[i].filesz;
        }
        if (nn && !notes_in_section) {
            ph->p_type = PT_NOTE;
            ph->p_offset = notes_off;
            ph->p_filesz = ph->p_memsz = notes_sz;
            ph->p_align = 4;
        }
        if (notes_in_section) {
            eh->e_shoff = sh_off;
            eh->e_shentsize = (uint16_t)shsz;
            eh->e_shnum = 2;
            Elf64_Shdr *sh = (Elf64_Shdr *)(b + sh_off) + 1;
            sh->sh_type = SHT_NOTE;
            sh->sh_offset = notes_off;
            sh->sh_size = notes_sz;
            sh->sh_addralign = 4;
        }
    } else {
        Elf32_Ehdr *eh = (Elf32_Ehdr *)b;
        eh->e_type = ET_EXEC;
        eh->e_machine = machine;
        eh->e_version = EV_CURRENT;
        eh->e_entry = (Elf32_Addr)entry;
        eh->e_phoff = (Elf32_Off)ehsz;
        eh->e_ehsize = (uint16_t)ehsz;
        eh->e_phentsize = (uint16_t)phsz;
        eh->e_phnum = (uint16_t)nph;
        Elf32_Phdr *ph = (Elf32_Phdr *)(b + ehsz);
        for (unsigned i = 0; i < ns; i++, ph++) {
            ph->p_type = PT_LOAD;
            ph->p_flags = s[i].flags;
            ph->p_offset = (Elf32_Off)off;
            ph->p_vaddr = (Elf32_Addr)s[i].vaddr;
            ph->p_paddr = (Elf32_Addr)s[i].paddr;
            ph->p_filesz = (Elf32_Word)s[i].filesz;
            ph->p_memsz = (Elf32_Word)s[i].memsz;
            ph->p_align = 4;
            off += s[i].filesz;
        }
        if (nn && !notes_in_section) {
            ph->p_type = PT_NOTE;
            ph->p_offset = (Elf32_Off)notes_off;
            ph->p_filesz = ph->p_memsz = (Elf32_Word)notes_sz;
            ph->p_align = 4;
        }
        if (notes_in_section) {
            eh->e_shoff = (Elf32_Off)sh_off;
            eh->e_shentsize = (uint16_t)shsz;
            eh->e_shnum = 2;
            Elf32_Shdr *sh = (Elf32_Shdr *)(b + sh_off) + 1;
            sh->sh_type = SHT_NOTE;
            sh->sh_offset = (Elf32_Off)notes_off;
            sh->sh_size = (Elf32_Word)notes_sz;
            sh->sh_addralign = 4;
        }
    }
    tl_put_notes(b + notes_off, n, nn);
    off = data_off;
    for (unsigned i = 0; i < ns; i++)
        for (uint64_t k = 0; k < s[i].filesz; k++)
            b[off++] = tl_seg_byte(i, k);
    *len = total;
    return b;
}

static inline Elf64_Phdr *tl_phdr64(uint8_t *elf, unsigned i)
{
    return (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)) + i;
}

static inline Elf32_Phdr *tl_phdr32(uint8_t *elf, unsigned i)
{
    return (Elf32_Phdr *)(elf + sizeof(Elf32_Ehdr)) + i;
}

/* A Linux arm64 Image (Documentation/arm64/booting.rst): 64-byte header, then payload
 * bytes (k * 3) up to total file length len (>= 64). */
static inline uint8_t *tl_arm64_image(uint64_t text_offset, uint64_t image_size, uint64_t flags,
                                      bool efi, size_t len)
{
    uint8_t *b = calloc(1, len < 64 ? 64 : len);
    if (!b)
        return NULL;
    for (size_t k = 64; k < len; k++)
        b[k] = (uint8_t)(k * 3);
    uint32_t code0 = efi ? 0x91005a4du /* "MZ" + add x13, x18, #0x16 */ : 0x14000010u /* b +64 */;
    uint32_t magic = 0x644d5241u;
    memcpy(b + 0, &code0, 4);
    memcpy(b + 8, &text_offset, 8);
    memcpy(b + 16, &image_size, 8);
    memcpy(b + 24, &flags, 8);
    memcpy(b + 56, &magic, 4);
    return b;
}

/* gzip (RFC 1952) of in[0, len). */
static inline uint8_t *tl_gzip(const uint8_t *in, size_t len, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    *outlen = 0;
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static inline int tl_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = len ? fwrite(buf, 1, len, f) : 0;
    return (fclose(f) || n != len) ? -1 : 0;
}

#endif
