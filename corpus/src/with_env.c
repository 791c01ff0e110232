/* `with-env NAME=VALUE... -- PROGRAM ARGS...`: runs PROGRAM with only the
 * given environment. Static, for root filesystems without env(1): tests
 * set a loader's variables (LD_TRACE_LOADED_OBJECTS …) for the program run
 * inside a chroot, not for chroot(1) itself. */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int dashes = 1;
    while (dashes < argc && strcmp(argv[dashes], "--") != 0)
        dashes++;
    if (dashes + 1 >= argc)
        return 127;
    argv[dashes] = 0;
    execve(argv[dashes + 1], argv + dashes + 1, argv + 1);
    return 127;
}
