/* tests/fuzz/fuzz_loader.c - libFuzzer target for the image loaders (sim/loader.c): every
 * input is parsed with and without a raw load address and, when it parses, placed into a
 * small guest memory map (RAM with a hole and an MMIO-free gap), then freed. Any crash,
 * sanitizer report or leak is a bug; errors must come with a one-line message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/loader.h"
#include "sim/mem.h"

static void one(const uint8_t *data, size_t size, const struct sim_load_opts *o)
{
    struct sim_image img;
    char err[256];
    err[0] = 0;
    int rc = sim_image_parse_buf(data, size, o, &img, err, sizeof(err));
    if (rc) {
        /* An error always says what is wrong, on one line, and leaves nothing allocated. */
        if (rc >= 0 || !err[0] || strchr(err, '\n') || img.buf)
            abort();
        return;
    }
    if (img.info.nseg == 0 || img.info.nseg > SIM_IMAGE_MAX_SEGMENTS ||
        img.info.nnotes > SIM_IMAGE_MAX_NOTES)
        abort();
    for (unsigned i = 0; i < img.info.nseg; i++) {
        const struct sim_image_segment *s = &img.info.seg[i];
        /* segments point into the image buffer and are consistent */
        if (s->filesz > s->memsz || s->paddr + s->memsz < s->paddr ||
            (s->filesz && (s->data < img.buf || (uint64_t)(s->data - img.buf) > img.len ||
                           s->filesz > img.len - (uint64_t)(s->data - img.buf))))
            abort();
    }
    struct sim_mem mem;
    sim_mem_init(&mem);
    /* 0x40000000: 2 MiB + 64 KiB RAM (arm64 Image at ram_base + text_offset); 0x100000 for
     * x86-style ELF; 0x0 small. Host pages are only touched when written. */
    if (sim_mem_add_ram(&mem, "ram0", 0x0, 0x10000) ||
        sim_mem_add_ram(&mem, "ram1", 0x100000, 0x100000) ||
        sim_mem_add_ram(&mem, "ram2", 0x40000000, 0x210000))
        abort();
    rc = sim_image_place(&img, &mem, err, sizeof(err));
    if (rc && (rc >= 0 || !err[0] || strchr(err, '\n')))
        abort();
    sim_mem_destroy(&mem);
    char out[4096];
    FILE *f = fmemopen(out, sizeof(out), "w");
    if (f) {
        sim_image_describe(&img, f);
        fclose(f);
    }
    sim_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sim_load_opts o = {.ram_base = 0x40000000, .gunzip_limit = 4u << 20};
    one(data, size, &o);
    o.have_load_addr = true;
    o.load_addr = 0x100000;
    one(data, size, &o);
    return 0;
}
