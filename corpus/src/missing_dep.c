/* Linked against libnotthere.so.1, which is deleted after linking. */
int notthere_value(void);
int forward(void) { return notthere_value() + 1; }
