/* Needs libresolv.so.2 (ns_initparse stays there in glibc 2.34+). musl has
 * ns_initparse in libc, but the soname exists on Alpine only as gcompat's symlink. */
#include <arpa/nameser.h>
int parse(const unsigned char *msg, int len, ns_msg *handle) {
    return ns_initparse(msg, len, handle);
}
