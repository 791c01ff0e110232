//! MC403: threads a glibc-built file creates with the default stack size
//! get musl's 128 KiB where glibc gives the stack limit (8 MiB).

use crate::model::{Code, ElfFacts, Evidence, Finding, LibcKind};
use crate::platform::{LoaderKind, Platform};

/// musl's default thread stack (`DEFAULT_STACK_SIZE` in
/// `src/internal/pthread_impl.h`, 128 KiB since 1.1.21; measured with
/// `pthread_getattr_np` under Alpine 3.17 and 3.20's loaders).
pub const MUSL_DEFAULT_THREAD_STACK: u64 = 128 * 1024;

/// What in the file creates threads that take the default stack size:
/// `pthread_create` without any stack size set in the file, C++
/// `std::thread` (libstdc++ creates it with default attributes), OpenMP.
fn default_stack_threads(facts: &ElfFacts) -> Vec<&'static str> {
    let names = || facts.required_symbols.iter().map(|s| s.name.as_str());
    let sets_a_size =
        names().any(|n| matches!(n, "pthread_attr_setstacksize" | "pthread_attr_setstack"));
    let mut creators = Vec::new();
    // A weak reference only asks whether threads exist (libstdc++'s gthr).
    if !sets_a_size
        && facts
            .required_symbols
            .iter()
            .any(|s| s.name == "pthread_create" && !s.weak)
    {
        creators.push("pthread_create");
    }
    if names().any(|n| n.starts_with("_ZNSt6thread15_M_start_thread")) {
        creators.push("std::thread");
    }
    if names().any(|n| n.starts_with("GOMP_parallel")) {
        creators.push("OpenMP (GOMP_parallel)");
    }
    creators
}

/// MC403 for a glibc-built file that loads on a musl target, creates
/// threads with the default stack size and, if a program, does not raise
/// the default itself (musl takes a PT_GNU_STACK size from what loads at
/// start, never from a library loaded with dlopen).
pub fn small_thread_stacks(facts: &ElfFacts, platform: &Platform) -> Option<Finding> {
    let raises_default = facts.is_executable() && facts.stack_size > MUSL_DEFAULT_THREAD_STACK;
    let applies = platform.loader_kind() == LoaderKind::Musl
        && facts.libc.kind == LibcKind::Glibc
        && !raises_default;
    if !applies {
        return None;
    }
    let creators = default_stack_threads(facts);
    if creators.is_empty() {
        return None;
    }
    let message = format!(
        "creates threads with the default stack size ({}): on {} they get musl's 128 KiB, \
         where glibc gives the stack limit (usually 8 MiB); deep recursion or large local \
         arrays in them overflow it and crash with a segmentation fault at run time",
        creators.join(", "),
        platform.target
    );
    let remedy = if facts.is_executable() {
        "link it with `-Wl,-z,stack-size=1048576` (musl takes the default thread stack from \
         PT_GNU_STACK), or set stack sizes where it creates threads"
    } else if creators.contains(&"OpenMP (GOMP_parallel)") {
        "set OMP_STACKSIZE (e.g. `ENV OMP_STACKSIZE=8M`) for OpenMP's threads; set stack sizes \
         where it creates others, or install a musl build"
    } else {
        "set a stack size where it creates threads (pthread_attr_setstacksize), or install a \
         musl build; a program that loads it at start can raise musl's default with \
         `-Wl,-z,stack-size=`"
    };
    Some(
        Finding::new(
            Code::SmallThreadStacks,
            message,
            Evidence::Threads {
                creators: creators.into_iter().map(str::to_string).collect(),
                default_stack: MUSL_DEFAULT_THREAD_STACK,
            },
        )
        .with_remedy(remedy),
    )
}
