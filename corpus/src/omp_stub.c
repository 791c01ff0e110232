/* Link-time stand-in for libgomp, built without a soname. */
int omp_get_max_threads(void) { return 1; }
