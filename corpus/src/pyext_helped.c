/* A CPython extension module whose work is in a helper library it needs
 * (DT_NEEDED libpyhelper.so, found through RUNPATH $ORIGIN). */
typedef struct _object PyObject;
extern PyObject *helper_value(long);
PyObject *PyInit_helped(void) { return helper_value(42); }
