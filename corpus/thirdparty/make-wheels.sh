#!/usr/bin/env bash
# Downloads corpus/thirdparty/fetched/wheels: real manylinux wheels whose
# extension modules or bundled libraries name glibc's loader in DT_NEEDED
# (`ld-linux-x86-64.so.2`), for the audit-wheel tests in tests/python.rs.
# Pinned versions from PyPI (about 8 MB); not committed. The tests skip,
# saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/wheels
rm -rf "$target"
mkdir -p "$target"
pip download -q --no-deps --only-binary=:all: -d "$target" \
    --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp \
    cryptography==42.0.8 pillow==10.4.0
echo "built $target"
