/* A musl program: dlopens its argument, calls its bump() twice and prints
 * the result (tests/alpine_rootfs.rs). */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    void *library = argc > 1 ? dlopen(argv[1], RTLD_NOW) : 0;
    int (*bump)(void) = library ? (int (*)(void))dlsym(library, "bump") : 0;
    if (!bump) {
        printf("%s\n", dlerror());
        return 2;
    }
    bump();
    printf("bumped: %d\n", bump());
    return 0;
}
