/* posix_fallocate64: musl 1.2.4 and 1.2.5's loader fail to redirect it (the
 * name overflows its 16-byte buffer); 1.2.3 exports it, 1.2.6 fixes the redirect. */
#define _LARGEFILE64_SOURCE 1
#include <fcntl.h>
int reserve(int fd, long n) { return posix_fallocate64(fd, 0, n); }
