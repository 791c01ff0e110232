/* Shaped like a CPython extension: exports PyInit_demo, needs PyLong_FromLong
 * from the interpreter (no libpython in DT_NEEDED, as manylinux requires). */
#include <string.h>
typedef struct _object PyObject;
extern PyObject *PyLong_FromLong(long);
PyObject *PyInit_demo(void) { return PyLong_FromLong((long)strlen("demo")); }
