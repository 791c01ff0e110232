/* A musl program that dlopens a library and calls its run_deep(): built
 * with musl's default thread stack, and with -z stack-size=1 MiB, which
 * musl takes as the default for every thread of the process. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    void *library = argc > 1 ? dlopen(argv[1], RTLD_NOW) : 0;
    int (*run_deep)(void) = library ? (int (*)(void))dlsym(library, "run_deep") : 0;
    if (!run_deep) {
        printf("cannot load: %s\n", dlerror());
        return 2;
    }
    printf("survived: %d\n", run_deep());
    return 0;
}
