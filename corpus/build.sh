#!/usr/bin/env bash
# Rebuilds the ELF fixtures in corpus/ from corpus/src/.
#
# Needs: gcc, g++, musl-gcc (Debian: musl-tools), aarch64-linux-gnu-gcc
# (Debian: gcc-aarch64-linux-gnu), libcrypt-dev. The built files are committed,
# so the tests need none of these; run this only after changing a source.
# Output is deterministic enough for the tests: no build ids, no absolute paths.
set -euo pipefail
cd "$(dirname "$0")"
SRC=src
COMMON=(-O2 -g0 -Wl,--build-id=none "-ffile-prefix-map=$PWD=.")
mkdir -p bin lib python node bad image

need() { command -v "$1" >/dev/null || { echo "build.sh: $1 not found ($2)" >&2; exit 1; }; }
need gcc "apt-get install gcc"
need g++ "apt-get install g++"
need musl-gcc "apt-get install musl-tools"
need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu"

# Executables
gcc "${COMMON[@]}" -D_FORTIFY_SOURCE=2 -o bin/hello-glibc $SRC/hello.c
musl-gcc "${COMMON[@]}" -o bin/hello-musl $SRC/hello.c
gcc "${COMMON[@]}" -static -o bin/hello-static-glibc $SRC/hello.c
musl-gcc "${COMMON[@]}" -static -o bin/hello-static-musl $SRC/hello.c
gcc "${COMMON[@]}" -static-pie -fPIE -o bin/hello-static-pie $SRC/hello.c
aarch64-linux-gnu-gcc "${COMMON[@]}" -o bin/hello-aarch64-glibc $SRC/hello.c
gcc "${COMMON[@]}" -no-pie -o bin/copy-reloc-glibc $SRC/copy_reloc.c
g++ "${COMMON[@]}" -no-pie -o bin/cxx-shared-ptr-nopie $SRC/cxx_main.cpp

SHARED_EARLY=("${COMMON[@]}" -shared -fPIC)
# Base-image fixtures (glibc loader model): a GLIBC_2.34 need, libstdc++, a
# static program naming the CA bundle. Apart from bin/ so its snapshots stay put.
gcc "${COMMON[@]}" -pthread -o image/threads $SRC/threads.c
g++ "${COMMON[@]}" -o image/cxx-hello $SRC/cxx_hello.cpp
gcc "${COMMON[@]}" -static -o image/static-certs $SRC/static_certs.c
# A function the tree's library lacks: bound lazily (fails at the call) and now.
mkdir -p image/lib
tmp=$(mktemp -d)
gcc "${SHARED_EARLY[@]}" -Wl,-soname,libupgraded.so.1 -o "$tmp/libupgraded.so.1" $SRC/upgraded.c
gcc "${SHARED_EARLY[@]}" -DWITHOUT_ABSENT -Wl,-soname,libupgraded.so.1 -o image/lib/libupgraded.so.1 $SRC/upgraded.c
gcc "${COMMON[@]}" -o image/calls-absent $SRC/calls_absent.c "$tmp/libupgraded.so.1" \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
gcc "${COMMON[@]}" -Wl,-z,now -o image/calls-absent-now $SRC/calls_absent.c "$tmp/libupgraded.so.1" \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
# A library needed by its full file name, not its soname (numba's omppool:
# libgomp.so.1.0.0): ld.so finds it in the default directories by that name.
gcc "${SHARED_EARLY[@]}" -o "$tmp/libgomp.so.1.0.0" $SRC/omp_stub.c
gcc "${COMMON[@]}" -o image/omp-threads $SRC/omp_threads.c -L"$tmp" -l:libgomp.so.1.0.0
rm -rf "$tmp"
# Executable stacks (glibc 2.41+ refuses them to dlopen): a CPython module
# needing a -z execstack library, one asking for it itself, a library with no
# PT_GNU_STACK (x86_64: executable by default; aarch64: not), and a program
# needing the execstack library at start (allowed).
mkdir -p image/execstack
gcc "${SHARED_EARLY[@]}" -Wl,-z,execstack -o image/execstack/libstack-exec.so $SRC/stack_helper.c
gcc "${SHARED_EARLY[@]}" -o image/execstack/libstack-unmarked.so $SRC/stack_helper.c
python3 drop-gnu-stack.py image/execstack/libstack-unmarked.so
aarch64-linux-gnu-gcc "${SHARED_EARLY[@]}" -o image/execstack/libstack-unmarked-aarch64.so $SRC/stack_helper.c
python3 drop-gnu-stack.py image/execstack/libstack-unmarked-aarch64.so
gcc "${SHARED_EARLY[@]}" -o image/execstack/stackmod.cpython-312-x86_64-linux-gnu.so \
    $SRC/stack_module.c -Limage/execstack -l:libstack-exec.so -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
