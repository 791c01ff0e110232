/* A helper library a CPython extension module needs (like pyarrow's
 * libarrow_python.so): not a module itself (no PyInit_), yet it uses the
 * interpreter's names, which the process that loads the module provides. */
typedef struct _object PyObject;
extern PyObject *PyLong_FromLong(long);
extern int PyGILState_Ensure(void);
PyObject *helper_value(long v) { (void)PyGILState_Ensure(); return PyLong_FromLong(v); }
