/* Shaped like an Android (bionic) build of a native addon: linked against
 * a libc.so whose symbols carry bionic's version node LIBC, as the NDK's
 * are (corpus/src/bionic_libc.map). */
extern int __register_atfork(void (*)(void), void (*)(void), void (*)(void), void *);
extern void *__dso_handle;
static void nothing(void) {}
int addon_init(void) { return __register_atfork(nothing, nothing, nothing, &__dso_handle); }
void *__dso_handle = 0;
