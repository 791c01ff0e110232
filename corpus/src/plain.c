/* A shared library that uses only names musl has. */
#include <string.h>
#include <stdlib.h>

size_t plain_length(const char *s) { return strlen(s); }
void *plain_alloc(size_t n) { return calloc(1, n); }
