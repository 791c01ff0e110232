/* A non-PIE glibc executable reading a library's data object: the linker
 * copies `environ`-style data into .bss with R_X86_64_COPY. */
#include <stdio.h>
extern char **environ;
int main(void) { return environ != 0 && stdout != 0 ? 0 : 1; }
