#!/usr/bin/env bash
# Installs corpus/thirdparty/npm-answers (committed: package.json and the
# package-lock.json npm wrote) into fetched/npm-answers as on a glibc x64
# builder, install scripts disabled so nothing compiles or downloads here.
# The lock is written on the first run (`--write-lock`) and then only read (`npm ci`).
set -euo pipefail
cd "$(dirname "$0")"
dir=fetched/npm-answers
rm -rf "$dir"
mkdir -p "$dir"
cp npm-answers/package.json "$dir/"
flags=(-q --ignore-scripts --no-audit --no-fund --os=linux --cpu=x64 --libc=glibc)
if [ "${1:-}" = --write-lock ] || [ ! -f npm-answers/package-lock.json ]; then
    (cd "$dir" && npm install "${flags[@]}" >/dev/null)
    cp "$dir/package-lock.json" npm-answers/
else
    cp npm-answers/package-lock.json "$dir/"
    (cd "$dir" && npm ci "${flags[@]}" >/dev/null)
fi
echo "built $dir"
