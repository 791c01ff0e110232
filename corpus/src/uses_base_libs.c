/* A musl library needing zlib and OpenSSL's libcrypto, which the Alpine base
 * image already has. EVP_MD_CTX_dup came with OpenSSL 3.1: Alpine 3.17's
 * libcrypto3 (3.0) lacks it, 3.19's (3.1) and 3.20's (3.3) have it. */
#include <stddef.h>
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned len);
unsigned long compressBound(unsigned long source_len);
void *EVP_MD_CTX_dup(const void *in);
unsigned long checksum(const unsigned char *buf, unsigned len) {
    return crc32(0, buf, len) + compressBound(len);
}
void *copy_digest(const void *ctx) { return EVP_MD_CTX_dup(ctx); }
