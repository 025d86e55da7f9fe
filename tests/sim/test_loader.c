/* tests/sim/test_loader.c - sim/loader.c on images built here by hand: ELF64/ELF32 with
 * Xen notes, arm64 Images, gzip, raw; and every malformed case the loader must refuse
 * with a one-line message (never a crash). */
#include <errno.h>
#include <unistd.h>

#include "sim/loader.h"
#include "sim/test_loader_gen.h"
#include "testutil.h"

#define ERRLEN 256

/* Parse a buffer expecting failure; the message must be one non-empty line containing
 * want (if given) and the image must be left empty. */
static void check_fails(const uint8_t *data, size_t len, const struct sim_load_opts *o,
                        const char *want, int line)
{
    struct sim_image img;
    char err[ERRLEN] = "";
    int rc = sim_image_parse_buf(data, len, o, &img, err, sizeof(err));
    bool ok = rc < 0 && err[0] && !strchr(err, '\n') && img.buf == NULL && img.info.nseg == 0 &&
              (!want || strstr(err, want));
    if (ok) {
        test_pass_count++;
    } else {
        test_fail_count++;
        fprintf(stderr, "%s:%d: expected failure with \"%s\": rc %d, error \"%s\"\n", __FILE__,
                line, want ? want : "", rc, err);
    }
    sim_image_free(&img);
}
#define CHECK_FAILS(data, len, o, want) check_fails((data), (len), (o), (want), __LINE__)

static const struct tl_seg segs64[] = {
    /* text: linked high, loaded at 0x40080000 */
    {0x40080000, 0xffff800000080000ull, 0x300, 0x1000, PF_R | PF_X},
    /* data + bss */
    {0x40090000, 0xffff800000090000ull, 0x80, 0x2000, PF_R | PF_W},
};

