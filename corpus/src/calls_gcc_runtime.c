/* Calls one function of the GCC runtime (libgcc_s), named at build time
 * (-DCALLED=name). Built for aarch64 the way a musl library is linked, against
 * stand-ins for musl's libc.so and Alpine's libgcc_s.so.1 (not kept). */
extern void CALLED(void);
void call_it(void) { CALLED(); }
