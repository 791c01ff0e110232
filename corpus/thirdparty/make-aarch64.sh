#!/usr/bin/env bash
# Downloads corpus/thirdparty/fetched/aarch64: real aarch64 wheels from PyPI,
# pinned, each unpacked as pip installs it (and the wheel kept beside), for
# tests/loader_differential.rs, which runs Alpine's own aarch64 loaders under
# qemu-aarch64-static. numpy's musllinux wheel bundles Alpine-built libgcc_s and
# libstdc++ (GCC 14.2.0) in numpy.libs/: the test also installs those in a root
# as `apk add libgcc libstdc++` would. About 17 MB; not committed. The tests
# skip, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/aarch64
rm -rf "$target"
mkdir -p "$target/wheels"
wheel() { # requirement platform
    pip download -q --no-deps --only-binary=:all: -d "$target/wheels" \
        --python-version 3.11 --implementation cp --platform "$2" "$1"
}
wheel numpy==2.4.6 musllinux_1_2_aarch64       # C, C++, Fortran; bundles libgcc_s, libstdc++
wheel ujson==5.10.0 musllinux_1_2_aarch64      # C++ extension, bundled libstdc++
wheel ujson==5.10.0 manylinux2014_aarch64      # the same, glibc: needs libstdc++.so.6
wheel markupsafe==2.1.5 musllinux_1_1_aarch64  # small C extension
wheel markupsafe==2.1.5 manylinux2014_aarch64  # the same, glibc
(cd "$target/wheels" && sha256sum -c ../../../aarch64.sha256)
for whl in "$target"/wheels/*.whl; do
    python3 -m zipfile -e "$whl" "$target/$(basename "$whl" .whl)"
done
echo "built $target"
