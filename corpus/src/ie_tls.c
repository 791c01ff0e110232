/* A CPython-shaped module (exports PyInit_*) using thread-local storage
 * through the initial-exec model: by name (-DBY_NAME: an exported __thread
 * symbol, R_X86_64_TPOFF64 against it), or its own block (static __thread,
 * a TPOFF relocation without a symbol); with -DNO_MODULE a plain library. Built without -ftls-model it uses
 * the default (general-dynamic) model. tests/alpine_rootfs.rs loads them
 * with dlopen under Alpine's loaders. */
#ifdef BY_NAME
__thread int counter;
#else
static __thread int counter;
#endif
int bump(void) { return ++counter; }
#ifndef NO_MODULE
void *PyInit_ietls(void) { return (void *)(long)bump(); }
#endif
