/* Loads each argument with dlopen (RTLD_NOW, as CPython imports) and prints
 * "loaded" or dlerror()'s text, one line per argument: the ground truth
 * tests/glibc_images.rs compares MC113 with, in Debian 12 and 13 roots. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (dlopen(argv[i], RTLD_NOW | RTLD_LOCAL))
            printf("%s: loaded\n", argv[i]);
        else
            printf("%s\n", dlerror());
    }
    return 0;
}
