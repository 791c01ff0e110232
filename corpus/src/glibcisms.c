/* glibc-only functions gcompat supplies: gnu_get_libc_version, error, backtrace. */
#include <gnu/libc-version.h>
#include <error.h>
#include <execinfo.h>

const char *libc_version(void) { return gnu_get_libc_version(); }
void fail(int status, const char *msg) { error(status, 0, "%s", msg); }
int trace(void **buffer, int size) { return backtrace(buffer, size); }
