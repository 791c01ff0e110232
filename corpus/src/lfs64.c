/* Calls the LFS64 names: musl 1.2.4+ no longer exports them, but its loader
 * redirects stat64 → stat at relocation time. */
#define _LARGEFILE64_SOURCE 1
#include <sys/stat.h>
#include <stdio.h>

long size_of(const char *path) {
    struct stat64 st;
    if (stat64(path, &st) != 0) return -1;
    FILE *f = fopen64(path, "r");
    if (f) fclose(f);
    return (long)st.st_size;
}
