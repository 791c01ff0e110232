/* arc4random (glibc 2.36): neither musl nor gcompat 1.1.0 has it. */
#include <stdlib.h>
unsigned int random_word(void) { return arc4random(); }
