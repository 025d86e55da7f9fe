/* sim/loader.h - guest image loading. The format is detected by content, never by name:
 *   gzip (1f 8b)            -> inflated with zlib (bounded), then detected again (one level)
 *   ELF32 / ELF64 (\x7fELF) -> libelf: PT_LOAD by physical address, entry, Xen ELF notes
 *   Linux arm64 Image       -> 64-byte header, magic "ARM\x64" at 0x38 (Documentation/arm64/booting.rst)
 *   anything else           -> raw binary, only when the caller gives a load address
 *
 * Loading is two steps: sim_image_parse() validates the file and produces segments;
 * sim_image_place() checks them against a guest memory map and copies them in. */
#ifndef SIM_LOADER_H
#define SIM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "sim/mem.h"

enum sim_image_format {
    SIM_IMG_NONE = 0,
    SIM_IMG_ELF32,
    SIM_IMG_ELF64,
    SIM_IMG_ARM64_IMAGE,
    SIM_IMG_RAW,
};

enum sim_image_arch { SIM_ARCH_UNKNOWN = 0, SIM_ARCH_ARM64, SIM_ARCH_X86_64, SIM_ARCH_X86_32 };

#define SIM_IMAGE_MAX_SEGMENTS 64
#define SIM_IMAGE_MAX_NOTES 32

struct sim_image_segment {
    uint64_t paddr;       /* guest physical load address */
    uint64_t vaddr;       /* ELF p_vaddr (== paddr for Image/raw) */
    const uint8_t *data;  /* points into sim_image.buf */
    uint64_t filesz, memsz; /* memsz >= filesz; the rest is zero-filled */
    uint32_t flags;       /* ELF p_flags (PF_X=1, PF_W=2, PF_R=4); RWX for Image/raw */
};

/* Xen ELF notes (xen/include/public/elfnote.h), name "Xen". */
#define SIM_XEN_ELFNOTE_ENTRY 1
#define SIM_XEN_ELFNOTE_HYPERCALL_PAGE 2
#define SIM_XEN_ELFNOTE_VIRT_BASE 3
#define SIM_XEN_ELFNOTE_GUEST_OS 6
#define SIM_XEN_ELFNOTE_LOADER 8
#define SIM_XEN_ELFNOTE_FEATURES 10
#define SIM_XEN_ELFNOTE_PHYS32_ENTRY 18

struct sim_image_note {
    uint32_t type;
    uint64_t value;       /* numeric notes (1..5, 12..16, 18): the value, LE, of 4 or 8 bytes */
    char str[64];         /* string notes (6, 7, 8, 10, ...): NUL-terminated, truncated */
    bool is_string;
    uint32_t descsz;      /* descriptor size in bytes as found in the file */
};

struct sim_image_info {
    enum sim_image_format format;
    enum sim_image_arch arch;
    bool gzipped;
    uint64_t entry;            /* physical entry (ELF: e_entry translated via the segment
                                  containing it, PHYS32_ENTRY is separate below) */
    struct sim_image_segment seg[SIM_IMAGE_MAX_SEGMENTS];
    unsigned nseg;
    struct sim_image_note notes[SIM_IMAGE_MAX_NOTES];
    unsigned nnotes;
    bool has_phys32_entry;
    uint64_t phys32_entry;     /* XEN_ELFNOTE_PHYS32_ENTRY (PVH) */
    /* arm64 Image header fields */
    uint64_t text_offset, image_size, flags;
    bool efi_stub;             /* "MZ" at offset 0 (Debian's vmlinuz) */
    uint64_t file_size;        /* after decompression */
};

struct sim_image {
    struct sim_image_info info;
    uint8_t *buf;   /* the (decompressed) file; segments point into it */
    size_t len;
};

struct sim_load_opts {
    uint64_t ram_base;        /* arm64 Image: placed at ram_base (2 MiB aligned) + text_offset */
    bool have_load_addr;      /* raw binary: load here; required for raw images */
    uint64_t load_addr;
    uint64_t gunzip_limit;    /* max decompressed bytes; 0 = default 512 MiB */
};

/* Parse the file at path. On error returns a negative errno-style code and writes one
 * line naming the problem (without the file name) into err. */
int sim_image_parse(const char *path, const struct sim_load_opts *opts, struct sim_image *img,
                    char *err, size_t errlen);
/* Same, from a buffer the caller keeps (copied). Used by the fuzzer and tests. */
int sim_image_parse_buf(const uint8_t *data, size_t len, const struct sim_load_opts *opts,
                        struct sim_image *img, char *err, size_t errlen);
void sim_image_free(struct sim_image *img);

/* Copy the segments into guest memory. Every byte of every segment (memsz) must lie in
 * RAM; errors name the segment and address. */
int sim_image_place(const struct sim_image *img, struct sim_mem *mem, char *err, size_t errlen);

const char *sim_image_format_name(enum sim_image_format f);
const char *sim_image_arch_name(enum sim_image_arch a);
/* Name of a Xen ELF note type without the XEN_ELFNOTE_ prefix ("PHYS32_ENTRY"), or NULL. */
const char *sim_image_note_name(uint32_t type);
/* Human summary (format, arch, entry, segments, notes) for `hvsim image`. */
void sim_image_describe(const struct sim_image *img, FILE *f);

#endif
