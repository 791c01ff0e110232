#!/usr/bin/env bash
# Records, for each distribution pinned in corpus/thirdparty/manylinux-stack.txt,
# what pip itself finds for the target: `pip download --no-deps --platform
# musllinux_1_2_x86_64 --platform musllinux_1_1_x86_64 --only-binary=:all:
# --python-version 3.11 --implementation cp NAME==VERSION` (the wheel it
# picks, or that it found none). pip's --platform names exact tags (it widens
# manylinux ones, not musllinux), while pip running on musl 1.2 accepts
# musllinux_1_1 and _1_2: both are passed, into tests/data/index/pip-download-musllinux.tsv. The index test
# asserts that muslcheck's index answers agree with it. Needs PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/data/index/pip-download-musllinux.tsv
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
{
    echo "# pip $(pip --version | cut -d' ' -f2), $(date -u +%Y-%m-%d): pip download --no-deps --platform musllinux_1_2_x86_64 --platform musllinux_1_1_x86_64 --only-binary=:all: --python-version 3.11 --implementation cp NAME==VERSION"
    printf 'name\tversion\tresult\twheel\n'
    grep -v '^#' corpus/thirdparty/manylinux-stack.txt | grep -v '^$' | while read -r pin; do
        name=${pin%%==*}
        version=${pin##*==}
        dir="$scratch/$name"
        if pip download -q --no-deps --platform musllinux_1_2_x86_64 \
            --platform musllinux_1_1_x86_64 --only-binary=:all: \
            --python-version 3.11 --implementation cp -d "$dir" "$pin" >/dev/null 2>&1; then
            printf '%s\t%s\tfound\t%s\n' "$name" "$version" "$(basename "$dir"/*.whl)"
        else
            printf '%s\t%s\tnone\t-\n' "$name" "$version"
        fi
        rm -rf "$dir"
    done
} > "$out"
echo "wrote $out: $(grep -c $'\tfound\t' "$out") found, $(grep -c $'\tnone\t' "$out") none"
