/* Built three ways: linked -z execstack, with no PT_GNU_STACK at all, and
 * plainly; the program beside it needs the executable-stack one. */
int stack_helper(int x) { return x + 1; }
