/* Shaped like a Node-API addon: exports napi_register_module_v1, needs
 * napi_create_string_utf8 from node. */
#include <stddef.h>
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
extern int napi_create_string_utf8(napi_env, const char *, size_t, napi_value *);
napi_value napi_register_module_v1(napi_env env, napi_value exports) {
    napi_value s;
    napi_create_string_utf8(env, "hi", 2, &s);
    return exports;
}
