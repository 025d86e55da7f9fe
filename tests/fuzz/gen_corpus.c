/* tests/fuzz/gen_corpus.c - write the fuzzer's seed corpus into the directory argv[1]:
 * tiny valid ELF64 (arm64, Xen notes in PT_NOTE), ELF32 (x86, notes in SHT_NOTE), ELF64
 * x86_64 with PHYS32_ENTRY, arm64 Images (EFI stub, image_size 0), gzip of an ELF and of
 * an Image, and a raw blob. Built with the same builders as tests/sim/test_loader.c. */
#include <stdio.h>

#include "sim/test_loader_gen.h"

static int put(const char *dir, const char *name, uint8_t *b, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int rc = b ? tl_write(path, b, len) : -1;
    if (rc)
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
    free(b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus DIR\n");
        return 2;
    }
    const char *d = argv[1];
    uint32_t phys32 = 0x100040;
    uint64_t va_entry = 0xffff800000080010ull;
    struct tl_note notes[] = {
        {NULL, 18, &phys32, 4},
        {NULL, 6, "linux", 6},
        {NULL, 1, &va_entry, 8},
        {"GNU", 3, "abcd", 4},
    };
    struct tl_seg s64[] = {
        {0x40080000, 0xffff800000080000ull, 64, 128, PF_R | PF_X},
        {0x40090000, 0xffff800000090000ull, 16, 4096, PF_R | PF_W},
    };
    struct tl_seg s32[] = {{0x100000, 0x100000, 48, 64, PF_R | PF_W | PF_X}};
    size_t n = 0, gzn = 0;
    int rc = 0;
    uint8_t *e64 = tl_elf(true, EM_AARCH64, 0xffff800000080010ull, s64, 2, notes, 4, false, &n);
    uint8_t *gz = e64 ? tl_gzip(e64, n, &gzn) : NULL;
    rc |= put(d, "elf64-arm64", e64, n);
    rc |= put(d, "elf64-arm64.gz", gz, gzn);
    rc |= put(d, "elf32-x86", tl_elf(false, EM_386, 0x100000, s32, 1, notes, 2, true, &n), n);
    rc |= put(d, "elf64-x86_64-pvh", tl_elf(true, EM_X86_64, 0x100010, s32, 1, notes, 1, false, &n), n);
    uint8_t *img = tl_arm64_image(0x80000, 0x200, 0xa, true, 192);
    gz = img ? tl_gzip(img, 192, &gzn) : NULL;
    rc |= put(d, "arm64-image", img, 192);
    rc |= put(d, "arm64-image.gz", gz, gzn);
    rc |= put(d, "arm64-image-old", tl_arm64_image(0, 0, 0, false, 96), 96);
    uint8_t *raw = malloc(32);
    if (raw)
        for (int i = 0; i < 32; i++)
            raw[i] = (uint8_t)(0xd5 + i);
    rc |= put(d, "raw", raw, 32);
    return rc ? 1 : 0;
}
