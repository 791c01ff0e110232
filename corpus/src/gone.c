/* Stand-in for a library the targets lack (libgone.so.1, not kept). */
void gone_fn(void) {}
