/* A musl library calling statx, which musl gained in 1.2.5 (Alpine 3.20).
 * Declared here: Debian's musl 1.2.3 headers have no statx. */
struct statx;
int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *out);
int file_size_known(const char *path, struct statx *out) {
    return statx(-100, path, 0, 0x200u, out) == 0;
}
