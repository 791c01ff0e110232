// A C++ library with the C++11 std::string ABI (GLIBCXX_3.4.21, beyond
// manylinux2014's libstdc++) and nothing of glibc newer than 2.14: its
// wheel's lowest manylinux policy is set by libstdc++, not glibc.
#include <string>

std::string greeting(const char *name) {
    std::string text = "hello, ";
    text += name;
    return text;
}
