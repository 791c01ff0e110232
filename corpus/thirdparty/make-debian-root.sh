#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/debian-root: real Debian packages (jq and
# the libraries it needs) unpacked into a root filesystem with the dpkg
# database dpkg itself would write for them (`status` stanzas and
# `info/<package>[:<arch>].list` file lists), for tests/distro.rs. Downloads
# from the machine's Debian mirror with `apt-get download`; not committed.
# The tests skip, saying why, when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
target=$PWD/fetched/debian-root
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$target"
mkdir -p "$target/var/lib/dpkg/info"
cd "$work"
apt-get download -q jq libjq1 libonig5 >/dev/null 2>&1
for deb in *.deb; do
    dpkg-deb -x "$deb" "$target"
    name=$(dpkg-deb -f "$deb" Package)
    version=$(dpkg-deb -f "$deb" Version)
    arch=$(dpkg-deb -f "$deb" Architecture)
    multi_arch=$(dpkg-deb -f "$deb" Multi-Arch)
    printf 'Package: %s\nStatus: install ok installed\nArchitecture: %s\nMulti-Arch: %s\nVersion: %s\n\n' \
        "$name" "$arch" "$multi_arch" "$version" >>"$target/var/lib/dpkg/status"
    list=$name.list
    [ "$multi_arch" = same ] && list=$name:$arch.list
    dpkg-deb -c "$deb" | awk '{print $6}' | sed -e 's|^\./|/|' -e 's|^\.$|/.|' -e 's|/$||' \
        >"$target/var/lib/dpkg/info/$list"
done
echo "built $target"
