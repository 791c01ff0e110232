/* Link-time stand-ins for libz.so.1 and libcrypto.so.3 (never shipped: the
 * fixture that links against them finds the real ones on the target). */
#ifdef STUB_ZLIB
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned len) { return crc + len + (buf != 0); }
unsigned long compressBound(unsigned long source_len) { return source_len; }
#else
void *EVP_MD_CTX_dup(const void *in) { return (void *)in; }
#endif
