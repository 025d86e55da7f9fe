/* sim/hash.h - SHA-256 (Nettle) of buffers and files, as lowercase hex. Used for the image
 * hash and the config hash stored with every run. */
#ifndef SIM_HASH_H
#define SIM_HASH_H

#include <stddef.h>

#define SIM_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

void sim_sha256_hex(const void *data, size_t len, char out[SIM_SHA256_HEX_LEN]);
/* Returns 0, or a negative errno if the file cannot be read. */
int sim_sha256_file_hex(const char *path, char out[SIM_SHA256_HEX_LEN]);

#endif
