/* Takes gone_fn's address in PIC code: a GOT entry (R_X86_64_GLOB_DAT),
 * which musl binds to a non-PIE program's canonical PLT entry for it. */
extern void gone_fn(void);
void *address_of_gone(void) { return (void *)&gone_fn; }
