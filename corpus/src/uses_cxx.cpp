// A glibc C++ program that loads lib/libcxx-shared-ptr.so through RUNPATH.
#include <memory>
long use_count_after_copy(const char *name);
int main() { return use_count_after_copy("x") == 2 ? 0 : 1; }