gcc "${SHARED_EARLY[@]}" -Wl,-z,execstack -o image/execstack/stackown.cpython-312-x86_64-linux-gnu.so \
    $SRC/stack_module.c $SRC/stack_helper.c
gcc "${COMMON[@]}" -o image/execstack/stack-program $SRC/stack_program.c \
    -Limage/execstack -l:libstack-exec.so -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
gcc "${COMMON[@]}" -o image/execstack/dlopen-probe $SRC/dlopen_probe.c
# Thread stacks: a glibc-built library running 512 KiB of stack in a thread
# with default attributes (128 KiB on musl) and one that asks for 1 MiB; a
# musl program loading either, with musl's default and with -z stack-size.
mkdir -p image/threads-stack
gcc "${SHARED_EARLY[@]}" -pthread -o image/threads-stack/libdeep-default.so $SRC/deep_thread.c
gcc "${SHARED_EARLY[@]}" -pthread -DSET_STACK -o image/threads-stack/libdeep-sized.so $SRC/deep_thread.c
gcc "${SHARED_EARLY[@]}" -pthread -Wl,-z,stack-size=1048576 -o image/threads-stack/libdeep-zsize.so $SRC/deep_thread.c
musl-gcc "${COMMON[@]}" -o image/threads-stack/host-default $SRC/deep_thread_host.c
musl-gcc "${COMMON[@]}" -Wl,-z,stack-size=1048576 -o image/threads-stack/host-1m $SRC/deep_thread_host.c
# Initial-exec TLS (musl gives static TLS only to what loads at start):
# CPython-shaped modules reaching an exported __thread symbol or their own
# block with -ftls-model=initial-exec, one with the default model, a program
# needing the by-name one at start, and a musl program that dlopens one.
mkdir -p image/tls
musl-gcc "${SHARED_EARLY[@]}" -ftls-model=initial-exec -DBY_NAME \
    -o image/tls/ietls_named.cpython-312-x86_64-linux-musl.so $SRC/ie_tls.c
musl-gcc "${SHARED_EARLY[@]}" -ftls-model=initial-exec \
    -o image/tls/ietls_own.cpython-312-x86_64-linux-musl.so $SRC/ie_tls.c
musl-gcc "${SHARED_EARLY[@]}" -o image/tls/gdtls.cpython-312-x86_64-linux-musl.so $SRC/ie_tls.c
musl-gcc "${COMMON[@]}" -o image/tls/tls-probe $SRC/tls_probe.c
musl-gcc "${SHARED_EARLY[@]}" -ftls-model=initial-exec -DBY_NAME -DNO_MODULE \
    -Wl,-soname,libietls-named.so -o image/tls/libietls-named.so $SRC/ie_tls.c
musl-gcc "${COMMON[@]}" -o image/tls/ietls-program $SRC/tls_probe.c \
    image/tls/libietls-named.so -Wl,-rpath,'$ORIGIN'
# Lazy binding: musl's dlopen with RTLD_LAZY leaves a PLT or GOT entry it
# cannot bind for later; an absolute data reference still stops the load.
# Node-shaped addons and a CPython-shaped module (RTLD_NOW), for musl and
# glibc, and a probe for each C library.
mkdir -p image/lazy
musl-gcc "${SHARED_EARLY[@]}" -o image/lazy/calls-absent-musl.node $SRC/lazy_module.c
musl-gcc "${SHARED_EARLY[@]}" -DBY_ADDRESS -o image/lazy/data-absent-musl.node $SRC/lazy_module.c
musl-gcc "${SHARED_EARLY[@]}" -DCPYTHON -o image/lazy/lazy.cpython-312-x86_64-linux-musl.so $SRC/lazy_module.c
musl-gcc "${SHARED_EARLY[@]}" -DNO_MODULE -Wl,-soname,libcalls-absent.so \
    -o image/lazy/libcalls-absent.so $SRC/lazy_module.c
musl-gcc "${SHARED_EARLY[@]}" -o image/lazy/needs-lazy-dep.node $SRC/lazy_dep_addon.c \
    image/lazy/libcalls-absent.so -Wl,-rpath,'$ORIGIN'
