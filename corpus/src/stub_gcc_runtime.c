/* Link-time stand-in for musl's libc.so, Alpine's libgcc_s.so.1 or its
 * libstdc++.so.6 (not kept): a fixture linked against it leaves the names it
 * calls to the loader. */
int muslcheck_stub;
