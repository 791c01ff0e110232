#!/usr/bin/env bash
# Fetches Microsoft's SARIF Multitool (npm @microsoft/sarif-multitool-linux, a
# self-contained .NET build) into corpus/thirdparty/fetched/sarif-multitool, for
# tests/schemas.rs to validate muslcheck's SARIF with the SDK's and GitHub's rules.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=corpus/thirdparty/fetched/sarif-multitool
version=5.7.0
sha256=27d8e3e96dde578a23b7c45035b8d741fece5731e2700aa068015b8c44d1514e
if [ -x "$dest/package/Sarif.Multitool" ]; then
    echo "sarif-multitool already at $dest"
    exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack --silent "@microsoft/sarif-multitool-linux@$version" >/dev/null)
tarball="$scratch/microsoft-sarif-multitool-linux-$version.tgz"
echo "$sha256  $tarball" | sha256sum --check --quiet
mkdir -p "$dest"
tar xzf "$tarball" -C "$dest"
chmod u+x "$dest/package/Sarif.Multitool"
echo "sarif-multitool $version at $dest"
