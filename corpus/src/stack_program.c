/* Needs libstack-exec.so at start: glibc makes the stack executable for it. */
#include <stdio.h>
extern int stack_helper(int);
int main(void) { printf("%d\n", stack_helper(1)); return 0; }
