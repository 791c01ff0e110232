// A C++ library using std::shared_ptr: g++ 12 on glibc 2.32+ makes the
// reference-count fast path read __libc_single_threaded.
#include <memory>
#include <string>
#include <vector>

struct Node { std::string name; std::vector<int> values; };

std::shared_ptr<Node> make_node(const char *name) {
    auto node = std::make_shared<Node>();
    node->name = name;
    node->values.push_back(42);
    return node;
}

long use_count_after_copy(const char *name) {
    auto a = make_node(name);
    auto b = a;
    return b.use_count();
}
