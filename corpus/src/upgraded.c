/* Two builds of one library: the program links against the one with
   `absent`, the tree ships the one without (built with -DWITHOUT_ABSENT). */
int present(void) { return 1; }
#ifndef WITHOUT_ABSENT
int absent(void) { return 2; }
#endif
