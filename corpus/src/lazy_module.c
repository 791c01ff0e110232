/* A module calling a function nothing defines (a PLT slot only) or, with
 * -DBY_ADDRESS, storing the address of data nothing defines (an absolute
 * R_X86_64_64), or with -DMIXED both. Exported as a Node addon (napi_register_module_v1; Node
 * dlopens with RTLD_LAZY) or, with -DCPYTHON, as a CPython module (PyInit_*;
 * RTLD_NOW); with -DNO_MODULE a plain library. tests/alpine_rootfs.rs and tests/glibc_images.rs dlopen them. */
#if defined(MIXED)
extern int absent_function(void);
extern int absent_data;
int *absent_address = &absent_data;
int use_absent(void) { return absent_function() + *absent_address; }
#elif defined(BY_ADDRESS)
extern int absent_data;
int *absent_address = &absent_data;
int use_absent(void) { return *absent_address; }
#else
extern int absent_function(void);
int use_absent(void) { return absent_function(); }
#endif
#if defined(CPYTHON)
void *PyInit_lazy(void) { return 0; }
#elif !defined(NO_MODULE)
void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }
#endif
