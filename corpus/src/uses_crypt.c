/* Needs libcrypt.so.1: not a musl-reserved name, so only gcompat's symlink provides it. */
#include <crypt.h>
const char *hash(const char *key, const char *salt) { return crypt(key, salt); }