gcc "${SHARED_EARLY[@]}" -o image/lazy/calls-absent-glibc.node $SRC/lazy_module.c
gcc "${SHARED_EARLY[@]}" -DMIXED -o image/lazy/mixed-absent-glibc.node $SRC/lazy_module.c
gcc "${SHARED_EARLY[@]}" -DCPYTHON -o image/lazy/lazy.cpython-312-x86_64-linux-gnu.so $SRC/lazy_module.c
musl-gcc "${COMMON[@]}" -o image/lazy/lazy-probe-musl $SRC/lazy_probe.c
gcc "${COMMON[@]}" -o image/lazy/lazy-probe-glibc $SRC/lazy_probe.c
# shm_open@GLIBC_2.2.5 without librt: found where the host links librt (JVM, Ruby) only.
mkdir -p image/host-librt
gcc "${SHARED_EARLY[@]}" -o image/host-librt/host_librt.cpython-39-x86_64-linux-gnu.so \
    $SRC/host_librt.c
gcc "${SHARED_EARLY[@]}" -DJNI -o image/host-librt/libhost_librt_jni.so $SRC/host_librt.c
musl-gcc "${COMMON[@]}" -static -o image/host-librt/with-env $SRC/with_env.c
gcc "${SHARED_EARLY[@]}" -nostdlib -o image/host-librt/tls-no-needed.node $SRC/tls_no_needed.c

# Shared libraries (glibc)
SHARED=("${COMMON[@]}" -shared -fPIC)
gcc "${SHARED[@]}" -U_FORTIFY_SOURCE -o lib/libplain.so $SRC/plain.c
gcc "${SHARED[@]}" -D_FORTIFY_SOURCE=2 -o lib/libfortified.so $SRC/fortified.c
g++ "${SHARED[@]}" -o lib/libcxx-shared-ptr.so $SRC/cxx_shared_ptr.cpp
g++ "${SHARED[@]}" -o lib/libcxx-string.so $SRC/cxx_string.cpp
gcc "${SHARED[@]}" -o lib/liblfs64.so $SRC/lfs64.c
gcc "${SHARED[@]}" -o lib/libfcntl64.so $SRC/fcntl64.c
gcc "${SHARED[@]}" -o lib/libifunc.so $SRC/ifunc.c
gcc "${SHARED[@]}" -o lib/libglibcisms.so $SRC/glibcisms.c
gcc "${SHARED[@]}" -o lib/libuses-crypt.so $SRC/uses_crypt.c -lcrypt
tmp=$(mktemp -d)
gcc "${SHARED[@]}" -Wl,-soname,libnotthere.so.1 -o "$tmp/libnotthere.so.1" $SRC/notthere.c
gcc "${SHARED[@]}" -o lib/libmissing-dep.so $SRC/missing_dep.c "$tmp/libnotthere.so.1"
rm -rf "$tmp"
# A glibc program that finds lib/libfortified.so through RUNPATH $ORIGIN/../lib.
gcc "${COMMON[@]}" -o bin/uses-fortified $SRC/uses_fortified.c \
    -Llib -lfortified -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'

gcc "${SHARED[@]}" -o lib/libarc4random.so $SRC/arc4random.c
gcc "${SHARED[@]}" -o lib/libweak-undefined.so $SRC/weak_undefined.c
gcc "${SHARED[@]}" -o lib/libuses-resolv.so $SRC/uses_resolv.c -lresolv
gcc "${SHARED[@]}" -o lib/libuses-glibc-private.so $SRC/uses_glibc_private.c
gcc "${SHARED[@]}" -o lib/libuses-atomic.so $SRC/uses_atomic.c -latomic
# A non-PIE program's canonical PLT entry, which a library's GOT reference binds to.
tmp=$(mktemp -d)
gcc "${SHARED[@]}" -Wl,-soname,libgone.so.1 -o "$tmp/libgone.so.1" $SRC/gone.c
gcc "${SHARED[@]}" -o lib/libaddress-of.so $SRC/address_of.c "$tmp/libgone.so.1"
gcc "${COMMON[@]}" -fno-pie -no-pie -o bin/uses-plt-address $SRC/uses_plt_address.c \
    -Llib -l:libaddress-of.so "$tmp/libgone.so.1" -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
rm -rf "$tmp"
gcc "${SHARED[@]}" -o lib/libfallocate64.so $SRC/fallocate64.c
gcc "${SHARED[@]}" -fno-builtin -o lib/libcalls-cbrt.so $SRC/calls_cbrt.c
g++ "${COMMON[@]}" -o bin/uses-cxx $SRC/uses_cxx.cpp \
    -Llib -l:libcxx-shared-ptr.so -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'

# Shared libraries (musl); the second loads the glibc-built lib/libplain.so.
musl-gcc "${SHARED[@]}" -o lib/libplain-musl.so $SRC/plain.c
musl-gcc "${SHARED[@]}" -o lib/libchain-musl.so $SRC/chain.c -Llib -l:libplain.so \
    -Wl,-rpath,'$ORIGIN'

