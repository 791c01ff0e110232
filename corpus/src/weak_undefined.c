/* A weak reference nothing defines: bound to 0, never an error. */
extern void optional_hook(void) __attribute__((weak));
int has_hook(void) { return optional_hook != 0; }
