/* Calls `absent` only when given an argument: glibc binds it lazily, so the
   program starts and fails at that call, unless it binds now (-z now,
   LD_BIND_NOW), when it fails at load time. */
#include <stdio.h>

int present(void);
int absent(void);

int main(int argc, char **argv) {
    (void)argv;
    printf("%d\n", argc > 1 ? absent() : present());
    return 0;
}
