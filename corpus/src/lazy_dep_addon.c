/* A Node-shaped addon whose tree library (libcalls-absent.so) calls a
 * function nothing defines: under Node's RTLD_LAZY musl loads both. */
extern int use_absent(void);
int call_dependency(void) { return use_absent(); }
void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }
