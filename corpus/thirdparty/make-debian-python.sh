#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/debian-python: Debian's Python interpreter
# package (python3.11-minimal on bookworm: usr/bin/python3.11, an executable
# that exports Py* and its built-in modules' PyInit_*) extracted as it sits in
# a Debian image (`apt-get download` + `dpkg-deb -x`), for tests/debian_root.rs.
# About 7 MB; not committed. Needs apt-get (Debian; after `apt-get update`).
# The test skips, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=$PWD/fetched/debian-python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$target"
mkdir -p "$target"
# The interpreter package of this Debian release.
python=$(apt-cache depends python3-minimal | awk '/Depends: python3\.[0-9]+-minimal/ {print $2; exit}')
cd "$work"
apt-get download -q "$python" >/dev/null 2>&1
for deb in *.deb; do
    dpkg-deb -x "$deb" "$target"
done
echo "built $target"
