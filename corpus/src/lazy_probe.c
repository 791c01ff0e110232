/* dlopens its first argument with RTLD_LAZY (as Node, the JVM and Ruby do),
 * or RTLD_NOW when the second is "now", prints "loaded" or dlerror()'s text,
 * then, when the second is "call", calls its use_absent(). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    int now = argc > 2 && strcmp(argv[2], "now") == 0;
    void *library = dlopen(argv[1], now ? RTLD_NOW : RTLD_LAZY);
    if (!library) {
        printf("%s\n", dlerror());
        return 1;
    }
    printf("loaded\n");
    fflush(stdout);
    if (argc > 2 && strcmp(argv[2], "call") == 0) {
        int (*use_absent)(void) = (int (*)(void))dlsym(library, "use_absent");
        printf("called: %d\n", use_absent ? use_absent() : -1);
    }
    return 0;
}
