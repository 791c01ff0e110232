/* A small program: prints its arguments. Built with glibc, musl, statically. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    char buffer[64];
    for (int i = 0; i < argc; i++) {
        snprintf(buffer, sizeof buffer, "%d:%s", i, argv[i]);
        puts(buffer);
    }
    return 0;
}
