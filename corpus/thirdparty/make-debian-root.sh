#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/debian-root: a few Debian packages
# extracted as they sit in a Debian image (`apt-get download` + `dpkg-deb -x`,
# no maintainer scripts), for tests/debian_root.rs: jq (usr/bin/jq needs
# libjq.so.1, which sits in usr/lib/x86_64-linux-gnu/, off musl's search path),
# libjq1, libonig5, and the Python interpreter (an executable exporting Py*
# and PyInit_*). About 10 MB; not committed. Needs apt-get (Debian; after
# `apt-get update`). The test skips, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
    echo "make-debian-root.sh: needs apt-get and dpkg-deb (Debian)" >&2
    exit 1
}
target=fetched/debian-root
rm -rf "$target"
mkdir -p "$target"
# The interpreter package of this Debian release (python3.11-minimal on bookworm).
python=$(apt-cache depends python3-minimal | awk '/Depends: python3\.[0-9]+-minimal/ {print $2; exit}')
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
chmod 777 "$debs" # apt's sandbox user writes the downloads
(cd "$debs" && apt-get download -q jq libjq1 libonig5 "$python" >/dev/null)
for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$target"
done
echo "built $target"
