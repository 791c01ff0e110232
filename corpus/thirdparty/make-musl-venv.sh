#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/musl-venv: a site-packages of real
# musllinux_1_2 wheels, installed the way an Alpine image's build stage would
# (`pip install --target`), for tests/python.rs. A correct musl install: every
# file must load on Alpine. Pinned versions (each has a cp311 musllinux_1_2
# x86_64 wheel, checked with `pip download`); downloads from PyPI, so it is
# not committed. The test skips, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/musl-venv
rm -rf "$target"
mkdir -p "$target"
pip install -q --no-deps --only-binary=:all: --target "$target" \
    --platform musllinux_1_2_x86_64 \
    --python-version 3.11 --implementation cp \
    pyarrow==26.0.1 pillow==13.0.0 numpy==2.4.6 markupsafe==3.0.4
echo "built $target"
