/* Calls shm_open, a librt name before glibc 2.34, without linking librt:
 * bound to the old version (as a module built on glibc < 2.34 without -lrt
 * is left), it finds the name only where the host process has librt loaded
 * (a JVM, Ruby), not under CPython or Node, which do not link it.
 * -DJNI: a JNI library; else a CPython extension module. */
#include <fcntl.h>
#include <sys/mman.h>

__asm__(".symver shm_open,shm_open@GLIBC_2.2.5");

int opens_shared_memory(void) { return shm_open("/muslcheck", O_RDONLY, 0); }

#ifdef JNI
int JNI_OnLoad(void *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    return 0x00010008;
}
#else
void *PyInit_host_librt(void) { return (void *)0; }
#endif
