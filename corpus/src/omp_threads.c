/* Needs libgomp by its full file name, libgomp.so.1.0.0, as numba's
 * omppool module does: linked against a stub without a soname, so the
 * name given to the linker becomes DT_NEEDED. */
#include <stdio.h>

int omp_get_max_threads(void);

int main(void) {
    printf("%d\n", omp_get_max_threads() > 0);
    return 0;
}
