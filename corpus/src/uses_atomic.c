/* Needs libatomic.so.1: without -mcx16 gcc calls __atomic_load_16 there for
 * a 16-byte atomic load. Debian's slim images lack it (package libatomic1). */
#include <stdatomic.h>
typedef struct {
    long first, second;
} pair;
pair load_pair(_Atomic pair *shared) { return atomic_load(shared); }
