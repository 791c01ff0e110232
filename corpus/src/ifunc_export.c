/* A library whose only definition of an exported function is a GNU indirect
 * function (as glibc's libatomic.so.1 defines __atomic_exchange_16). Nothing
 * inside calls it, so the library itself has no IRELATIVE relocation and
 * loads; musl's loader skips IFUNC symbols when binding (OK_TYPES in
 * ldso/dynlink.c), so whoever needs the name fails. */
static long scaled_generic(long x) { return 2 * x; }
static long (*resolve_scaled(void))(long) { return scaled_generic; }
long scaled(long x) __attribute__((ifunc("resolve_scaled")));
