#!/usr/bin/env bash
# Downloads corpus/thirdparty/fetched/execstack: a real wheel whose bundled
# library asks for an executable stack (PT_GNU_STACK RWE): ctranslate2 4.5.0's
# libctranslate2, which its extension module needs. glibc 2.41+ refuses it to
# dlopen ("cannot enable executable stack as shared object requires"); found
# by a differential run against Debian 13's loader. Pinned (sha256 in
# execstack.sha256), unpacked as pip installs it, about 39 MB; not committed.
# tests/glibc_images.rs dlopens it in Debian 12 and 13 roots, and skips,
# saying why, when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/execstack
rm -rf "$target"
mkdir -p "$target/wheels"
pip download -q --no-deps --only-binary=:all: -d "$target/wheels" \
    --python-version 3.12 --implementation cp --platform manylinux2014_x86_64 \
    ctranslate2==4.5.0
(cd "$target/wheels" && sha256sum -c ../../../execstack.sha256)
for whl in "$target"/wheels/*.whl; do
    python3 -m zipfile -e "$whl" "$target/site-packages"
done
echo "built $target"
