/* A glibc program that loads lib/libfortified.so through RUNPATH $ORIGIN/../lib. */
#include <stdio.h>
void fill(const char *name, unsigned long len, int n);
int main(void) { fill("x", 2, 1); puts("filled"); return 0; }
