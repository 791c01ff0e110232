#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/venv: a site-packages of real manylinux
# wheels, installed the way a Debian builder stage would (`pip install
# --target`), for tests/python.rs. Pinned versions; downloads from PyPI
# (211 MB on disk, measured), so it is not committed. The test skips, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/venv
rm -rf "$target"
mkdir -p "$target"
pip install -q --no-deps --only-binary=:all: --target "$target" \
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    --python-version 3.11 --implementation cp \
    numpy==1.26.4 pandas==2.2.2 cryptography==42.0.8 pillow==10.4.0 \
    lxml==5.2.2 orjson==3.10.6 grpcio==1.64.1 markupsafe==2.1.5
echo "built $target"
