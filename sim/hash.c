/* sim/hash.c - SHA-256 via Nettle (see hash.h). */
#include "sim/hash.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>

static void to_hex(const uint8_t *d, char out[SIM_SHA256_HEX_LEN])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = 0;
}

void sim_sha256_hex(const void *data, size_t len, char out[SIM_SHA256_HEX_LEN])
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, sizeof(d), d);
    to_hex(d, out);
}

int sim_sha256_file_hex(const char *path, char out[SIM_SHA256_HEX_LEN])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    struct sha256_ctx c;
    uint8_t buf[65536], d[SHA256_DIGEST_SIZE];
    size_t n;
    sha256_init(&c);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sha256_update(&c, n, buf);
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err)
        return err;
    sha256_digest(&c, sizeof(d), d);
    to_hex(d, out);
    return 0;
}
