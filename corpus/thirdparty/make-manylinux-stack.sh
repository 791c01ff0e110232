#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/manylinux-stack: the distributions pinned
# in manylinux-stack.txt, installed from manylinux wheels the way a Debian
# builder stage would (`pip install --target`), for the index tests and the
# live check in .ci/run. Downloads from PyPI, so it is not committed; the
# tests that need it skip, saying why, when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/manylinux-stack
rm -rf "$target"
mkdir -p "$target"
mapfile -t pins < <(grep -v '^#' manylinux-stack.txt | grep -v '^$')
pip install -q --no-deps --only-binary=:all: --target "$target" \
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    --python-version 3.11 --implementation cp \
    "${pins[@]}"
echo "built $target: $(find "$target" -maxdepth 1 -name '*.dist-info' | wc -l) distributions, $(du -sh "$target" | cut -f1)"
