/* Calls fcntl64 (glibc 2.28): not in musl's exports nor in its LFS64 redirect list. */
#include <fcntl.h>
extern int fcntl64(int fd, int cmd, ...);

int get_flags(int fd) { return fcntl64(fd, F_GETFL); }
