#!/usr/bin/env bash
# Builds container images for tests/images.rs from real pieces: the Debian
# root of corpus/thirdparty/make-debian-root.sh (jq and its libraries with
# their dpkg database) as the base layer, and an app layer holding a real npm
# package (bcrypt 6.0.0, committed tarball), sharp 0.33.5 installed on glibc
# with its package-lock.json (from make-node-modules.sh), the corpus's glibc node addon, a
# real manylinux wheel (MarkupSafe 2.1.5, committed) installed as pip would
# (RECORD kept) and a vendored glibc binary; a third layer deletes a file
# (whiteout) and empties a directory (opaque). Each image is written as an
# OCI layout, an OCI archive, a legacy `docker save` tar and a Docker >= 25
# `docker save` tar, with gzip, zstd and uncompressed layers; plus hostile
# and damaged images, and the merged root as a plain tree (`rootfs/`) to
# compare verdicts with. Python's standard library only (and the `zstd`
# command for zstd layers). Not committed: the tests skip when absent.
#
# Usage: corpus/images/make-images.sh [OUT]   (default corpus/thirdparty/fetched/images)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(dirname "$here")
out=${1:-$corpus/thirdparty/fetched/images}
base=$corpus/thirdparty/fetched/debian-root
if [ ! -d "$base" ]; then
    "$corpus/thirdparty/make-debian-root.sh" >/dev/null
fi
# The fat jar (snappy-java, zstd-jni, lz4-java) the Java image runs.
if [ ! -f "$corpus/thirdparty/fetched/jars/app-fat.jar" ]; then
    "$corpus/thirdparty/make-jars.sh" >/dev/null
fi
# sharp 0.33.5 as npm installs it on glibc (its glibc platform packages only).
if [ ! -d "$corpus/thirdparty/fetched/npm-glibc" ]; then
    "$corpus/thirdparty/make-node-modules.sh" >/dev/null
fi
command -v zstd >/dev/null || { echo "make-images.sh: the zstd command is needed (apt-get install zstd)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
python3 "$here/make_images.py" "$corpus" "$base" "$out"
echo "built $out"
