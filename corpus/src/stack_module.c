/* A CPython extension (exports PyInit_stackmod) that needs a library asking
 * for an executable stack: CPython loads it with dlopen, which glibc 2.41+
 * refuses for such a library (tests/glibc_images.rs, tests/checks.rs). */
typedef struct _object PyObject;
extern PyObject *PyLong_FromLong(long);
extern int stack_helper(int);
PyObject *PyInit_stackmod(void) { return PyLong_FromLong(stack_helper(1)); }
