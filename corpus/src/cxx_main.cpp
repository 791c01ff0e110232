// A non-PIE C++ program using std::shared_ptr: __libc_single_threaded is
// copied into its .bss (R_X86_64_COPY), so it is *defined* in .dynsym yet must
// still come from a library at load time.
#include <cstdio>
#include <memory>

int main() {
    auto a = std::make_shared<int>(7);
    auto b = a;
    std::printf("%ld\n", b.use_count());
    return 0;
}
