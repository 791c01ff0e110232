/* A loadable extension (SQLite's, an FFI's library) calling libm's cbrt
 * without needing libm: the process that loads it (node, python3) links
 * libm, so glibc binds it there; musl has it in libc. */
#include <math.h>
#include <string.h>
double cube_root_of_length(const char *s) { return cbrt((double)strlen(s)); }