static uint32_t phys32_val = 0x1000040;
static uint64_t entry_note_val = 0xffff800000080010ull;
static const struct tl_note notes_std[] = {
    {NULL, SIM_XEN_ELFNOTE_PHYS32_ENTRY, &phys32_val, 4},
    {NULL, SIM_XEN_ELFNOTE_GUEST_OS, "linux", 6},
    {"GNU", 3, "0123456789abcdef0123", 20},         /* not Xen: ignored */
    {NULL, SIM_XEN_ELFNOTE_ENTRY, &entry_note_val, 8},
    {NULL, SIM_XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb", 42},
    {NULL, 99, "\x01\x02", 2},                        /* unknown numeric */
};

static uint8_t *elf64_std(size_t *len)
{
    return tl_elf(true, EM_AARCH64, 0xffff800000080010ull, segs64, 2, notes_std, 6, false, len);
}

static void check_elf64_std(const struct sim_image *img)
{
    const struct sim_image_info *in = &img->info;
    CHECK_EQ(in->format, SIM_IMG_ELF64);
    CHECK_EQ(in->arch, SIM_ARCH_ARM64);
    CHECK_EQ(in->entry, 0x40080010);
    CHECK_EQ(in->nseg, 2);
    CHECK_EQ(in->seg[0].paddr, 0x40080000);
    CHECK_EQ(in->seg[0].vaddr, 0xffff800000080000ull);
    CHECK_EQ(in->seg[0].filesz, 0x300);
    CHECK_EQ(in->seg[0].memsz, 0x1000);
    CHECK_EQ(in->seg[0].flags, PF_R | PF_X);
    CHECK_EQ(in->seg[1].paddr, 0x40090000);
    CHECK_EQ(in->seg[1].memsz, 0x2000);
    CHECK_EQ(in->seg[1].flags, PF_R | PF_W);
    CHECK(in->seg[0].data >= img->buf && in->seg[0].data + 0x300 <= img->buf + img->len);
    CHECK_EQ(in->seg[0].data[5], tl_seg_byte(0, 5));
    CHECK_EQ(in->seg[1].data[0x7f], tl_seg_byte(1, 0x7f));
    CHECK_EQ(in->nnotes, 5);
    CHECK(in->has_phys32_entry);
    CHECK_EQ(in->phys32_entry, 0x1000040);
    CHECK_EQ(in->notes[0].type, SIM_XEN_ELFNOTE_PHYS32_ENTRY);
    CHECK(!in->notes[0].is_string);
    CHECK_EQ(in->notes[0].value, 0x1000040);
    CHECK_EQ(in->notes[1].type, SIM_XEN_ELFNOTE_GUEST_OS);
    CHECK(in->notes[1].is_string);
    CHECK_STR(in->notes[1].str, "linux");
    CHECK_EQ(in->notes[2].type, SIM_XEN_ELFNOTE_ENTRY);
    CHECK_EQ(in->notes[2].value, 0xffff800000080010ull);
    CHECK_EQ(in->notes[2].descsz, 8);
    CHECK_STR(in->notes[3].str, "!writable_page_tables|pae_pgdir_above_4gb");
    CHECK_EQ(in->notes[4].type, 99);
    CHECK(!in->notes[4].is_string);
    CHECK_EQ(in->notes[4].value, 0x0201);
}

static int mem_with_ram(struct sim_mem *m, uint64_t base, uint64_t size)
{
    sim_mem_init(m);
    return sim_mem_add_ram(m, "ram", base, size);
}

static void test_elf64_good(void)
{
    size_t len;
    uint8_t *b = elf64_std(&len);
    struct sim_image img;
    char err[ERRLEN] = "";
    int rc = sim_image_parse_buf(b, len, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "elf64: %s\n", err);
        free(b);
        return;
    }
    CHECK(!img.info.gzipped);
    CHECK_EQ(img.info.file_size, len);
    check_elf64_std(&img);
    /* place: file bytes copied, the rest of memsz zeroed over pre-existing junk */
    struct sim_mem m;
    CHECK_EQ(mem_with_ram(&m, 0x40000000, 0x200000), 0);
    uint8_t junk[0x2000];
    memset(junk, 0xaa, sizeof(junk));
    CHECK_EQ(sim_mem_write_buf(&m, 0x40080000, junk, 0x1000), 0);
    CHECK_EQ(sim_mem_write_buf(&m, 0x40090000, junk, 0x2000), 0);
    rc = sim_image_place(&img, &m, err, sizeof(err));
    CHECK_EQ(rc, 0);
    uint8_t got[0x2000];
    CHECK_EQ(sim_mem_read_buf(&m, 0x40080000, got, 0x1000), 0);
    bool ok = true;
    for (unsigned k = 0; k < 0x1000; k++)
        ok &= got[k] == (k < 0x300 ? tl_seg_byte(0, k) : 0);
    CHECK(ok);
    CHECK_EQ(sim_mem_read_buf(&m, 0x40090000, got, 0x2000), 0);
    ok = true;
    for (unsigned k = 0; k < 0x2000; k++)
        ok &= got[k] == (k < 0x80 ? tl_seg_byte(1, k) : 0);
    CHECK(ok);
    /* between the segments nothing was written */
    uint64_t v = 0;
    CHECK_EQ(sim_mem_read(&m, 0x40081000, 8, &v), 0);
    CHECK_EQ(v, 0);
    sim_mem_destroy(&m);

    /* the describe output names the fields */
    char out[4096] = "";
    FILE *f = fmemopen(out, sizeof(out) - 1, "w");
    CHECK(f != NULL);
    if (f) {
        sim_image_describe(&img, f);
        fclose(f);
    }
    CHECK(strstr(out, "ELF64") != NULL);
    CHECK(strstr(out, "arm64") != NULL);
    CHECK(strstr(out, "0x40080010") != NULL);
    CHECK(strstr(out, "PHYS32_ENTRY") != NULL);
    CHECK(strstr(out, "0x1000040") != NULL);
    CHECK(strstr(out, "\"linux\"") != NULL);
    CHECK(strstr(out, "vaddr 0xffff800000090000") != NULL);
    sim_image_free(&img);
    CHECK(img.buf == NULL);
    sim_image_free(&img); /* idempotent */
    free(b);
}

