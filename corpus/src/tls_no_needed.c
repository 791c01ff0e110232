/* A thread-local variable read through __tls_get_addr (the general-dynamic
 * model of -fPIC), linked with -nostdlib: no DT_NEEDED at all, as libraries
 * linking their runtime statically are (libddwaf.so). ld.so, in every
 * glibc process's global scope, provides __tls_get_addr. */
__thread int counter;

int napi_register_module_v1(void) { return ++counter; }
