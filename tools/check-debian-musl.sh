#!/usr/bin/env bash
# Re-checks the musl 1.2.3 column of data/musl/musl-exports-x86_64.tsv against
# Debian's `musl` package on this machine (apt-get install musl binutils).
# Prints every name whose presence differs; each one must be listed in
# data/musl/debian-musl-1.2.3-vs-upstream-x86_64.tsv (Debian's known differences).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=/lib/x86_64-linux-musl/libc.so
[ -e "$lib" ] || { echo "check-debian-musl: $lib not found (apt-get install musl)" >&2; exit 2; }
debian=$(mktemp); upstream=$(mktemp); listed=$(mktemp)
trap 'rm -f "$debian" "$upstream" "$listed"' EXIT
readelf --dyn-syms -W "$lib" | awk '$7 != "UND" && $7 != "Ndx" && $5 != "LOCAL" && NF >= 8 {sub(/@.*/, "", $8); print $8}' | sort -u > "$debian"
awk -F'\t' '!/^#/ && $4 == "1" {print $1}' data/musl/musl-exports-x86_64.tsv | sort -u > "$upstream"
awk -F'\t' '!/^#/ {print $1}' data/musl/debian-musl-1.2.3-vs-upstream-x86_64.tsv | sort -u > "$listed"
unlisted=$(comm -3 "$debian" "$upstream" | tr -d '\t' | sort -u | comm -23 - "$listed")
if [ -n "$unlisted" ]; then
    echo "differences between Debian's musl and the upstream 1.2.3 table not listed in the Debian diff table:"
    for name in $unlisted; do
        if grep -qx "$name" "$debian"; then echo "  + $name (only Debian exports it)"; else echo "  - $name (only upstream exports it)"; fi
    done
    exit 1
fi
echo "Debian's musl matches the upstream 1.2.3 table apart from the $(wc -l < "$listed") listed differences"
