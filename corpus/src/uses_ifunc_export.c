/* Needs `scaled`, which lib/libifunc-export.so defines only as an IFUNC. */
long scaled(long x);
long scaled_twice(long x) { return scaled(scaled(x)); }
