/* A musl library that loads the glibc-built lib/libplain.so (same directory). */
#include <stddef.h>
size_t plain_length(const char *s);
size_t doubled_length(const char *s) { return 2 * plain_length(s); }
