// Needs libstdc++.so.6 (std::string, iostream): absent from distroless/base.
#include <iostream>
#include <string>

int main(int argc, char **argv) {
    std::string name = argc > 1 ? argv[1] : "world";
    std::cout << "hello, " << name << std::endl;
    return 0;
}
