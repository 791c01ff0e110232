/* A non-PIE program that takes gone_fn's address: its dynamic symbol table
 * holds gone_fn undefined at its PLT entry's address (a canonical PLT
 * entry), which lib/libaddress-of.so's GOT reference binds to under musl;
 * only the program's own PLT slot fails. */
extern void gone_fn(void);
extern void *address_of_gone(void);
int main(void) {
    void (*taken)(void) = gone_fn;
    return (void *)taken == address_of_gone();
}
