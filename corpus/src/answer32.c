/* A 32-bit (i686) library defining what an x86_64 one by the same name
 * does: musl's loader fails on it when it is the first file by the needed
 * name ("Exec format error"); glibc's passes over it. No headers, so no
 * 32-bit C library is needed to build it. */
int a(void) { return 42; }