static void test_elf32_and_x86(void)
{
    /* ELF32 i386, notes in an SHT_NOTE section only, entry outside every segment */
    struct tl_seg s[] = {{0x100000, 0xc0100000u, 0x40, 0x40, PF_R | PF_X}};
    uint32_t p32 = 0x100020;
    struct tl_note n[] = {{NULL, SIM_XEN_ELFNOTE_PHYS32_ENTRY, &p32, 4},
                          {NULL, SIM_XEN_ELFNOTE_LOADER, "generic", 8}};
    size_t len;
    uint8_t *b = tl_elf(false, EM_386, 0x200000, s, 1, n, 2, true, &len);
    struct sim_image img;
    char err[ERRLEN] = "";
    int rc = sim_image_parse_buf(b, len, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (!rc) {
        CHECK_EQ(img.info.format, SIM_IMG_ELF32);
        CHECK_EQ(img.info.arch, SIM_ARCH_X86_32);
        CHECK_EQ(img.info.entry, 0x200000); /* not inside a segment: as is */
        CHECK_EQ(img.info.nseg, 1);
        CHECK_EQ(img.info.seg[0].paddr, 0x100000);
        CHECK_EQ(img.info.seg[0].vaddr, 0xc0100000u);
        CHECK_EQ(img.info.nnotes, 2);
        CHECK(img.info.has_phys32_entry);
        CHECK_EQ(img.info.phys32_entry, 0x100020);
        CHECK_STR(img.info.notes[1].str, "generic");
    } else {
        fprintf(stderr, "elf32: %s\n", err);
    }
    sim_image_free(&img);
    free(b);

    /* ELF32 entry inside the segment's virtual range -> physical */
    b = tl_elf(false, EM_386, 0xc0100010u, s, 1, NULL, 0, false, &len);
    rc = sim_image_parse_buf(b, len, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_EQ(img.info.entry, 0x100010);
    CHECK(!img.info.has_phys32_entry);
    CHECK_EQ(img.info.nnotes, 0);
    sim_image_free(&img);
    free(b);

    /* ELF64 x86_64 */
    b = tl_elf(true, EM_X86_64, 0x100000, s, 1, n, 1, false, &len);
    rc = sim_image_parse_buf(b, len, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_EQ(img.info.arch, SIM_ARCH_X86_64);
    CHECK_EQ(img.info.phys32_entry, 0x100020);
    CHECK_STR(sim_image_arch_name(img.info.arch), "x86_64");
    CHECK_STR(sim_image_format_name(img.info.format), "ELF64");
    sim_image_free(&img);
    free(b);
    CHECK_STR(sim_image_note_name(SIM_XEN_ELFNOTE_PHYS32_ENTRY), "PHYS32_ENTRY");
    CHECK(sim_image_note_name(1000) == NULL);
}

static void test_arm64_image(void)
{
    struct sim_load_opts o = {.ram_base = 0x40100000}; /* aligned down to 0x40000000 */
    size_t len = 0x1400;
    uint8_t *b = tl_arm64_image(0x80000, 0x3000, 0xa /* 4K pages, anywhere */, true, len);
    struct sim_image img;
    char err[ERRLEN] = "";
    int rc = sim_image_parse_buf(b, len, &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc)
        fprintf(stderr, "image: %s\n", err);
    CHECK_EQ(img.info.format, SIM_IMG_ARM64_IMAGE);
    CHECK_EQ(img.info.arch, SIM_ARCH_ARM64);
    CHECK(img.info.efi_stub);
    CHECK_EQ(img.info.text_offset, 0x80000);
    CHECK_EQ(img.info.image_size, 0x3000);
    CHECK_EQ(img.info.flags, 0xa);
    CHECK_EQ(img.info.nseg, 1);
    CHECK_EQ(img.info.seg[0].paddr, 0x40080000);
    CHECK_EQ(img.info.seg[0].vaddr, 0x40080000);
    CHECK_EQ(img.info.seg[0].filesz, len);
    CHECK_EQ(img.info.seg[0].memsz, 0x3000);
    CHECK_EQ(img.info.seg[0].flags, 7);
    CHECK_EQ(img.info.entry, 0x40080000);
    struct sim_mem m;
    CHECK_EQ(mem_with_ram(&m, 0x40000000, 0x100000), 0);
    CHECK_EQ(sim_image_place(&img, &m, err, sizeof(err)), 0);
    uint64_t v = 0;
    CHECK_EQ(sim_mem_read(&m, 0x40080000 + 56, 4, &v), 0);
    CHECK_EQ(v, 0x644d5241);
    CHECK_EQ(sim_mem_read(&m, 0x40080000 + 0x100, 1, &v), 0);
    CHECK_EQ(v, (uint8_t)(0x100 * 3));
    sim_mem_destroy(&m);
    sim_image_free(&img);
    free(b);

    /* image_size == 0 (pre-3.17): text_offset 0x80000, memsz = file size, no EFI stub */
    o.ram_base = 0x80000000;
    len = 0x200;
    b = tl_arm64_image(0x1234000, 0, 0, false, len);
    rc = sim_image_parse_buf(b, len, &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK(!img.info.efi_stub);
    CHECK_EQ(img.info.text_offset, 0x80000);
    CHECK_EQ(img.info.seg[0].paddr, 0x80080000);
    CHECK_EQ(img.info.seg[0].memsz, len);
    CHECK_EQ(img.info.entry, 0x80080000);
    sim_image_free(&img);
    free(b);
}

static void test_gzip_and_files(void)
{
    char path[512], err[ERRLEN] = "";
    size_t len = 0, gzlen = 0;
    uint8_t *e = elf64_std(&len);
    uint8_t *gz = tl_gzip(e, len, &gzlen);
    CHECK(gz != NULL);
    snprintf(path, sizeof(path), "%s/loader-elf64.gz", test_tmpdir());
    CHECK_EQ(tl_write(path, gz, gzlen), 0);
    struct sim_image img;
    int rc = sim_image_parse(path, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc)
        fprintf(stderr, "gz elf: %s\n", err);
    CHECK(img.info.gzipped);
    CHECK_EQ(img.info.file_size, len);
    CHECK_EQ(img.len, len);
    check_elf64_std(&img);
    sim_image_free(&img);

    /* the plain ELF from a file too */
    snprintf(path, sizeof(path), "%s/loader-elf64", test_tmpdir());
    CHECK_EQ(tl_write(path, e, len), 0);
    rc = sim_image_parse(path, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK(!img.info.gzipped);
    check_elf64_std(&img);
    sim_image_free(&img);

    /* gzip limit exactly at the size passes, one below fails */
    struct sim_load_opts o = {.gunzip_limit = len};
    rc = sim_image_parse_buf(gz, gzlen, &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    sim_image_free(&img);
    o.gunzip_limit = len - 1;
    char want[96];
    snprintf(want, sizeof(want), "decompressed size exceeds limit of %zu bytes", len - 1);
    CHECK_FAILS(gz, gzlen, &o, want);
    o.gunzip_limit = 16;
    CHECK_FAILS(gz, gzlen, &o, "exceeds limit of 16 bytes");

    /* corrupt deflate data, truncated stream, trailing garbage, gzip in gzip */
    uint8_t *bad = malloc(gzlen + 8);
    memcpy(bad, gz, gzlen);
    bad[gzlen / 2] ^= 0x55;
    bad[gzlen / 2 + 1] ^= 0xff;
    CHECK_FAILS(bad, gzlen, NULL, "gzip");
    memcpy(bad, gz, gzlen);
    bad[gzlen - 6] ^= 0x01; /* CRC32 trailer */
    CHECK_FAILS(bad, gzlen, NULL, "corrupt gzip");
    memcpy(bad, gz, gzlen);
    CHECK_FAILS(bad, gzlen - 5, NULL, "truncated gzip");
    CHECK_FAILS(bad, gzlen / 2, NULL, "truncated gzip");
    CHECK_FAILS(bad, 10, NULL, "truncated gzip"); /* header only */
    memcpy(bad + gzlen, "JUNKJUNK", 8);
    CHECK_FAILS(bad, gzlen + 8, NULL, "trailing data");
    free(bad);
    size_t gz2len = 0;
    uint8_t *gz2 = tl_gzip(gz, gzlen, &gz2len);
    CHECK_FAILS(gz2, gz2len, NULL, "gzip inside gzip");
    free(gz2);
    /* gzip of nothing */
    size_t gz0len = 0;
    uint8_t *gz0 = tl_gzip((const uint8_t *)"", 0, &gz0len);
    CHECK_FAILS(gz0, gz0len, NULL, "empty");
    free(gz0);
    free(gz);
    free(e);

    /* gzip of an arm64 Image, from a file */
    size_t ilen = 0x800;
    uint8_t *im = tl_arm64_image(0x80000, 0x1000, 0, true, ilen);
    gz = tl_gzip(im, ilen, &gzlen);
    snprintf(path, sizeof(path), "%s/loader-Image.gz", test_tmpdir());
    CHECK_EQ(tl_write(path, gz, gzlen), 0);
    o = (struct sim_load_opts){.ram_base = 0x40000000};
    rc = sim_image_parse(path, &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK(img.info.gzipped);
    CHECK_EQ(img.info.format, SIM_IMG_ARM64_IMAGE);
    CHECK_EQ(img.info.entry, 0x40080000);
    CHECK_EQ(img.info.seg[0].filesz, ilen);
    CHECK_EQ(img.info.file_size, ilen);
    sim_image_free(&img);
    free(gz);
    free(im);

    /* empty and missing files, a directory */
    snprintf(path, sizeof(path), "%s/loader-empty", test_tmpdir());
    CHECK_EQ(tl_write(path, "", 0), 0);
    rc = sim_image_parse(path, NULL, &img, err, sizeof(err));
    CHECK(rc < 0);
    CHECK(strstr(err, "empty") != NULL);
    CHECK_FAILS((const uint8_t *)"", 0, NULL, "empty file");
    snprintf(path, sizeof(path), "%s/loader-does-not-exist", test_tmpdir());
    unlink(path);
    rc = sim_image_parse(path, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, -ENOENT);
    CHECK(strstr(err, strerror(ENOENT)) != NULL);
    CHECK(img.buf == NULL);
    rc = sim_image_parse(test_tmpdir(), NULL, &img, err, sizeof(err));
    CHECK(rc < 0);
    CHECK(err[0] != 0);
    /* an endless stream is bounded (like gzip output) */
    o = (struct sim_load_opts){.gunzip_limit = 1 << 20};
    rc = sim_image_parse("/dev/zero", &o, &img, err, sizeof(err));
    CHECK_EQ(rc, -EFBIG);
    CHECK(strstr(err, "longer than 1048576 bytes") != NULL);
    CHECK(img.buf == NULL);
}

static void test_raw(void)
{
    uint8_t raw[100];
    for (unsigned i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)(0xc0 + i);
    CHECK_FAILS(raw, sizeof(raw), NULL, "use --load-addr for a raw binary");
    struct sim_load_opts o = {.have_load_addr = true, .load_addr = 0x80000};
    struct sim_image img;
    char err[ERRLEN];
    int rc = sim_image_parse_buf(raw, sizeof(raw), &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_EQ(img.info.format, SIM_IMG_RAW);
    CHECK_EQ(img.info.nseg, 1);
    CHECK_EQ(img.info.seg[0].paddr, 0x80000);
    CHECK_EQ(img.info.seg[0].filesz, 100);
    CHECK_EQ(img.info.seg[0].memsz, 100);
    CHECK_EQ(img.info.entry, 0x80000);
    struct sim_mem m;
    CHECK_EQ(mem_with_ram(&m, 0, 0x100000), 0);
    CHECK_EQ(sim_image_place(&img, &m, err, sizeof(err)), 0);
    uint64_t v;
    CHECK_EQ(sim_mem_read(&m, 0x80000 + 99, 1, &v), 0);
    CHECK_EQ(v, (uint8_t)(0xc0 + 99));
    sim_mem_destroy(&m);
    sim_image_free(&img);
    /* a raw image that would wrap the address space */
    o.load_addr = ~0ull - 10;
    CHECK_FAILS(raw, sizeof(raw), &o, "overflows");
    /* even with --load-addr an ELF stays an ELF */
    size_t len;
    uint8_t *b = elf64_std(&len);
    o.load_addr = 0;
    rc = sim_image_parse_buf(b, len, &o, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_EQ(img.info.format, SIM_IMG_ELF64);
    sim_image_free(&img);
    free(b);
}

static void test_place_errors(void)
{
    size_t len;
    uint8_t *b = elf64_std(&len);
    struct sim_image img;
    char err[ERRLEN] = "";
    CHECK_EQ(sim_image_parse_buf(b, len, NULL, &img, err, sizeof(err)), 0);
    struct sim_mem m;
    /* RAM ends in the middle of segment 1's bss */
    CHECK_EQ(mem_with_ram(&m, 0x40000000, 0x91000), 0);
    uint64_t sentinel = 0x1122334455667788ull;
    CHECK_EQ(sim_mem_write(&m, 0x40080000, 8, sentinel), 0);
    int rc = sim_image_place(&img, &m, err, sizeof(err));
    CHECK(rc < 0);
    CHECK_STR(err, "segment 1 [0x40090000, 0x40092000) is outside guest RAM");
    uint64_t v = 0;
    CHECK_EQ(sim_mem_read(&m, 0x40080000, 8, &v), 0);
    CHECK_EQ(v, sentinel); /* nothing written when any segment fails */
    sim_mem_destroy(&m);
    /* two adjacent RAM regions covering the segments are fine */
    sim_mem_init(&m);
    CHECK_EQ(sim_mem_add_ram(&m, "lo", 0x40000000, 0x90000), 0);
    CHECK_EQ(sim_mem_add_ram(&m, "hi", 0x40090000, 0x10000), 0);
    CHECK_EQ(sim_image_place(&img, &m, err, sizeof(err)), 0);
    sim_mem_destroy(&m);
    /* no RAM at all: segment 0 is named */
    sim_mem_init(&m);
    rc = sim_image_place(&img, &m, err, sizeof(err));
    CHECK(rc < 0);
    CHECK(strstr(err, "segment 0 [0x40080000, 0x40081000)") != NULL);
    sim_mem_destroy(&m);
    sim_image_free(&img);
    free(b);

    /* arm64 Image whose image_size runs past RAM */
    struct sim_load_opts o = {.ram_base = 0x40000000};
    uint8_t *im = tl_arm64_image(0x80000, 0x200000, 0, true, 0x100);
    CHECK_EQ(sim_image_parse_buf(im, 0x100, &o, &img, err, sizeof(err)), 0);
    CHECK_EQ(mem_with_ram(&m, 0x40000000, 0x200000), 0);
    rc = sim_image_place(&img, &m, err, sizeof(err));
    CHECK(rc < 0);
    CHECK_STR(err, "segment 0 [0x40080000, 0x40280000) is outside guest RAM");
    sim_mem_destroy(&m);
    sim_image_free(&img);
    free(im);
}

static void test_malformed_elf(void)
{
    size_t len;
    uint8_t *b = elf64_std(&len);
    uint8_t *c = malloc(len + 64);
    struct tl_seg one[] = {{0x1000, 0x1000, 0x10, 0x10, PF_R}};

#define RESET() memcpy(c, b, len)
    /* truncated headers */
    CHECK_FAILS(b, 40, NULL, "truncated ELF64 header");
    CHECK_FAILS(b, 10, NULL, "truncated ELF");
    /* program header table beyond the file */
    CHECK_FAILS(b, sizeof(Elf64_Ehdr) + 20, NULL, "program header table");
    /* segment beyond the file; offset + filesz wrapping */
    RESET();
    tl_phdr64(c, 1)->p_offset = len - 0x10;
    CHECK_FAILS(c, len, NULL, "beyond the end of the file");
    RESET();
    tl_phdr64(c, 0)->p_offset = ~0ull - 0x100;
    CHECK_FAILS(c, len, NULL, "beyond the end of the file");
    RESET();
    tl_phdr64(c, 0)->p_filesz = ~0ull;
    tl_phdr64(c, 0)->p_memsz = ~0ull;
    CHECK_FAILS(c, len, NULL, "beyond the end of the file");
    /* filesz > memsz */
    RESET();
    tl_phdr64(c, 0)->p_memsz = 0x100;
    CHECK_FAILS(c, len, NULL, "p_filesz 0x300 > p_memsz 0x100");
    /* paddr + memsz overflows */
    RESET();
    tl_phdr64(c, 1)->p_paddr = 0xfffffffffffff000ull;
    CHECK_FAILS(c, len, NULL, "overflows");
    RESET();
    tl_phdr64(c, 1)->p_vaddr = 0xfffffffffffff000ull;
    CHECK_FAILS(c, len, NULL, "overflows");
    /* overlapping physical ranges (virtual ranges distinct) */
    RESET();
    tl_phdr64(c, 1)->p_paddr = 0x40080800;
    CHECK_FAILS(c, len, NULL, "overlap");
    RESET();
    tl_phdr64(c, 1)->p_paddr = 0x40000000; /* segment 1 contains segment 0 */
    tl_phdr64(c, 1)->p_memsz = 0x100000;
    CHECK_FAILS(c, len, NULL, "overlap");
    /* adjacent is fine */
    RESET();
    tl_phdr64(c, 1)->p_paddr = 0x40081000;
    struct sim_image img;
    char err[ERRLEN];
    CHECK_EQ(sim_image_parse_buf(c, len, NULL, &img, err, sizeof(err)), 0);
    sim_image_free(&img);
    /* machine */
    RESET();
    ((Elf64_Ehdr *)c)->e_machine = EM_RISCV;
    CHECK_FAILS(c, len, NULL, "unsupported ELF machine 243");
    /* big-endian, bad class, not executable */
    RESET();
    c[EI_DATA] = ELFDATA2MSB;
    CHECK_FAILS(c, len, NULL, "big-endian");
    RESET();
    c[EI_CLASS] = 7;
    CHECK_FAILS(c, len, NULL, "class");
    RESET();
    ((Elf64_Ehdr *)c)->e_type = ET_REL;
    CHECK_FAILS(c, len, NULL, "not an executable");
    RESET();
    ((Elf64_Ehdr *)c)->e_phentsize = 40;
    CHECK_FAILS(c, len, NULL, "e_phentsize");
    RESET();
    ((Elf64_Ehdr *)c)->e_shoff = len + 100;
    ((Elf64_Ehdr *)c)->e_shnum = 3;
    ((Elf64_Ehdr *)c)->e_shentsize = sizeof(Elf64_Shdr);
    CHECK_FAILS(c, len, NULL, "section header table");
    /* no PT_LOAD at all: turn both into PT_NULL; and no program headers */
    RESET();
    tl_phdr64(c, 0)->p_type = PT_NULL;
    tl_phdr64(c, 1)->p_type = PT_NULL;
    CHECK_FAILS(c, len, NULL, "PT_LOAD");
    RESET();
    ((Elf64_Ehdr *)c)->e_phnum = 0;
    CHECK_FAILS(c, len, NULL, "PT_LOAD");
    /* note bounds: namesz / descsz running past the PT_NOTE, PT_NOTE past the file */
    Elf64_Phdr *pn = tl_phdr64(c, 2);
    RESET();
    CHECK_EQ(pn->p_type, PT_NOTE);
    memcpy(c + pn->p_offset, &(uint32_t){0x7fffffff}, 4);
    CHECK_FAILS(c, len, NULL, "namesz");
    RESET();
    memcpy(c + pn->p_offset + 4, &(uint32_t){0xfffffff0}, 4);
    CHECK_FAILS(c, len, NULL, "descsz");
    RESET();
    pn->p_filesz = len;
    CHECK_FAILS(c, len, NULL, "PT_NOTE");
    /* PHYS32_ENTRY with a 3-byte descriptor */
    uint32_t p = 0x1000;
    struct tl_note bad3[] = {{NULL, SIM_XEN_ELFNOTE_PHYS32_ENTRY, &p, 3}};
    size_t l2 = 0;
    uint8_t *b2 = tl_elf(true, EM_X86_64, 0x1000, one, 1, bad3, 1, false, &l2);
    CHECK_FAILS(b2, l2, NULL, "PHYS32_ENTRY");
    free(b2);
    /* a 64-bit PHYS32_ENTRY above 4 GiB */
    uint64_t p64 = 0x100000000ull;
    struct tl_note bad8[] = {{NULL, SIM_XEN_ELFNOTE_PHYS32_ENTRY, &p64, 8}};
    b2 = tl_elf(true, EM_X86_64, 0x1000, one, 1, bad8, 1, false, &l2);
    CHECK_FAILS(b2, l2, NULL, "32-bit");
    free(b2);
    /* too many segments and too many notes */
    struct tl_seg many[SIM_IMAGE_MAX_SEGMENTS + 1];
    for (unsigned i = 0; i < SIM_IMAGE_MAX_SEGMENTS + 1; i++)
        many[i] = (struct tl_seg){0x10000 + i * 0x1000, 0x10000 + i * 0x1000, 4, 0x1000, PF_R};
    b2 = tl_elf(true, EM_AARCH64, 0x10000, many, SIM_IMAGE_MAX_SEGMENTS, NULL, 0, false, &l2);
    CHECK_EQ(sim_image_parse_buf(b2, l2, NULL, &img, err, sizeof(err)), 0);
    CHECK_EQ(img.info.nseg, SIM_IMAGE_MAX_SEGMENTS);
    sim_image_free(&img);
    free(b2);
    b2 = tl_elf(true, EM_AARCH64, 0x10000, many, SIM_IMAGE_MAX_SEGMENTS + 1, NULL, 0, false, &l2);
    CHECK_FAILS(b2, l2, NULL, "more than 64");
    free(b2);
    struct tl_note lots[SIM_IMAGE_MAX_NOTES + 1];
    for (unsigned i = 0; i < SIM_IMAGE_MAX_NOTES + 1; i++)
        lots[i] = (struct tl_note){NULL, SIM_XEN_ELFNOTE_HYPERCALL_PAGE, &p, 4};
    b2 = tl_elf(true, EM_AARCH64, 0x1000, one, 1, lots, SIM_IMAGE_MAX_NOTES + 1, false, &l2);
    CHECK_FAILS(b2, l2, NULL, "Xen ELF notes");
    free(b2);
    /* ELF32 segment past 4 GiB, ELF32 segment beyond the file */
    b2 = tl_elf(false, EM_386, 0x1000, one, 1, NULL, 0, false, &l2);
    tl_phdr32(b2, 0)->p_memsz = 0xfffff800u;
    CHECK_FAILS(b2, l2, NULL, "4 GiB");
    tl_phdr32(b2, 0)->p_memsz = 0x10;
    tl_phdr32(b2, 0)->p_offset = 0xffffff00u;
    CHECK_FAILS(b2, l2, NULL, "beyond the end of the file");
    CHECK_FAILS(b2, 30, NULL, "truncated ELF32 header");
    free(b2);
#undef RESET
    free(c);
    free(b);
}

static void test_malformed_image(void)
{
    struct sim_load_opts o = {.ram_base = 0x40000000};
    uint8_t *b = tl_arm64_image(0x80000, 0x1000, 1 /* big-endian */, true, 0x100);
    CHECK_FAILS(b, 0x100, &o, "big-endian");
    free(b);
    b = tl_arm64_image(0x80000, 0x1000, 0, true, 0x1001);
    CHECK_FAILS(b, 0x1001, &o, "file larger than image_size");
    /* exactly image_size is fine */
    struct sim_image img;
    char err[ERRLEN];
    CHECK_EQ(sim_image_parse_buf(b, 0x1000, &o, &img, err, sizeof(err)), 0);
    sim_image_free(&img);
    /* truncated header: an EFI stub shorter than the 64-byte header */
    CHECK_FAILS(b, 40, &o, "truncated arm64 Image header");
    free(b);
    /* text_offset that wraps the address space */
    b = tl_arm64_image(0xffffffffffff0000ull, 0x100000, 0, false, 0x100);
    CHECK_FAILS(b, 0x100, &o, "overflows");
    free(b);
}

/* Every prefix and a deterministic set of byte mutations of the valid inputs: parse must
 * either succeed or fail cleanly (ASan/UBSan watch the rest). */
static void test_robustness(void)
{
    size_t len, glen = 0;
    uint8_t *inputs[4];
    size_t lens[4];
    inputs[0] = elf64_std(&lens[0]);
    struct tl_seg s[] = {{0x100000, 0x100000, 0x40, 0x80, PF_R | PF_X}};
    struct tl_note n[] = {{NULL, SIM_XEN_ELFNOTE_PHYS32_ENTRY, &phys32_val, 4}};
    inputs[1] = tl_elf(false, EM_386, 0x100000, s, 1, n, 1, true, &lens[1]);
    inputs[2] = tl_arm64_image(0x80000, 0x400, 0, true, 0x200);
    lens[2] = 0x200;
    inputs[3] = tl_gzip(inputs[0], lens[0], &glen);
    lens[3] = glen;
    struct sim_load_opts o = {.ram_base = 0x40000000};
    struct sim_mem m;
    sim_mem_init(&m);
    CHECK_EQ(sim_mem_add_ram(&m, "ram", 0x40000000, 0x200000), 0);
    unsigned ok = 0, bad = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (unsigned t = 0; t < 4; t++) {
        uint8_t *c = malloc(lens[t]);
        for (len = 0; len <= lens[t]; len++) {
            struct sim_image img;
            char err[ERRLEN] = "";
            int rc = sim_image_parse_buf(inputs[t], len, &o, &img, err, sizeof(err));
            if (rc) {
                bad += err[0] != 0 && !strchr(err, '\n') ? 0 : 1;
            } else {
                ok++;
                sim_image_place(&img, &m, err, sizeof(err));
            }
            sim_image_free(&img);
        }
        for (unsigned it = 0; it < 3000; it++) {
            memcpy(c, inputs[t], lens[t]);
            unsigned nflip = 1 + it % 4;
            for (unsigned k = 0; k < nflip; k++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                c[rng % lens[t]] = (uint8_t)(rng >> 32);
            }
            struct sim_image img;
            char err[ERRLEN] = "";
            o.have_load_addr = it & 1;
            o.load_addr = 0x40000000;
            int rc = sim_image_parse_buf(c, lens[t], &o, &img, err, sizeof(err));
            if (rc)
                bad += err[0] != 0 && !strchr(err, '\n') ? 0 : 1;
            else
                sim_image_place(&img, &m, err, sizeof(err));
            sim_image_free(&img);
        }
        free(c);
        free(inputs[t]);
    }
    sim_mem_destroy(&m);
    CHECK_EQ(bad, 0);
    CHECK(ok >= 4); /* the full-length inputs at least */
}

int main(void)
{
    test_elf64_good();
    test_elf32_and_x86();
    test_arm64_image();
    test_gzip_and_files();
    test_raw();
    test_place_errors();
    test_malformed_elf();
    test_malformed_image();
    test_robustness();
    return test_summary();
}
