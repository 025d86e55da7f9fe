/* tests/sim/test_loader_real.c - the loader on a real linker's output: argv[1], default
 * TEST_LOADER_GUEST (set by CMake), is test_loader_guest.c cross-compiled for
 * aarch64-none-elf with ld.lld (text linked at 0xffff800000080000, loaded at 0x40080000;
 * data+bss; Xen notes GUEST_OS and PHYS32_ENTRY). Checked as is and gzipped, and placed
 * into guest RAM. */
#include "sim/loader.h"
#include "sim/test_loader_gen.h"
#include "testutil.h"

static void check_guest(const struct sim_image *img, const uint8_t *file, size_t flen)
{
    const struct sim_image_info *in = &img->info;
    CHECK_EQ(in->format, SIM_IMG_ELF64);
    CHECK_EQ(in->arch, SIM_ARCH_ARM64);
    CHECK_EQ(in->entry, 0x40080000); /* e_entry 0xffff800000080000 through the text PT_LOAD */
    CHECK(in->nseg >= 2);
    CHECK_EQ(in->seg[0].paddr, 0x40080000);
    CHECK_EQ(in->seg[0].vaddr, 0xffff800000080000ull);
    CHECK(in->seg[0].flags & PF_X);
    bool have_bss = false;
    for (unsigned i = 0; i < in->nseg; i++) {
        const struct sim_image_segment *s = &in->seg[i];
        CHECK(s->paddr >= 0x40080000 && s->paddr + s->memsz <= 0x40100000);
        CHECK_EQ(s->vaddr - s->paddr, 0xffff800000080000ull - 0x40080000);
        if (s->memsz >= s->filesz + 8192 && (s->flags & PF_W))
            have_bss = true;
        /* segment data is the file's bytes */
        CHECK(s->filesz == 0 || (s->data >= img->buf && s->data + s->filesz <= img->buf + img->len));
        if (s->filesz && file)
            CHECK(memcmp(s->data, file + (s->data - img->buf), s->filesz) == 0 || flen == 0);
    }
    CHECK(have_bss);
    CHECK_EQ(in->nnotes, 2);
    CHECK_EQ(in->notes[0].type, SIM_XEN_ELFNOTE_GUEST_OS);
    CHECK(in->notes[0].is_string);
    CHECK_STR(in->notes[0].str, "hvsim-test");
    CHECK(in->has_phys32_entry);
    CHECK_EQ(in->phys32_entry, 0x40080000);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : TEST_LOADER_GUEST;
    struct sim_image img;
    char err[256] = "";
    int rc = sim_image_parse(path, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, err);
        return test_summary();
    }
    uint8_t *file = malloc(img.len);
    size_t flen = img.len;
    memcpy(file, img.buf, flen);
    check_guest(&img, file, flen);

    struct sim_mem m;
    sim_mem_init(&m);
    CHECK_EQ(sim_mem_add_ram(&m, "ram", 0x40000000, 0x200000), 0);
    CHECK_EQ(sim_image_place(&img, &m, err, sizeof(err)), 0);
    /* the first instruction at the physical entry is the file's first text word */
    uint64_t insn = 0;
    CHECK_EQ(sim_mem_read(&m, img.info.entry, 4, &insn), 0);
    uint32_t want;
    memcpy(&want, img.info.seg[0].data, 4);
    CHECK_EQ(insn, want);
    CHECK(insn != 0);
    /* bss is zero */
    for (unsigned i = 0; i < img.info.nseg; i++) {
        const struct sim_image_segment *s = &img.info.seg[i];
        if (s->memsz > s->filesz) {
            uint64_t v = 1;
            CHECK_EQ(sim_mem_read(&m, s->paddr + s->memsz - 8, 8, &v), 0);
            CHECK_EQ(v, 0);
        }
    }
    sim_mem_destroy(&m);
    sim_image_free(&img);

    /* gzipped, from memory */
    size_t gzlen = 0;
    uint8_t *gz = tl_gzip(file, flen, &gzlen);
    CHECK(gz != NULL);
    rc = sim_image_parse_buf(gz, gzlen, NULL, &img, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (!rc) {
        CHECK(img.info.gzipped);
        check_guest(&img, file, flen);
    }
    sim_image_free(&img);
    free(gz);
    free(file);
    return test_summary();
}
