/* Built with -O2 -D_FORTIFY_SOURCE=2: copies into buffers whose sizes the
 * compiler knows become __memcpy_chk, __strcpy_chk/__stpcpy_chk and __sprintf_chk. */
#include <stdio.h>
#include <string.h>

struct record { char name[16]; char line[32]; };
struct record last_record;

void fill(const char *name, size_t len, int n) {
    memcpy(last_record.name, name, len);
    strcpy(last_record.line, name);
    sprintf(last_record.line, "%s-%d", name, n);
}
