/* Stand-in for bionic's libc.so: only its soname and version node matter. */
int __register_atfork(void (*a)(void), void (*b)(void), void (*c)(void), void *d) {
    (void)a; (void)b; (void)c; (void)d;
    return 0;
}