# An export defined only as an IFUNC (glibc gcc), and a musl library needing it.
gcc "${SHARED[@]}" -Wl,-soname,libifunc-export.so -o lib/libifunc-export.so $SRC/ifunc_export.c
musl-gcc "${SHARED[@]}" -o lib/libuses-ifunc-export.so $SRC/uses_ifunc_export.c \
    -Llib -l:libifunc-export.so -Wl,-rpath,'$ORIGIN'

# A musl library needing zlib and libcrypto, found in the Alpine base image;
# linked against stand-ins with their sonames, not kept.
tmp=$(mktemp -d)
musl-gcc "${SHARED[@]}" -DSTUB_ZLIB -Wl,-soname,libz.so.1 -o "$tmp/libz.so.1" $SRC/stub_base_libs.c
musl-gcc "${SHARED[@]}" -Wl,-soname,libcrypto.so.3 -o "$tmp/libcrypto.so.3" $SRC/stub_base_libs.c
musl-gcc "${SHARED[@]}" -o lib/libuses-base-libs.so $SRC/uses_base_libs.c \
    "$tmp/libz.so.1" "$tmp/libcrypto.so.3"
rm -rf "$tmp"

# A musl library needing statx (musl 1.2.5+, Alpine 3.20+).
musl-gcc "${SHARED[@]}" -o lib/libstatx-musl.so $SRC/statx.c

# Host-loaded modules
gcc "${SHARED[@]}" -o python/demo.cpython-311-x86_64-linux-gnu.so $SRC/pyext.c
# A musl module and the helper library it loads, which uses Py* names.
musl-gcc "${SHARED[@]}" -Wl,-soname,libpyhelper.so -o python/libpyhelper.so $SRC/pyhelper.c
musl-gcc "${SHARED[@]}" -o python/helped.cpython-311-x86_64-linux-musl.so $SRC/pyext_helped.c \
    -Lpython -l:libpyhelper.so -Wl,-rpath,'$ORIGIN'
gcc "${SHARED[@]}" -o node/addon.node $SRC/napi_addon.c
# Shaped like an Android (bionic) build: needs libc.so with bionic's version
# node LIBC, from a stand-in linked with bionic's version script, not kept.
tmp=$(mktemp -d)
gcc "${SHARED[@]}" -nostdlib -Wl,-soname,libc.so -Wl,--version-script=$SRC/bionic_libc.map \
    -o "$tmp/libc.so" $SRC/bionic_libc.c
gcc "${SHARED[@]}" -nostdlib -o node/bionic-addon.node $SRC/bionic_addon.c "$tmp/libc.so"
rm -rf "$tmp"

# aarch64 libraries calling into Alpine's libgcc_s: __frame_state_for is in
# its aarch64 build only, __mulxc3 (x87 complex multiply) in its x86_64 build only.
tmp=$(mktemp -d)
for stub in libc.so libgcc_s.so.1; do
    aarch64-linux-gnu-gcc "${SHARED[@]}" -nostdlib -Wl,-soname,$stub -o "$tmp/$stub" $SRC/stub_gcc_runtime.c
done
for called in __frame_state_for __mulxc3; do
    aarch64-linux-gnu-gcc "${SHARED[@]}" -nostdlib -DCALLED=$called -o lib/libcalls$called-aarch64.so \
        $SRC/calls_gcc_runtime.c -Wl,--no-as-needed "$tmp/libc.so" "$tmp/libgcc_s.so.1"
done
rm -rf "$tmp"

# A 32-bit (i686) library by a name an x86_64 one also has. -nostdlib and no
# headers: gcc -m32 needs no 32-bit C library (gcc-multilib would remove the
# aarch64 cross compiler on Debian 12).
gcc "${SHARED[@]}" -m32 -nostdlib -Wl,-soname,liba.so -o lib/liba-i686.so $SRC/answer32.c

# An x86_64 musl library calling GCC 14's std::__basic_file<char>::native_handle(),
# which Alpine 3.21's libstdc++ has and 3.19's and 3.20's (GCC 13.2) lack.
tmp=$(mktemp -d)
musl-gcc "${SHARED[@]}" -nostdlib -Wl,-soname,libstdc++.so.6 -o "$tmp/libstdc++.so.6" $SRC/stub_gcc_runtime.c
musl-gcc "${SHARED[@]}" -DCALLED=_ZNKSt12__basic_fileIcE13native_handleEv \
    -o lib/libcalls-gcc14-libstdcxx.so $SRC/calls_gcc_runtime.c -Wl,--no-as-needed "$tmp/libstdc++.so.6"
rm -rf "$tmp"

# Bad input: a truncated ELF and a text file with a library's name.
head -c 200 bin/hello-glibc > bad/truncated.so
printf 'INPUT(-lplain)\n' > bad/libfake.so.1

echo "built: $(find bin lib python node bad -type f | wc -l) files"
