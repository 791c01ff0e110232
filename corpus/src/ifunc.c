/* A GNU indirect function called from inside the library: the linker emits
 * R_X86_64_IRELATIVE, which musl's loader refuses. */
static int add_generic(int a, int b) { return a + b; }
static int (*resolve_add(void))(int, int) { return add_generic; }
int add(int a, int b) __attribute__((ifunc("resolve_add"), visibility("hidden")));
int add_twice(int a, int b) { return add(add(a, b), b); }
