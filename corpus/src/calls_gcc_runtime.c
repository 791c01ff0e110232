/* Calls one function of the GCC runtime (libgcc_s or libstdc++), named at
 * build time (-DCALLED=name, a mangled name for C++). Linked the way a musl
 * library is, against stand-ins for the runtime libraries (not kept). */
extern void CALLED(void);
void call_it(void) { CALLED(); }
